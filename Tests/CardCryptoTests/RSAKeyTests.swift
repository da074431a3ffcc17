import CardCrypto
import Crypto
import CryptoExtras
import Foundation
import Testing

@Suite("RSA keys: PEM, DER, generation, public keys")
struct RSAKeyTests {
    @Test("Every committed key loads as RSA-2048 with e = 65537", arguments: Fixtures.keyNames)
    func committedKeys(name: String) throws {
        let pem = try Fixtures.pem(name)
        let key = try RSAPrivateKey(pemRepresentation: pem)
        #expect(key.modulusBitCount == 2048)
        #expect(key.publicKey.publicExponent == [0x01, 0x00, 0x01])
        // Written back as PKCS#8 PEM, exactly as `openssl genpkey` wrote it.
        #expect(key.pemRepresentation == pem)
        #expect(pem.hasPrefix("-----BEGIN PRIVATE KEY-----\n"))
        // And swift-crypto reads the same key from it.
        let other = try _RSA.Signing.PrivateKey(derRepresentation: key.derRepresentation)
        #expect(Array(other.publicKey.derRepresentation) == key.publicKey.derRepresentation)
    }

    @Test("The six committed keys are six different keys")
    func distinctKeys() throws {
        let moduli = try Fixtures.keyNames.map { try Fixtures.key($0).publicKey.modulus }
        #expect(Set(moduli).count == Fixtures.keyNames.count)
    }

    @Test("A PKCS#1 'RSA PRIVATE KEY' loads as the same key")
    func pkcs1() throws {
        let key = try Fixtures.key("default-sign")
        let pkcs1 = try _RSA.Signing.PrivateKey(derRepresentation: key.derRepresentation).pemRepresentation
        #expect(pkcs1.hasPrefix("-----BEGIN RSA PRIVATE KEY-----"))
        let reloaded = try RSAPrivateKey(pemRepresentation: pkcs1)
        #expect(reloaded.publicKey == key.publicKey)
        #expect(reloaded.derRepresentation == key.derRepresentation)
    }

    @Test("Garbage is refused as invalid PEM")
    func garbage() {
        for text in ["", "hello", "-----BEGIN PRIVATE KEY-----\nnot base64!!\n-----END PRIVATE KEY-----\n"] {
            #expect(throws: CardCrypto.CryptoError(code: .invalidPEM)) {
                try RSAPrivateKey(pemRepresentation: text)
            }
        }
    }

    @Test("A public key or a certificate is not a private key")
    func publicKeyAsPrivate() throws {
        let publicPEM = try Fixtures.key("default-auth").publicKey.pemRepresentation
        #expect(publicPEM.hasPrefix("-----BEGIN PUBLIC KEY-----"))
        let error = try #require(
            caught { () throws(CardCrypto.CryptoError) in try RSAPrivateKey(pemRepresentation: publicPEM) }
        )
        #expect(error.code == .invalidPEM)
        #expect(error.reason.contains("PUBLIC KEY"))
    }

    @Test("EC and Ed25519 keys are refused as unsupported, naming the type")
    func nonRSA() throws {
        // Made with `openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256` and `-algorithm ED25519`.
        let ec = """
            -----BEGIN PRIVATE KEY-----
            MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgaT1kv5XzyK1wnoi2
            9sunV7l63EhsXWqyDTvvpOaa7d2hRANCAARTvW/ehbHyy4gdaS15RXulusvxhXN2
            le/J7I/Ky2keKC6zppix/1av7oopucDL+uVEutRAga63Wd0NVZF+7N2E
            -----END PRIVATE KEY-----
            """
        let ecError = try #require(
            caught { () throws(CardCrypto.CryptoError) in try RSAPrivateKey(pemRepresentation: ec) }
        )
        #expect(ecError.code == .unsupportedKeyType)
        #expect(ecError.reason.contains("EC"))

        let ed25519 = """
            -----BEGIN PRIVATE KEY-----
            MC4CAQAwBQYDK2VwBCIEILJkU+KGVHgwoUrW+h/rPK00rpWDPTWKttIkNyKpGGfN
            -----END PRIVATE KEY-----
            """
        #expect(throws: CardCrypto.CryptoError(code: .unsupportedKeyType)) {
            try RSAPrivateKey(pemRepresentation: ed25519)
        }

        let sec1 = P256.Signing.PrivateKey().pemRepresentation
        #expect(sec1.hasPrefix("-----BEGIN EC PRIVATE KEY-----") || sec1.hasPrefix("-----BEGIN PRIVATE KEY-----"))
        #expect(throws: CardCrypto.CryptoError(code: .unsupportedKeyType)) {
            try RSAPrivateKey(pemRepresentation: sec1)
        }
    }

    @Test("An encrypted key is refused without prompting for a password")
    func encrypted() throws {
        // `openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 | openssl pkcs8 -topk8 -v2 aes-256-cbc`
        let pkcs8 = """
            -----BEGIN ENCRYPTED PRIVATE KEY-----
            MIIC3TBXBgkqhkiG9w0BBQ0wSjApBgkqhkiG9w0BBQwwHAQI/Uo5hjsK34cCAggA
            MAwGCCqGSIb3DQIJBQAwHQYJYIZIAWUDBAEqBBBzjrAHXYuQX3I+J+3w7KBIBIIC
            gIj+NlMoyABBQD3s1+hbucRRgx3x9S1MS+RYnlabU0UewYB5WqxWagAZkL0FVkRq
            EriLPLSkpNo6iD/tlP4Eap/KHPohoqcLZS/D3xFxQAC5eGCCnzm2GZbGQxwikMax
            d5cq+xclWBod4IwW+GN3Z2ze4oJwjX+GCtnmIpnenuB/7jF+Qv8W9AWu2ChJ6rMt
            c7yj0zVL5q1E5jCE3kN1Oa8rsLqYcUE3rA4Su8bitTe01IvWZK2NQUEJs0ioxYKq
            6bgmG1xTTDl74wQQuvOQtDVoyJLf4Vy3qp3XQvzP0d+hTyh2XkNgXsQFKVS1HWk/
            USaJhJAwMIVf2LfXeGA4lnex2KK/7jylfGo5FjzSNWqVtmA2V3k3jnWBcv3RGlEY
            78olvkp9KyJufT3S1aiCFs2CbPSYHkUyLUBMePjfiizbNqdkTdWpeMcNusCy5TGs
            BP0l3ARGYGjM4mvokIFVmz75hwH8NcScZPNkYm/0nuJRV94rphi5JpOUGntj54v4
            A6paH3JElvx1sc3+W77a/uM0CTpsmqo53iN2eRB4BJfcirL86Al+LxOcarx+lwXh
            +xZTSBg+Ls0F96fsAQoXtiyXxUIuYoWgP3i8O+5Z0Ee7FigU5JeliASvcnkQ5Q0V
            qaweA7iOObIQCE2f20rZBYWZbkNT1/Yg0sT96bcEC41tQLuLVsKgFJjlYrrVlSfM
            G5SeOkuYQzDYLwJ91WMhNj71hZlJuE3SRO4VlqUyUojdNptsJedvOMMPWiJNz3q7
            GzBeefLILp47NTLcd475BVJUTiH03Nf/VuTD183+b+fauol9nqXqOXL12jlGUllh
            Z8mAJC6aFpsO0xaoSMhPoFw=
            -----END ENCRYPTED PRIVATE KEY-----
            """
        #expect(throws: CardCrypto.CryptoError(code: .encryptedKey)) { try RSAPrivateKey(pemRepresentation: pkcs8) }
        let legacy = """
            -----BEGIN RSA PRIVATE KEY-----
            Proc-Type: 4,ENCRYPTED
            DEK-Info: AES-128-CBC,00000000000000000000000000000000

            AAAA
            -----END RSA PRIVATE KEY-----
            """
        #expect(throws: CardCrypto.CryptoError(code: .encryptedKey)) { try RSAPrivateKey(pemRepresentation: legacy) }
    }

    @Test("Generated keys have the asked size and survive a PEM round trip")
    func generate() throws {
        let key = try RSAPrivateKey.generate(bits: 1024)
        #expect(key.modulusBitCount == 1024)
        let reloaded = try RSAPrivateKey(pemRepresentation: key.pemRepresentation)
        #expect(reloaded.derRepresentation == key.derRepresentation)
        let signature = try key.signPKCS1v15(raw: [1, 2, 3])
        #expect(signature.count == 128)
        #expect(reloaded.publicKey.isValidPKCS1v15(signature: signature, raw: [1, 2, 3]))
        // k-11 follows the key size.
        #expect(throws: CardCrypto.CryptoError(code: .inputTooLong)) {
            try key.signPKCS1v15(raw: [UInt8](repeating: 1, count: 118))
        }
        #expect(try RSAPrivateKey.generate().modulusBitCount == 2048)
        #expect(try RSAPrivateKey.generate(bits: 1024).publicKey != key.publicKey)
    }

    @Test("Key sizes outside 1024...8192 are refused")
    func generateBadSize() {
        for bits in [0, 512, 1023, 8193] {
            #expect(throws: CardCrypto.CryptoError(code: .invalidKeySize)) { try RSAPrivateKey.generate(bits: bits) }
        }
    }

    @Test("A public key from its numbers equals the one from DER")
    func publicKeyFromNumbers() throws {
        let key = try Fixtures.key("default-auth").publicKey
        let rebuilt = try RSAPublicKey(modulus: key.modulus, publicExponent: key.publicExponent)
        #expect(rebuilt == key)
        #expect(rebuilt.derRepresentation == key.derRepresentation)
        let padded = try RSAPublicKey(modulus: [0, 0] + key.modulus, publicExponent: [0] + key.publicExponent)
        #expect(padded == key)
        #expect(padded.modulus == key.modulus)
        #expect(padded.modulusBitCount == 2048)
        #expect(Set([key, rebuilt, padded]).count == 1)
    }

    @Test("Impossible RSA numbers are refused")
    func badNumbers() throws {
        let modulus = try Fixtures.key("default-auth").publicKey.modulus
        var even = modulus
        even[even.count - 1] &= 0xFE
        #expect(throws: CardCrypto.CryptoError(code: .invalidKey)) {
            try RSAPublicKey(modulus: even, publicExponent: [1, 0, 1])
        }
        #expect(throws: CardCrypto.CryptoError(code: .invalidKey)) {
            try RSAPublicKey(modulus: [], publicExponent: [1, 0, 1])
        }
        #expect(throws: CardCrypto.CryptoError(code: .invalidKey)) {
            try RSAPublicKey(modulus: modulus, publicExponent: [1])
        }
        #expect(throws: CardCrypto.CryptoError(code: .invalidKey)) {
            try RSAPublicKey(modulus: modulus, publicExponent: [2])
        }
        #expect(throws: CardCrypto.CryptoError(code: .invalidKey)) {
            try RSAPublicKey(modulus: modulus, publicExponent: [])
        }
    }

    @Test("SubjectPublicKeyInfo: garbage, trailing bytes and EC keys are refused")
    func badSubjectPublicKeyInfo() throws {
        let der = try Fixtures.key("default-auth").publicKey.derRepresentation
        #expect(throws: CardCrypto.CryptoError(code: .invalidKey)) {
            try RSAPublicKey(derRepresentation: [0x30, 0x03, 0x02, 0x01, 0x01])
        }
        #expect(throws: CardCrypto.CryptoError(code: .invalidKey)) { try RSAPublicKey(derRepresentation: []) }
        #expect(throws: CardCrypto.CryptoError(code: .invalidKey)) { try RSAPublicKey(derRepresentation: der + [0]) }
        let ec = Array(P256.Signing.PrivateKey().publicKey.derRepresentation)
        #expect(throws: CardCrypto.CryptoError(code: .unsupportedKeyType)) { try RSAPublicKey(derRepresentation: ec) }
    }

    @Test("Public-key PEM is readable by swift-crypto")
    func publicPEM() throws {
        let key = try Fixtures.key("second-sign").publicKey
        let other = try _RSA.Signing.PublicKey(pemRepresentation: key.pemRepresentation)
        #expect(Array(other.derRepresentation) == key.derRepresentation)
    }
}
