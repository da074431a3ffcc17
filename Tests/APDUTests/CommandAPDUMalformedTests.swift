import APDU
import Testing

/// A malformed command as hex, the error code it must raise, a phrase the message must contain, and the byte
/// offset the error must point at.
struct MalformedCommand: Sendable, CustomTestStringConvertible {
    let hex: String
    let code: APDUError.Code
    let says: String
    let offset: Int?
    var testDescription: String { "\(hex.isEmpty ? "(empty)" : hex) → \(code)" }
}

@Suite struct CommandAPDUMalformedTests {
    static let malformed = [
        MalformedCommand(hex: "", code: .tooShort, says: "at least 4 header bytes (CLA INS P1 P2), got 0", offset: 0),
        MalformedCommand(hex: "00", code: .tooShort, says: "at least 4 header bytes", offset: 1),
        MalformedCommand(hex: "00 A4 04", code: .tooShort, says: "got 3", offset: 3),
        MalformedCommand(
            hex: "00 A4 04 0C 05 D3 92 F0", code: .lengthMismatch, says: "Lc says 5 data bytes but 3 follow",
            offset: 4),
        MalformedCommand(
            hex: "00 A4 04 0C 02 AA BB 01 02", code: .trailingBytes,
            says: "Lc says 2 data bytes, then at most 1 Le byte, but 4 bytes follow: 1 byte too many", offset: 8),
        MalformedCommand(
            hex: "00 20 00 80 01 31 32 33 34", code: .trailingBytes, says: "but 4 bytes follow: 2 bytes too many",
            offset: 7),
        MalformedCommand(
            hex: "00 B0 00 00 00 01", code: .truncated, says: "opens a 2-byte extended length field", offset: 4),
        MalformedCommand(
            hex: "00 2A 9E 9A 00 00 03 AA BB CC 00", code: .lengthMismatch,
            says: "extended Lc says 3 data bytes and 1 byte follows them, but an extended Le takes 2", offset: 10),
        MalformedCommand(
            hex: "00 B0 00 00 00 00 00 AA", code: .invalidLength, says: "extended Lc is 0000", offset: 5),
        MalformedCommand(
            hex: "00 D6 00 00 00 00 05 AA BB", code: .lengthMismatch,
            says: "extended Lc says 5 data bytes but 2 follow", offset: 5),
        MalformedCommand(
            hex: "00 D6 00 00 00 00 01 AA 00 00 00", code: .trailingBytes,
            says: "extended Lc says 1 data byte, then at most 2 Le bytes, but 4 bytes follow: 1 byte too many",
            offset: 10),
        MalformedCommand(
            hex: "00 D6 00 00 00 01 00 AA", code: .lengthMismatch, says: "extended Lc says 256 data bytes but 1 follow",
            offset: 5),
    ]

    @Test(arguments: malformed)
    func rejectsBytesWithAClearMessage(_ command: MalformedCommand) throws {
        let bytes = try Hex.decode(command.hex)
        let error = try #require(throws: APDUError.self) { try CommandAPDU(bytes: bytes) }
        #expect(error.code == command.code)
        #expect(error.message.contains(command.says), "message: \(error.message)")
        #expect(error.offset == command.offset)
        #expect(error.offsetUnit == .byte)
    }

    /// The same inputs as hex text: the error now points at a column of the text, where the offending byte starts.
    @Test(arguments: malformed)
    func rejectsHexWithColumns(_ command: MalformedCommand) throws {
        let error = try #require(throws: APDUError.self) { try CommandAPDU(hex: command.hex) }
        #expect(error.code == command.code)
        #expect(error.offsetUnit == .column)
        let byteOffset = try #require(command.offset)
        let byteCount = try Hex.decode(command.hex).count
        // "00 A4 …" puts byte n at column 3n + 1; one past the last byte is one past the text.
        let expectedColumn = byteOffset < byteCount ? 3 * byteOffset + 1 : command.hex.count + 1
        #expect(error.offset == expectedColumn)
    }

    @Test func descriptionSaysWhere() throws {
        let fromBytes = try #require(throws: APDUError.self) {
            try CommandAPDU(bytes: [0x00, 0xA4, 0x04, 0x0C, 0x05, 0xD3, 0x92, 0xF0])
        }
        #expect(fromBytes.description == "at byte 4: Lc says 5 data bytes but 3 follow")
        let fromHex = try #require(throws: APDUError.self) { try CommandAPDU(hex: "00 A4 04 0C 05 D3 92 F0") }
        #expect(fromHex.description == "column 13: Lc says 5 data bytes but 3 follow")
    }

    @Test(arguments: ["00 A4 04 0G", "00A4040", "00 A4 04 0C 0", "00 A 4 04"])
    func rejectsBadHex(_ hex: String) {
        #expect(throws: APDUError.invalidHex()) { try CommandAPDU(hex: hex) }
    }
}
