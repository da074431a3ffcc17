import CardCrypto
import Crypto
import CryptoExtras
import Foundation
import Testing

@Suite("RSA PKCS#1 v1.5 signing, as the card does it")
struct RSASigningTests {
    let key: RSAPrivateKey
    let pem: String
    /// The same key in swift-crypto (BoringSSL): the independent implementation the results are compared with.
    let other: _RSA.Signing.PrivateKey

    init() throws {
        self.pem = try Fixtures.pem("default-auth")
        self.key = try RSAPrivateKey(pemRepresentation: self.pem)
        self.other = try _RSA.Signing.PrivateKey(pemRepresentation: self.pem)
    }

    @Test("Signing a SHA-256 DigestInfo matches swift-crypto byte for byte")
    func sha256MatchesSwiftCrypto() throws {
        for message in ["", "abc", "COMPUTE DIGITAL SIGNATURE", String(repeating: "x", count: 10_000)] {
            let data = Array(message.utf8)
            let ours = try self.key.signPKCS1v15(raw: DigestInfo.of(.sha256, message: data))
            let theirs = try self.other.signature(for: SHA256.hash(data: data), padding: .insecurePKCS1v1_5)
            #expect(ours.count == 256)
            #expect(ours == Array(theirs.rawRepresentation))
            #expect(
                self.other.publicKey.isValidSignature(
                    _RSA.Signing.RSASignature(rawRepresentation: ours),
                    for: SHA256.hash(data: data),
                    padding: .insecurePKCS1v1_5
                )
            )
        }
    }

    @Test("Signing a SHA-1 DigestInfo (jpki-rs) matches swift-crypto byte for byte")
    func sha1MatchesSwiftCrypto() throws {
        let data = Array("jpki-rs signs SHA-1".utf8)
        let ours = try self.key.signPKCS1v15(raw: DigestInfo.of(.sha1, message: data))
        let theirs = try self.other.signature(for: Insecure.SHA1.hash(data: data), padding: .insecurePKCS1v1_5)
        #expect(ours == Array(theirs.rawRepresentation))
        let theirKey = try _RSA.Signing.PublicKey(derRepresentation: self.key.publicKey.derRepresentation)
        #expect(
            theirKey.isValidSignature(
                _RSA.Signing.RSASignature(rawRepresentation: ours),
                for: Insecure.SHA1.hash(data: data),
                padding: .insecurePKCS1v1_5
            )
        )
    }

    @Test("swift-crypto's signature verifies with this target's public key")
    func crossVerify() throws {
        let data = Array("made by BoringSSL".utf8)
        let theirs = Array(
            try self.other.signature(for: SHA256.hash(data: data), padding: .insecurePKCS1v1_5).rawRepresentation
        )
        #expect(self.key.publicKey.isValidPKCS1v15(signature: theirs, message: data, hash: .sha256))
        #expect(!self.key.publicKey.isValidPKCS1v15(signature: theirs, message: data, hash: .sha1))
        #expect(try self.key.publicKey.recoverPKCS1v15(signature: theirs) == DigestInfo.of(.sha256, message: data))
    }

    @Test("The public key is the one swift-crypto derives")
    func samePublicKey() {
        #expect(self.key.publicKey.derRepresentation == Array(self.other.publicKey.derRepresentation))
        #expect(self.key.modulusBitCount == 2048)
        #expect(self.key.publicKey.modulus.count == 256)
        #expect(self.key.publicKey.publicExponent == [0x01, 0x00, 0x01])
    }

    @Test("Recovery returns exactly the input, DigestInfo or not")
    func recoverExactInput() throws {
        // A DigestInfo, a TLS 1.0 MD5+SHA-1 blob (OpenSC's CKM_RSA_PKCS), one byte, and the longest input (k-11).
        let inputs: [[UInt8]] = [
            DigestInfo.of(.sha256, message: [1, 2, 3]),
            [UInt8](repeating: 0x5A, count: 36),
            [0x00],
            (0..<245).map { UInt8(truncatingIfNeeded: $0) },
        ]
        for input in inputs {
            let signature = try self.key.signPKCS1v15(raw: input)
            #expect(try self.key.publicKey.recoverPKCS1v15(signature: signature) == input)
            #expect(self.key.publicKey.isValidPKCS1v15(signature: signature, raw: input))
            #expect(!self.key.publicKey.isValidPKCS1v15(signature: signature, raw: input + [0]))
        }
    }

    @Test("An input of k-10 bytes is refused as too long")
    func inputTooLong() {
        #expect(throws: CardCrypto.CryptoError(code: .inputTooLong)) {
            try self.key.signPKCS1v15(raw: [UInt8](repeating: 1, count: 246))
        }
        #expect(throws: CardCrypto.CryptoError(code: .inputTooLong)) {
            try self.key.signPKCS1v15(raw: [UInt8](repeating: 1, count: 256))
        }
    }

    @Test("An empty input is refused")
    func emptyInput() {
        #expect(throws: CardCrypto.CryptoError(code: .emptyInput)) {
            try self.key.signPKCS1v15(raw: [])
        }
    }

    @Test("A tampered signature fails to verify and to recover")
    func tampered() throws {
        let input = DigestInfo.of(.sha256, message: Array("tamper".utf8))
        let signature = try self.key.signPKCS1v15(raw: input)
        for index in [0, 100, 255] {
            var bad = signature
            bad[index] ^= 0x01
            #expect(!self.key.publicKey.isValidPKCS1v15(signature: bad, raw: input))
            #expect(throws: CardCrypto.CryptoError(code: .invalidSignature)) {
                try self.key.publicKey.recoverPKCS1v15(signature: bad)
            }
        }
        // Wrong length, and another key.
        #expect(!self.key.publicKey.isValidPKCS1v15(signature: Array(signature.dropFirst()), raw: input))
        #expect(throws: CardCrypto.CryptoError(code: .invalidSignature)) {
            try self.key.publicKey.recoverPKCS1v15(signature: signature + [0])
        }
        let second = try Fixtures.key("second-auth")
        #expect(!second.publicKey.isValidPKCS1v15(signature: signature, raw: input))
    }

    @Test("A signature must be exactly k bytes, even when it starts with a zero byte")
    func exactLength() throws {
        // About one signature in 256 starts with 00; OpenSSL alone would accept it with that byte stripped.
        var counter: UInt32 = 0
        var input: [UInt8] = []
        var signature: [UInt8] = [1]
        while signature.first != 0 {
            counter += 1
            input = DigestInfo.of(.sha256, message: withUnsafeBytes(of: counter) { Array($0) })
            signature = try self.key.signPKCS1v15(raw: input)
        }
        #expect(signature.count == 256)
        #expect(self.key.publicKey.isValidPKCS1v15(signature: signature, raw: input))
        let stripped = Array(signature.dropFirst())
        #expect(!self.key.publicKey.isValidPKCS1v15(signature: stripped, raw: input))
        #expect(throws: CardCrypto.CryptoError(code: .invalidSignature)) {
            try self.key.publicKey.recoverPKCS1v15(signature: stripped)
        }
    }

    @Test("Signing is deterministic and safe from many tasks at once")
    func concurrentSigning() async throws {
        let key = self.key
        let inputs = (0..<16).map { DigestInfo.of(.sha256, message: [UInt8($0)]) }
        let expected = try inputs.map { try key.signPKCS1v15(raw: $0) }
        let results = try await withThrowingTaskGroup(of: (Int, [UInt8]).self) { group in
            for (index, input) in inputs.enumerated() {
                group.addTask { (index, try key.signPKCS1v15(raw: input)) }
            }
            var results = [[UInt8]](repeating: [], count: inputs.count)
            for try await (index, signature) in group {
                results[index] = signature
            }
            return results
        }
        #expect(results == expected)
    }

    @Test("Secret components are present, the right sizes, and distinct")
    func secretComponents() {
        let secrets = self.key.secretComponents
        #expect(Set(secrets.keys) == ["d", "p", "q", "dmp1", "dmq1", "iqmp"])
        for (name, value) in secrets {
            #expect(!value.isEmpty, "\(name) is empty")
            #expect(value.first != 0, "\(name) has a leading zero")
        }
        #expect((120...128).contains(secrets["p"]?.count ?? 0))
        #expect((120...128).contains(secrets["q"]?.count ?? 0))
        #expect((240...256).contains(secrets["d"]?.count ?? 0))
        for name in ["dmp1", "dmq1", "iqmp"] {
            #expect((100...128).contains(secrets[name]?.count ?? 0), "\(name)")
        }
        #expect(secrets["p"] != secrets["q"])
        #expect(Set(secrets.values).count == 6)
        #expect(!secrets.values.contains(self.key.publicKey.modulus))
    }

    @Test("Secret components differ between keys")
    func secretsDifferBetweenKeys() throws {
        let second = try Fixtures.key("second-auth").secretComponents
        for (name, value) in self.key.secretComponents {
            #expect(second[name] != value, "\(name)")
        }
    }
}
