/// A BER-TLV data object (ISO/IEC 7816-4 §6.3) with a definite length.
public struct BERTLV: Hashable, Sendable, CustomStringConvertible {
    public var tag: BERTag
    public var value: [UInt8]

    public init(tag: BERTag, value: [UInt8]) {
        self.tag = tag
        self.value = value
    }

    /// A constructed object: the value is the children's encodings, one after another.
    public init(tag: BERTag, children: [BERTLV]) {
        self.init(tag: tag, value: children.flatMap(\.encoded))
    }

    /// The value parsed as TLVs if the tag is constructed and the value is well-formed, else nil. Parsed on each
    /// call, one level deep, so deep nesting cannot exhaust the stack.
    public var children: [BERTLV]? {
        guard tag.isConstructed else { return nil }
        return try? Self.parseAll(value)
    }

    /// Tag, minimal definite length, value. An object parsed from a non-minimal length (81 05) re-encodes shorter.
    public var encoded: [UInt8] { tag.bytes + Self.encodeLength(value.count) + value }

    /// Minimal definite length: 1 byte below 128, then 81 xx, 82 xx xx, 83 xx xx xx. Lengths above FFFFFF come out
    /// as 84 xx xx xx xx, which `parseAll` refuses. `length` must not be negative.
    public static func encodeLength(_ length: Int) -> [UInt8] {
        precondition(length >= 0, "a length cannot be negative (\(length))")
        if length < 0x80 { return [UInt8(length)] }
        var digits: [UInt8] = []
        var rest = length
        while rest > 0 {
            digits.insert(UInt8(truncatingIfNeeded: rest), at: 0)
            rest >>= 8
        }
        return [0x80 | UInt8(digits.count)] + digits
    }

    /// Parses a concatenation of TLVs covering all of `bytes`; error on truncation, bad length (80 indefinite and
    /// 84+ are not allowed: 1–3 length bytes after 81/82/83), trailing garbage. Offsets in errors are byte offsets.
    /// A tail of nothing but 00/FF bytes is reported as filler (`.trailingBytes`), even where it could be read as
    /// tag 00: ISO/IEC 7816-4 uses 00 and FF as padding between objects.
    public static func parseAll(_ bytes: [UInt8]) throws(APDUError) -> [BERTLV] {
        var objects: [BERTLV] = []
        var offset = 0
        while offset < bytes.count {
            // Card files are padded with 00 or FF; say so instead of reporting a cut-off tag.
            if bytes[offset...].allSatisfy({ $0 == 0x00 || $0 == 0xFF }) {
                throw .trailingBytes(
                    "\(counted(bytes.count - offset, "byte")) of 00/FF filler after "
                        + "\(counted(objects.count, "TLV object")); parseFirst ignores filler",
                    offset: offset)
            }
            let (object, end) = try parse(bytes, at: offset)
            objects.append(object)
            offset = end
        }
        return objects
    }

    /// Parses one TLV at the start and returns it with the number of bytes it took; the rest is ignored (files on
    /// the card are padded with FF/00 filler). Offsets in errors count from the start of `bytes`.
    public static func parseFirst(_ bytes: some Collection<UInt8>) throws(APDUError) -> (tlv: BERTLV, length: Int) {
        let (object, end) = try parse(Array(bytes), at: 0)
        return (object, end)
    }

    /// Descends through constructed TLVs, taking the first child with each tag in turn:
    /// `ef0002.first(BERTag(hex: "DF22"))` is the DF22 object inside FF20. No tags: `self`.
    public func first(_ path: BERTag...) -> BERTLV? {
        var current = self
        for tag in path {
            guard let next = current.children?.first(where: { $0.tag == tag }) else { return nil }
            current = next
        }
        return current
    }

    /// "DF24 08 3139383030313031": tag, length, value (if any), for logs and test failures.
    public var description: String {
        let header = "\(tag) \(Hex.encode(Self.encodeLength(value.count)))"
        return value.isEmpty ? header : "\(header) \(Hex.encode(value))"
    }

    /// Reads the TLV that starts at `start`; returns it and the offset just after it. Every index is checked
    /// against the end before use, and lengths are compared as remaining counts, so no input can trap.
    static func parse(_ bytes: [UInt8], at start: Int) throws(APDUError) -> (tlv: BERTLV, end: Int) {
        let (tag, lengthOffset) = try BERTag.parse(bytes, at: start)
        guard lengthOffset < bytes.count else {
            throw .truncated("tag \(tag) has no length field: the input ends", offset: lengthOffset)
        }
        let first = bytes[lengthOffset]
        var length = Int(first)
        var valueOffset = lengthOffset + 1
        if first == 0x80 {
            throw .invalidLength(
                "tag \(tag) has indefinite length (80); only definite lengths are allowed", offset: lengthOffset)
        } else if first > 0x80 {
            let count = Int(first & 0x7F)
            guard count <= 3 else {
                throw .invalidLength(
                    "tag \(tag) has length field \(Hex.encode([first])), announcing \(count) length bytes; "
                        + "at most 3 (83) are allowed",
                    offset: lengthOffset)
            }
            guard count <= bytes.count - valueOffset else {
                throw .truncated(
                    "tag \(tag) has length field \(Hex.encode([first])), announcing \(count) length bytes, "
                        + "but \(bytes.count - valueOffset) follow",
                    offset: lengthOffset)
            }
            length = bytes[valueOffset..<(valueOffset + count)].reduce(0) { $0 << 8 | Int($1) }
            valueOffset += count
        }
        guard length <= bytes.count - valueOffset else {
            throw .truncated(
                "tag \(tag) says \(counted(length, "value byte")) but \(bytes.count - valueOffset) follow",
                offset: lengthOffset)
        }
        return (BERTLV(tag: tag, value: Array(bytes[valueOffset..<(valueOffset + length)])), valueOffset + length)
    }
}
