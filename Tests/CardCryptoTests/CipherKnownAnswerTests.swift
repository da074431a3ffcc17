import CardCrypto
import Testing

/// The symmetric primitives against published known answers; the full NIST and Wycheproof files run through
/// `mynaconf vectors` (CryptoVectorsTests).
@Suite("Block ciphers, CMAC and the retail MAC: known answers")
struct CipherKnownAnswerTests {
    /// NIST SP 800-38A Appendix F.2: the same four plaintext blocks under AES-128/192/256 in CBC mode.
    static let plaintext = [UInt8](
        hex: """
            6bc1bee22e409f96e93d7e117393172a ae2d8a571e03ac9c9eb76fac45af8e51
            30c81c46a35ce411e5fbc1191a0a52ef f69f2445df4f9b17ad2b417be66c3710
            """)
    static let iv = [UInt8](hex: "000102030405060708090a0b0c0d0e0f")

    @Test(
        "SP 800-38A F.2.1/F.2.3/F.2.5: AES-CBC encrypts and decrypts",
        arguments: [
            (
                "2b7e151628aed2a6abf7158809cf4f3c",
                "7649abac8119b246cee98e9b12e9197d5086cb9b507219ee95db113a917678b2"
                    + "73bed6b8e3c1743b7116e69e222295163ff1caa1681fac09120eca307586e1a7"
            ),
            (
                "8e73b0f7da0e6452c810f32b809079e562f8ead2522c6b7b",
                "4f021db243bc633d7178183a9fa071e8b4d9ada9ad7dedf4e5e738763f69145a"
                    + "571b242012fb7ae07fa9baac3df102e008b0e27988598881d920a9e64f5615cd"
            ),
            (
                "603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4",
                "f58c4c04d6e5f1ba779eabfb5f7bfbd69cfc4e967edb808d679f777bc6702c7d"
                    + "39f23369a9d9bacfa530e26304231461b2eb05e2c39be9fcda6c19078c6a9d1b"
            ),
        ])
    func aesCBC(key: String, ciphertext: String) throws {
        let key = try BlockCipherKey(aes: [UInt8](hex: key))
        let encrypted = try BlockCipher.encrypt(Self.plaintext, key: key, mode: .cbc(iv: Self.iv))
        #expect(encrypted.hex == ciphertext)
        #expect(try BlockCipher.decrypt(encrypted, key: key, mode: .cbc(iv: Self.iv)) == Self.plaintext)
    }

    @Test("AES-ECB of one block is CBC with a zero IV")
    func aesECB() throws {
        let key = try BlockCipherKey(aes: [UInt8](hex: "2b7e151628aed2a6abf7158809cf4f3c"))
        let block = Array(Self.plaintext.prefix(16))
        #expect(
            try BlockCipher.encrypt(block, key: key, mode: .ecb)
                == BlockCipher.encrypt(block, key: key, mode: .cbc(iv: [UInt8](repeating: 0, count: 16))))
        // SP 800-38A F.1.1, first block.
        #expect(try BlockCipher.encrypt(block, key: key, mode: .ecb).hex == "3ad77bb40d7a3660a89ecaf32466ef97")
    }

    @Test(
        "RFC 4493 §4: AES-CMAC examples 1–4",
        arguments: [
            (0, "bb1d6929e95937287fa37d129b756746"),
            (16, "070a16b46b4d4144f79bdd9dd04a287c"),
            (40, "dfa66747de9ae63030ca32611497c827"),
            (64, "51f0bebf7e3b9d92fc49741779363cfe"),
        ])
    func cmac(length: Int, tag: String) throws {
        let key = try BlockCipherKey(aes: [UInt8](hex: "2b7e151628aed2a6abf7158809cf4f3c"))
        #expect(try CMAC.tag(for: Array(Self.plaintext.prefix(length)), key: key).hex == tag)
    }

    @Test("A two-key 3DES key is K1‖K2‖K1: the same cryptogram as the three-key form")
    func twoKeyTripleDES() throws {
        let k1k2 = [UInt8](hex: "AB94FDECF2674FDFB9B391F85D7F76F2")
        let data = [UInt8](repeating: 0x5A, count: 24)
        let iv = [UInt8](repeating: 0, count: 8)
        #expect(
            try BlockCipher.encrypt(data, key: BlockCipherKey(tripleDES: k1k2), mode: .cbc(iv: iv))
                == BlockCipher.encrypt(data, key: BlockCipherKey(tripleDES: k1k2 + k1k2.prefix(8)), mode: .cbc(iv: iv)))
    }

    @Test("The retail MAC: one block, several blocks, and the ICAO M.IFD")
    func retailMAC() throws {
        let key = try BlockCipherKey(tripleDES: [UInt8](hex: "7962D9ECE03D1ACD4C76089DCE131543"))
        let eIFD = [UInt8](hex: "72C29C2371CC9BDB65B779B8E8D37B29ECC154AA56A8799FAE2F498F76ED92F2")
        #expect(try RetailMAC.tag(for: eIFD, key: key).hex == "5f1448eea8ad90a7")
        // One block of input: no CBC chain, just E_K1(D_K2(E_K1(x))), i.e. one 3DES block.
        let block = [UInt8](hex: "0102030405060708")
        #expect(
            try RetailMAC.tag(for: block, key: key, padding: .none) == BlockCipher.encrypt(block, key: key, mode: .ecb))
    }

    @Test("SHA-224/384/512 of \"abc\" (FIPS 180-2) and their DigestInfo prefixes decode back")
    func sha2() {
        #expect(
            HashAlgorithm.sha224.hash(Array("abc".utf8)).hex
                == "23097d223405d8228642a477bda255b32aadbce4bda0b3f7e36c9da7")
        #expect(
            HashAlgorithm.sha384.hash(Array("abc".utf8)).hex
                == "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7")
        #expect(
            HashAlgorithm.sha512.hash(Array("abc".utf8)).hex
                == "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
                + "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f")
        for algorithm in [HashAlgorithm.sha224, .sha384, .sha512] {
            let info = DigestInfo.of(algorithm, message: [1, 2, 3])
            #expect(info.count == 19 + algorithm.digestLength)
            #expect(DigestInfo.decode(info)?.algorithm == algorithm)
        }
    }

    @Test("Keys of the wrong length are refused with the lengths that are allowed")
    func keyLengths() throws {
        for length in [0, 8, 15, 17, 20, 33, 64] {
            let error = thrown { try BlockCipherKey(aes: [UInt8](repeating: 1, count: length)) }
            #expect(error?.code == .invalidKeyLength)
            #expect(error?.reason.contains("16, 24 or 32") == true)
        }
        for length in [0, 8, 15, 32] {
            #expect(
                thrown { try BlockCipherKey(tripleDES: [UInt8](repeating: 1, count: length)) }?.code
                    == .invalidKeyLength)
        }
        #expect(
            thrown { try RetailMAC.tag(for: [1], key: BlockCipherKey(aes: [UInt8](repeating: 1, count: 16))) }?.code
                == .invalidKeyLength)
        #expect(try BlockCipherKey(aes: [UInt8](repeating: 1, count: 16)).description == "AES-128 key")
        #expect(try BlockCipherKey(tripleDES: [UInt8](repeating: 1, count: 16)).description == "2-key 3DES key")
    }

    @Test("Data that is not whole blocks, and IVs of the wrong size, are refused")
    func dataLengths() throws {
        let key = try BlockCipherKey(aes: [UInt8](repeating: 1, count: 16))
        let error = thrown { try BlockCipher.encrypt([UInt8](repeating: 0, count: 15), key: key, mode: .ecb) }
        #expect(error?.code == .invalidDataLength)
        #expect(error?.reason.contains("pad the data first") == true)
        #expect(thrown { try BlockCipher.decrypt([0], key: key, mode: .ecb) }?.code == .invalidDataLength)
        #expect(
            thrown { try BlockCipher.encrypt([UInt8](repeating: 0, count: 16), key: key, mode: .cbc(iv: [0])) }?.code
                == .invalidDataLength)
        #expect(try BlockCipher.encrypt([], key: key, mode: .ecb) == [])
        let des = try BlockCipherKey(tripleDES: [UInt8](repeating: 1, count: 16))
        #expect(thrown { try RetailMAC.tag(for: [1, 2, 3], key: des, padding: .none) }?.code == .invalidDataLength)
        #expect(thrown { try RetailMAC.tag(for: [], key: des, padding: .none) }?.code == .invalidDataLength)
    }
}

@Suite("ISO/IEC 7816-4 padding")
struct ISO7816PaddingTests {
    @Test("Padding adds 80 then 00 to a whole block, a whole block when the data already is one")
    func pad() {
        #expect(ISO7816Padding.pad([], blockSize: 8) == [0x80, 0, 0, 0, 0, 0, 0, 0])
        #expect(ISO7816Padding.pad([1, 2, 3, 4, 5, 6, 7], blockSize: 8) == [1, 2, 3, 4, 5, 6, 7, 0x80])
        #expect(ISO7816Padding.pad([UInt8](repeating: 9, count: 8), blockSize: 8).count == 16)
        #expect(ISO7816Padding.pad([1], blockSize: 16).count == 16)
    }

    @Test("Unpadding inverts padding for every length up to three blocks")
    func roundTrip() throws {
        for blockSize in [8, 16] {
            for length in 0...(3 * blockSize) {
                let data = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 0x80) }
                #expect(
                    try ISO7816Padding.unpad(ISO7816Padding.pad(data, blockSize: blockSize), blockSize: blockSize)
                        == data)
            }
        }
    }

    @Test(
        "Bad padding is named with the byte that breaks it",
        arguments: [
            ("0102030405060700", "byte 6 of the decrypted data is 07"),
            ("0000000000000000", "80 byte is missing"),
            ("0102030405068001", "byte 7 of the decrypted data is 01"),
            ("01020304050607", "non-empty whole number of 8-byte blocks"),
            ("", "non-empty whole number"),
            ("0102030405060708 8000000000000000 0000000000000000", "80 byte is missing"),
        ])
    func invalid(hex: String, message: String) {
        let error = thrown { try ISO7816Padding.unpad([UInt8](hex: hex), blockSize: 8) }
        #expect(error?.code == .invalidPadding)
        #expect(error?.reason.contains(message) == true, "\(String(describing: error))")
    }
}
