import APDU

/// How many wrong presentations a credential has left before it blocks. Only a correct presentation restores it;
/// once it reaches zero nothing on this side of the municipal office does.
public struct RetryCounter: Hashable, Sendable {
    public let limit: Int
    public private(set) var remaining: Int

    public init(limit: Int, remaining: Int? = nil) {
        self.limit = max(1, min(limit, 15))
        self.remaining = max(0, min(remaining ?? limit, self.limit))
    }

    public var isBlocked: Bool { remaining == 0 }

    mutating func recordWrongTry() { remaining = max(0, remaining - 1) }
    mutating func recordSuccess() { remaining = limit }
}

/// The shape a credential's value must have: how many characters, and which.
public struct CredentialFormat: Hashable, Sendable, CustomStringConvertible {
    public enum Characters: String, Hashable, Sendable {
        case digits
        case upperAlphanumeric = "upper_alphanumeric"

        func allows(_ byte: UInt8) -> Bool {
            switch self {
            case .digits: return (0x30...0x39).contains(byte)
            case .upperAlphanumeric: return (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte)
            }
        }
    }

    public var lengths: ClosedRange<Int>
    public var characters: Characters

    public init(lengths: ClosedRange<Int>, characters: Characters) {
        self.lengths = lengths
        self.characters = characters
    }

    public static let fourDigits = CredentialFormat(lengths: 4...4, characters: .digits)
    public static let signingPassword = CredentialFormat(lengths: 6...16, characters: .upperAlphanumeric)
    /// 照合番号A: the 12-digit My Number.
    public static let verificationCodeA = CredentialFormat(lengths: 12...12, characters: .digits)
    /// 照合番号B: birth date YYMMDD in the Japanese-era year, the expiry year, the security code.
    public static let verificationCodeB = CredentialFormat(lengths: 14...14, characters: .digits)
    /// The visual AP's birth-date key: YYMMDD in the Japanese-era year.
    public static let eraBirthDate = CredentialFormat(lengths: 6...6, characters: .digits)

    public func accepts(_ value: [UInt8]) -> Bool {
        lengths.contains(value.count) && value.allSatisfy(characters.allows)
    }

    public var description: String {
        let count =
            lengths.lowerBound == lengths.upperBound
            ? "\(lengths.lowerBound)" : "\(lengths.lowerBound)–\(lengths.upperBound)"
        return "\(count) \(characters == .digits ? "digits" : "of [A-Z0-9]")"
    }
}

/// The command that replaces a credential's value after it was verified.
public enum CredentialChange: Sendable, Hashable {
    /// CHANGE REFERENCE DATA `00 24 01 80` (the JPKI and text-AP PINs).
    case changeReferenceData
    /// CHANGE KEY `80 32 00 80` (JICSAP; the 住民基本台帳用 PINs of the common and juki APs).
    case changeKey
}

/// A PIN or password stored on the card (an internal EF such as `0018`), with its retry counter.
public struct Credential: Sendable {
    public var label: String
    public var value: [UInt8]
    public var counter: RetryCounter
    public var format: CredentialFormat
    /// Which command changes it; nil for values derived from the card face (照合番号), which no command changes.
    public var change: CredentialChange? = .changeReferenceData
    /// A change needs the credential verified first. Only a deliberately faulty profile clears it.
    public var changeNeedsVerification = true

    public init(label: String, value: [UInt8], counter: RetryCounter, format: CredentialFormat) {
        self.label = label
        self.value = value
        self.counter = counter
        self.format = format
    }
}
