import Foundation
import Testing

/// scripts/generate-sm-vectors.py is a second implementation of secure messaging in Python (pyca/cryptography): it
/// recomputes the ICAO worked example and must produce Vectors/crypto/mynaconf-sm.kat exactly as committed, which
/// the Swift side must pass (ShippedVectorsTests). Needs Debian's python3-cryptography (`make test` installs it).
@Suite("The independent Python implementation agrees")
struct GeneratorTests {
    @Test("generate-sm-vectors.py --check: ICAO reproduced, mynaconf-sm.kat identical")
    func independentImplementation() throws {
        let python = "/usr/bin/python3"
        try #require(
            FileManager.default.isExecutableFile(atPath: python),
            "Debian's python3 is missing: run scripts/install-deps (it installs python3-cryptography)")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = ["\(repositoryRoot)/scripts/generate-sm-vectors.py", "--check"]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(text)")
        #expect(text.contains("every published value reproduced"), "\(text)")
        #expect(text.contains("identical to the independent computation"), "\(text)")
    }
}
