/// What went wrong while decoding or validating APDU-level data, and where.
///
/// Equality and hashing look at `code` only, so a test can write `#expect(throws: APDUError.tooShort())` without
/// spelling out the message; the message and position are for people.
public struct APDUError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The kind of problem: stable, for programs and tests to match on.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let name: String
        init(_ name: String) { self.name = name }
        public var description: String { name }

        /// Hex text with a non-hex character, an odd number of digits, or a byte split by a separator.
        public static let invalidHex = Code("invalidHex")
        /// Fewer bytes than the smallest valid structure (a command header, a status word).
        public static let tooShort = Code("tooShort")
        /// A length field (such as Lc) disagrees with the number of bytes that follow it.
        public static let lengthMismatch = Code("lengthMismatch")
        /// Bytes left over after a complete structure.
        public static let trailingBytes = Code("trailingBytes")
        /// A length field or length value that is not allowed (extended Lc 0000, BER 80 or 84+, Le out of range).
        public static let invalidLength = Code("invalidLength")
        /// A tag that is malformed or not allowed (BER multi-byte tag structure, simple-TLV tag 00 or FF).
        public static let invalidTag = Code("invalidTag")
        /// The input ends inside a structure (a tag, a length field or a value is cut off).
        public static let truncated = Code("truncated")
        /// A value longer than its length field can express.
        public static let valueTooLong = Code("valueTooLong")
    }

    /// What `offset` counts.
    public enum OffsetUnit: Sendable, Hashable {
        /// A 0-based byte offset into the bytes being decoded.
        case byte
        /// A 1-based column (character position) in hex text.
        case column
    }

    public let code: Code
    /// What is wrong, for a person, without the position: "Lc says 5 data bytes but 3 follow".
    public let message: String
    /// Where it went wrong: a byte offset or a 1-based column, see `offsetUnit`; nil when no single place applies.
    public let offset: Int?
    public let offsetUnit: OffsetUnit

    public init(_ code: Code, _ message: String, offset: Int? = nil, unit: OffsetUnit = .byte) {
        self.code = code
        self.message = message
        self.offset = offset
        self.offsetUnit = unit
    }

    /// "at byte 4: Lc says 5 data bytes but 3 follow", "column 7: invalid hex digit 'G'", or just the message.
    public var description: String {
        guard let offset else { return message }
        switch offsetUnit {
        case .byte: return "at byte \(offset): \(message)"
        case .column: return "column \(offset): \(message)"
        }
    }

    public static func == (lhs: APDUError, rhs: APDUError) -> Bool { lhs.code == rhs.code }
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }

    // Factories, one per code: handy for throwing and for `#expect(throws: APDUError.truncated())`.
    public static func invalidHex(_ message: String = "", offset: Int? = nil, unit: OffsetUnit = .column) -> Self {
        Self(.invalidHex, message, offset: offset, unit: unit)
    }
    public static func tooShort(_ message: String = "", offset: Int? = nil, unit: OffsetUnit = .byte) -> Self {
        Self(.tooShort, message, offset: offset, unit: unit)
    }
    public static func lengthMismatch(_ message: String = "", offset: Int? = nil, unit: OffsetUnit = .byte) -> Self {
        Self(.lengthMismatch, message, offset: offset, unit: unit)
    }
    public static func trailingBytes(_ message: String = "", offset: Int? = nil, unit: OffsetUnit = .byte) -> Self {
        Self(.trailingBytes, message, offset: offset, unit: unit)
    }
    public static func invalidLength(_ message: String = "", offset: Int? = nil, unit: OffsetUnit = .byte) -> Self {
        Self(.invalidLength, message, offset: offset, unit: unit)
    }
    public static func invalidTag(_ message: String = "", offset: Int? = nil, unit: OffsetUnit = .byte) -> Self {
        Self(.invalidTag, message, offset: offset, unit: unit)
    }
    public static func truncated(_ message: String = "", offset: Int? = nil, unit: OffsetUnit = .byte) -> Self {
        Self(.truncated, message, offset: offset, unit: unit)
    }
    public static func valueTooLong(_ message: String = "", offset: Int? = nil, unit: OffsetUnit = .byte) -> Self {
        Self(.valueTooLong, message, offset: offset, unit: unit)
    }

    /// The same error with a byte offset turned into a column of the hex text the bytes came from.
    func located(in hex: HexText) -> APDUError {
        guard offsetUnit == .byte, let offset else { return self }
        return APDUError(code, message, offset: hex.column(ofByte: offset), unit: .column)
    }
}

/// "1 data byte", "3 data bytes": messages read better with the right number.
func counted(_ count: Int, _ noun: String) -> String {
    "\(count) \(noun)\(count == 1 ? "" : "s")"
}
