import Foundation
import Runner

/// JUnit XML, the report CI systems gate on. One test case per scenario, named by the scenario's ID and classed by
/// its suite (the scenario's folder under `Scenarios/`); the target and the run's evidence (harness commit, reader,
/// cards, input digests) as suite properties, since neither schema allows properties inside a test case. Checked against Jenkins' junit-10.xsd (one file) and Maven
/// Surefire's strict surefire-3.0.xsd (one file per suite), and read with junitparser, in the tests.
public enum JUnitReport {
    /// The suite a run with no scenarios reports, so its properties (target, interruption) are still there.
    public static let emptyRunSuite = "mynaconf"

    /// One document with a `<testsuites>` root and one `<testsuite>` per suite; valid under junit-10.xsd.
    public static func render(_ run: RunResult) -> String {
        var xml = XMLWriter()
        xml.start(
            "testsuites",
            [
                ("name", "mynaconf"), ("tests", "\(run.scenarios.count)"), ("failures", "\(run.failed)"),
                ("errors", "\(run.errors)"), ("time", Figures.seconds(run.duration)),
            ])
        for suite in suites(of: run) {
            write(suite.name, suite.scenarios, of: run, perSuite: false, to: &xml)
        }
        xml.end()
        return xml.document
    }

    /// One document per suite with a `<testsuite>` root; each valid under the strict surefire-3.0.xsd.
    /// A run with no scenarios gives one empty suite named `mynaconf`.
    public static func renderPerSuite(_ run: RunResult) -> [(suite: String, document: String)] {
        suites(of: run).map { suite in
            var xml = XMLWriter()
            write(suite.name, suite.scenarios, of: run, perSuite: true, to: &xml)
            return (suite.name, xml.document)
        }
    }

    /// The file name used for a suite in `--junit-dir`: `TEST-<suite>.xml` (Surefire's convention). Only
    /// `A–Z a–z 0–9 . _ -` are kept; a name that needed changing also gets a short hash of the original, so two
    /// suites never share a file.
    public static func fileName(forSuite suite: String) -> String {
        let safe = suite.unicodeScalars.map { scalar -> String in
            switch scalar {
            case "A"..."Z", "a"..."z", "0"..."9", ".", "_", "-": String(scalar)
            default: "_"
            }
        }.joined()
        let changed = safe != suite || suite.isEmpty || suite.hasPrefix(".") || suite.count > 100
        guard changed else { return "TEST-\(suite).xml" }
        // FNV-1a over the UTF-8 bytes: stable across runs and platforms, unlike Hasher.
        var hash: UInt32 = 0x811C_9DC5
        for byte in suite.utf8 {
            hash = (hash ^ UInt32(byte)) &* 0x0100_0193
        }
        let hex = String(hash, radix: 16)
        let stem = String(safe.prefix(100))
        return "TEST-\(stem.isEmpty ? "_" : stem)-\(String(repeating: "0", count: 8 - hex.count) + hex).xml"
    }

    private static func suites(of run: RunResult) -> [(name: String, scenarios: [ScenarioResult])] {
        run.scenarios.isEmpty ? [(emptyRunSuite, [])] : run.suites
    }

    /// The run's target, its evidence and its state, the same on every suite. Names are fixed, so two runs' reports
    /// compare property by property; a value that is not known is written `unknown`, never left out.
    static func properties(of run: RunResult) -> [(String, String)] {
        let target = run.target
        var properties = [
            ("harness.version", target.harnessVersion),
            ("harness.commit", target.harnessCommit ?? "unknown"),
            ("harness.modified", target.harnessModified ? "true" : "false"),
            ("reader", target.reader),
            ("reader.firmware", target.readerFirmware ?? "unknown"),
        ]
        // Added after the fixed names, and only when there is a reason to give, so earlier reports still compare.
        if let note = target.readerFirmwareNote { properties.append(("reader.firmware.note", note)) }
        if let profile = target.cardApProfile { properties.append(("card-ap.profile", profile)) }
        // A deliberately faulty card: what it must fail, and whether the suite caught exactly that.
        if let expected = target.expectedFailures {
            let verdict = FaultyCardVerdict(profile: target.cardProfile, expected: expected, run: run)
            properties += [
                ("card.expected-failures", expected.joined(separator: ", ")),
                ("card.faulty-verdict", verdict.caughtAsDeclared ? "caught as declared" : "not as declared"),
                ("card.faulty-verdict.detail", verdict.line),
            ]
        }
        properties += [
            ("card.atr", target.atr),
            ("card.profile", target.cardProfile),
            ("card.real", target.isRealCard ? "true" : "false"),
        ]
        for (index, card) in target.cards.enumerated() {
            let prefix = "card.\(index + 1)."
            properties += [
                (prefix + "profile", card.profile ?? "real card"),
                (prefix + "atr", card.atr),
                (prefix + "token-serial", card.tokenSerial ?? "unknown"),
                (prefix + "auth-certificate.serial", card.authenticationCertificateSerial ?? "unknown"),
                (prefix + "auth-certificate.sha256", card.authenticationCertificateSHA256 ?? "unknown"),
            ]
        }
        properties += [
            ("run.started", Figures.timestamp(run.startedAt, fractional: false)),
            ("run.ended", Figures.timestamp(run.endedAt, fractional: false)),
            ("run.interrupted", run.interrupted ? "true" : "false"),
        ]
        if let reason = run.stopReason { properties.append(("run.stop-reason", reason)) }
        // One property per input, named by its path, so two runs compare file by file.
        for input in run.inputs {
            properties.append(("sha256:" + input.path, input.sha256))
        }
        return properties
    }

    private static func write(
        _ name: String, _ scenarios: [ScenarioResult], of run: RunResult, perSuite: Bool, to xml: inout XMLWriter
    ) {
        let count = { (outcome: String) in scenarios.filter { $0.outcomeName == outcome }.count }
        let time = scenarios.reduce(Duration.zero) { $0 + $1.duration }
        var attributes: [(String, String)] = [
            ("name", name), ("tests", "\(scenarios.count)"), ("failures", "\(count("failed"))"),
            ("errors", "\(count("error"))"), ("skipped", "\(count("skipped"))"), ("time", Figures.seconds(time)),
        ]
        // Surefire 3.0 has no timestamp; Jenkins shows it when it is there.
        if !perSuite { attributes.append(("timestamp", Figures.timestamp(run.startedAt, fractional: false))) }
        xml.start("testsuite", attributes)
        xml.start("properties")
        for (key, value) in properties(of: run) {
            xml.element("property", [("name", key), ("value", value)])
        }
        xml.end()
        // A scenario run more than once (--repeat) gets one testcase per run, numbered, so that consumers which
        // key results by name (Jenkins, GitLab) keep every run; a single run keeps the bare, stable name.
        let runs = Dictionary(scenarios.map { ($0.testName, 1) }, uniquingKeysWith: +)
        var seen: [String: Int] = [:]
        for scenario in scenarios {
            let total = runs[scenario.testName] ?? 1
            seen[scenario.testName, default: 0] += 1
            let run = seen[scenario.testName] ?? 1
            let name = total > 1 ? "\(scenario.testName) [run \(run) of \(total)]" : scenario.testName
            write(scenario, named: name, to: &xml)
        }
        xml.end()
    }

    private static func write(_ scenario: ScenarioResult, named name: String, to xml: inout XMLWriter) {
        xml.start(
            "testcase", [("name", name), ("classname", scenario.suite), ("time", Figures.seconds(scenario.duration))])
        // Surefire's order: failure, skipped, error, system-out.
        switch scenario.outcome {
        case .passed:
            break
        case .failed(let failure):
            xml.element(
                "failure", [("message", message(failure)), ("type", "mynaconf.ExpectationFailed")],
                text: details(failure))
        case .skipped(let reason):
            xml.element("skipped", [("message", reason)])
        case .error(let failure):
            xml.element(
                "error", [("message", message(failure)), ("type", "mynaconf.HarnessError")], text: details(failure))
        }
        xml.element("system-out", text: systemOut(scenario))
        xml.end()
    }

    /// `file:line:column: what went wrong: expected X, got Y`, the line a CI page shows.
    static func message(_ failure: ScenarioFailure) -> String {
        var text = "\(failure.location): \(failure.message)"
        if !failure.expected.isEmpty || !failure.actual.isEmpty {
            text += ": expected \(failure.expected), got \(failure.actual)"
        }
        return text
    }

    static func details(_ failure: ScenarioFailure) -> String {
        var lines = ["at \(failure.location)", failure.message]
        if !failure.expected.isEmpty || !failure.actual.isEmpty {
            lines += ["expected: \(failure.expected)", "got:      \(failure.actual)"]
        }
        return lines.joined(separator: "\n")
    }

    /// The scenario's identity, its APDU transcript (credentials masked) and its timed steps.
    static func systemOut(_ scenario: ScenarioResult) -> String {
        var lines = [
            "scenario: \(scenario.id)",
            "title: \(scenario.title)",
            "file: \(scenario.file)",
        ]
        if let profile = scenario.cardProfile { lines.append("card profile: \(profile)") }
        if !scenario.requirements.isEmpty {
            lines.append("requirements: " + scenario.requirements.joined(separator: ", "))
        }
        if !scenario.tags.isEmpty { lines.append("tags: " + scenario.tags.joined(separator: ", ")) }
        if !scenario.transcript.isEmpty {
            lines.append("")
            let count = scenario.transcript.count
            lines.append("transcript (\(count) command\(count == 1 ? "" : "s")):")
            for entry in scenario.transcript {
                lines.append("  \(entry.step)  \(Figures.milliseconds(entry.duration)) ms")
                lines.append("  > \(entry.maskedCommand)")
                lines.append("  < \(entry.response)")
                if let plain = entry.plainCommand { lines.append("    plain > \(plain)") }
                if let plain = entry.plainResponse { lines.append("    plain < \(plain)") }
            }
        }
        if !scenario.timings.isEmpty {
            lines.append("")
            lines.append("timings:")
            for timing in scenario.timings {
                var line =
                    "  \(timing.name): \(timing.samples.count) samples, p50 \(Figures.milliseconds(timing.p50)) ms, "
                    + "p95 \(Figures.milliseconds(timing.p95)) ms, max \(Figures.milliseconds(timing.maximum)) ms"
                if let within = timing.withinBudget {
                    line += "; budget \(timing.budgetText): " + (within ? "kept" : "EXCEEDED")
                }
                lines.append(line)
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
