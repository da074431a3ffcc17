import APDU
import Testing

/// Hex text with invisible characters, shown escaped in test names so that every argument prints.
struct HexCase: Sendable, CustomTestStringConvertible {
    let text: String
    let expected: String
    var testDescription: String { text.debugDescription }
}

@Suite struct HexTests {
    @Test(arguments: [
        HexCase(text: "00A4040C", expected: "00A4040C"),
        HexCase(text: "00 a4 04 0c", expected: "00A4040C"),
        HexCase(text: "3b:e0:00", expected: "3BE000"),
        HexCase(text: "00\tA4\n04\r\n0C", expected: "00A4040C"),
        HexCase(text: "  00A4 040C  ", expected: "00A4040C"),
        HexCase(text: "", expected: ""),
        HexCase(text: "ff", expected: "FF"),
    ])
    func decodesSeparatorsAndCase(_ hexCase: HexCase) throws {
        #expect(Hex.encode(try Hex.decode(hexCase.text)) == hexCase.expected)
    }

    @Test func decodesEveryByteValue() throws {
        let all = (0...255).map(UInt8.init)
        #expect(try Hex.decode(Hex.encode(all)) == all)
        #expect(try Hex.decode(Hex.encode(all).lowercased()) == all)
    }

    @Test func encodesUpperCaseWithSeparator() {
        #expect(Hex.encode([0x00, 0xA4, 0xFF]) == "00A4FF")
        #expect(Hex.encode([0x00, 0xA4, 0xFF], separator: " ") == "00 A4 FF")
        #expect(Hex.encode([0x3B, 0xE0], separator: ":") == "3B:E0")
        #expect(Hex.encode([UInt8](), separator: " ") == "")
        #expect(Hex.encode([0x0F].lazy.map { $0 }) == "0F")
    }

    /// text, 1-based column, and what the message must say.
    @Test(arguments: [
        HexCase(text: "00 A4 G0", expected: "7|invalid hex digit 'G'"),
        HexCase(text: "0x00", expected: "2|invalid hex digit 'x'"),
        HexCase(text: "00,A4", expected: "3|invalid hex digit ','"),
        HexCase(text: "00\u{0}A4", expected: "3|invalid hex digit U+0000"),
        HexCase(text: "é0", expected: "1|invalid hex digit 'é' (U+00E9)"),
        HexCase(text: "\u{FF10}0", expected: "1|invalid hex digit '０' (U+FF10)"),
        HexCase(text: "00 A4 0", expected: "7|odd number of hex digits (5)"),
        HexCase(text: "ABC", expected: "1|odd number of hex digits (3)"),
        HexCase(text: "A 4", expected: "2|hex byte split in two: 'A' and '4' are separated by a space"),
        HexCase(text: "00 A\t4", expected: "5|hex byte split in two: 'A' and '4' are separated by a tab"),
        HexCase(text: "3b:e:0", expected: "5|hex byte split in two: 'e' and '0' are separated by ':'"),
    ])
    func rejectsBadText(_ hexCase: HexCase) throws {
        let parts = hexCase.expected.split(separator: "|", maxSplits: 1)
        let column = try #require(Int(parts[0]))
        let error = try #require(throws: APDUError.invalidHex()) { try Hex.decode(hexCase.text) }
        #expect(error.code == .invalidHex)
        #expect(error.message == String(parts[1]))
        #expect(error.offset == column)
        #expect(error.offsetUnit == .column)
    }

    @Test func errorDescriptionNamesCharacterAndColumn() throws {
        let error = try #require(throws: APDUError.self) { try Hex.decode("00 A4 G0") }
        #expect(error.description == "column 7: invalid hex digit 'G'")
    }
}
