/// The two image formats the visual AP stores (research §4.2): the face photo as JPEG 2000 in a JP2 container,
/// greyscale; the rendered name, address, My Number and security code as 1-bit greyscale PNG.
public enum CardImageFormat: String, Sendable {
    case jp2Greyscale = "a greyscale JPEG 2000 (JP2) image"
    case png1Bit = "a 1-bit greyscale PNG image"

    /// Why `bytes` is not an image of this format, or nil when it is. Checks the signature, the header that says
    /// size and colour, and that the file is whole (PNG ends with IEND; every JP2 box fits).
    public func problem(with bytes: [UInt8]) -> String? {
        switch self {
        case .png1Bit: return Self.pngProblem(bytes)
        case .jp2Greyscale: return Self.jp2Problem(bytes)
        }
    }

    static let pngSignature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
    static let jp2Signature: [UInt8] = [0x00, 0x00, 0x00, 0x0C, 0x6A, 0x50, 0x20, 0x20, 0x0D, 0x0A, 0x87, 0x0A]

    private static func pngProblem(_ bytes: [UInt8]) -> String? {
        guard bytes.starts(with: pngSignature) else { return "it does not start with the PNG signature 89 50 4E 47" }
        // IHDR comes first: length 13, type, width, height, bit depth, colour type.
        guard bytes.count >= 33, Array(bytes[12..<16]) == Array("IHDR".utf8) else { return "it has no IHDR chunk" }
        let width = bigEndian(bytes[16..<20])
        let height = bigEndian(bytes[20..<24])
        guard width > 0, height > 0 else { return "its IHDR says \(width)×\(height) pixels" }
        guard bytes[24] == 1, bytes[25] == 0 else {
            return "it is a PNG with bit depth \(bytes[24]) and colour type \(bytes[25]), not 1-bit greyscale (1, 0)"
        }
        let end: [UInt8] = [0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82]
        guard bytes.count >= 45, Array(bytes.suffix(12)) == end else { return "it does not end with an IEND chunk" }
        return nil
    }

    private static func jp2Problem(_ bytes: [UInt8]) -> String? {
        guard bytes.starts(with: jp2Signature) else {
            if bytes.starts(with: [0xFF, 0xD8, 0xFF]) { return "it is a JPEG (FF D8 FF), not JPEG 2000" }
            if bytes.starts(with: [0xFF, 0x4F, 0xFF, 0x51]) {
                return "it is a bare JPEG 2000 codestream (FF 4F FF 51), not in a JP2 container"
            }
            return "it does not start with the JP2 signature box 00 00 00 0C 6A 50 20 20"
        }
        var offset = 0
        var sawFileType = false
        var components: Int?
        var sawCodestream = false
        while offset < bytes.count {
            guard bytes.count - offset >= 8 else { return "a box at byte \(offset) is cut off" }
            var length = bigEndian(bytes[offset..<(offset + 4)])
            let type = String(decoding: bytes[(offset + 4)..<(offset + 8)], as: UTF8.self)
            if length == 0 { length = bytes.count - offset }  // the last box runs to the end of the file
            guard length >= 8, length <= bytes.count - offset else {
                return "box '\(type)' at byte \(offset) says \(length) bytes but \(bytes.count - offset) remain"
            }
            let content = Array(bytes[(offset + 8)..<(offset + length)])
            switch type {
            case "ftyp": sawFileType = content.starts(with: Array("jp2 ".utf8))
            case "jp2h":
                // The image header box inside: height, width (4 each), then the number of components (2).
                if content.count >= 22, String(decoding: content[4..<8], as: UTF8.self) == "ihdr" {
                    components = bigEndian(content[16..<18])
                }
            case "jp2c": sawCodestream = content.starts(with: [0xFF, 0x4F])
            default: break
            }
            offset += length
        }
        guard sawFileType else { return "its file-type box does not name the 'jp2 ' brand" }
        guard let components else { return "it has no image header (jp2h/ihdr)" }
        guard components == 1 else { return "it has \(components) colour components, not 1 (greyscale)" }
        guard sawCodestream else { return "it has no codestream box (jp2c)" }
        return nil
    }

    private static func bigEndian(_ bytes: ArraySlice<UInt8>) -> Int { bytes.reduce(0) { $0 << 8 | Int($1) } }
}
