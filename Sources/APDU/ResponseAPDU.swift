/// A response APDU (ISO/IEC 7816-4 §5.1): response data, then SW1-SW2.
public struct ResponseAPDU: Hashable, Sendable, CustomStringConvertible {
    public var data: [UInt8]
    public var statusWord: StatusWord

    public init(data: [UInt8] = [], statusWord: StatusWord) {
        self.data = data
        self.statusWord = statusWord
    }

    /// The last two bytes are the status word; everything before them is data.
    public init(bytes: [UInt8]) throws(APDUError) {
        guard bytes.count >= 2 else {
            throw .tooShort(
                "a response APDU needs at least 2 bytes (SW1 SW2), got \(bytes.count)", offset: bytes.count)
        }
        data = Array(bytes[..<(bytes.count - 2)])
        statusWord = StatusWord(bytes[bytes.count - 2], bytes[bytes.count - 1])
    }

    /// `Hex.decode` then `init(bytes:)`; error offsets are columns of `hex`.
    public init(hex: String) throws(APDUError) {
        let text = try HexText(hex)
        do throws(APDUError) {
            try self.init(bytes: text.bytes)
        } catch {
            throw error.located(in: text)
        }
    }

    public var bytes: [UInt8] { data + statusWord.bytes }

    /// "6F 10 84 08 | 9000 (normal processing, no further qualification)"; just the status word when there is no data.
    public var description: String {
        data.isEmpty ? statusWord.description : "\(Hex.encode(data, separator: " ")) | \(statusWord)"
    }
}
