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

/// A PIN or password stored on the card (an internal EF such as `0018`), with its retry counter.
public struct Credential: Sendable {
    public var label: String
    public var value: [UInt8]
    public var counter: RetryCounter
    public var format: CredentialFormat

    public init(label: String, value: [UInt8], counter: RetryCounter, format: CredentialFormat) {
        self.label = label
        self.value = value
        self.counter = counter
        self.format = format
    }
}
