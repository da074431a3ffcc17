import APDU
import CardCrypto
import Testing

@testable import CardEmulator

/// "Private keys never leave the chip": every read path is tried on both key EFs, in every security state, and
/// no response may contain any 8-byte window of any private value.
@Suite("Private keys cannot be extracted")
struct KeyExtractionTests {
    /// Every command a client could use to read a file, aimed at the key with FID `fid` (low byte = SFI).
    static func readAttempts(fid: UInt8) -> [String] {
        let fidHex = Hex.encode([0x00, fid])
        let sfi = Hex.encode([0x80 | fid])
        return [
            "00B0000000", "00B0000100", "00B0000004", "00B07FFF00",  // 15-bit offset form on the selected EF
            "00B0\(sfi)0000", "00B0\(sfi)1000",  // short-EF-identifier form
            "00B00000000000",  // extended Le
            "00B1000004540200000000",  // READ BINARY odd INS with an offset DO
            "00B2010400", "00B2010C00", "00B201\(Hex.encode([fid << 3 | 4]))00",  // READ RECORD, current EF and SFI
            "00CA000000", "00CA\(fidHex)00", "00CB3FFF035C017E00", "80CA000000",  // GET DATA
            "00A4020002\(fidHex)00", "00A4020402\(fidHex)00",  // SELECT with FCI/FCP
            "00A4080002\(fidHex)00", "00C0000000",  // SELECT by path, GET RESPONSE
            "0088000020" + String(repeating: "11", count: 32) + "00",  // INTERNAL AUTHENTICATE
            "802A0080",  // sign with no data
            "00A4020C02\(fidHex)",
        ]
    }

    static func secretWindows(_ key: RSAPrivateKey) -> Set<[UInt8]> {
        var windows = Set<[UInt8]>()
        for value in key.secretComponents.values + [key.derRepresentation] where value.count >= 8 {
            for start in 0...(value.count - 8) { windows.insert(Array(value[start..<start + 8])) }
        }
        return windows
    }

    static func leaks(_ response: [UInt8], _ windows: Set<[UInt8]>) -> Bool {
        guard response.count >= 8 else { return false }
        return (0...(response.count - 8)).contains { windows.contains(Array(response[$0..<$0 + 8])) }
    }

    @Test(
        "No read path on 0017 or 001A returns key material, before or after the PIN and password",
        arguments: ["0017", "001A"])
    func noReadPathLeaks(keyFID: String) throws {
        let profile = try loadProfile()
        let key = keyFID == "0017" ? profile.jpki.authenticationKey : profile.jpki.signingKey!
        let windows = Self.secretWindows(key)
        #expect(!windows.isEmpty)
        let fid = try Hex.decode(keyFID)[1]
        for unlocked in [false, true] {
            var card = try makeCard()
            _ = try card.send(selectJPKI)
            if unlocked {
                #expect(try card.send(apdu("00200098", data: ascii("1234"))) == "9000")
                #expect(try card.send(apdu("0020009B", data: ascii("ABC123"))) == "9000")
            }
            for attempt in Self.readAttempts(fid: fid) {
                _ = try card.send(selectEF(keyFID))
                let response = card.process(try Hex.decode(attempt))
                #expect(!Self.leaks(response, windows), "\(attempt) leaked key bytes")
                let sw = Array(response.suffix(2))
                #expect(sw != [0x90, 0x00] || attempt.hasPrefix("00A4"), "\(attempt) answered 9000 on a key EF")
            }
        }
    }

    @Test("The leak detector itself finds a window of the key when one is present")
    func detectorWorks() throws {
        let key = try loadProfile().jpki.authenticationKey
        let windows = Self.secretWindows(key)
        let d = key.secretComponents["d"]!
        #expect(Self.leaks([0x90] + Array(d[100..<108]) + [0x90, 0x00], windows))
        #expect(!Self.leaks([UInt8](repeating: 0, count: 64), windows))
    }

    @Test("A signature is all the key EF yields, and it is not a key window either")
    func signatureIsNotKeyMaterial() throws {
        let key = try loadProfile().jpki.authenticationKey
        var card = try makeCard()
        _ = try card.send(selectJPKI)
        _ = try card.send(apdu("00200098", data: ascii("1234")))
        _ = try card.send(selectEF("0017"))
        let response = card.process(try Hex.decode(apdu("802A0080", data: DigestInfo.of(.sha256, message: [0]), le: 0)))
        #expect(response.count == 258)
        #expect(!Self.leaks(response, Self.secretWindows(key)))
    }
}
