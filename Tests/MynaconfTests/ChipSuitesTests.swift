import Foundation
import TestSupport
import Testing

/// The chip's suites (text, visual, juki, common APs, card states) as `make run` runs them: all pass on their own
/// profiles with the OCSP responder alongside, every faulty profile in Vectors/cards/faulty/ fails exactly the
/// requirements it declares over the whole tree, and the card-state scenarios really depend on their card's state.
@Suite("Chip suites and faulty profiles", .serialized)
struct ChipSuitesTests {
    /// Runs `mynaconf run ARGUMENTS --json FILE`, under scripts/ocsp-responder when `ocsp`, and returns the exit
    /// status and each scenario's outcome by ID.
    func outcomes(_ arguments: [String], ocsp: Bool = false) throws -> (status: Int32, outcomes: [String: String]) {
        let report = FileManager.default.temporaryDirectory.appendingPathComponent("mynaconf-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: report) }
        let command = [mynaconfBinary(), "run"] + arguments + ["--json", report.path]
        let result =
            ocsp
            ? try runTool("\(repositoryRoot)/scripts/ocsp-responder", ["--"] + command)
            : try runTool(command[0], Array(command.dropFirst()))
        guard let data = FileManager.default.contents(atPath: report.path),
            let json = try JSONSerialization.jsonObject(with: data) as? [String: Any],
            let scenarios = json["scenarios"] as? [[String: Any]]
        else {
            Issue.record("no JSON report: \(result)")
            return (result.status, [:])
        }
        var outcomes: [String: String] = [:]
        for scenario in scenarios {
            if let id = scenario["id"] as? String, let outcome = scenario["outcome"] as? String {
                outcomes[id] = outcome
            }
        }
        return (result.status, outcomes)
    }

    @Test("make run's command: every suite passes on its own profiles, the OCSP scenarios included")
    func wholeSuitePasses() throws {
        let (status, outcomes) = try outcomes(["Scenarios"], ocsp: true)
        #expect(status == 0)
        #expect(outcomes.count >= 59)
        #expect(outcomes.filter { $0.value != "passed" }.isEmpty, "\(outcomes.filter { $0.value != "passed" })")
        for suite in ["TEXT-", "VIS-", "JUKI-", "COMMON-", "STATE-", "KIOSK-"] {
            #expect(outcomes.keys.contains { $0.hasPrefix(suite) }, "no \(suite) scenario ran")
        }
    }

    /// Every profile in `Vectors/cards/faulty/`, by the name `--card` takes (`faulty/readable-auth-key`).
    static let faultyProfiles: [String] = {
        let names =
            (try? FileManager.default.contentsOfDirectory(atPath: "\(repositoryRoot)/Vectors/cards/faulty")) ?? []
        return names.filter { $0.hasSuffix(".yaml") }.map { "faulty/" + $0.dropLast(5) }.sorted()
    }()

    /// A faulty profile's `expected_failures`, read from its file here rather than through the loader, so a loader
    /// that lost an ID would not weaken the check. Flow (`[A, B]`) or block (`- A`) lists.
    static func expectedFailures(_ profile: String) throws -> [String] {
        let text = try String(contentsOfFile: "\(repositoryRoot)/Vectors/cards/\(profile).yaml", encoding: .utf8)
        let lines = text.components(separatedBy: "\n").map { $0.components(separatedBy: "#")[0] }
        guard let index = lines.firstIndex(where: { $0.hasPrefix("expected_failures:") }) else { return [] }
        let value = lines[index].dropFirst("expected_failures:".count).trimmingCharacters(in: .whitespaces)
        if value.hasPrefix("[") {
            return value.trimmingCharacters(in: CharacterSet(charactersIn: "[] ")).components(separatedBy: ",")
                .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }
        return lines[(index + 1)...].prefix { $0.hasPrefix("  -") || $0.hasPrefix("- ") }
            .map { $0.trimmingCharacters(in: CharacterSet(charactersIn: "- ")) }
    }

    /// Runs `mynaconf run ARGUMENTS --json FILE` without MYNACONF_OCSP_URL (the OCSP scenarios are skipped) and
    /// returns the exit status, the scenarios of the JSON report and the console output (stdout and stderr).
    func report(_ arguments: [String]) throws -> (
        status: Int32, scenarios: [[String: Any]], stdout: String, target: [String: Any]
    ) {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("mynaconf-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: file) }
        let result = try runTool(
            mynaconfBinary(), ["run"] + arguments + ["--json", file.path], unsetting: ["MYNACONF_OCSP_URL"])
        // Both streams, so a problem on stderr shows in a failure's message.
        let stdout = result.stdout + result.stderr
        guard let data = FileManager.default.contents(atPath: file.path),
            let json = try JSONSerialization.jsonObject(with: data) as? [String: Any],
            let scenarios = json["scenarios"] as? [[String: Any]]
        else {
            Issue.record("no JSON report: \(result)")
            return (result.status, [], stdout, [:])
        }
        return (result.status, scenarios, stdout, json["target"] as? [String: Any] ?? [:])
    }

    @Test(
        "Each faulty profile, against the whole suite, fails every requirement it declares and nothing else",
        arguments: faultyProfiles)
    func faultyProfileCaught(profile: String) throws {
        let expected = try Self.expectedFailures(profile)
        try #require(!expected.isEmpty, "\(profile) declares no expected_failures")
        let (status, scenarios, stdout, target) = try report(["Scenarios", "--card", profile])
        #expect(target["expectedFailures"] as? [String] == expected, "the JSON report says what the card must fail")
        #expect(status == 1, "a faulty card must fail the run")
        #expect(scenarios.count >= 60, "the whole tree ran")
        var failedRequirements = Set<String>()
        for scenario in scenarios {
            let id = scenario["id"] as? String ?? "?"
            let outcome = scenario["outcome"] as? String ?? "?"
            let requirements = scenario["requirements"] as? [String] ?? []
            #expect(outcome != "error", "\(id) errored on \(profile): \(scenario)")
            guard outcome == "failed" else { continue }
            failedRequirements.formUnion(requirements)
            #expect(
                requirements.contains(where: expected.contains),
                "\(id) (\(requirements.joined(separator: ", "))) failed on \(profile), outside its expected_failures")
        }
        for requirement in expected {
            #expect(failedRequirements.contains(requirement), "no scenario of \(requirement) failed on \(profile)")
        }
        #expect(stdout.contains("Card profile \(profile) is faulty on purpose"), "\(stdout.suffix(400))")
    }

    @Test("Every JPKI requirement a scenario covers is some faulty profile's expected failure")
    func everyJPKIRequirementHasAFaultyCard() throws {
        let document = try String(
            contentsOfFile: "\(repositoryRoot)/docs/requirements/jpki.md", encoding: .utf8)
        let documented = Set(
            document.components(separatedBy: "\n").compactMap { line -> String? in
                guard line.hasPrefix("| JPKI-") else { return nil }
                return line.dropFirst(2).components(separatedBy: " ")[0]
            })
        // The requirements the JPKI scenarios name: `requirements: [...]` in YAML, `# requirements:` in scripts.
        var covered = Set<String>()
        let folder = "\(repositoryRoot)/Scenarios/jpki"
        for name in try FileManager.default.contentsOfDirectory(atPath: folder) {
            let text = try String(contentsOfFile: "\(folder)/\(name)", encoding: .utf8)
            for line in text.components(separatedBy: "\n")
            where line.hasPrefix("requirements:") || line.hasPrefix("# requirements:") {
                let list = line.components(separatedBy: ":").dropFirst().joined(separator: ":")
                covered.formUnion(
                    list.components(separatedBy: CharacterSet(charactersIn: "[], ")).filter { !$0.isEmpty })
            }
        }
        #expect(covered.count >= 17, "\(covered.sorted())")
        #expect(covered.isSubset(of: documented), "scenarios name IDs docs/requirements/jpki.md lacks")
        let proven = Set(try Self.faultyProfiles.flatMap(Self.expectedFailures))
        let unproven = covered.subtracting(proven).sorted()
        #expect(unproven.isEmpty, "no faulty profile in Vectors/cards/faulty/ must fail \(unproven)")
    }

    @Test("run on a faulty card says so, and whether the suite caught it; scenarios for other cards are skipped")
    func faultySummary() throws {
        let caught = try report(["Scenarios/jpki", "Scenarios/card-states", "--card", "faulty/readable-auth-key"])
        #expect(caught.status == 1)
        #expect(
            caught.stdout.contains(
                "Card profile faulty/readable-auth-key is faulty on purpose: expected to fail JPKI-KEY-01; "
                    + "failed JPKI-KEY-01 — caught as declared"), "\(caught.stdout.suffix(600))")
        let blocked = caught.scenarios.first { $0["id"] as? String == "STATE-AUTH-PIN-BLOCKED" }
        #expect(blocked?["outcome"] as? String == "skipped")
        #expect(
            (blocked?["skipReason"] as? String ?? "").contains(
                "written for the card 'auth-pin-blocked'; the faulty card faulty/readable-auth-key is 'default'"),
            "\(String(describing: blocked))")
        // Run where nothing can catch it, the line says what was missed; the exit code stays as it was (0).
        let missed = try report(["Scenarios/text-ap", "--card", "faulty/readable-auth-key"])
        #expect(missed.status == 0)
        #expect(
            missed.stdout.contains("failed nothing — NOT as declared (not caught: JPKI-KEY-01)"),
            "\(missed.stdout.suffix(600))")
        // A conforming card says nothing of the kind.
        let plain = try report(["Scenarios/jpki/select-and-token.yaml", "--card", "default"])
        #expect(plain.status == 0)
        #expect(!plain.stdout.contains("faulty on purpose"))
        #expect(plain.target["expectedFailures"] == nil)
    }

    @Test("The card-state scenarios depend on their state: on the default card each state's scenario fails")
    func statesNeedTheirCards() throws {
        let (status, outcomes) = try outcomes(["Scenarios/card-states", "--card", "default"], ocsp: true)
        #expect(status == 1)
        for id in [
            "STATE-AUTH-PIN-ONE-TRY", "STATE-AUTH-PIN-BLOCKED", "STATE-SIGN-PASSWORD-BLOCKED",
            "STATE-CERTIFICATES-EXPIRED",
            "STATE-CARD-EXPIRED", "STATE-UNDER-15", "STATE-TEXT-AP-UNWRITTEN", "STATE-NO-JUKI-AP", "STATE-REVOKED-CRL",
            "STATE-REVOKED-OCSP", "KIOSK-CONVENIENCE-STORE-REVOKED",
        ] {
            #expect(outcomes[id] == "failed", "\(id) passed on the default card")
        }
        #expect(outcomes["KIOSK-CONVENIENCE-STORE"] == "passed")
        #expect(outcomes["KIOSK-OCSP-GOOD"] == "passed")
        #expect(outcomes["KIOSK-LIBRARY-REGISTRATION"] == "passed")
    }

    @Test("Without the responder the OCSP scenarios are skipped, saying which variable they need; the rest pass")
    func ocspNeedsTheResponder() throws {
        guard ProcessInfo.processInfo.environment["MYNACONF_OCSP_URL"] == nil else { return }
        let (status, outcomes) = try outcomes(["Scenarios"])
        #expect(status == 0)
        #expect(outcomes.filter { $0.value == "skipped" }.keys.sorted() == ["KIOSK-OCSP-GOOD", "STATE-REVOKED-OCSP"])
        #expect(outcomes.filter { $0.value != "passed" && $0.value != "skipped" }.isEmpty)
        let result = try run(["run", "Scenarios/card-states/revoked-ocsp.yaml"])
        #expect(result.status == 0)
        #expect(result.stdout.contains("skipped: needs the environment variable MYNACONF_OCSP_URL"), "\(result.stdout)")
    }

    @Test("No credential reaches a report: VERIFY, CHANGE REFERENCE DATA and CHANGE KEY data masked, 照合番号B nowhere")
    func credentialsMasked() throws {
        let report = FileManager.default.temporaryDirectory.appendingPathComponent("mynaconf-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: report) }
        let result = try run([
            "run", "Scenarios/text-ap", "Scenarios/visual-ap", "Scenarios/juki-ap", "Scenarios/common-ap",
            "--json", report.path,
        ])
        #expect(result.status == 0)
        let text = try String(contentsOf: report, encoding: .utf8)
        // 照合番号B of the default card (55010120352285) and the new 住基 PINs the scenarios set, as APDU bytes.
        for secret in ["35 35 30 31 30 31 32 30 33 35 32 32 38 35", "34 33 32 31", "39 38 37 36"] {
            #expect(!text.contains(secret), "\(secret) is in the report")
        }
        let json = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        var commands = 0
        for scenario in json["scenarios"] as? [[String: Any]] ?? [] {
            for entry in scenario["transcript"] as? [[String: Any]] ?? [] {
                guard let command = entry["command"] as? String else { continue }
                let bytes = command.split(separator: " ")
                guard bytes.count > 5 else { continue }
                let credential = ["20", "24"].contains(bytes[1]) || (bytes[0] == "80" && bytes[1] == "32")
                if credential {
                    commands += 1
                    #expect(bytes[5] == "********", "\(command)")
                }
            }
        }
        #expect(commands > 20)
    }
}
