import APDU
import CardCrypto
import Foundation
import TestSupport
import Testing

@testable import CardEmulator

/// 券面事項確認AP at the byte level: the card face of research §4.2 (offsets, images, the three-hash signature),
/// the access rules of §4.1 and jpki/myna's `visual` sequence.
@Suite("Visual AP (券面事項確認AP)")
struct VisualApplicationTests {
    /// jpki/myna `visual …` (research §4.2): My Number from the text AP, then 0013 with it, then EF 0002.
    func cardFace(_ name: String = "default") throws -> (card: EmulatedCard, face: [UInt8]) {
        var card = try makeCard(name)
        _ = try card.send(selectText)
        _ = try card.send(selectEF("0011"))
        #expect(try card.send(verifyCommand("1234")) == "9000")
        _ = try card.send(selectEF("0001"))
        let number = Array(try card.exchange("00B0000011").data[3..<15])
        #expect(try card.send(selectVisual) == "9000")
        #expect(try card.send(selectEF("0013")) == "9000")
        #expect(try card.send(apdu("00200080", data: number)) == "9000")
        #expect(try card.send(selectEF("0002")) == "9000")
        // Read 7 bytes, then the rest in 256-byte chunks (Le 00 while more than 255 remain).
        let head = try card.exchange("00B0000007").data
        #expect(Array(head.prefix(3)) == [0xFF, 0x20, 0x82])
        let size = (Int(head[3]) << 8 | Int(head[4])) + 5
        var face = head
        while face.count < size {
            let remaining = size - face.count
            let response = try card.exchange(
                Hex.encode([
                    0x00, 0xB0, UInt8(face.count >> 8), UInt8(face.count & 0xFF),
                    UInt8(remaining > 255 ? 0 : remaining),
                ]))
            #expect(response.statusWord == .success)
            face += response.data
        }
        return (card, face)
    }

    @Test("EF 0002: FF 20 82 LL LL, nine objects behind DF 21, every offset right, under 32 767 bytes")
    func layout() throws {
        let (_, face) = try cardFace()
        #expect(face.count < 0x7FFF)
        let objects = try children(face)
        #expect(
            objects.map(\.tlv.tag.description) == [
                "DF21", "DF22", "DF23", "DF24", "DF25", "DF26", "DF27", "DF28", "DF29", "DF2A",
            ])
        let table = objects[0].tlv.value
        #expect(table.count == 18)
        for (index, object) in objects.dropFirst().enumerated() {
            #expect(Int(table[index * 2]) << 8 | Int(table[index * 2 + 1]) == object.start, "\(object.tlv.tag)")
        }
        #expect(objects[1].tlv.value == ascii("19800101"))
        #expect(objects[2].tlv.value == ascii("1"))
        #expect(objects[8].tlv.value == ascii("20350101"))
        #expect(
            objects[3].tlv.value.count == 265
                && objects[3].tlv.value.starts(with: [0x90, 0x03, 0x01, 0x00, 0x01, 0x91, 0x82, 0x01, 0x00]))
    }

    @Test("The images are real: DF 27 a greyscale JP2, DF 25/26/2A 1-bit PNGs, exactly the committed files")
    func images() throws {
        let (_, face) = try cardFace()
        let objects = try children(face)
        let images = "\(repositoryRoot)/Vectors/cards/images"
        func file(_ name: String) throws -> [UInt8] {
            [UInt8](try Data(contentsOf: URL(fileURLWithPath: "\(images)/\(name)")))
        }
        #expect(
            objects[6].tlv.value.starts(with: [0x00, 0x00, 0x00, 0x0C, 0x6A, 0x50, 0x20, 0x20, 0x0D, 0x0A, 0x87, 0x0A]))
        #expect(CardImageFormat.jp2Greyscale.problem(with: objects[6].tlv.value) == nil)
        #expect(objects[6].tlv.value == (try file("default-face.jp2")))
        #expect(objects[4].tlv.value == (try file("default-name.png")))
        #expect(objects[5].tlv.value == (try file("default-address.png")))
        #expect(objects[9].tlv.value == (try file("default-security-code.png")))
        for index in [4, 5, 9] { #expect(CardImageFormat.png1Bit.problem(with: objects[index].tlv.value) == nil) }
    }

    @Test(
        "DF 28 verifies with the key EF 0004 certifies, over SHA-256(DF22‖DF23‖DF24)‖SHA-256(DF25‖DF26)‖SHA-256(DF27)")
    func faceSignature() throws {
        var (card, face) = try cardFace()
        let objects = try children(face)
        let digest =
            HashAlgorithm.sha256.hash(objects[1].bytes + objects[2].bytes + objects[3].bytes)
            + HashAlgorithm.sha256.hash(objects[4].bytes + objects[5].bytes)
            + HashAlgorithm.sha256.hash(objects[6].bytes)
        let digestInfo = try Hex.decode("3071300D060960864801650304020105000460") + digest
        _ = try card.send(selectEF("0004"))
        let cv = try #require(CardVerifiableCertificate.parse(try readWhole(&card)))
        #expect(Array(cv.body.prefix(7)) == Array("6000023".utf8))
        #expect(cv.key.isValidPKCS1v15(signature: objects[7].tlv.value, raw: digestInfo))
        // The card's own key (DF 24) is a different key: it signs challenges, not the data.
        let cardKey = try #require(CardVerifiableCertificate.publicKey(fromTemplate: objects[3].tlv.value))
        #expect(!cardKey.isValidPKCS1v15(signature: objects[7].tlv.value, raw: digestInfo))
        let challenge = DigestInfo.of(.sha256, message: ascii("are you the card?"))
        let signed = try card.exchange(apdu("802A0000", data: challenge, le: 0))
        #expect(signed.statusWord == .success && cardKey.isValidPKCS1v15(signature: signed.data, raw: challenge))
    }

    @Test("照合番号B opens the face, not the My Number image (EF 0005); 照合番号A opens both")
    func access() throws {
        var card = try makeCard()
        _ = try card.send(selectVisual)
        for fid in ["0001", "0002", "0005", "0006"] {
            _ = try card.send(selectEF(fid))
            #expect(try card.send("00B0000001") == "6982", "\(fid)")
        }
        for fid in ["0003", "0004"] {
            _ = try card.send(selectEF(fid))
            #expect(try card.exchange("00B0000001").statusWord == .success, "\(fid) is free")
        }
        _ = try card.send(selectEF("0012"))
        #expect(try card.send(verifyCommand(defaultCodeB)) == "9000")
        _ = try card.send(selectEF("0002"))
        #expect(try card.send("00B0000002") == "FF209000")
        _ = try card.send(selectEF("0005"))
        #expect(try card.send("00B0000001") == "6982")
        _ = try card.send(selectEF("0013"))
        #expect(try card.send(verifyCommand(defaultMyNumber)) == "9000")
        _ = try card.send(selectEF("0005"))
        let image = try readWhole(&card)
        let png = try tlvValue(image, "FF40", "DF41")
        #expect(
            png
                == [UInt8](
                    try Data(
                        contentsOf: URL(fileURLWithPath: "\(repositoryRoot)/Vectors/cards/images/default-my-number.png")
                    )))
        _ = try card.send(selectEF("0004"))
        let cv = try #require(CardVerifiableCertificate.parse(try readWhole(&card)))
        let signed = try children(image).prefix(2).flatMap(\.bytes)
        #expect(cv.key.isValidPKCS1v15(signature: try tlvValue(image, "FF40", "DF43"), message: signed, hash: .sha256))
    }

    @Test("The birth-date key (era YYMMDD: 550101) opens only the age record EF 0001, which is signed")
    func ageRecord() throws {
        var card = try makeCard()
        _ = try card.send(selectVisual)
        _ = try card.send(selectEF("0011"))
        #expect(try card.send("00200080") == "63C3")
        #expect(try card.send(verifyCommand("550101")) == "9000")
        _ = try card.send(selectEF("0002"))
        #expect(try card.send("00B0000001") == "6982")
        _ = try card.send(selectEF("0001"))
        let record = try readWhole(&card)
        #expect(Array(record.prefix(5)) == [0xFF, 0x10, 0x82, 0x02, 0x1E])
        #expect(try tlvValue(record, "FF10", "DF11") == ascii("19800101"))
        let signed = try children(record).prefix(2).flatMap(\.bytes)
        #expect(
            try committedKey("municipality-131016").publicKey.isValidPKCS1v15(
                signature: try tlvValue(record, "FF10", "DF13"), message: signed, hash: .sha256))
    }

    @Test("EF 0003 carries the layout ID, a key ID, the version and the municipality code")
    func basicInformation() throws {
        var card = try makeCard()
        _ = try card.send(selectVisual)
        _ = try card.send(selectEF("0003"))
        let info = try readWhole(&card)
        #expect(try tlvValue(info, "FF30", "DF31") == [0x06, 0x03, 0x0E, 0x01])
        #expect(try tlvValue(info, "FF30", "DF34") == ascii("13101"))
        #expect(try tlvValue(info, "FF30", "DF35").count == 272)
    }

    @Test("jpki/myna `pin status` in the visual AP: 0013 and 0012 answer 63 C3; each locks after three")
    func pinStatusAndLockout() throws {
        var card = try makeCard()
        _ = try card.send(selectVisual)
        for fid in ["0013", "0012", "0011"] {
            _ = try card.send(selectEF(fid))
            #expect(try card.send("00200080") == "63C3")
        }
        _ = try card.send(selectEF("0012"))
        for expected in ["63C2", "63C1", "63C0", "6984"] {
            #expect(try card.send(verifyCommand("00000000000000")) == expected)
        }
        #expect(try card.send(verifyCommand(defaultCodeB)) == "6984")
        // The text AP's 照合番号B is its own key reference, with its own counter.
        _ = try card.send(selectText)
        _ = try card.send(selectEF("0015"))
        #expect(try card.send("00200080") == "63C3")
    }
}
