import APDU
import CardCrypto
import Crypto
import CryptoExtras
import Testing

@testable import CardEmulator

/// The byte sequences real clients send to the JPKI AP (jpki-protocol.md §2.3, §8.3), replayed against the
/// emulator and checked byte for byte.
@Suite("JPKI AP as the clients drive it")
struct JPKIClientSequenceTests {
    @Test("OpenSC's PKCS#15 bind: select AP, empty VERIFY on 0018 and 001B answer 63C3 and 63C5")
    func openSCBind() throws {
        var card = try makeCard()
        #expect(try card.send(selectJPKI) == "9000")
        #expect(try card.send(selectEF("0018")) == "9000")
        #expect(try card.send("00200080") == "63C3")
        #expect(try card.send(selectEF("001B")) == "9000")
        #expect(try card.send("00200080") == "63C5")
    }

    @Test("Token label: EF 0006 starts with JPKIAPICCTOKEN2 and 17 spaces (my-number/myna compares all 32)")
    func tokenLabel() throws {
        var card = try makeCard()
        _ = try card.send(selectJPKI)
        #expect(try card.send(selectEF("0006")) == "9000")
        #expect(
            try card.send("00B0000020") == "4A504B494150494343544F4B454E32" + String(repeating: "20", count: 17)
                + "9000")
        // The whole file is 160 bytes: offset 160 is past the end.
        let tail = try card.exchange("00B0009F01")
        #expect(tail.statusWord == .success && tail.data.count == 1)
        #expect(try card.send("00B000A001") == "6B00")
    }

    @Test("EF 0008 says both certificates are present: 8F 8F 00")
    func certificatePresence() throws {
        var card = try makeCard()
        _ = try card.send(selectJPKI)
        _ = try card.send(selectEF("0008"))
        #expect(try card.send("00B0000000") == "8F8F009000")
    }

    @Test("OpenSC reads a certificate: 4-byte header, 256-byte chunks, then the exact remainder")
    func openSCCertificateRead() throws {
        var card = try makeCard()
        let expected = try loadProfile().jpki.authenticationCertificate
        _ = try card.send(selectJPKI)
        #expect(try card.send(selectEF("000A")) == "9000")
        let header = try card.exchange("00B0000004")
        #expect(header.statusWord == .success)
        #expect(header.data == Array(expected.prefix(4)))
        #expect(header.data[0] == 0x30 && header.data[1] == 0x82)
        let size = (Int(header.data[2]) << 8 | Int(header.data[3])) + 4
        #expect(size == expected.count)
        var read: [UInt8] = []
        while read.count < size {
            let le = min(256, size - read.count)
            let command = Hex.encode([0x00, 0xB0, UInt8(read.count >> 8), UInt8(read.count & 0xFF), UInt8(le & 0xFF)])
            let response = try card.exchange(command)
            #expect(response.statusWord == .success)
            #expect(response.data.count == le)
            read += response.data
        }
        #expect(read == expected)
    }

    @Test("jpki/myna reads 7 bytes, then from offset 7 with Le 00 while more than 255 remain, then the rest")
    func jpkiMynaCertificateRead() throws {
        var card = try makeCard()
        let expected = try loadProfile().jpki.authenticationCA
        _ = try card.send(selectJPKI)
        _ = try card.send(selectEF("000B"))
        let header = try card.exchange("00B0000007")
        #expect(header.data == Array(expected.prefix(7)))
        let size = (Int(header.data[2]) << 8 | Int(header.data[3])) + 4
        var read = header.data
        while read.count < size {
            let remaining = size - read.count
            let le = remaining > 255 ? 0 : remaining
            let response = try card.exchange(
                Hex.encode([0x00, 0xB0, UInt8(read.count >> 8), UInt8(read.count & 0xFF), UInt8(le)]))
            #expect(response.statusWord == .success)
            #expect(response.data.count == (le == 0 ? 256 : le))
            read += response.data
        }
        #expect(read == expected)
    }

    @Test("jpki-rs reads 7 bytes, then re-reads from 0 in full 256-byte chunks with a last Le of size & FF")
    func jpkiRsCertificateRead() throws {
        var card = try makeCard()
        let expected = try loadProfile().jpki.authenticationCertificate
        _ = try card.send(selectJPKI)
        _ = try card.send(selectEF("000A"))
        let header = try card.exchange("00B0000007")
        let size = (Int(header.data[2]) << 8 | Int(header.data[3])) + 4
        var read: [UInt8] = []
        for chunk in 0..<(size / 256) {
            let response = try card.exchange(Hex.encode([0x00, 0xB0, UInt8(chunk), 0x00, 0x00]))
            // jpki-rs computes the last Le assuming every earlier chunk was a full 256 bytes.
            #expect(response.data.count == 256)
            read += response.data
        }
        if size % 256 != 0 {
            let last = try card.exchange(Hex.encode([0x00, 0xB0, UInt8(size / 256), 0x00, UInt8(size & 0xFF)]))
            read += last.data
        }
        #expect(read == expected)
    }

    @Test("my-number/myna reads an 8-byte header, then everything in 255-byte chunks")
    func myNumberMynaCertificateRead() throws {
        var card = try makeCard()
        let expected = try loadProfile().jpki.authenticationCertificate
        _ = try card.send(selectJPKI)
        _ = try card.send(selectEF("000A"))
        let header = try card.exchange("00B0000008")
        #expect(header.data.count == 8)
        let size = (Int(header.data[2]) << 8 | Int(header.data[3])) + 4
        var read: [UInt8] = []
        while read.count < size {
            let response = try card.exchange(
                Hex.encode([0x00, 0xB0, UInt8(read.count >> 8), UInt8(read.count & 0xFF), 0xFF]))
            #expect(response.data.count == min(255, size - read.count))
            read += response.data
        }
        #expect(read == expected)
    }

    @Test("READ BINARY returns min(Le, remaining) and answers 6B00 at or past the end, never 9000 with no data")
    func readBinaryBounds() throws {
        var card = try makeCard()
        let size = try loadProfile().jpki.authenticationCertificate.count
        _ = try card.send(selectJPKI)
        _ = try card.send(selectEF("000A"))
        let near = try card.exchange(Hex.encode([0x00, 0xB0, UInt8((size - 3) >> 8), UInt8((size - 3) & 0xFF), 0x00]))
        #expect(near.statusWord == .success && near.data.count == 3)
        #expect(try card.send(Hex.encode([0x00, 0xB0, UInt8(size >> 8), UInt8(size & 0xFF), 0x01])) == "6B00")
        #expect(try card.send("00B07FFF01") == "6B00")
    }

    @Test("The signing certificate needs the signing password: 6982 before, the certificate after")
    func signingCertificateAccess() throws {
        var card = try makeCard()
        _ = try card.send(selectJPKI)
        _ = try card.send(selectEF("0001"))
        #expect(try card.send("00B0000004") == "6982")
        _ = try card.send(selectEF("0018"))
        #expect(try card.send(apdu("00200080", data: ascii("1234"))) == "9000")
        _ = try card.send(selectEF("0001"))
        #expect(try card.send("00B0000004") == "6982", "the auth PIN does not open the signing certificate")
        _ = try card.send(selectEF("001B"))
        #expect(try card.send(apdu("00200080", data: ascii("ABC123"))) == "9000")
        _ = try card.send(selectEF("0001"))
        let header = try card.exchange("00B0000004")
        #expect(header.statusWord == .success)
        #expect(header.data == Array(try loadProfile().jpki.signingCertificate!.prefix(4)))
    }

    @Test("Auth PIN lockout: 63C2, 63C1, 63C0, then 6984 even for the right PIN; empty VERIFY then answers 63C0")
    func authPINLockout() throws {
        var card = try makeCard()
        _ = try card.send(selectJPKI)
        _ = try card.send(selectEF("0018"))
        #expect(try card.send(apdu("00200080", data: ascii("9999"))) == "63C2")
        #expect(try card.send("00200080") == "63C2", "an empty VERIFY spends nothing")
        #expect(try card.send(apdu("00200080", data: ascii("9999"))) == "63C1")
        #expect(try card.send(apdu("00200080", data: ascii("9999"))) == "63C0")
        #expect(try card.send(apdu("00200080", data: ascii("1234"))) == "6984")
        #expect(try card.send("00200080") == "63C0")
        // The counter is persistent: a reset does not unblock it.
        card.reset()
        _ = try card.send(selectJPKI)
        _ = try card.send(selectEF("0018"))
        #expect(try card.send(apdu("00200080", data: ascii("1234"))) == "6984")
    }

    @Test("A correct PIN restores the counter; the empty VERIFY after success still answers 63Cx")
    func counterRestoredOnSuccess() throws {
        var card = try makeCard()
        _ = try card.send(selectJPKI)
        _ = try card.send(selectEF("001B"))
        #expect(try card.send(apdu("00200080", data: ascii("WRONG1"))) == "63C4")
        #expect(try card.send(apdu("00200080", data: ascii("ABC123"))) == "9000")
        #expect(try card.send("00200080") == "63C5")
    }

    @Test("VERIFY by short EF identifier without SELECT: P2 98 is 0018, 9B is 001B")
    func verifyByShortIdentifier() throws {
        var card = try makeCard()
        _ = try card.send(selectJPKI)
        #expect(try card.send("00200098") == "63C3")
        #expect(try card.send("0020009B") == "63C5")
        #expect(try card.send(apdu("00200098", data: ascii("1234"))) == "9000")
    }

    @Test("A PIN of the wrong length or characters counts as a wrong try by default")
    func malformedPINCountsAsWrongTry() throws {
        var card = try makeCard()
        _ = try card.send(selectJPKI)
        _ = try card.send(selectEF("0018"))
        #expect(try card.send(apdu("00200080", data: ascii("12345"))) == "63C2")
        #expect(try card.send(apdu("00200080", data: ascii("12a4"))) == "63C1")
    }

    @Test("Change PIN: VERIFY, then 00 24 01 80 with the new PIN; the old one no longer verifies")
    func changePIN() throws {
        var card = try makeCard()
        _ = try card.send(selectJPKI)
        _ = try card.send(selectEF("0018"))
        #expect(try card.send(apdu("00240180", data: ascii("4321"))) == "6982", "not without VERIFY first")
        #expect(try card.send(apdu("00200080", data: ascii("1234"))) == "9000")
        #expect(
            try card.send(apdu("00240180", data: ascii("43A1"))) == "6A80", "a badly formed new PIN changes nothing")
        #expect(try card.send(apdu("00240180", data: ascii("4321"))) == "9000")
        _ = try card.send(selectJPKI)
        _ = try card.send(selectEF("0018"))
        #expect(try card.send(apdu("00200080", data: ascii("1234"))) == "63C2")
        #expect(try card.send(apdu("00200080", data: ascii("4321"))) == "9000")
    }

    @Test("Change the signing password to another of 6–16 [A-Z0-9]; lower case is refused with 6A80")
    func changeSigningPassword() throws {
        var card = try makeCard()
        _ = try card.send(selectJPKI)
        _ = try card.send(selectEF("001B"))
        _ = try card.send(apdu("00200080", data: ascii("ABC123")))
        #expect(try card.send(apdu("00240180", data: ascii("abc123"))) == "6A80")
        #expect(try card.send(apdu("00240180", data: ascii("NEWPASS2026"))) == "9000")
        card.reset()
        _ = try card.send(selectJPKI)
        _ = try card.send(selectEF("001B"))
        #expect(try card.send(apdu("00200080", data: ascii("NEWPASS2026"))) == "9000")
    }

    @Test("Sign with the auth key (OpenSC's SHA-256 DigestInfo) and verify with a second RSA implementation")
    func signWithAuthenticationKey() throws {
        var card = try makeCard()
        let profile = try loadProfile()
        let message = Array("mynaconf".utf8)
        let digestInfo = DigestInfo.of(.sha256, message: message)
        #expect(Hex.encode(digestInfo.prefix(19)) == "3031300D060960864801650304020105000420")
        _ = try card.send(selectJPKI)
        _ = try card.send(selectEF("0017"))
        #expect(try card.send(apdu("802A0080", data: digestInfo, le: 0)) == "6982")
        _ = try card.send(selectEF("0018"))
        #expect(try card.send("002000800431323334") == "9000")
        _ = try card.send(selectEF("0017"))
        let response = try card.exchange(apdu("802A0080", data: digestInfo, le: 0))
        #expect(response.statusWord == .success)
        #expect(response.data.count == 256)
        // swift-crypto (BoringSSL) checks what OpenSSL produced, with the key from the certificate on the card.
        let spki = try CertificateSummary(derEncoded: profile.jpki.authenticationCertificate).publicKey
            .derRepresentation
        let publicKey = try _RSA.Signing.PublicKey(derRepresentation: spki)
        let signature = _RSA.Signing.RSASignature(rawRepresentation: response.data)
        #expect(publicKey.isValidSignature(signature, for: SHA256.hash(data: message), padding: .insecurePKCS1v1_5))
    }

    @Test("Sign with the signing key (jpki-rs's SHA-1 DigestInfo) after the signing password, and verify")
    func signWithSigningKey() throws {
        var card = try makeCard()
        let profile = try loadProfile()
        let message = Array("契約書".utf8)
        let digestInfo = DigestInfo.of(.sha1, message: message)
        #expect(Hex.encode(digestInfo.prefix(15)) == "3021300906052B0E03021A05000414")
        _ = try card.send(selectJPKI)
        _ = try card.send(selectEF("001B"))
        _ = try card.send(apdu("00200080", data: ascii("ABC123")))
        _ = try card.send(selectEF("001A"))
        let response = try card.exchange(apdu("802A0080", data: digestInfo, le: 0))
        #expect(response.statusWord == .success)
        let spki = try CertificateSummary(derEncoded: profile.jpki.signingCertificate!).publicKey.derRepresentation
        let publicKey = try _RSA.Signing.PublicKey(derRepresentation: spki)
        let signature = _RSA.Signing.RSASignature(rawRepresentation: response.data)
        #expect(
            publicKey.isValidSignature(signature, for: Insecure.SHA1.hash(data: message), padding: .insecurePKCS1v1_5))
        // The auth PIN does not unlock the signing key, and the signing password does not unlock the auth key.
        _ = try card.send(selectEF("0017"))
        #expect(try card.send(apdu("802A0080", data: digestInfo, le: 0)) == "6982")
    }

    @Test("Sign without SELECT: P2 97 names key 0017, and the signature equals the SELECT form's")
    func signByShortIdentifier() throws {
        var card = try makeCard()
        let digestInfo = DigestInfo.of(.sha256, message: [1, 2, 3])
        _ = try card.send(selectJPKI)
        _ = try card.send(apdu("00200098", data: ascii("1234")))
        let direct = try card.exchange(apdu("802A0097", data: digestInfo, le: 0))
        _ = try card.send(selectEF("0017"))
        let selected = try card.exchange(apdu("802A0080", data: digestInfo, le: 0))
        #expect(direct.statusWord == .success)
        #expect(direct.data == selected.data)
    }

    @Test("The signing input is padded as given: 1 to 245 bytes are signed, 246 answer 6700, recoverable exactly")
    func signingInputLengths() throws {
        var card = try makeCard()
        _ = try card.send(selectJPKI)
        _ = try card.send(apdu("00200098", data: ascii("1234")))
        _ = try card.send(selectEF("0017"))
        let key = try CertificateSummary(derEncoded: loadProfile().jpki.authenticationCertificate).publicKey
        for length in [1, 36, 245] {
            let input = [UInt8](repeating: 0xA5, count: length)
            let response = try card.exchange(apdu("802A0080", data: input, le: 0))
            #expect(response.statusWord == .success)
            #expect(try key.recoverPKCS1v15(signature: response.data) == input)
        }
        #expect(try card.send(apdu("802A0080", data: [UInt8](repeating: 1, count: 246), le: 0)) == "6700")
        #expect(try card.send("802A008000") == "6700")
        #expect(try card.send(apdu("802A0180", data: [1], le: 0)) == "6A86")
    }
}
