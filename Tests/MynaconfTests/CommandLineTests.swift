import Foundation
import TestSupport
import Testing

/// The built `mynaconf`, run from the repository's root as a user or a pipeline runs it: output and exit codes.
func run(_ arguments: [String], environment: [String: String] = [:], directory: String = repositoryRoot) throws
    -> ProgramRun
{
    try runTool(mynaconfBinary(), arguments, environment: environment, directory: directory)
}

@Suite("mynaconf command line", .serialized)
struct CommandLineTests {
    @Test("selftest on the default card: every check passes, exit 0, closing line 'N passed, 0 failed'")
    func selfTestPasses() throws {
        let result = try run(["selftest"])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        let lines = result.stdout.split(separator: "\n")
        #expect(lines.last?.hasSuffix("passed, 0 failed") == true)
        #expect(lines.filter { $0.hasPrefix("PASS ") }.count >= 14)
        #expect(!result.stdout.contains("FAIL"))
        // The PIN and password never reach the output.
        #expect(!result.stdout.contains("1234") && !result.stdout.contains("ABC123"))
    }

    @Test("selftest on a card with a blocked PIN fails its checks: exit 1")
    func selfTestFailsOnBlockedCard() throws {
        let result = try run(["selftest", "--card", "auth-pin-blocked"])
        #expect(result.status == 1)
        #expect(result.stdout.contains("FAIL JPKI-SIGN-02"))
    }

    @Test("selftest on the under-15 card passes without the signing checks")
    func selfTestUnderFifteen() throws {
        let result = try run(["selftest", "--card", "under-15"])
        #expect(result.status == 0, "\(result.stdout)")
        #expect(!result.stdout.contains("JPKI-SIGN-03"))
    }

    @Test("Unknown profile name: exit 2 and where it looked")
    func unknownProfile() throws {
        let result = try run(["selftest", "--card", "no-such-card"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("no card profile named 'no-such-card'"))
    }

    @Test("Malformed profile: exit 2 with file:line:column")
    func malformedProfile() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent(
            "mynaconf-broken-\(UUID().uuidString).yaml"
        ).path
        try "profile: broken\nas_of: 2026-11-24\nholder:\n  my_numbr: \"1\"\n".write(
            toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let result = try run(["selftest", "--card", path])
        #expect(result.status == 2)
        #expect(
            result.stderr.contains("\(path):4:3: error: holder: unknown key 'my_numbr' (did you mean 'my_number'?)"),
            "\(result.stderr)")
    }

    @Test(
        "Usage errors exit 2, not ArgumentParser's 64",
        arguments: [["selftest", "--bogus"], ["no-such-command"], ["selftest", "--card"]])
    func usageErrors(arguments: [String]) throws {
        let result = try run(arguments)
        #expect(result.status == 2, "\(result.stderr)")
        #expect(!result.stderr.isEmpty)
    }

    @Test("--help exits 0 and lists the exit codes")
    func help() throws {
        let result = try run(["--help"])
        #expect(result.status == 0)
        let words = result.stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        #expect(words.contains("3 environment error (no pcscd, no reader, no card)"))
    }

    @Test(
        "run --reader and vectors --reader without pcscd: exit 3 and what to do; vectors --reader without a PIN: exit 2"
    )
    func readerWithoutPCSCD() throws {
        let environment = ["PCSCLITE_CSOCK_NAME": "/nonexistent/pcscd.comm", "MYNA_AUTH_PIN": "1234"]
        let runResult = try run(["run", "Scenarios/jpki", "--reader", "R 00 00"], environment: environment)
        #expect(runResult.status == 3, "\(runResult.stdout)\(runResult.stderr)")
        #expect(runResult.stderr.contains("pcscd is not running"))
        let vectors = try run(["vectors", "--reader", "R 00 00"], environment: environment)
        #expect(vectors.status == 3, "\(vectors.stdout)\(vectors.stderr)")
        #expect(vectors.stderr.contains("pcscd is not running"))
        let noPIN = try run(["vectors", "--reader", "R 00 00"], environment: ["MYNA_AUTH_PIN": ""])
        #expect(noPIN.status == 2, "\(noPIN.stderr)")
        #expect(noPIN.stderr.contains("set MYNA_AUTH_PIN in the environment"))
        let both = try run(["vectors", "--reader", "R 00 00", "--emulator"])
        #expect(both.status == 2, "\(both.stderr)")
    }

    @Test("run --reader without pcscd still writes its reports: no test run, and why, for the CI gate that reads them")
    func reportsWhenTheReaderIsUnreachable() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "unreachable-\(UUID().uuidString)"
        )
        .path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let result = try run(
            [
                "run", "Scenarios/jpki/select-and-token.yaml", "--reader", "R 00 00", "--junit", "\(directory)/j.xml",
                "--json", "\(directory)/r.json",
            ], environment: ["PCSCLITE_CSOCK_NAME": "/nonexistent/pcscd.comm"])
        #expect(result.status == 3, "\(result.stdout)\(result.stderr)")
        let junit = try String(contentsOfFile: "\(directory)/j.xml", encoding: .utf8)
        #expect(junit.contains("tests=\"0\""), "\(junit)")
        #expect(junit.contains("<property name=\"run.stop-reason\" value=\"--reader &apos;R 00 00&apos;: "), "\(junit)")
        #expect(junit.contains("pcscd is not running"))
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(directory)/r.json")))
        let object = try #require(json as? [String: Any])
        let runFields = try #require(object["run"] as? [String: Any], "\(object)")
        #expect((runFields["stopReason"] as? String)?.contains("pcscd is not running") == true, "\(runFields)")
        #expect((object["scenarios"] as? [Any])?.isEmpty == true)
    }

    @Test("run --help says which target is the default and what --reader does between scenarios")
    func runHelp() throws {
        let result = try run(["run", "--help"])
        #expect(result.status == 0)
        let words = result.stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        #expect(words.contains("the built-in emulated card is the default"))
        #expect(words.contains("before each scenario it is restored to the profile's initial state"))
        #expect(words.contains("it is reset before each scenario and the real-card rules apply"))
    }

    @Test("readers without pcscd: exit 3 and what to do")
    func readersWithoutPCSCD() throws {
        let result = try run(["readers"], environment: ["PCSCLITE_CSOCK_NAME": "/nonexistent/pcscd.comm"])
        #expect(result.status == 3, "\(result.stdout)\(result.stderr)")
        #expect(result.stderr.contains("0x8010001D"))
        #expect(result.stderr.contains("pcscd is not running"))
    }

    @Test("The profile is found from outside the source tree through MYNACONF_VECTORS")
    func vectorsFromEnvironment() throws {
        let result = try run(
            ["selftest"], environment: ["MYNACONF_VECTORS": "\(repositoryRoot)/Vectors"], directory: "/")
        #expect(result.status == 0, "\(result.stderr)")
    }
}

@Suite("mynaconf lint and run on broken files", .serialized)
struct BrokenFileCommandLineTests {
    static let broken = "\(repositoryRoot)/Tests/ScenarioTests/Broken"

    static func files() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: broken)) ?? []).filter { !$0.hasPrefix("duplicate-id") }
            .sorted()
    }

    @Test(
        "Every broken file: lint and run both exit 2 with file:line:column, and run starts nothing", arguments: files())
    func rejected(file: String) throws {
        let path = "\(Self.broken)/\(file)"
        for command in ["lint", "run"] {
            let result = try run([command, path])
            #expect(result.status == 2, "\(command) \(file): \(result.stdout)\(result.stderr)")
            #expect(
                result.stderr.range(of: "\(path):[0-9]+:[0-9]+: error: ", options: .regularExpression) != nil,
                "\(result.stderr)")
            #expect(!result.stdout.contains("passed"), "\(command) must not run anything")
        }
    }

    @Test("Two files with one id: exit 2, the second file named")
    func duplicateIDs() throws {
        let result = try run(["lint", "\(Self.broken)/duplicate-id-a.yaml", "\(Self.broken)/duplicate-id-b.yaml"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("duplicate-id-b.yaml:1:1: error: duplicate scenario id 'JPKI-SELECT-TOKEN'"))
    }

    @Test("Binary garbage and an empty file: exit 2, no crash, no hang")
    func garbage() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("garbage-\(UUID().uuidString).yaml")
            .path
        var bytes: [UInt8] = []
        var state: UInt32 = 2_463_534_242
        for _ in 0..<65_536 {
            state ^= state << 13
            state ^= state >> 17
            state ^= state << 5
            bytes.append(UInt8(truncatingIfNeeded: state))
        }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let result = try run(["run", path])
        #expect(result.status == 2)
        #expect(result.stderr.contains(path + ":"))
    }

    @Test("A report path that is an input, a folder, or another report's: exit 2 before the run, the input intact")
    func reportDestinations() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("dest-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let scenario = directory.appendingPathComponent("token.yaml").path
        try FileManager.default.copyItem(
            atPath: "\(repositoryRoot)/Scenarios/jpki/select-and-token.yaml", toPath: scenario)
        let original = try Data(contentsOf: URL(fileURLWithPath: scenario))
        let report = directory.appendingPathComponent("r.json").path
        let cases: [([String], String)] = [
            (["--json", scenario], "--json \(scenario): that is an input of this run"),
            (["--junit", "\(directory.path)/./token.yaml"], "that is an input of this run"),
            (["--html", "Vectors/cards/default.yaml"], "that is an input of this run"),
            (["--json", directory.path], "--json \(directory.path): is a folder"),
            (["--junit-dir", scenario], "--junit-dir \(scenario): is a file"),
            (["--json", report, "--html", report], "--json and --html both write \(report)"),
        ]
        for (options, words) in cases {
            let result = try run(["run", scenario] + options)
            #expect(result.status == 2, "\(options): \(result.stdout)\(result.stderr)")
            #expect(result.stderr.contains(words), "\(options): \(result.stderr)")
            #expect(!result.stdout.contains("passed"), "the run did not start")
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: scenario)) == original)
        #expect(!FileManager.default.fileExists(atPath: report))
        let transcript = "Vectors/transcripts/synthetic-install.txt"
        let timings = try run(["timings", transcript, "--junit", transcript])
        #expect(timings.status == 2 && timings.stderr.contains("that is an input of this run"), "\(timings.stderr)")
    }
}

@Suite("mynaconf run", .serialized)
struct RunCommandTests {
    @Test("The JPKI suite passes on the default card; the closing line counts it")
    func suitePasses() throws {
        let result = try run(["run", "Scenarios/jpki"])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.split(separator: "\n").last?.hasPrefix("19 passed, 0 failed") == true, "\(result.stdout)")
    }

    @Test("The card-ap suite runs unchanged on a vendor's profile with its own manager AID and INS bytes")
    func cardAPSuiteOnVendorProfile() throws {
        let vendor = "Tests/MynaconfTests/Fixtures/cards/vendor-free-area.yaml"
        let result = try run(["run", "Scenarios/card-ap", "--card", vendor])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.split(separator: "\n").last?.hasPrefix("18 passed, 0 failed") == true, "\(result.stdout)")
    }

    @Test("On a card with a blocked PIN the suite fails: exit 1")
    func suiteFailsOnBlockedCard() throws {
        let result = try run(["run", "Scenarios/jpki", "--card", "auth-pin-blocked"])
        #expect(result.status == 1)
    }

    @Test(
        "--tags filters; no match is exit 2",
        arguments: [
            ("jpki and not destructive", 0), ("keys", 0), ("no-such-tag", 2),
        ])
    func tags(expression: String, status: Int32) throws {
        let result = try run(["run", "Scenarios", "--tags", expression])
        #expect(result.status == status, "\(result.stdout)\(result.stderr)")
        if expression == "jpki and not destructive" { #expect(!result.stdout.contains("LOCKOUT")) }
    }

    @Test("--shard K/N splits the suite deterministically and completely")
    func shards() throws {
        func passed(_ output: String) -> [String] {
            // A progress line without its time, which varies from run to run.
            output.split(separator: "\n").filter { $0.hasPrefix("✓") }.map { line in
                String(line[..<(line.range(of: " (", options: .backwards)?.lowerBound ?? line.endIndex)])
            }
        }
        var shards: [[String]] = []
        for index in 1...3 {
            let result = try run(["run", "Scenarios/jpki", "--shard", "\(index)/3"])
            #expect(result.status == 0)
            shards.append(passed(result.stdout))
        }
        let seen = shards.flatMap { $0 }
        let suite = try FileManager.default.contentsOfDirectory(atPath: "\(repositoryRoot)/Scenarios/jpki")
            .filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".scr") }
        #expect(seen.count == suite.count && suite.count >= 19)
        #expect(Set(seen).count == seen.count)
        #expect(shards.allSatisfy { abs($0.count - seen.count / 3) <= 1 }, "\(shards.map(\.count))")
        let again = try run(["run", "Scenarios/jpki", "--shard", "2/3"])
        #expect(passed(again.stdout) == shards[1])
    }

    @Test("An empty shard is a usage error that names the shard, not 'no scenario matched'")
    func emptyShard() throws {
        let result = try run(["run", "Scenarios/jpki/select-and-token.yaml", "--shard", "2/2"])
        #expect(result.status == 2)
        #expect(
            result.stderr.contains(
                "shard 2/2 is empty: 1 scenario matched Scenarios/jpki/select-and-token.yaml, fewer than the shard's "
                    + "number; use fewer shards"), "\(result.stderr)")
    }

    @Test(
        "Bad --shard and --tags are usage errors: exit 2",
        arguments: [
            ["--shard", "4/3"], ["--shard", "x"], ["--tags", "jpki and"], ["--reader", "R 00 00", "--emulator"],
            ["--reader", ""], ["--reader", "R 00 00", "--card", "default", "--as-real-card"],
        ])
    func badOptions(options: [String]) throws {
        let result = try run(["run", "Scenarios"] + options)
        #expect(result.status == 2, "\(result.stderr)")
    }
}

/// A tool's standard output; a failing tool fails the test with what it said.
func tool(_ path: String, _ arguments: [String]) throws -> String {
    let result = try runTool(path, arguments)
    guard result.status == 0 else { throw ProgramProblem(result.description) }
    return result.stdout
}

@Suite("Reports from the command line", .serialized)
struct ReportCommandLineTests {
    @Test("--junit, --junit-dir and --json are written, and no PIN is in any of them")
    func reportsWritten() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("reports-\(UUID().uuidString)")
            .path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let result = try run([
            "run", "Scenarios/jpki", "--junit", "\(directory)/junit.xml", "--junit-dir", "\(directory)/suites",
            "--json", "\(directory)/results.json",
        ])
        #expect(result.status == 0)
        for file in ["junit.xml", "suites/TEST-jpki.xml", "results.json"] {
            let text = try String(contentsOfFile: "\(directory)/\(file)", encoding: .utf8)
            #expect(text.contains("JPKI-AUTH-PIN-LOCKOUT"))
            // 1234 and ABC123 as the APDU bytes would show them.
            #expect(!text.contains("31 32 33 34") && !text.contains("41 42 43 31 32 33"), "\(file) holds a PIN")
        }
    }

    @Test("A report path that cannot be written stops the run before it starts: exit 3, the option and the reason")
    func unwritableReportFirst() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("plain-\(UUID().uuidString)").path
        try Data("x".utf8).write(to: URL(fileURLWithPath: file))
        defer { try? FileManager.default.removeItem(atPath: file) }
        let result = try run(["run", "Scenarios/jpki/select-and-token.yaml", "--json", "\(file)/results.json"])
        #expect(result.status == 3)
        #expect(!result.stdout.contains("✓"), "a scenario ran: \(result.stdout)")
        #expect(
            result.stderr.contains(
                "--json \(file)/results.json: cannot create directory \(file): \(file) is a file, not a directory; "
                    + "nothing was run"), "\(result.stderr)")
    }

    @Test("--html writes the page; every report carries the commit and each input's SHA-256 as sha256sum computes it")
    func evidence() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("evidence-\(UUID().uuidString)")
            .path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let scenarios = ["Scenarios/jpki/sign-authentication-key.yaml", "Scenarios/jpki/retry-counters.yaml"]
        let result = try run(
            ["run"] + scenarios + [
                "--html", "\(directory)/report.html", "--json", "\(directory)/results.json", "--junit",
                "\(directory)/junit.xml",
            ])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("Evidence: commit "))

        // The independent digest: coreutils' sha256sum over the same files, listed in the order they ran (by id).
        let files = scenarios.reversed() + ["Vectors/cards/default.yaml"]
        let sums = try tool("/usr/bin/sha256sum", files)
        let expected = Dictionary(
            uniqueKeysWithValues: sums.split(separator: "\n").map { line in
                let parts = line.split(separator: " ", maxSplits: 1)
                return (String(parts[1].drop { $0 == " " || $0 == "*" }), String(parts[0]))
            })
        let json = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(directory)/results.json")))
                as? [String: Any])
        let inputs = try #require(json["inputs"] as? [[String: Any]])
        #expect(inputs.map { $0["path"] as? String } == files)
        #expect(inputs.map { $0["kind"] as? String } == ["scenario", "scenario", "card-profile"])
        for input in inputs {
            let path = input["path"] as? String ?? ""
            #expect(input["sha256"] as? String == expected[path], "\(path)")
        }
        let target = try #require(json["target"] as? [String: Any])
        let cards = try #require(target["cards"] as? [[String: Any]])
        #expect(cards.count == 1 && cards.first?["tokenSerial"] as? String == "0000000020500003")
        #expect(cards.first?["authenticationCertificateSerial"] as? String == "01 2D 57 CA")
        let scenarioResults = try #require(json["scenarios"] as? [[String: Any]])
        #expect(scenarioResults.allSatisfy { $0["cardProfile"] as? String == "default" })

        // The commit baked in at build time is the checkout's, when the checkout is a git repository.
        if let head = try? tool("/usr/bin/git", ["-C", repositoryRoot, "rev-parse", "HEAD"]) {
            let commit = head.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(
                target["harnessCommit"] as? String == commit,
                "the binary was built from another commit than HEAD: rebuild (swift build) and test again")
            let junit = try String(contentsOfFile: "\(directory)/junit.xml", encoding: .utf8)
            #expect(junit.contains("<property name=\"harness.commit\" value=\"\(commit)\"/>"))
            #expect(try run(["--version"]).stdout.contains("commit \(commit)"))
        }

        let html = try String(contentsOfFile: "\(directory)/report.html", encoding: .utf8)
        #expect(html.hasPrefix("<!DOCTYPE html>"))
        #expect(html.components(separatedBy: "<svg class=\"timing-plot\"").count - 1 == 1)
        for (path, digest) in expected { #expect(html.contains(digest), "\(path)") }
        #expect(!html.contains("31 32 33 34"), "the page holds the PIN")
    }

    @Test("SIGINT ends the run after the current step and still writes valid reports")
    func interrupted() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("interrupt-\(UUID().uuidString)")
            .path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: mynaconfBinary())
        process.arguments = [
            "run", "Scenarios", "--repeat", "10000", "--junit", "\(directory)/junit.xml", "--json",
            "\(directory)/results.json",
        ]
        process.currentDirectoryURL = URL(fileURLWithPath: repositoryRoot)
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        // Interrupt once scenarios are running (the first progress line), not while inputs still load, however
        // slow the machine; then keep draining the pipe so the process never blocks on a full one.
        let reader = output.fileHandleForReading
        var seen = Data()
        while !seen.contains(UInt8(ascii: "\n")) {
            let chunk = reader.availableData
            if chunk.isEmpty { break }
            seen += chunk
        }
        process.interrupt()
        let drain = Thread { while !reader.availableData.isEmpty {} }
        drain.start()
        process.waitUntilExit()
        #expect(process.terminationStatus == 1)
        let junit = try String(contentsOfFile: "\(directory)/junit.xml", encoding: .utf8)
        #expect(junit.contains("name=\"run.interrupted\" value=\"true\""))
        let json = try String(contentsOfFile: "\(directory)/results.json", encoding: .utf8)
        #expect(json.contains("\"interrupted\": true"))
    }
}

@Suite("Real-card rules, rehearsed on the emulator (--as-real-card)", .serialized)
struct RealCardRuleTests {
    static let credentials = ["MYNA_AUTH_PIN": "1234", "MYNA_SIGN_PASSWORD": "ABC123"]

    /// The process's own MYNA_* variables are cleared so a developer's shell cannot change the outcome.
    func runReal(_ arguments: [String], environment: [String: String] = [:]) throws -> ProgramRun {
        let cleared = ["MYNA_AUTH_PIN": "", "MYNA_SIGN_PASSWORD": "", "MYNA_TEXT_PIN": ""]
        return try run(["run"] + arguments + ["--as-real-card"], environment: cleared.merging(environment) { $1 })
    }

    @Test("Without credentials in the environment, scenarios that need them are skipped with the variable named")
    func credentialsOnlyFromEnvironment() throws {
        let result = try runReal([
            "Scenarios/jpki/sign-authentication-key.yaml", "Scenarios/jpki/read-binary-bounds.yaml",
        ])
        #expect(result.status == 0, "\(result.stdout)")
        #expect(result.stdout.contains("skipped: needs MYNA_AUTH_PIN set in the environment"))
        #expect(result.stdout.contains("1 passed, 0 failed, 1 skipped"))
    }

    @Test("Destructive and invasive scenarios are refused without --allow-destructive")
    func destructiveRefused() throws {
        let refused = try runReal(
            ["Scenarios/jpki/auth-pin-lockout.yaml", "Scenarios/jpki/key-extraction-auth.yaml"],
            environment: Self.credentials)
        #expect(
            refused.stdout.contains(
                "destructive (can spend PIN tries): refused on a real card without --allow-destructive"))
        #expect(refused.stdout.contains("invasive (attacks the card): refused"))
        let allowed = try runReal(
            ["Scenarios/jpki/auth-pin-lockout.yaml", "--allow-destructive"], environment: Self.credentials)
        #expect(allowed.status == 0, "\(allowed.stdout)")
    }

    @Test("A scenario that needs another card profile, or the holder's data, is skipped")
    func otherProfileSkipped() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("rc-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try "id: A\ntitle: a\ncard: auth-pin-blocked\nsteps:\n  - select: jpki\n".write(
            toFile: "\(directory)/a.yaml", atomically: true, encoding: .utf8)
        try "id: B\ntitle: b\nsteps:\n  - select: jpki\n  - apdu: 00 B0 00 00 ${lc(card.holder.name)}\n".write(
            toFile: "\(directory)/b.yaml", atomically: true, encoding: .utf8)
        let result = try runReal([directory])
        #expect(result.stdout.contains("needs the emulated card profile 'auth-pin-blocked'"))
        #expect(result.stdout.contains("needs values a real card's holder has not given: card.holder.name"))
    }

    @Test("Before a PIN step the tries left are read; with one try left the scenario stops and spends nothing")
    func pinGuard() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("guard-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let result = try runReal(
            [
                "Scenarios/jpki/sign-authentication-key.yaml", "Scenarios/jpki/read-binary-bounds.yaml", "--card",
                "auth-pin-one-try", "--json", "\(directory)/r.json",
            ],
            environment: Self.credentials)
        #expect(result.status == 1)
        #expect(result.stdout.contains("stopped before a PIN step on a real card: the credential has 1 try left"))
        let json = try String(contentsOfFile: "\(directory)/r.json", encoding: .utf8)
        #expect(json.contains("00 20 00 80\""), "the guard's empty VERIFY is in the transcript")
        #expect(!json.contains("00 20 00 80 04"), "the VERIFY with the PIN was never sent")
    }

    @Test("Personal data read from the card is masked in reports, and shown with --show-personal-data")
    func personalDataMasked() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pd-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let scenario = "Scenarios/jpki/sign-signing-key.yaml"
        let masked = try runReal(
            [scenario, "--junit", "\(directory)/m.xml", "--json", "\(directory)/m.json"], environment: Self.credentials)
        #expect(masked.status == 0, "\(masked.stdout)")
        let shown = try runReal(
            [scenario, "--show-personal-data", "--json", "\(directory)/s.json"], environment: Self.credentials)
        #expect(shown.status == 0)
        for file in ["m.xml", "m.json"] {
            let text = try String(contentsOfFile: "\(directory)/\(file)", encoding: .utf8)
            #expect(text.contains("bytes of personal data"), "\(file)")
            // The signing certificate starts 30 82; its bytes must not appear after a READ BINARY of EF 0001.
            #expect(!text.contains("30 82 0"), "\(file) holds certificate bytes")
        }
        let revealed = try String(contentsOfFile: "\(directory)/s.json", encoding: .utf8)
        #expect(!revealed.contains("bytes of personal data"))
        #expect(revealed.contains("30 82 0"))
    }
}
