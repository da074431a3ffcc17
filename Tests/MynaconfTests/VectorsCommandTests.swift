import Foundation
import TestSupport
import Testing

/// `mynaconf vectors` as a pipeline runs it: output, closing line and exit codes.
@Suite("mynaconf vectors", .serialized)
struct VectorsCommandTests {
    static func closingLine(_ output: String) -> String? {
        output.split(separator: "\n").last.map(String.init)
    }

    @Test("The shipped vectors all pass: exit 0, closing 'N passed, 0 failed'")
    func shipped() throws {
        let result = try run(["vectors"])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        let last = try #require(Self.closingLine(result.stdout))
        #expect(last.range(of: #"^\d+ passed, 0 failed$"#, options: .regularExpression) != nil, "\(last)")
        #expect(Int(last.split(separator: " ")[0])! > 3000)
        #expect(result.stdout.contains("icao-9303-11-bac.kat: 8 passed, 0 failed"))
        #expect(result.stdout.contains("rsa_signature_2048_sha256_test.json: 258 passed, 0 failed, 1 acceptable"))
        #expect(result.stdout.contains("12 acceptable (either outcome is allowed; not counted below)"))
    }

    @Test("A file with failing cases: exit 1, each failure at file:line:column, output as the golden file")
    func failures() throws {
        let result = try run(["vectors", "Tests/MynaconfTests/Fixtures/vectors"])
        #expect(result.status == 1)
        let golden = try String(
            contentsOfFile: "\(repositoryRoot)/Tests/MynaconfTests/Golden/vectors-fixtures.txt", encoding: .utf8)
        #expect(result.stdout == golden)
        #expect(Self.closingLine(result.stdout) == "7 passed, 2 failed")
    }

    @Test("--emulator: the signature vectors through emulated cards, exit 0")
    func emulator() throws {
        let result = try run(["vectors", "--emulator"])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(
            result.stdout.contains(
                "rsa_pkcs1_2048_sig_gen_test.json (on the emulated card): 32 passed, 0 failed, 11 acceptable"))
        #expect(Self.closingLine(result.stdout) == "41 passed, 0 failed")
    }

    @Test("--emulator with no signature vectors is a usage error, not a vacuous pass")
    func emulatorWithoutSignatures() throws {
        let result = try run(["vectors", "--emulator", "Vectors/crypto/rfc4493-aes-cmac.kat"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("none of the files given has any"))
    }

    @Test("An unreadable file: exit 2, file:line:column on stderr, nothing run")
    func malformed() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("broken-\(UUID().uuidString).kat").path
        try "[aes-cmac]\nkey = 2b7e15 16x\nmessage =\ntag = 00\n".write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let result = try run(["vectors", "Vectors/crypto/rfc4493-aes-cmac.kat", path])
        #expect(result.status == 2)
        #expect(result.stderr.contains("\(path):2:16: error: key: invalid hex digit 'x'"), "\(result.stderr)")
        #expect(result.stderr.contains("1 file could not be read; nothing was run"))
        #expect(result.stdout.isEmpty)
    }

    @Test(
        "Missing files, folders without vectors and unknown file types: exit 2",
        arguments: [
            (["vectors", "no-such-file.kat"], "no-such-file.kat:1:1: error: no such file"),
            (["vectors", "Sources/APDU"], "Sources/APDU: error: the folder holds no vector files"),
            (["vectors", "README.md"], "README.md:1:1: error: not a vector file mynaconf reads"),
        ])
    func inputErrors(arguments: [String], message: String) throws {
        let result = try run(arguments)
        #expect(result.status == 2)
        #expect(result.stderr.contains(message), "\(result.stderr)")
    }

    @Test("Installed layout: found through MYNACONF_VECTORS from another directory")
    func fromElsewhere() throws {
        let result = try run(
            ["vectors", "--emulator"], environment: ["MYNACONF_VECTORS": "\(repositoryRoot)/Vectors"], directory: "/")
        #expect(result.status == 0, "\(result.stderr)")
    }
}
