/// An ISO/IEC 7816-4 simple-TLV data object (§6.2): tag 01...FE, then a length of 1 byte (0...254) or FF followed
/// by 2 bytes (0...65535), then the value. The My Number card's common AP keeps its record 1 of EF 0001 this way.
public struct SimpleTLV: Hashable, Sendable, CustomStringConvertible {
    public var tag: UInt8
    public var value: [UInt8]

    public init(tag: UInt8, value: [UInt8]) {
        self.tag = tag
        self.value = value
    }

    /// This object, if its tag is 01...FE and its value fits 65535 bytes; otherwise `.invalidTag` or
    /// `.valueTooLong`. `encoded` of an object that fails this is unspecified (but never traps).
    public func validated() throws(APDUError) -> SimpleTLV {
        guard tag != 0x00 && tag != 0xFF else {
            throw .invalidTag("simple-TLV tag \(Hex.encode([tag])) is not allowed (01...FE)")
        }
        guard value.count <= 0xFFFF else {
            throw .valueTooLong("simple-TLV value is \(counted(value.count, "byte")); at most 65535 fit")
        }
        return self
    }

    /// Minimal length: one byte up to 254, FF xx xx above.
    public var encoded: [UInt8] {
        let count = value.count
        let length: [UInt8] =
            count < 0xFF
            ? [UInt8(count)] : [0xFF, UInt8(truncatingIfNeeded: count >> 8), UInt8(truncatingIfNeeded: count)]
        return [tag] + length + value
    }

    /// Parses a concatenation of simple-TLV objects covering all of `bytes`. Offsets in errors are byte offsets.
    public static func parseAll(_ bytes: [UInt8]) throws(APDUError) -> [SimpleTLV] {
        var objects: [SimpleTLV] = []
        var offset = 0
        while offset < bytes.count {
            let tag = bytes[offset]
            guard tag != 0x00 && tag != 0xFF else {
                throw .invalidTag("simple-TLV tag \(Hex.encode([tag])) is not allowed (01...FE)", offset: offset)
            }
            let lengthOffset = offset + 1
            guard lengthOffset < bytes.count else {
                throw .truncated("simple-TLV tag \(Hex.encode([tag])) has no length: the input ends", offset: offset)
            }
            var length = Int(bytes[lengthOffset])
            var valueOffset = lengthOffset + 1
            if length == 0xFF {
                guard bytes.count - valueOffset >= 2 else {
                    throw .truncated(
                        "simple-TLV length FF needs 2 more length bytes but \(bytes.count - valueOffset) follow",
                        offset: lengthOffset)
                }
                length = Int(bytes[valueOffset]) << 8 | Int(bytes[valueOffset + 1])
                valueOffset += 2
            }
            guard length <= bytes.count - valueOffset else {
                throw .truncated(
                    "simple-TLV tag \(Hex.encode([tag])) says \(counted(length, "value byte")) "
                        + "but \(bytes.count - valueOffset) follow",
                    offset: lengthOffset)
            }
            objects.append(SimpleTLV(tag: tag, value: Array(bytes[valueOffset..<(valueOffset + length)])))
            offset = valueOffset + length
        }
        return objects
    }

    /// "01 1C 3430…": tag, length, value.
    public var description: String {
        let encoded = encoded
        let header = encoded.count - value.count
        return "\(Hex.encode(encoded[..<header], separator: " ")) \(Hex.encode(value))"
    }
}
