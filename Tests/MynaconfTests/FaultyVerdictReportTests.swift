import Foundation
import Testing

/// On a deliberately faulty card, the verdict a certifier files (JUnit, HTML) is the console's: caught as declared
/// or not, and why.
@Suite("A faulty card's verdict in JUnit and HTML")
struct FaultyVerdictReportTests {
    @Test(
        "Caught as declared by the scenario that checks it; not as declared by a run that never looks",
        arguments: [
            ("Scenarios/jpki/key-extraction-auth.yaml", "caught as declared"),
            ("Scenarios/jpki/select-and-token.yaml", "not as declared"),
        ])
    func verdict(scenario: String, verdict: String) throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("verdict-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let junit = directory.appendingPathComponent("j.xml").path
        let html = directory.appendingPathComponent("r.html").path
        let result = try run([
            "run", scenario, "--card", "faulty/readable-auth-key", "--allow-destructive", "--junit", junit, "--html",
            html,
        ])
        #expect(result.status == (verdict == "caught as declared" ? 1 : 0), "\(result.stdout)\(result.stderr)")
        let junitText = try String(contentsOfFile: junit, encoding: .utf8)
        #expect(junitText.contains("name=\"card.expected-failures\" value=\"JPKI-KEY-01\""))
        #expect(junitText.contains("name=\"card.faulty-verdict\" value=\"\(verdict)\""), "\(junitText.prefix(3000))")
        let htmlText = try String(contentsOfFile: html, encoding: .utf8)
        #expect(htmlText.contains("Faulty card"))
        #expect(htmlText.contains(verdict == "caught as declared" ? "— caught as declared" : "NOT as declared"))
    }
}
