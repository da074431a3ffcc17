import APDU
import CardCrypto
import Testing

/// ICAO Doc 9303 Part 11 (8th edition, 2021), Appendix D: the Basic Access Control worked example, replayed byte
/// for byte through both sides. The values are the published ones (also reproduced by JMRTD, OpenSC's sm-eac and many
/// other MRTD readers); scripts/generate-sm-vectors.py recomputes every one of them with pyca/cryptography.
@Suite("ICAO 9303-11 Appendix D: BAC and 3DES secure messaging, byte for byte")
struct SecureMessagingICAOTests {
    static let mrzInformation = "L898902C<369080619406236"
    static let keySeed = [UInt8](hex: "239AB9CB282DAF66231DC5A4DF6BFBAE")
    static let kEnc = [UInt8](hex: "AB94FDECF2674FDFB9B391F85D7F76F2")
    static let kMac = [UInt8](hex: "7962D9ECE03D1ACD4C76089DCE131543")
    static let rndIC = [UInt8](hex: "4608F91988702212")
    static let rndIFD = [UInt8](hex: "781723860C06C226")
    static let kIFD = [UInt8](hex: "0B795240CB7049B01C19B33E32804F0B")
    static let kIC = [UInt8](hex: "0B4F80323EB3191CB04970CB4052790B")
    static let eIFDmIFD = [UInt8](
        hex: "72C29C2371CC9BDB65B779B8E8D37B29ECC154AA56A8799FAE2F498F76ED92F2 5F1448EEA8AD90A7")
    static let eICmIC = [UInt8](
        hex: "46B9342A41396CD7386BF5803104D7CEDC122B9132139BAF2EEDC94EE178534F 2F2D235D074D7449")
    static let ksEnc = [UInt8](hex: "979EC13B1CBFE9DCD01AB0FED307EAE5")
    static let ksMac = [UInt8](hex: "F1CB1F1FB5ADF208806B89DC579DC1F8")
    static let ssc = [UInt8](hex: "887022120C06C226")

    /// D.4: SELECT EF.COM, READ BINARY of 4 bytes, READ BINARY of the remaining 18.
    static let exchanges: [(command: String, protected: String, protectedResponse: String, response: String)] = [
        (
            "00A4020C02011E", "0CA4020C158709016375432908C044F68E08BF8B92D635FF24F800",
            "990290008E08FA855A5D4C50A8ED9000", "9000"
        ),
        (
            "00B0000004", "0CB000000D9701048E08ED6705417E96BA5500",
            "8709019FF0EC34F9922651990290008E08AD55CC17140B2DED9000", "60145F019000"
        ),
        (
            "00B0000412", "0CB000040D9701128E082EA28A70F3C7B53500",
            "871901FB9235F4E4037F2327DCC8964F1F9B8C30F42C8E2FFF224A990290008E08C8B2787EAEA07D749000",
            "04303130365F36063034303030305C0261759000"
        ),
    ]

    @Test("D.2: the key seed from the MRZ, then K_enc and K_mac with DES parity")
    func keyDerivation() throws {
        #expect(BasicAccessControl.keySeed(mrzInformation: Self.mrzInformation) == Self.keySeed)
        let keys = SecureMessagingSuite.tripleDES.deriveKeys(from: Self.keySeed)
        #expect(keys.encryption == Self.kEnc)
        #expect(keys.mac == Self.kMac)
        // Before the parity adjustment the halves are the raw SHA-1 output.
        #expect(
            HashAlgorithm.sha1.hash(Self.keySeed + [0, 0, 0, 1]).prefix(16).elementsEqual(
                [UInt8](hex: "AB94FCEDF2664EDFB9B291F85D7F77F2")))
    }

    @Test("D.3: the host's MUTUAL AUTHENTICATE command, byte for byte")
    func hostAuthentication() throws {
        let keys = try SecureMessagingKeys(suite: .tripleDES, encryption: Self.kEnc, mac: Self.kMac)
        let host = try HostMutualAuthentication(
            keys: keys, cardChallenge: Self.rndIC, hostChallenge: Self.rndIFD, hostKeyMaterial: Self.kIFD)
        #expect(host.commandData == Self.eIFDmIFD)
        #expect(host.command.bytes == [UInt8](hex: "0082000028") + Self.eIFDmIFD + [0x28])
        let session = try host.complete(responseData: Self.eICmIC)
        #expect(session.keys.encryption == Self.ksEnc)
        #expect(session.keys.mac == Self.ksMac)
        #expect(session.sendSequenceCounter.bytes == Self.ssc)
    }

    @Test("D.3: the card checks E.IFD ‖ M.IFD and answers E.IC ‖ M.IC, byte for byte")
    func cardAuthentication() throws {
        let keys = try SecureMessagingKeys(suite: .tripleDES, encryption: Self.kEnc, mac: Self.kMac)
        let card = try CardMutualAuthentication(keys: keys, challenge: Self.rndIC)
        let result = try card.respond(to: Self.eIFDmIFD, cardKeyMaterial: Self.kIC)
        #expect(result.responseData == Self.eICmIC)
        #expect(result.session.keys.encryption == Self.ksEnc)
        #expect(result.session.keys.mac == Self.ksMac)
        #expect(result.session.sendSequenceCounter.bytes == Self.ssc)
    }

    @Test("D.4: the host protects each command and opens each response exactly as published")
    func hostSession() throws {
        let keys = try SecureMessagingKeys(suite: .tripleDES, encryption: Self.ksEnc, mac: Self.ksMac)
        var host = try SecureMessagingHostSession(keys: keys, sendSequenceCounter: Self.ssc)
        for exchange in Self.exchanges {
            let protected = try host.protect(CommandAPDU(hex: exchange.command))
            #expect(Hex.encode(protected.bytes) == exchange.protected)
            let response = try host.unprotect([UInt8](hex: exchange.protectedResponse))
            #expect(Hex.encode(response.bytes) == exchange.response)
        }
        #expect(host.sendSequenceCounter.bytes == [UInt8](hex: "887022120C06C22C"))
    }

    @Test("D.4: the card opens each protected command and protects each response exactly as published")
    func cardSession() throws {
        let keys = try SecureMessagingKeys(suite: .tripleDES, encryption: Self.ksEnc, mac: Self.ksMac)
        var card = try SecureMessagingCardSession(keys: keys, sendSequenceCounter: Self.ssc)
        for exchange in Self.exchanges {
            let command = try card.unprotect([UInt8](hex: exchange.protected))
            #expect(Hex.encode(command.bytes) == exchange.command)
            let protected = try card.protect(ResponseAPDU(hex: exchange.response))
            #expect(Hex.encode(protected) == exchange.protectedResponse)
        }
        #expect(card.sendSequenceCounter.bytes == [UInt8](hex: "887022120C06C22C"))
    }

    @Test("D.4 intermediate values: the 3DES cryptogram of 011E and the retail MAC of the padded N")
    func intermediates() throws {
        let key = try BlockCipherKey(tripleDES: Self.ksEnc)
        let padded = ISO7816Padding.pad([0x01, 0x1E], blockSize: 8)
        #expect(padded == [UInt8](hex: "011E800000000000"))
        #expect(
            try BlockCipher.encrypt(padded, key: key, mode: .cbc(iv: [UInt8](repeating: 0, count: 8)))
                == [UInt8](hex: "6375432908C044F6"))
        let n = [UInt8](hex: "887022120C06C2270CA4020C800000008709016375432908C044F68000000000")
        #expect(
            try RetailMAC.tag(for: n, key: BlockCipherKey(tripleDES: Self.ksMac), padding: .none)
                == [UInt8](hex: "BF8B92D635FF24F8"))
        // M.IFD is the retail MAC of E.IFD with padding method 2 applied by the MAC.
        #expect(
            try RetailMAC.tag(for: Array(Self.eIFDmIFD.prefix(32)), key: BlockCipherKey(tripleDES: Self.kMac))
                == Array(Self.eIFDmIFD.suffix(8)))
    }
}
