import Foundation
import TestSupport
import Testing

/// scripts/generate-sm-vectors.py is a second implementation of secure messaging in Python (pyca/cryptography): it
/// recomputes the ICAO worked example and must produce Vectors/crypto/mynaconf-sm.kat exactly as committed, which
/// the Swift side must pass (ShippedVectorsTests). Needs Debian's python3-cryptography (`make test` installs it).
@Suite("The independent Python implementation agrees")
struct GeneratorTests {
    @Test("generate-sm-vectors.py --check: ICAO reproduced, mynaconf-sm.kat identical")
    func independentImplementation() throws {
        let result = try runTool(
            "/usr/bin/python3", ["\(repositoryRoot)/scripts/generate-sm-vectors.py", "--check"],
            debianPackage: "python3-cryptography")
        let text = result.output
        #expect(result.status == 0, "\(result)")
        #expect(text.contains("every published value reproduced"), "\(text)")
        #expect(text.contains("identical to the independent computation"), "\(text)")
    }
}
