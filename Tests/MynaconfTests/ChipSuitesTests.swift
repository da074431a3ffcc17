import Foundation
import Testing

/// The chip's suites (text, visual, juki, common APs, card states) as `make run` runs them: all pass on their own
/// profiles with the OCSP responder alongside, every faulty profile is caught by the scenarios that should catch
/// it, and the card-state scenarios really depend on their card's state.
@Suite("Chip suites and faulty profiles", .serialized)
struct ChipSuitesTests {
    /// Runs `mynaconf run ARGUMENTS --json FILE`, under scripts/ocsp-responder when `ocsp`, and returns the exit
    /// status and each scenario's outcome by ID.
    func outcomes(_ arguments: [String], ocsp: Bool = false) throws -> (status: Int32, outcomes: [String: String]) {
        let report = FileManager.default.temporaryDirectory.appendingPathComponent("mynaconf-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: report) }
        let process = Process()
        let command = [mynaconfBinary().path, "run"] + arguments + ["--json", report.path]
        if ocsp {
            process.executableURL = URL(fileURLWithPath: "\(repositoryRoot)/scripts/ocsp-responder")
            process.arguments = ["--"] + command
        } else {
            process.executableURL = URL(fileURLWithPath: command[0])
            process.arguments = Array(command.dropFirst())
        }
        process.currentDirectoryURL = URL(fileURLWithPath: repositoryRoot)
        process.standardOutput = FileHandle.nullDevice
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        let stderr = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard let data = FileManager.default.contents(atPath: report.path),
            let json = try JSONSerialization.jsonObject(with: data) as? [String: Any],
            let scenarios = json["scenarios"] as? [[String: Any]]
        else {
            Issue.record("no JSON report (exit \(process.terminationStatus)): \(stderr)")
            return (process.terminationStatus, [:])
        }
        var result: [String: String] = [:]
        for scenario in scenarios {
            if let id = scenario["id"] as? String, let outcome = scenario["outcome"] as? String { result[id] = outcome }
        }
        return (process.terminationStatus, result)
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

    @Test(
        "Each faulty profile is caught by exactly the scenarios that check what it breaks",
        arguments: [
            ("faulty-my-number-check-digit", "text-ap", ["TEXT-MY-NUMBER", "TEXT-FLOW-FORM-PREFILL"]),
            ("faulty-text-offset-table", "text-ap", ["TEXT-ATTRIBUTES", "TEXT-FLOW-FORM-PREFILL"]),
            ("faulty-text-integrity-hash", "text-ap", ["TEXT-INTEGRITY", "TEXT-FLOW-FORM-PREFILL"]),
            ("faulty-text-code-a-opens-attributes", "text-ap", ["TEXT-CODE-ACCESS"]),
            ("faulty-card-face-signature", "visual-ap", ["VIS-FACE-SIGNATURE"]),
            ("faulty-card-face-photo", "visual-ap", ["VIS-CARD-FACE"]),
            ("faulty-visual-code-b-opens-my-number", "visual-ap", ["VIS-MY-NUMBER-IMAGE"]),
            ("faulty-change-key-without-verify", "juki-ap", ["JUKI-PIN-CHANGE-KEY"]),
            ("faulty-change-key-without-verify", "common-ap", ["COMMON-PIN-CHANGE-KEY"]),
            ("faulty-internal-authenticate-sha1", "common-ap", ["COMMON-INTERNAL-AUTH", "COMMON-PIN-LOCKOUT"]),
            ("faulty-under-15-presence-flags", "card-states/under-15.yaml", ["STATE-UNDER-15"]),
        ])
    func faultyProfileCaught(profile: String, suite: String, caught: [String]) throws {
        let (status, outcomes) = try outcomes(["Scenarios/\(suite)", "--card", profile])
        #expect(status == 1, "a faulty card must fail the run")
        let failed = Set(outcomes.filter { $0.value != "passed" }.keys)
        #expect(failed == Set(caught), "\(profile) on \(suite)")
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
