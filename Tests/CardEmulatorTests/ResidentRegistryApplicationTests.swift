import APDU
import CardCrypto
import Testing

@testable import CardEmulator

/// The common AP and the 住基AP at the byte level (research §5): READ RECORD, the 住民基本台帳用 PIN with
/// CHANGE KEY `80 32`, and INTERNAL AUTHENTICATE `00 88 00 99`.
@Suite("Common AP and juki AP")
struct ResidentRegistryApplicationTests {
    static let cardRecord = "011C" + Hex.encode(ascii("400000012719843" + "13101" + "20350101"))

    @Test("jpki/myna reads the common AP's EF 0001 with 00 B2 01 0C 00 (record 1, SFI 1): 01 1C + 28 digits")
    func cardRecordBySFI() throws {
        var card = try makeCard()
        #expect(try card.send(selectCommon) == "9000")
        #expect(try card.send("00B2010C00") == Self.cardRecord + "9000")
    }

    @Test("soltia48 selects EF 0001 and reads record 1 with 00 B2 01 04 00; record 2 answers 6A 83")
    func cardRecordSelected() throws {
        var card = try makeCard()
        _ = try card.send(selectCommon)
        #expect(try card.send(selectEF("0001")) == "9000")
        #expect(try card.send("00B2010400") == Self.cardRecord + "9000")
        #expect(try card.send("00B2020400") == "6A83")
        #expect(try card.send("00B2010405") == Hex.encode(Array(try Hex.decode(Self.cardRecord).prefix(5))) + "9000")
        #expect(try card.send("00B0000001") == "6981", "READ BINARY on a record EF")
        #expect(try card.send("00B2011C00") == "6A82", "SFI 3: there is no EF 0003")
        #expect(try card.send("00B2010300") == "6A86", "P2 bits 3–1 must be 100")
    }

    @Test("EF 0002 holds one 16-byte key reference, in the common AP and in the juki AP")
    func keyReference() throws {
        var card = try makeCard()
        for aid in [selectCommon, selectJuki] {
            _ = try card.send(aid)
            let record = try card.exchange("00B2011400")
            #expect(record.statusWord == .success)
            #expect(record.data == Array("6000019".utf8) + [0x08, 0x05] + Array("001".utf8) + [0, 0, 0, 0])
        }
    }

    @Test("INTERNAL AUTHENTICATE 00 88 00 99 signs SHA-256 of the challenge with no credential, verifiably")
    func internalAuthenticate() throws {
        var card = try makeCard()
        _ = try card.send(selectCommon)
        let challenge: [UInt8] = Array(1...32)
        let response = try card.exchange(apdu("00880099", data: challenge, le: 0))
        #expect(response.statusWord == .success && response.data.count == 256)
        let key = try committedKey("default-common-ap").publicKey
        #expect(key.isValidPKCS1v15(signature: response.data, message: challenge, hash: .sha256))
        #expect(!key.isValidPKCS1v15(signature: response.data, message: challenge, hash: .sha1))
        // 255 bytes is the longest challenge; none at all is refused. Without Le it still answers.
        #expect(try card.exchange(apdu("00880099", data: [UInt8](repeating: 7, count: 255), le: 0)).data.count == 256)
        #expect(try card.send("0088009900") == "6700")
        #expect(try card.exchange(apdu("00880099", data: challenge)).statusWord == .success)
        #expect(try card.send(apdu("00880199", data: challenge, le: 0)) == "6A86")
        // The key is for INTERNAL AUTHENTICATE only: COMPUTE DIGITAL SIGNATURE refuses it.
        #expect(try card.send(apdu("802A0099", data: DigestInfo.of(.sha256, message: challenge), le: 0)) == "6985")
        // Nowhere else: the JPKI keys and the 券面 keys answer 69 85 whatever the state.
        _ = try card.send(selectJPKI)
        #expect(try card.send(apdu("00880097", data: challenge, le: 0)) == "6985")
        _ = try card.send(selectText)
        #expect(try card.send(apdu("00880093", data: challenge, le: 0)) == "6985")
    }

    @Test("The 住基 PIN 001C: VERIFY, then CHANGE KEY 80 32 00 80; CHANGE REFERENCE DATA is not its command")
    func changeKey() throws {
        var card = try makeCard()
        for aid in [selectCommon, selectJuki] {
            _ = try card.send(aid)
            _ = try card.send(selectEF("001C"))
            #expect(try card.send("00200080") == "63C3")
            #expect(try card.send(apdu("80320080", data: ascii("4321"))) == "6982", "not verified yet")
            #expect(try card.send(verifyCommand("1234")) == "9000")
            #expect(try card.send(apdu("00240180", data: ascii("4321"))) == "6986")
            #expect(try card.send(apdu("80320080", data: ascii("43X1"))) == "6A80")
            #expect(try card.send(apdu("80320080", data: ascii("4321"), le: 0)) == "6700")
            #expect(try card.send(apdu("80320180", data: ascii("4321"))) == "6A86")
            #expect(try card.send(apdu("80320080", data: ascii("4321"))) == "9000")
            _ = try card.send(aid)
            _ = try card.send(selectEF("001C"))
            #expect(try card.send(verifyCommand("1234")) == "63C2")
            #expect(try card.send(verifyCommand("4321")) == "9000")
        }
        // CHANGE KEY by SFI: 80 32 00 9C names 001C without a SELECT.
        _ = try card.send(selectJuki)
        _ = try card.send(apdu("0020009C", data: ascii("4321")))
        #expect(try card.send(apdu("8032009C", data: ascii("1111"))) == "9000")
        // The JPKI PINs are changed with 00 24, never 80 32.
        _ = try card.send(selectJPKI)
        _ = try card.send(selectEF("0018"))
        _ = try card.send(verifyCommand("1234"))
        #expect(try card.send(apdu("80320080", data: ascii("5678"))) == "6986")
    }

    @Test("The two 001C are separate key references: blocking the juki AP's leaves the common AP's")
    func separateCounters() throws {
        var card = try makeCard()
        _ = try card.send(selectJuki)
        _ = try card.send(selectEF("001C"))
        for expected in ["63C2", "63C1", "63C0", "6984"] { #expect(try card.send(verifyCommand("0000")) == expected) }
        #expect(try card.send(verifyCommand("1234")) == "6984")
        #expect(try card.send(apdu("80320080", data: ascii("4321"))) == "6984")
        _ = try card.send(selectCommon)
        _ = try card.send(selectEF("001C"))
        #expect(try card.send("00200080") == "63C3")
        #expect(try card.send(verifyCommand("1234")) == "9000")
    }

    @Test("A card without the juki AP answers 6A 82 to its AID; the common AP is still there")
    func jukiAbsent() throws {
        var card = try makeCard("no-juki-ap")
        #expect(try card.send(selectJuki) == "6A82")
        #expect(try card.send(selectCommon) == "9000")
    }

    @Test("Faults: CHANGE KEY without VERIFY; INTERNAL AUTHENTICATE over SHA-1")
    func faults() throws {
        var loose = try makeCard("faulty/change-key-without-verify")
        _ = try loose.send(selectJuki)
        _ = try loose.send(selectEF("001C"))
        #expect(try loose.send(apdu("80320080", data: ascii("4321"))) == "9000")
        var sha1 = try makeCard("faulty/internal-authenticate-sha1")
        _ = try sha1.send(selectCommon)
        let response = try sha1.exchange(apdu("00880099", data: [1, 2, 3], le: 0))
        #expect(
            try committedKey("default-common-ap").publicKey.isValidPKCS1v15(
                signature: response.data, message: [1, 2, 3], hash: .sha1))
    }
}
