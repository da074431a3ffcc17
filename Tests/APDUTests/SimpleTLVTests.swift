import APDU
import Testing

@Suite struct SimpleTLVTests {
    /// Record 1 of the common AP's EF 0001: serial, municipality code, expiry (docs/research/jpki-protocol.md §5.1).
    @Test func parsesCommonAPRecord() throws {
        let digits = "400000012719843" + "13221" + "20350217"
        let bytes: [UInt8] = [0x01, 0x1C] + Array(digits.utf8)
        #expect(bytes.count == 30)
        let objects = try SimpleTLV.parseAll(bytes)
        #expect(objects == [SimpleTLV(tag: 0x01, value: Array(digits.utf8))])
        #expect(objects[0].encoded == bytes)
        #expect(String(decoding: objects[0].value, as: UTF8.self) == digits)
    }

    /// value length, encoded length field
    @Test(arguments: [(0, "00"), (1, "01"), (254, "FE"), (255, "FF00FF"), (300, "FF012C"), (65535, "FFFFFF")])
    func lengthForms(_ length: Int, _ hex: String) throws {
        let tlv = SimpleTLV(tag: 0x42, value: (0..<length).map { UInt8(truncatingIfNeeded: $0) })
        let expectedHeader = try [0x42] + Hex.decode(hex)
        #expect(Array(tlv.encoded.prefix(expectedHeader.count)) == expectedHeader)
        #expect(tlv.encoded.count == expectedHeader.count + length)
        #expect(try SimpleTLV.parseAll(tlv.encoded) == [tlv])
    }

    @Test func acceptsTheLongFormForShortValues() throws {
        let objects = try SimpleTLV.parseAll(Hex.decode("01 FF 00 02 AA BB 02 00"))
        #expect(objects == [SimpleTLV(tag: 0x01, value: [0xAA, 0xBB]), SimpleTLV(tag: 0x02, value: [])])
    }

    /// hex, code, what the message must say, byte offset
    @Test(arguments: [
        ("00 01 AA", APDUError.Code.invalidTag, "tag 00 is not allowed", 0),
        ("01 00 FF 00", .invalidTag, "tag FF is not allowed", 2),
        ("01", .truncated, "has no length", 0),
        ("01 05 AA", .truncated, "says 5 value bytes but 1 follow", 1),
        ("01 FF 01", .truncated, "length FF needs 2 more length bytes but 1 follow", 1),
        ("01 FF 01 2C AA", .truncated, "says 300 value bytes but 1 follow", 1),
    ])
    func rejectsMalformed(_ hex: String, _ code: APDUError.Code, _ says: String, _ offset: Int) throws {
        let bytes = try Hex.decode(hex)
        let error = try #require(throws: APDUError.self) { try SimpleTLV.parseAll(bytes) }
        #expect(error.code == code)
        #expect(error.message.contains(says), "message: \(error.message)")
        #expect(error.offset == offset)
    }

    @Test func validated() throws {
        let good = SimpleTLV(tag: 0x01, value: [0x31])
        #expect(try good.validated() == good)
        #expect(throws: APDUError.invalidTag()) { try SimpleTLV(tag: 0x00, value: []).validated() }
        #expect(throws: APDUError.invalidTag()) { try SimpleTLV(tag: 0xFF, value: []).validated() }
        #expect(throws: APDUError.valueTooLong()) {
            try SimpleTLV(tag: 0x01, value: Array(repeating: 0, count: 65536)).validated()
        }
        #expect(good.description == "01 01 31")
    }
}
