import CardCrypto
import Foundation
import Testing

@testable import CryptoVectors

/// The done-when of the issue: every named vector file passes unchanged, and the ICAO example replays byte for byte.
@Suite("The shipped vector files")
struct ShippedVectorsTests {
    /// Each file with the number of cases it must pass (and of acceptable ones): a file that silently lost cases to
    /// a parser change would still "pass" without these counts.
    static let expected: [(file: String, passed: Int, acceptable: Int)] = [
        ("icao-9303-11-bac.kat", 8, 0),
        ("mynaconf-sm.kat", 16, 0),
        ("rfc4493-aes-cmac.kat", 5, 0),
        ("sp800-38a-aes-cbc.kat", 3, 0),
        ("nist/TCBCMMT2.rsp", 20, 0),
        ("nist/TCBCMMT3.rsp", 20, 0),
        ("nist/CBCGFSbox128.rsp", 14, 0), ("nist/CBCGFSbox192.rsp", 12, 0), ("nist/CBCGFSbox256.rsp", 10, 0),
        ("nist/CBCKeySbox128.rsp", 42, 0), ("nist/CBCKeySbox192.rsp", 48, 0), ("nist/CBCKeySbox256.rsp", 32, 0),
        ("nist/CBCVarKey128.rsp", 256, 0), ("nist/CBCVarKey192.rsp", 384, 0), ("nist/CBCVarKey256.rsp", 512, 0),
        ("nist/CBCVarTxt128.rsp", 256, 0), ("nist/CBCVarTxt192.rsp", 256, 0), ("nist/CBCVarTxt256.rsp", 256, 0),
        ("nist/CBCMMT128.rsp", 20, 0), ("nist/CBCMMT192.rsp", 20, 0), ("nist/CBCMMT256.rsp", 20, 0),
        ("nist/CBCMCT128.rsp", 200, 0), ("nist/CBCMCT192.rsp", 200, 0), ("nist/CBCMCT256.rsp", 200, 0),
        ("wycheproof/rsa_signature_2048_sha256_test.json", 258, 1),
        ("wycheproof/rsa_pkcs1_2048_sig_gen_test.json", 32, 11),
        ("wycheproof/aes_cmac_test.json", 311, 0),
    ]

    @Test("Every case of every shipped file passes, with the expected count", arguments: expected)
    func passes(file: String, passed: Int, acceptable: Int) throws {
        let result = runKnownAnswers(try VectorFile.load(path: "\(cryptoVectors)/\(file)"))
        let failures = result.results.compactMap { result -> String? in
            if case .failed(let reason) = result.outcome { return "\(result.vectorCase.location): \(reason)" }
            return nil
        }
        #expect(failures.isEmpty, "\(failures.prefix(5).joined(separator: "\n"))")
        #expect(result.passed == passed)
        #expect(result.acceptable == acceptable)
    }

    @Test("Every vector file in Vectors/crypto is in the list above")
    func nothingUnlisted() throws {
        let found = (FileManager.default.enumerator(atPath: cryptoVectors)?.allObjects as? [String] ?? [])
            .filter { $0.hasSuffix(".kat") || $0.hasSuffix(".rsp") || $0.hasSuffix(".json") }
        #expect(Set(found) == Set(Self.expected.map(\.file)))
    }

    @Test("The published files are byte for byte what SHA256SUMS records (unchanged, line endings included)")
    func unchanged() throws {
        let manifest = try String(contentsOfFile: "\(cryptoVectors)/SHA256SUMS", encoding: .utf8)
        let entries = manifest.split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true) }
        #expect(entries.count == 23)
        for entry in entries {
            let data = try Data(contentsOf: URL(fileURLWithPath: "\(cryptoVectors)/\(entry[1])"))
            let digest = HashAlgorithm.sha256.hash([UInt8](data)).map { String(format: "%02x", $0) }.joined()
            #expect(digest == String(entry[0]), "\(entry[1]) changed")
        }
        let rsp = try Data(contentsOf: URL(fileURLWithPath: "\(cryptoVectors)/nist/TCBCMMT2.rsp"))
        #expect(rsp.prefix(12).contains(0x0D), "the NIST files keep their CRLF line endings")
    }

    @Test("The ICAO file replays D.2, D.3 and D.4 and refuses the tampered checksum with macMismatch")
    func icao() throws {
        let file = try VectorFile.load(path: "\(cryptoVectors)/icao-9303-11-bac.kat")
        let names = file.cases.map(\.name)
        #expect(names.contains { $0.hasPrefix("D.3: GET CHALLENGE, MUTUAL AUTHENTICATE") })
        #expect(names.contains { $0.hasPrefix("D.4: SELECT EF.COM") })
        let tampered = try #require(file.cases.first { $0.expectation == .invalid })
        #expect(tampered.expectedError == "macMismatch")
        #expect(CaseOutcome.judge(tampered.expectation, tampered.check.run(), error: tampered.expectedError) == .passed)
        // The same tampered case claimed to be refused for another reason must fail: the error name is checked.
        #expect(CaseOutcome.judge(.invalid, tampered.check.run(), error: "invalidPadding") != .passed)
    }
}
