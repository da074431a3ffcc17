import Foundation
import TestSupport
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
        #expect(
            result.stdout.contains(
                "whole card: slowest install 94.6 s + 60 s operator steps = 154.6 s, budget 180 s "
                    + "(seed 000's 2-3 minutes): kept"), "\(result.stdout)")
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

    @Test("Installs that keep every phase's budget but not the whole card's 3 minutes fail, and say so")
    func wholeCardOverBudget() throws {
        // The sample one and a half times slower: region creation 87 s and download 51 s stay within their budgets,
        // but the slowest install, 141.9 s, plus the 60 s of operator steps passes 180 s.
        let text = try String(contentsOfFile: "\(repositoryRoot)/\(sample)", encoding: .utf8)
        let slower = text.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
            guard let space = line.firstIndex(of: " "), let time = Double(line[..<space]) else { return String(line) }
            return String(format: "%.1f", time * 1.5) + line[space...]
        }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("slow-\(UUID()).txt").path
        try slower.joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let result = try run(["timings", path])
        #expect(result.status == 1, "\(result.stdout)\(result.stderr)")
        let phasesOver = result.stdout.split(separator: "\n").filter {
            $0.hasSuffix("OVER BUDGET") && !$0.hasPrefix("whole card")
        }
        #expect(phasesOver.isEmpty, "no phase is over its own budget: \(result.stdout)")
        #expect(
            result.stdout.contains(
                "+ 60 s operator steps = 201.9 s, budget 180 s (seed 000's 2-3 minutes): OVER BUDGET"),
            "\(result.stdout)")
        #expect(result.stdout.hasSuffix("install timings: FAILED\n"))
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

    @Test("A missing transcript, or a folder given for one, is named file:line:column with why, exit 2")
    func unreadableTranscript() throws {
        let missing = FileManager.default.temporaryDirectory.appendingPathComponent("none-\(UUID()).txt").path
        let absent = try run(["timings", missing])
        #expect(absent.status == 2)
        #expect(absent.stderr.contains("\(missing):1:1: error: no such file"), "\(absent.stderr)")
        let folder = try run(["timings", "Vectors/transcripts"])
        #expect(folder.status == 2)
        #expect(
            folder.stderr.contains("Vectors/transcripts:1:1: error: is a directory, expected a transcript file"),
            "\(folder.stderr)")
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

    // MARK: - A card whose free area uses other bytes

    static let vendorCard = "\(repositoryRoot)/Tests/MynaconfTests/Fixtures/cards/vendor-free-area.yaml"
    static let vendorManager = "F0 56 45 4E 44 4F 52 4D 47 52"
    static let mcapManager = "F0 4D 59 4E 41 46 41 4D 47 52"

    /// Two installs recorded from the emulator running the vendor profile (`mynaconf run` with `install_ap` in the
    /// card's bytes), written as a v1 transcript. The bytes are the card's; the times are a fixed grid (each
    /// exchange 100 ms, 20 ms between them), as the emulator's own are a few microseconds and vary from run to run.
    func recordVendorInstalls(in directory: URL) throws -> String {
        let json = directory.appendingPathComponent("run.json").path
        let recorded = try run([
            "run", "\(repositoryRoot)/Tests/MynaconfTests/Fixtures/timings/install-vendor-bytes.yaml", "--card",
            Self.vendorCard, "--json", json,
        ])
        #expect(recorded.status == 0, "\(recorded.stdout)\(recorded.stderr)")
        let report = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as? [String: Any])
        let scenario = try #require((report["scenarios"] as? [[String: Any]])?.first)
        let exchanges = try #require(scenario["transcript"] as? [[String: Any]])
        var lines = ["# two installs on the vendor-free-area profile, recorded from mynaconf's emulator"]
        for (index, exchange) in exchanges.enumerated() {
            let command = try #require(exchange["command"] as? String)
            let response = try #require(exchange["response"] as? String)
            #expect(!command.contains("*"), "the wire bytes of a free-area install carry nothing masked")
            lines += ["\(1000 + index * 120) > \(command)", "\(1100 + index * 120) < \(response)"]
        }
        #expect(lines[1] == "1000 > 00 A4 04 0C 0A \(Self.vendorManager)", "the install selects the vendor's manager")
        let path = directory.appendingPathComponent("vendor-install.txt").path
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test("--card with the card's own manager AID and INS bytes: every phase of both installs is recognised and timed")
    func vendorBytesWithCard() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("timings-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let transcript = try recordVendorInstalls(in: directory)
        let json = directory.appendingPathComponent("t.json").path
        let result = try run(["timings", transcript, "--card", Self.vendorCard, "--json", json])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("2 complete installs"), "\(result.stdout)")
        #expect(
            result.stdout.contains(
                "free-area bytes of card profile 'vendor-free-area': manager AID \(Self.vendorManager); "
                    + "INS create_region 44, load E0, write_user_id E8, activate DA"), "\(result.stdout)")
        let report = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as? [String: Any])
        #expect(report["passed"] as? Bool == true)
        let phases = try #require(report["phases"] as? [[String: Any]])
        // Per install: SELECT, GET CHALLENGE, MUTUAL AUTHENTICATE, create region, one LOAD block, write user ID,
        // activate — seven exchanges on the 120 ms grid.
        let expected: [(String, Double)] = [
            ("authentication", 340), ("region_creation", 100), ("download", 100), ("user_id", 100),
            ("activation", 100), ("install", 820),
        ]
        #expect(phases.compactMap { $0["phase"] as? String } == expected.map(\.0))
        for (phase, milliseconds) in expected {
            let summary = phases.first { $0["phase"] as? String == phase }
            #expect(summary?["n"] as? Int == 2, "\(phase)")
            #expect(summary?["maxMs"] as? Double == milliseconds, "\(phase): \(String(describing: summary))")
        }
        let bytes = report["commandBytes"] as? [String: Any]
        #expect(bytes?["managerAid"] as? String == Self.vendorManager)
        #expect((bytes?["ins"] as? [String: String])?["create_region"] == "44")
        #expect((report["notes"] as? [Any])?.isEmpty == true)
    }

    @Test("Without --card the default profile's bytes find no install: exit 1 and why, never an empty pass")
    func vendorBytesWithoutCard() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("timings-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let transcript = try recordVendorInstalls(in: directory)
        let json = directory.appendingPathComponent("t.json").path
        let junit = directory.appendingPathComponent("t.xml").path
        let result = try run(["timings", transcript, "--json", json, "--junit", junit])
        #expect(result.status == 1, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("0 complete installs"))
        #expect(!result.stdout.contains("within budget") && result.stdout.contains("install timings: FAILED"))
        let why =
            "not recognised: the transcript never selects the manager AID \(Self.mcapManager) of card profile "
            + "'default' (it selects \(Self.vendorManager)); if the card's free area uses other bytes, pass --card"
        #expect(result.stdout.contains(why), "\(result.stdout)")
        let report = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as? [String: Any])
        #expect(report["passed"] as? Bool == false)
        #expect((report["phases"] as? [Any])?.isEmpty == true, "no phase is reported, not even a zero-length one")
        #expect((report["notes"] as? [String])?.first?.hasPrefix("not recognised") == true)
        let xml = try String(contentsOfFile: junit, encoding: .utf8)
        #expect(xml.contains("failures=\"1\"") && xml.contains("no complete install was found; not recognised"))

        // A card that kept MCAP-1's manager AID but not its INS bytes: read with MCAP-1's, its create region (44) is
        // an activation. Those two "installs" of a few hundred milliseconds must not pass.
        let mcapAID = try String(contentsOfFile: transcript, encoding: .utf8)
            .replacingOccurrences(of: Self.vendorManager, with: Self.mcapManager)
        let renamed = directory.appendingPathComponent("mcap-aid.txt").path
        try mcapAID.write(toFile: renamed, atomically: true, encoding: .utf8)
        let misread = try run(["timings", renamed])
        #expect(misread.status == 1, "\(misread.stdout)\(misread.stderr)")
        #expect(misread.stdout.contains("0 complete installs"), "\(misread.stdout)")
        #expect(
            misread.stdout.contains(
                "not counted: 2 activations answered 90 00 without a download and a user ID before them in the same "
                    + "session"), "\(misread.stdout)")
    }
}
