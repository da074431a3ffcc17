import APDU
import CardCrypto
import Testing

@testable import CardEmulator

/// 券面事項入力補助AP at the byte level: the files of research §3.2, the access rules of §3.1, and the client
/// sequences of §3.3 (jpki/myna's exact lengths included).
@Suite("Text AP (券面事項入力補助AP)")
struct TextApplicationTests {
    @Test("jpki/myna `text mynumber`: PIN 0011, then EF 0001 read as exactly 17 bytes: FF 10 0C, 12 digits, FF FF")
    func textMyNumber() throws {
        var card = try makeCard()
        #expect(try card.send(selectText) == "9000")
        #expect(try card.send(selectEF("0011")) == "9000")
        #expect(try card.send(verifyCommand("1234")) == "9000")
        #expect(try card.send(selectEF("0001")) == "9000")
        #expect(try card.send("00B0000011") == "FF100C" + Hex.encode(ascii(defaultMyNumber)) + "FFFF" + "9000")
    }

    @Test("EF 0002 is byte for byte the research document's example for the default holder (89 bytes)")
    func attributesBytes() throws {
        var card = try makeCard()
        _ = try card.send(selectText)
        _ = try card.send(selectEF("0011"))
        _ = try card.send(verifyCommand("1234"))
        _ = try card.send(selectEF("0002"))
        // jpki/myna `text attrs`: 7 bytes, then the rest from offset 7.
        let head = try card.exchange("00B0000007")
        #expect(Hex.encode(head.data) == "FF2056DF210800")
        let rest = try card.exchange("00B0000752")
        let expected = try Hex.decode(
            """
            FF 20 56 DF 21 08 00 0E 00 20 00 4A 00 55 DF 22 0F E5 B1 B1 E7 94 B0 E3 80 80 E5 A4 AA E9 83 8E DF 23 27
            E6 9D B1 E4 BA AC E9 83 BD E5 8D 83 E4 BB A3 E7 94 B0 E5 8C BA E5 8D 83 E4 BB A3 E7 94 B0 EF BC 91 EF BC 8D
            EF BC 91 DF 24 08 31 39 38 30 30 31 30 31 DF 25 01 31
            """)
        #expect(head.data + rest.data == expected)
        #expect(try card.send("00B0005901") == "6B00")
    }

    @Test("The offset table counts from the start of the file, outer header included")
    func offsetTable() throws {
        let file = TextApplication.attributeBytes(try loadProfile().holder)
        let objects = try children(file)
        let table = objects[0].tlv.value
        for (index, object) in objects.dropFirst().enumerated() {
            #expect(Int(table[index * 2]) << 8 | Int(table[index * 2 + 1]) == object.start)
        }
    }

    @Test("照合番号A opens EF 0001 and EF 0003, not EF 0002; 照合番号B opens EF 0002 and 0003, not EF 0001")
    func verificationCodeAccess() throws {
        var card = try makeCard()
        _ = try card.send(selectText)
        for fid in ["0001", "0002", "0003", "0006", "0007"] {
            _ = try card.send(selectEF(fid))
            #expect(try card.send("00B0000001") == "6982", "EF \(fid) before any credential")
        }
        _ = try card.send(selectEF("0014"))
        #expect(try card.send(verifyCommand(defaultMyNumber)) == "9000")
        _ = try card.send(selectEF("0001"))
        #expect(try card.send("00B0000003") == "FF100C9000")
        _ = try card.send(selectEF("0002"))
        #expect(try card.send("00B0000001") == "6982")
        _ = try card.send(selectEF("0003"))
        #expect(try card.send("00B0000002") == "FF309000")

        _ = try card.send(selectText)  // ends what A opened
        _ = try card.send(selectEF("0015"))
        #expect(try card.send(verifyCommand(defaultCodeB)) == "9000")
        _ = try card.send(selectEF("0002"))
        #expect(try card.send("00B0000002") == "FF209000")
        _ = try card.send(selectEF("0001"))
        #expect(try card.send("00B0000001") == "6982")
    }

    @Test("Free files: EF 0004 is a 568-byte CV certificate, EF 0005 has 256 readable bytes")
    func freeFiles() throws {
        var card = try makeCard()
        _ = try card.send(selectText)
        _ = try card.send(selectEF("0004"))
        let certificate = try readWhole(&card)
        #expect(certificate.count == 568)
        #expect(Array(certificate.prefix(5)) == [0x7F, 0x21, 0x82, 0x02, 0x33])
        _ = try card.send(selectEF("0005"))
        let basic = try card.exchange("00B0000000")
        #expect(basic.statusWord == .success && basic.data.count == 256)
        #expect(Array(basic.data.prefix(2)) == [0xFF, 0x40])
        #expect(try tlvValue(basic.data, "FF40", "DF41") == [0x01, 0x03, 0x0E, 0x01])
        #expect(try card.send("00B0010001") == "6B00")
    }

    @Test(
        "EF 0003: 336 bytes; DF31 hashes EF 0001 with its filler, DF32 EF 0002 after DF21, DF33 verifies with EF 0004's key"
    )
    func integrityRecord() throws {
        var card = try makeCard()
        _ = try card.send(selectText)
        _ = try card.send(selectEF("0004"))
        let cv = try #require(CardVerifiableCertificate.parse(try readWhole(&card)))
        _ = try card.send(selectEF("0011"))
        _ = try card.send(verifyCommand("1234"))
        _ = try card.send(selectEF("0001"))
        let number = try card.exchange("00B0000011").data
        _ = try card.send(selectEF("0002"))
        let attributes = try readWhole(&card)
        _ = try card.send(selectEF("0003"))
        let record = try card.exchange("00B0000000").data + card.exchange("00B0010050").data
        #expect(record.count == 336)
        #expect(try card.send("00B0015001") == "6B00")
        #expect(Array(record.prefix(5)) == [0xFF, 0x30, 0x82, 0x01, 0x4B])
        #expect(try tlvValue(record, "FF30", "DF31") == HashAlgorithm.sha256.hash(number))
        let afterTable = try children(attributes).dropFirst().flatMap(\.bytes)
        #expect(try tlvValue(record, "FF30", "DF32") == HashAlgorithm.sha256.hash(afterTable))
        let signed = try children(record).prefix(2).flatMap(\.bytes)
        let signature = try tlvValue(record, "FF30", "DF33")
        #expect(cv.key.isValidPKCS1v15(signature: signature, message: signed, hash: .sha256))
        // The key EF 0004 certifies is the municipality's, and the text-AP CA (6000033) signed the certificate.
        #expect(cv.key == (try committedKey("municipality-131016").publicKey))
        #expect(Array(cv.body.prefix(7)) == Array("6000033".utf8))
        #expect(
            try committedKey("cv-text-ca").publicKey.isValidPKCS1v15(
                signature: cv.signature, message: cv.body, hash: .sha256))
    }

    @Test("The AP's own key signs with 80 2A 00 00 and no credential; EF 0007 ties it to the municipality key")
    func ownKeySigns() throws {
        var card = try makeCard()
        _ = try card.send(selectText)
        let digestInfo = DigestInfo.of(.sha256, message: ascii("challenge"))
        let signed = try card.exchange(apdu("802A0000", data: digestInfo, le: 0))
        #expect(signed.statusWord == .success && signed.data.count == 256)
        _ = try card.send(selectEF("0011"))
        _ = try card.send(verifyCommand("1234"))
        _ = try card.send(selectEF("0007"))
        let record = try readWhole(&card)
        #expect(Array(record.prefix(5)) == [0xFF, 0x50, 0x82, 0x02, 0x13])
        let key = try #require(CardVerifiableCertificate.publicKey(fromTemplate: try tlvValue(record, "FF50", "DF51")))
        #expect(key.isValidPKCS1v15(signature: signed.data, raw: digestInfo))
        let keyObject = try children(record)[0].bytes
        #expect(
            try committedKey("municipality-131016").publicKey.isValidPKCS1v15(
                signature: try tlvValue(record, "FF50", "DF52"), message: keyObject, hash: .sha256))
        // INTERNAL AUTHENTICATE is not this key's: 69 85.
        #expect(try card.send("0088009308" + "0102030405060708" + "00") == "6985")
    }

    @Test("jpki/myna `pin status`: an empty VERIFY on 0011, 0014, 0015 answers 63 C3; the blocked 0012 63 C0")
    func pinStatus() throws {
        var card = try makeCard()
        _ = try card.send(selectText)
        for fid in ["0011", "0014", "0015"] {
            #expect(try card.send(selectEF(fid)) == "9000")
            #expect(try card.send("00200080") == "63C3", "\(fid)")
        }
        _ = try card.send(selectEF("0012"))
        #expect(try card.send("00200080") == "63C0")
        #expect(try card.send(verifyCommand("1234")) == "6984")
    }

    @Test(
        "Each credential blocks after three wrong values; then even the right one answers 69 84",
        arguments: [
            ("0011", "1234", "9999"), ("0014", defaultMyNumber, "123456789026"),
            ("0015", defaultCodeB, "55010120350000"),
        ])
    func lockout(fid: String, right: String, wrong: String) throws {
        var card = try makeCard()
        _ = try card.send(selectText)
        _ = try card.send(selectEF(fid))
        #expect(try card.send(verifyCommand(wrong)) == "63C2")
        #expect(try card.send(verifyCommand(wrong)) == "63C1")
        #expect(try card.send(verifyCommand(wrong)) == "63C0")
        #expect(try card.send(verifyCommand(right)) == "6984")
        #expect(try card.send("00200080") == "63C0")
        card.reset()
        _ = try card.send(selectText)
        _ = try card.send(selectEF(fid))
        #expect(try card.send(verifyCommand(right)) == "6984", "a reset does not unblock")
    }

    @Test("jpki/myna `pin change card`: VERIFY then CHANGE REFERENCE DATA; the 照合番号 cannot be changed (69 86)")
    func changePIN() throws {
        var card = try makeCard()
        _ = try card.send(selectText)
        _ = try card.send(selectEF("0011"))
        #expect(try card.send(apdu("00240180", data: ascii("5678"))) == "6982")
        _ = try card.send(verifyCommand("1234"))
        #expect(try card.send(apdu("00240180", data: ascii("5678"))) == "9000")
        #expect(try card.send(apdu("80320080", data: ascii("1111"))) == "6986", "CHANGE KEY is not this PIN's")
        _ = try card.send(selectText)
        _ = try card.send(selectEF("0011"))
        #expect(try card.send(verifyCommand("5678")) == "9000")
        _ = try card.send(selectEF("0014"))
        _ = try card.send(verifyCommand(defaultMyNumber))
        #expect(try card.send(apdu("00240180", data: ascii("000000000000"))) == "6986")
    }

    @Test("Reads past the end answer 6B 00, a long Le gets what there is, the SFI form names EF 0001")
    func readForms() throws {
        var card = try makeCard()
        _ = try card.send(selectText)
        _ = try card.send(selectEF("0011"))
        _ = try card.send(verifyCommand("1234"))
        // SFI 1 in P1 (80|01), offset 0 in P2: no SELECT needed.
        #expect(try card.send("00B0810011") == "FF100C" + Hex.encode(ascii(defaultMyNumber)) + "FFFF9000")
        #expect(try card.send("00B0000000") == "FF100C" + Hex.encode(ascii(defaultMyNumber)) + "FFFF9000")
        #expect(try card.send("00B0001001") == "FF9000")
        #expect(try card.send("00B0001101") == "6B00")
        #expect(try card.send("00B0811101") == "6B00")
        #expect(try card.send("00B0A00001") == "6A86", "P1 101xxxxx is neither form")
        #expect(try card.send("00B2010C00") == "6981", "READ RECORD on a transparent EF")
    }

    @Test("A card whose text-AP data was never written: the EFs hold nothing but FF")
    func unwrittenData() throws {
        var card = try makeCard("text-ap-unwritten")
        _ = try card.send(selectText)
        _ = try card.send(selectEF("0011"))
        #expect(try card.send(verifyCommand("1234")) == "9000")
        _ = try card.send(selectEF("0001"))
        #expect(try card.send("00B0000011") == String(repeating: "FF", count: 17) + "9000")
        _ = try card.send(selectEF("0002"))
        #expect(try readWhole(&card) == [UInt8](repeating: 0xFF, count: 256))
    }
}
