import APDU
import CardCrypto
import Foundation
import Scenario

/// The content checks a `tlv` expectation names (`format:`, `offset_table:`), and reading a public key from what
/// a card holds. Written apart from the emulator on purpose: a check that shared the emulator's code would agree
/// with the emulator's mistakes.
enum ValueChecks {
    /// Why `value` does not have `format`, or nil when it has.
    static func problem(_ value: [UInt8], format: ValueFormat) -> String? {
        let digits = value.allSatisfy { (0x30...0x39).contains($0) }
        switch format {
        case .utf8:
            return String(bytes: value, encoding: .utf8) == nil ? "not valid UTF-8" : nil
        case .digits:
            return digits && !value.isEmpty ? nil : "not ASCII digits"
        case .myNumber:
            guard value.count == 12, digits else { return "not 12 ASCII digits" }
            let numbers = value.map { Int($0) - 0x30 }
            return myNumberCheckDigit(Array(numbers.prefix(11))) == numbers[11]
                ? nil
                : "the check digit (個人番号の検査用数字) is wrong: \(myNumberCheckDigit(Array(numbers.prefix(11)))) expected"
        case .date:
            guard value.count == 8, digits, date(value) != nil else { return "not a date YYYYMMDD" }
            return nil
        case .sex:
            return value.count == 1 && [0x30, 0x31, 0x32, 0x39].contains(value[0]) ? nil : "not one of 0, 1, 2, 9"
        case .png:
            return pngProblem(value)
        case .jp2:
            return jp2Problem(value)
        case .rsaKey:
            guard let key = publicKey(from: value), value.first == 0x90 else {
                return "not a 90/91 RSA key template"
            }
            return key.modulusBitCount == 2048 ? nil : "a \(key.modulusBitCount)-bit key, not 2048"
        }
    }

    /// 個人番号の検査用数字 (行政手続における特定の個人を識別するための番号の利用等に関する法律施行令 第8条): with
    /// Pn the n-th digit from the right of the first eleven and Qn = n+1 for n ≤ 6, n−5 above, the check digit is
    /// 11 − (ΣPn×Qn mod 11), or 0 when the remainder is 0 or 1.
    static func myNumberCheckDigit(_ first: [Int]) -> Int {
        var sum = 0
        for n in 1...11 {
            let p = first[11 - n]
            sum += p * (n <= 6 ? n + 1 : n - 5)
        }
        let remainder = sum % 11
        return remainder <= 1 ? 0 : 11 - remainder
    }

    static func date(_ value: [UInt8]) -> CalendarDate? {
        guard value.count == 8 else { return nil }
        return CalendarDate(yyyymmdd: String(decoding: value, as: UTF8.self))
    }

    private static func pngProblem(_ bytes: [UInt8]) -> String? {
        let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        guard bytes.starts(with: signature) else { return "no PNG signature" }
        guard bytes.count >= 33, String(decoding: bytes[12..<16], as: UTF8.self) == "IHDR" else { return "no IHDR" }
        guard bytes[24] == 1, bytes[25] == 0 else {
            return "a PNG of bit depth \(bytes[24]), colour type \(bytes[25]); not 1-bit greyscale"
        }
        guard Array(bytes.suffix(8)) == [0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82] else {
            return "the PNG does not end with IEND (cut off?)"
        }
        return nil
    }

    private static func jp2Problem(_ bytes: [UInt8]) -> String? {
        let signature: [UInt8] = [0x00, 0x00, 0x00, 0x0C, 0x6A, 0x50, 0x20, 0x20, 0x0D, 0x0A, 0x87, 0x0A]
        guard bytes.starts(with: signature) else {
            return bytes.starts(with: [0xFF, 0xD8]) ? "a JPEG, not JPEG 2000" : "no JP2 signature box"
        }
        // Walk the boxes: the last must end exactly at the end, and the header must say one component.
        var offset = 0
        var components: Int?
        var codestream = false
        while offset < bytes.count {
            guard bytes.count - offset >= 8 else { return "a JP2 box is cut off at byte \(offset)" }
            var length = bytes[offset..<(offset + 4)].reduce(0) { $0 << 8 | Int($1) }
            let type = String(decoding: bytes[(offset + 4)..<(offset + 8)], as: UTF8.self)
            if length == 0 { length = bytes.count - offset }
            guard length >= 8, length <= bytes.count - offset else { return "JP2 box '\(type)' runs past the end" }
            if type == "jp2h", length >= 30,
                String(decoding: bytes[(offset + 12)..<(offset + 16)], as: UTF8.self) == "ihdr"
            {
                components = Int(bytes[offset + 24]) << 8 | Int(bytes[offset + 25])
            }
            if type == "jp2c" { codestream = bytes[offset + 8] == 0xFF && bytes[offset + 9] == 0x4F }
            offset += length
        }
        guard let components else { return "no JP2 image header" }
        guard components == 1 else { return "\(components) colour components, not greyscale" }
        return codestream ? nil : "no JPEG 2000 codestream"
    }

    /// Checks that the object at `path` is an offset table: one 2-byte big-endian offset per object that follows it
    /// inside its parent, each where that object starts, counted from the start of `data`. The first disagreement.
    static func offsetTableProblem(data: [UInt8], path: [BERTag]) -> String? {
        guard path.count >= 2 else { return "an offset table is an object inside another: give its parent too" }
        guard let table = locate(path, in: data), let parent = locate(Array(path.dropLast()), in: data) else {
            return "no such object"
        }
        guard table.tlv.value.count % 2 == 0 else { return "the table has an odd number of bytes" }
        let offsets = stride(from: 0, to: table.tlv.value.count, by: 2).map {
            Int(table.tlv.value[$0]) << 8 | Int(table.tlv.value[$0 + 1])
        }
        var starts: [Int] = []
        var position = table.start + table.length
        let end = parent.start + parent.length
        while position < end, let (_, length) = try? BERTLV.parseFirst(data[position..<end]) {
            starts.append(position)
            position += length
        }
        guard offsets.count == starts.count else {
            return "the table has \(offsets.count) offsets for \(starts.count) objects after it"
        }
        for (index, (offset, actual)) in zip(offsets, starts).enumerated() where offset != actual {
            return String(format: "entry %d says %04X but the object it names starts at %04X", index, offset, actual)
        }
        return nil
    }

    /// The object at `path` (the first tag is the one `data` starts with; each next one the first child with that
    /// tag), where its encoding starts in `data`, and how long the encoding is.
    static func locate(_ path: [BERTag], in data: [UInt8]) -> (tlv: BERTLV, start: Int, length: Int)? {
        var regionStart = 0
        var regionEnd = data.count
        var found: (tlv: BERTLV, start: Int, length: Int)?
        for (depth, tag) in path.enumerated() {
            found = nil
            var position = regionStart
            while position < regionEnd, let (object, length) = try? BERTLV.parseFirst(data[position..<regionEnd]) {
                if object.tag == tag {
                    found = (object, position, length)
                    break
                }
                if depth == 0 { break }
                position += length
            }
            guard let object = found, object.tlv.tag.isConstructed || depth == path.count - 1 else { return nil }
            regionStart = object.start + object.length - object.tlv.value.count
            regionEnd = object.start + object.length
        }
        return found
    }

    /// A public key from the forms the card world writes one in: a CV certificate (`7F 21`, the certified key),
    /// a `90`/`91` key template, a SubjectPublicKeyInfo or an X.509 certificate.
    static func publicKey(from bytes: [UInt8]) -> RSAPublicKey? {
        if bytes.starts(with: [0x7F, 0x21]) {
            guard let (outer, _) = try? BERTLV.parseFirst(bytes),
                let body = outer.children?.first(where: { $0.tag == (try? BERTag([0x5F, 0x4E])) })?.value,
                body.count > 32
            else { return nil }
            return publicKey(from: Array(body.dropFirst(32)))
        }
        if bytes.first == 0x90 {
            guard let objects = try? BERTLV.parseAll(bytes),
                let exponent = objects.first(where: { $0.tag == BERTag(0x90) })?.value,
                let modulus = objects.first(where: { $0.tag == BERTag(0x91) })?.value
            else { return nil }
            return try? RSAPublicKey(modulus: modulus, publicExponent: exponent)
        }
        if let key = try? RSAPublicKey(derRepresentation: bytes) { return key }
        var certificate = bytes
        if bytes.count >= 4, bytes[0] == 0x30, bytes[1] == 0x82 {
            certificate = Array(bytes.prefix((Int(bytes[2]) << 8 | Int(bytes[3])) + 4))
        }
        return (try? CertificateSummary(derEncoded: certificate))?.publicKey
    }

    /// The object at `path` in `data`, and its bytes as written (tag, length, value).
    static func object(at path: [BERTag], in data: [UInt8]) -> (tlv: BERTLV, encoded: [UInt8])? {
        guard let found = locate(path, in: data) else { return nil }
        return (found.tlv, Array(data[found.start..<(found.start + found.length)]))
    }
}
