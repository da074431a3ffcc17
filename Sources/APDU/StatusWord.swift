/// SW1-SW2, the two status bytes that end every response (ISO/IEC 7816-4 §5.6).
public struct StatusWord: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt16

    public init(rawValue: UInt16) { self.rawValue = rawValue }
    public init(_ sw1: UInt8, _ sw2: UInt8) { rawValue = UInt16(sw1) << 8 | UInt16(sw2) }

    /// "6984", "69 84", "69:84": exactly two bytes of hex; error offsets are columns.
    public init(hex: String) throws(APDUError) {
        let text = try HexText(hex)
        let bytes = text.bytes
        guard bytes.count >= 2 else {
            throw APDUError.tooShort("a status word is 2 bytes, got \(bytes.count)", offset: bytes.count)
                .located(in: text)
        }
        guard bytes.count == 2 else {
            throw APDUError.trailingBytes("a status word is 2 bytes, got \(bytes.count)", offset: 2).located(in: text)
        }
        self.init(bytes[0], bytes[1])
    }

    public var sw1: UInt8 {
        get { UInt8(truncatingIfNeeded: rawValue >> 8) }
        set { rawValue = UInt16(newValue) << 8 | (rawValue & 0x00FF) }
    }
    public var sw2: UInt8 {
        get { UInt8(truncatingIfNeeded: rawValue) }
        set { rawValue = (rawValue & 0xFF00) | UInt16(newValue) }
    }

    /// The two bytes as sent: [SW1, SW2].
    public var bytes: [UInt8] { [sw1, sw2] }

    /// 9000 only: 61xx also ends a command normally, but the data is not all there yet.
    public var isSuccess: Bool { rawValue == 0x9000 }

    /// x for 63Cx, nil otherwise.
    public var triesLeft: Int? { sw1 == 0x63 && sw2 & 0xF0 == 0xC0 ? Int(sw2 & 0x0F) : nil }

    /// 63Cx with x = triesLeft clamped to 0...15, the most the low nibble can say.
    public static func verificationFailed(triesLeft: Int) -> StatusWord {
        StatusWord(0x63, 0xC0 | UInt8(min(max(triesLeft, 0), 15)))
    }

    /// "6984 (referenced data not usable)".
    public var description: String { "\(Hex.encode(bytes)) (\(meaning))" }

    public static let success = StatusWord(rawValue: 0x9000)
    public static let endOfFileReachedBeforeLe = StatusWord(rawValue: 0x6282)
    public static let wrongLength = StatusWord(rawValue: 0x6700)
    public static let commandIncompatibleWithFileStructure = StatusWord(rawValue: 0x6981)
    public static let securityStatusNotSatisfied = StatusWord(rawValue: 0x6982)
    public static let authenticationMethodBlocked = StatusWord(rawValue: 0x6983)
    public static let referencedDataNotUsable = StatusWord(rawValue: 0x6984)
    public static let conditionsOfUseNotSatisfied = StatusWord(rawValue: 0x6985)
    /// No current EF.
    public static let commandNotAllowed = StatusWord(rawValue: 0x6986)
    public static let securityMessagingDataObjectsMissing = StatusWord(rawValue: 0x6987)
    public static let securityMessagingDataObjectsIncorrect = StatusWord(rawValue: 0x6988)
    public static let wrongData = StatusWord(rawValue: 0x6A80)
    public static let functionNotSupported = StatusWord(rawValue: 0x6A81)
    public static let fileNotFound = StatusWord(rawValue: 0x6A82)
    public static let recordNotFound = StatusWord(rawValue: 0x6A83)
    public static let notEnoughMemory = StatusWord(rawValue: 0x6A84)
    public static let incorrectP1P2 = StatusWord(rawValue: 0x6A86)
    public static let lcInconsistentWithP1P2 = StatusWord(rawValue: 0x6A87)
    public static let referencedDataNotFound = StatusWord(rawValue: 0x6A88)
    /// Also what cards answer for an offset beyond the end of an EF.
    public static let wrongP1P2 = StatusWord(rawValue: 0x6B00)
    public static let instructionNotSupported = StatusWord(rawValue: 0x6D00)
    public static let classNotSupported = StatusWord(rawValue: 0x6E00)
    public static let noPreciseDiagnosis = StatusWord(rawValue: 0x6F00)
}
