import Foundation
import Testing

@Suite("mynaconf timings: a recorded install transcript against the seed's budgets")
struct InstallTimingsCommandTests {
    let sample = "Vectors/transcripts/synthetic-install.txt"

    @Test("The synthetic sample keeps the default budgets; every phase is reported, labelled as an assumption")
    func withinBudget() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("timings-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let json = directory.appendingPathComponent("t.json").path
        let junit = directory.appendingPathComponent("t.xml").path
        let result = try run(["timings", sample, "--json", json, "--junit", junit])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("2 complete installs"))
        let report = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as? [String: Any])
        #expect(report["cardApProfile"] as? String == "mynaconf MCAP-1 (assumption)")
        let phases = (report["phases"] as? [[String: Any]])?.compactMap { $0["phase"] as? String }
        #expect(phases == ["authentication", "region_creation", "download", "user_id", "activation", "install"])
        let download = (report["phases"] as? [[String: Any]])?.first { $0["phase"] as? String == "download" }
        #expect(download?["budgetMs"] as? Double == 52_500)
        #expect(download?["maxMs"] as? Double == 34_120)
        let xml = try String(contentsOfFile: junit, encoding: .utf8)
        #expect(xml.contains("failures=\"0\"") && xml.contains("name=\"p95Ms\""))
    }

    @Test("A budget the installer misses fails with exit 1 and names the phase")
    func overBudget() throws {
        let result = try run(["timings", sample, "--install-budget", "download=2s"])
        #expect(result.status == 1)
        #expect(result.stdout.contains("OVER BUDGET") && result.stdout.contains("install timings: FAILED"))
    }

    @Test("Bad input is named file:line:column with exit 2")
    func badInput() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("bad-\(UUID()).txt").path
        try "# x\n10 > 00 A4 04 0C\n5 < 90 00\n".write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let result = try run(["timings", path])
        #expect(result.status == 2)
        #expect(result.stderr.contains("\(path):3:1: error: time 5 ms runs backwards"), "\(result.stderr)")
        let budget = try run(["timings", sample, "--install-budget", "downlaod=2s"])
        #expect(budget.status == 2 && budget.stderr.contains("a phase one of"))
    }

    @Test("Numbers past Duration's range are input errors with exit 2, never a trap")
    func hugeNumbers() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("huge-\(UUID()).txt").path
        try "# huge\n  1e17 > 00 A4 04 0C 01 00\n".write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let transcript = try run(["timings", path])
        #expect(transcript.status == 2, "\(transcript.stderr)")
        let words = "\(path):2:3: error: time 1e17 ms is past the latest"
        #expect(transcript.stderr.contains(words), "\(transcript.stderr)")
        let budget = try run(["timings", sample, "--install-budget", "download=1e30s"])
        #expect(budget.status == 2, "\(budget.stderr)")
        #expect(budget.stderr.contains("--install-budget download=1e30s: '1e30s' is longer than the longest budget"))
        let milliseconds = try run(["timings", sample, "--install-budget", "download=1e13ms"])
        #expect(milliseconds.status == 2 && milliseconds.stderr.contains("longer than the longest budget"))
        for tolerance in ["1e300", "0.5", "nan"] {
            let result = try run(["timings", sample, "--tolerance", tolerance])
            #expect(result.status == 2, "\(tolerance): \(result.stderr)")
            #expect(result.stderr.contains("from 1 to 1000"), "\(result.stderr)")
        }
    }

    @Test("--card names the profile whose manager AID and INS bytes the transcript used; an unknown one is exit 2")
    func cardProfile() throws {
        let same = try run(["timings", sample, "--card", "default"])
        #expect(same.status == 0 && same.stdout.contains("2 complete installs"), "\(same.stdout)\(same.stderr)")
        let unknown = try run(["timings", sample, "--card", "no-such-card"])
        #expect(unknown.status == 2, "\(unknown.stderr)")
        #expect(unknown.stderr.contains("no card profile named 'no-such-card'"), "\(unknown.stderr)")
    }
}
