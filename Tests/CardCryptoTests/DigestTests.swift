import CardCrypto
import Testing

@Suite("Digests and DigestInfo")
struct DigestTests {
    // FIPS 180-2 appendix examples plus the empty message.
    @Test(
        "SHA-1 and SHA-256 known answers",
        arguments: [
            (HashAlgorithm.sha1, "abc", "a9993e364706816aba3e25717850c26c9cd0d89d"),
            (.sha1, "", "da39a3ee5e6b4b0d3255bfef95601890afd80709"),
            (
                .sha1, "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
                "84983e441c3bd26ebaae4aa1f95129e5e54670f1"
            ),
            (.sha256, "abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
            (.sha256, "", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
            (
                .sha256, "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
                "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
            ),
        ]
    )
    func knownAnswers(algorithm: HashAlgorithm, message: String, expected: String) {
        let digest = algorithm.hash(Array(message.utf8))
        #expect(digest.hex == expected)
        #expect(digest.count == algorithm.digestLength)
    }

    @Test("A million 'a' (FIPS 180-2 third example)")
    func millionA() {
        let message = [UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)
        #expect(HashAlgorithm.sha1.hash(message).hex == "34aa973cd4c4daa4f61eeb2bdbad27316534016f")
        #expect(
            HashAlgorithm.sha256.hash(message).hex == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"
        )
    }

    @Test("Digest lengths")
    func lengths() {
        #expect(HashAlgorithm.sha1.digestLength == 20)
        #expect(HashAlgorithm.sha256.digestLength == 32)
        #expect(HashAlgorithm.allCases == [.sha1, .sha256, .sha224, .sha384, .sha512])
        #expect(HashAlgorithm(rawValue: "sha256") == .sha256)
    }

    @Test("DigestInfo prefixes are byte-exact")
    func prefixes() {
        let sha1 = DigestInfo.encode(.sha1, digest: [UInt8](repeating: 0xAB, count: 20))
        #expect(sha1.hex == "3021300906052b0e03021a05000414" + String(repeating: "ab", count: 20))
        let sha256 = DigestInfo.encode(.sha256, digest: [UInt8](repeating: 0xCD, count: 32))
        #expect(sha256.hex == "3031300d060960864801650304020105000420" + String(repeating: "cd", count: 32))
        #expect(sha1.count == 35)
        #expect(sha256.count == 51)
    }

    @Test("DigestInfo.of hashes then encodes")
    func of() {
        let message = Array("abc".utf8)
        #expect(
            DigestInfo.of(.sha256, message: message).hex
                == "3031300d060960864801650304020105000420"
                + "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        )
        #expect(
            DigestInfo.of(.sha1, message: message) == DigestInfo.encode(.sha1, digest: HashAlgorithm.sha1.hash(message))
        )
    }

    @Test("DigestInfo decodes what it encodes", arguments: HashAlgorithm.allCases)
    func roundTrip(algorithm: HashAlgorithm) throws {
        let digest = algorithm.hash(Array("round trip".utf8))
        let decoded = try #require(DigestInfo.decode(DigestInfo.encode(algorithm, digest: digest)))
        #expect(decoded.algorithm == algorithm)
        #expect(decoded.digest == digest)
    }

    @Test("DigestInfo.decode refuses what is not a canonical DigestInfo of a known hash")
    func decodeRefuses() {
        let good = DigestInfo.of(.sha256, message: [1, 2, 3])
        #expect(DigestInfo.decode(Array(good.dropLast())) == nil)
        #expect(DigestInfo.decode(good + [0]) == nil)
        #expect(DigestInfo.decode([]) == nil)
        // SHA-256 without the NULL parameters: valid DER, but not what clients send.
        let noNull: [UInt8] = [
            0x30, 0x2F, 0x30, 0x0B, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x04, 0x20,
        ]
        #expect(DigestInfo.decode(noNull + [UInt8](repeating: 0, count: 32)) == nil)
        // SHA3-256's prefix (an algorithm this target does not know).
        let sha3 = [UInt8](hex: "3031300d060960864801650304020805000420") + [UInt8](repeating: 0, count: 32)
        #expect(DigestInfo.decode(sha3) == nil)
        // SHA-384's prefix is known since the SHA-2 family was added.
        let sha384 = [UInt8](hex: "3041300d060960864801650304020205000430") + [UInt8](repeating: 0, count: 48)
        #expect(DigestInfo.decode(sha384)?.algorithm == .sha384)
        // A bare 32-byte hash.
        #expect(DigestInfo.decode(HashAlgorithm.sha256.hash([])) == nil)
    }
}
