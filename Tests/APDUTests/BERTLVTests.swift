import APDU
import Testing

@Suite struct BERTagTests {
    /// hex, class, constructed, number
    @Test(arguments: [
        ("DF21", TagClass.private, false, 33),
        ("FF20", .private, true, 32),
        ("FF10", .private, true, 16),
        ("7F21", .application, true, 33),
        ("5F4E", .application, false, 78),
        ("30", .universal, true, 16),
        ("04", .universal, false, 4),
        ("A0", .contextSpecific, true, 0),
        ("9F8101", .contextSpecific, false, 129),
    ])
    func decodesTags(_ hex: String, _ tagClass: TagClass, _ constructed: Bool, _ number: Int) throws {
        let tag = try BERTag(hex: hex)
        #expect(tag.bytes == (try Hex.decode(hex)))
        #expect(tag.tagClass == tagClass)
        #expect(tag.isConstructed == constructed)
        #expect(tag.number == number)
        #expect(tag.description == hex)
        #expect(try BERTag(tag.bytes) == tag)
    }

    @Test func singleByteInitializer() throws {
        #expect(BERTag(0x30).bytes == [0x30])
        #expect(BERTag(0x30) == (try BERTag([0x30])))
        #expect(BERTag(0x80).tagClass == .contextSpecific)
    }

    /// hex, what the message must say
    @Test(arguments: [
        ("", "at least 1 byte"),
        ("5F", "announces another tag byte"),
        ("DF81", "announces another tag byte"),
        ("5F4E00", "ends after 2 bytes but 3 were given"),
        ("3001", "ends after 1 byte but 2 were given"),
        ("5F818101", "longer than 3 bytes"),
        ("5F8001", "leading zero"),
    ])
    func rejectsMalformedTags(_ hex: String, _ says: String) throws {
        let bytes = try Hex.decode(hex)
        let error = try #require(throws: APDUError.invalidTag()) { try BERTag(bytes) }
        #expect(error.message.contains(says), "message: \(error.message)")
    }

    @Test func hexErrorsPointAtColumns() throws {
        let error = try #require(throws: APDUError.invalidTag()) { try BERTag(hex: "5F 4E 00") }
        #expect(error.offset == 7 && error.offsetUnit == .column)
    }
}

@Suite struct BERTLVTests {
    /// The text AP's EF 0002 example from docs/research/jpki-protocol.md §3.2 (89 bytes).
    static let ef0002 =
        "FF 20 56 DF 21 08 00 0E 00 20 00 4A 00 55 DF 22 0F E5 B1 B1 E7 94 B0 E3 80 80 E5 A4 AA E9 83 8E DF 23 27 E6 9D"
        + " B1 E4 BA AC E9 83 BD E5 8D 83 E4 BB A3 E7 94 B0 E5 8C BA E5 8D 83 E4 BB A3 E7 94 B0 EF BC 91 EF BC 8D EF"
        + " BC 91 DF 24 08 31 39 38 30 30 31 30 31 DF 25 01 31"

    static func tag(_ hex: String) -> BERTag {
        do { return try BERTag(hex: hex) } catch { fatalError("bad tag in test: \(error)") }
    }

    @Test func parsesTextAPBasicAttributes() throws {
        let bytes = try Hex.decode(Self.ef0002)
        #expect(bytes.count == 89)
        let objects = try BERTLV.parseAll(bytes)
        #expect(objects.count == 1)
        let ff20 = try #require(objects.first)
        #expect(ff20.tag == Self.tag("FF20"))
        #expect(ff20.value.count == 0x56)
        let children = try #require(ff20.children)
        #expect(children.map(\.tag.description) == ["DF21", "DF22", "DF23", "DF24", "DF25"])

        let name = try #require(ff20.first(Self.tag("DF22")))
        #expect(String(decoding: name.value, as: UTF8.self) == "山田\u{3000}太郎")
        let address = try #require(ff20.first(Self.tag("DF23")))
        #expect(String(decoding: address.value, as: UTF8.self) == "東京都千代田区千代田１－１")
        #expect(ff20.first(Self.tag("DF24"))?.value == Array("19800101".utf8))
        #expect(ff20.first(Self.tag("DF25"))?.value == Array("1".utf8))

        // DF21 holds the file offsets of DF22..DF25: they must land on those tags, which checks every length.
        let table = try #require(ff20.first(Self.tag("DF21"))).value
        let offsets = stride(from: 0, to: table.count, by: 2).map { Int(table[$0]) << 8 | Int(table[$0 + 1]) }
        #expect(offsets.map { Hex.encode(bytes[$0..<($0 + 2)]) } == ["DF22", "DF23", "DF24", "DF25"])

        #expect(ff20.encoded == bytes)
        #expect(BERTLV(tag: ff20.tag, children: children).encoded == bytes)
    }

    @Test func parseFirstIgnoresFiller() throws {
        let bytes = try Hex.decode(Self.ef0002)
        let padded = bytes + Array(repeating: 0xFF, count: 40) + [0x00, 0x00]
        let (tlv, length) = try BERTLV.parseFirst(padded)
        #expect(length == 89)
        #expect(tlv.encoded == bytes)
        #expect(try BERTLV.parseFirst(padded[...]).length == 89)

        let error = try #require(throws: APDUError.trailingBytes()) { try BERTLV.parseAll(padded) }
        #expect(error.offset == 89)
        #expect(error.message.contains("42 bytes of 00/FF filler after 1 TLV object"))
    }

    @Test func parsesEF0001OfTheTextAP() throws {
        let bytes = try Hex.decode("FF 10 0C 31 32 33 34 35 36 37 38 39 30 31 38 FF FF")
        let (tlv, length) = try BERTLV.parseFirst(bytes)
        #expect(length == 15)
        #expect(tlv.tag == Self.tag("FF10"))
        #expect(tlv.value == Array("123456789018".utf8))
    }

    @Test func firstDescendsAPath() throws {
        let inner = BERTLV(tag: Self.tag("5F4E"), value: [0x01])
        let middle = BERTLV(tag: Self.tag("7F21"), children: [BERTLV(tag: BERTag(0x04), value: []), inner])
        let outer = BERTLV(tag: Self.tag("FF20"), children: [middle])
        #expect(outer.first(Self.tag("7F21"), Self.tag("5F4E")) == inner)
        #expect(outer.first() == outer)
        #expect(outer.first(Self.tag("5F4E")) == nil)  // not a direct child
        #expect(outer.first(Self.tag("7F21"), Self.tag("5F4E"), Self.tag("04")) == nil)  // 5F4E is primitive
    }

    @Test func childrenOnlyForWellFormedConstructedValues() {
        #expect(BERTLV(tag: Self.tag("DF22"), value: [0x04, 0x00]).children == nil)  // primitive
        #expect(BERTLV(tag: Self.tag("FF20"), value: [0x04, 0x05]).children == nil)  // truncated inside
        #expect(BERTLV(tag: Self.tag("FF20"), value: []).children == [])
    }

    /// length, its encoding
    @Test(arguments: [
        (0, "00"), (1, "01"), (127, "7F"), (128, "8180"), (255, "81FF"), (256, "820100"), (65535, "82FFFF"),
        (65536, "83010000"), (0xFF_FFFF, "83FFFFFF"),
    ])
    func lengthForms(_ length: Int, _ hex: String) throws {
        #expect(Hex.encode(BERTLV.encodeLength(length)) == hex)
        let tlv = BERTLV(tag: BERTag(0x04), value: Array(repeating: 0x5A, count: length))
        #expect(tlv.encoded.count == 1 + hex.count / 2 + length)
        let (decoded, used) = try BERTLV.parseFirst(tlv.encoded)
        #expect(decoded == tlv)
        #expect(used == tlv.encoded.count)
    }

    @Test func acceptsNonMinimalLengthsAndReencodesMinimally() throws {
        let tlv = try #require(try BERTLV.parseAll(Hex.decode("04 81 01 AA 04 82 00 01 BB")).last)
        #expect(tlv.value == [0xBB])
        #expect(tlv.encoded == [0x04, 0x01, 0xBB])
    }

    @Test func parsesSeveralObjects() throws {
        let objects = try BERTLV.parseAll(Hex.decode("5F 4E 01 AA 04 00 DF 21 02 01 02"))
        #expect(objects.map(\.description) == ["5F4E 01 AA", "04 00", "DF21 02 0102"])
        #expect(try BERTLV.parseAll([]) == [])
    }

    /// hex, code, what the message must say, byte offset
    @Test(arguments: [
        ("DF 22 05 AA", APDUError.Code.truncated, "tag DF22 says 5 value bytes but 1 follow", 2),
        ("DF 22", .truncated, "tag DF22 has no length field", 2),
        ("DF", .truncated, "announces another tag byte", 0),
        ("04 82 01", .truncated, "announcing 2 length bytes, but 1 follow", 1),
        ("FF 20 80 04 00 00 00", .invalidLength, "indefinite length (80)", 2),
        ("04 84 00 00 00 01 AA", .invalidLength, "at most 3 (83)", 1),
        ("04 01 AA 5F", .truncated, "announces another tag byte", 3),
        ("04 01 AA 04", .truncated, "tag 04 has no length field", 4),
        ("04 01 AA 00 FF 00", .trailingBytes, "3 bytes of 00/FF filler after 1 TLV object", 3),
        ("00", .trailingBytes, "1 byte of 00/FF filler after 0 TLV objects", 0),
        ("5F 81 81 01 00", .invalidTag, "longer than 3 bytes", 0),
    ])
    func rejectsMalformedTLV(_ hex: String, _ code: APDUError.Code, _ says: String, _ offset: Int) throws {
        let bytes = try Hex.decode(hex)
        let error = try #require(throws: APDUError.self) { try BERTLV.parseAll(bytes) }
        #expect(error.code == code)
        #expect(error.message.contains(says), "message: \(error.message)")
        #expect(error.offset == offset)
    }

    @Test func parseFirstReportsTruncationToo() throws {
        #expect(throws: APDUError.truncated()) { try BERTLV.parseFirst([UInt8]()) }
        #expect(throws: APDUError.truncated()) { try BERTLV.parseFirst([0xDF, 0x22, 0x03, 0x01]) }
        #expect(throws: APDUError.invalidLength()) { try BERTLV.parseFirst([0xFF, 0x20, 0x80]) }
    }
}
