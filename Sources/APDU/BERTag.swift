/// The class in bits 8–7 of a BER tag's first byte.
public enum TagClass: Sendable, Hashable {
    case universal, application, contextSpecific, `private`
}

/// A BER-TLV tag (ISO/IEC 7816-4 §6.3, ISO/IEC 8825-1), kept as its bytes: cards compare tags byte for byte, and
/// the My Number card writes two-byte tags for numbers below 31 (`FF 10`) that a canonical form would reject.
public struct BERTag: Hashable, Sendable, CustomStringConvertible {
    public typealias TagClass = APDU.TagClass

    /// e.g. [0xDF, 0x21], [0xFF, 0x20], [0x30], [0x7F, 0x21], [0x5F, 0x4E].
    public let bytes: [UInt8]

    /// ISO/IEC 7816-4 allows tag fields of up to three bytes.
    static let maxLength = 3

    /// Validates the structure: a first byte with low bits 11111 announces more bytes, each with bit 8 set except
    /// the last; otherwise the tag is that one byte.
    public init(_ bytes: [UInt8]) throws(APDUError) {
        guard !bytes.isEmpty else { throw .invalidTag("a tag needs at least 1 byte, got none", offset: 0) }
        let (tag, end): (BERTag, Int)
        do throws(APDUError) {
            (tag, end) = try Self.parse(bytes, at: 0)
        } catch {
            // Given as a whole tag, a missing continuation byte is a malformed tag rather than cut-off input.
            throw APDUError(.invalidTag, error.message, offset: error.offset)
        }
        guard end == bytes.count else {
            throw .invalidTag(
                "tag \(tag) ends after \(counted(end, "byte")) but \(bytes.count) were given", offset: end)
        }
        self = tag
    }

    /// A single-byte tag. `byte` must not have low bits 11111 (that announces a multi-byte tag): a programming
    /// error, so it traps; use `init(_: [UInt8])` for tags that come from data.
    public init(_ byte: UInt8) {
        precondition(byte & 0x1F != 0x1F, "BERTag(\(Hex.encode([byte]))) starts a multi-byte tag; pass all its bytes")
        bytes = [byte]
    }

    /// `Hex.decode` then `init(_: [UInt8])`; error offsets are then columns of `hex`.
    public init(hex: String) throws(APDUError) {
        let text = try HexText(hex)
        do throws(APDUError) {
            try self.init(text.bytes)
        } catch {
            throw error.located(in: text)
        }
    }

    private init(validated bytes: [UInt8]) { self.bytes = bytes }

    /// Bit 6 of the first byte: the value is a concatenation of TLVs.
    public var isConstructed: Bool { bytes[0] & 0x20 != 0 }

    public var tagClass: TagClass {
        switch bytes[0] >> 6 {
        case 0: .universal
        case 1: .application
        case 2: .contextSpecific
        default: .private
        }
    }

    /// The tag number: low 5 bits of a one-byte tag, or base-128 digits of the bytes after the first.
    public var number: Int {
        guard bytes.count > 1 else { return Int(bytes[0] & 0x1F) }
        return bytes.dropFirst().reduce(0) { $0 << 7 | Int($1 & 0x7F) }
    }

    /// "DF21".
    public var description: String { Hex.encode(bytes) }

    /// Reads the tag that starts at `start`; returns it and the offset just after it.
    static func parse(_ bytes: [UInt8], at start: Int) throws(APDUError) -> (tag: BERTag, end: Int) {
        guard start < bytes.count else { throw .truncated("a tag was expected but the input ends", offset: start) }
        guard bytes[start] & 0x1F == 0x1F else { return (BERTag(validated: [bytes[start]]), start + 1) }
        var end = start + 1
        while true {
            guard end < bytes.count else {
                throw .truncated(
                    "tag \(Hex.encode(bytes[start..<end])) announces another tag byte but the input ends",
                    offset: start)
            }
            guard end - start < maxLength else {
                throw .invalidTag(
                    "tag \(Hex.encode(bytes[start...end]))… is longer than \(maxLength) bytes", offset: start)
            }
            if end == start + 1 && bytes[end] == 0x80 {
                throw .invalidTag(
                    "tag \(Hex.encode(bytes[start...end]))… has a leading zero in its number", offset: start)
            }
            end += 1
            if bytes[end - 1] & 0x80 == 0 { break }
        }
        return (BERTag(validated: Array(bytes[start..<end])), end)
    }
}
