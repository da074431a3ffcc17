// The JUnit reports as their consumers see them: xmllint against Jenkins' junit-10.xsd and Maven Surefire's strict
// surefire-3.0.xsd, and python3-junitparser (what many CI report actions use) reading the counts and strings back.
import Foundation
import Runner
import TestSupport
import Testing

@testable import Reports

/// Writes the single-file report and the per-suite files of `run` into a fresh directory.
struct WrittenReports {
    var directory: URL
    var single: URL
    var perSuite: [URL]

    init(_ run: RunResult) throws {
        directory = try temporaryDirectory()
        single = directory.appendingPathComponent("junit.xml")
        try ReportFile.writeAtomically(JUnitReport.render(run), to: single.path)
        let suiteDirectory = directory.appendingPathComponent("junit-dir")
        perSuite = try JUnitReport.renderPerSuite(run).map { suite, document in
            let url = suiteDirectory.appendingPathComponent(JUnitReport.fileName(forSuite: suite))
            try ReportFile.writeAtomically(document, to: url.path)
            return url
        }
    }

    func remove() { try? FileManager.default.removeItem(at: directory) }
}

func xmllint(schema: String, _ file: URL) throws -> ProgramRun {
    let schemaPath = junitSchemas.appendingPathComponent(schema).path
    guard FileManager.default.fileExists(atPath: schemaPath) else {
        Issue.record("schema \(schemaPath) is missing: shared/docs/junit-schemas must sit beside the clone")
        throw ProgramProblem(schemaPath)
    }
    return try runTool(
        "/usr/bin/xmllint", ["--noout", "--schema", schemaPath, file.path], debianPackage: "libxml2-utils")
}

/// What junitparser reads from each file: per suite, the count attributes, the counts recomputed from the test
/// cases' results, and the strings a CI page shows.
struct ParsedSuite: Decodable, Equatable {
    var name: String
    var tests: Int?
    var failures: Int?
    var errors: Int?
    var skipped: Int?
    var cases: Int
    var caseFailures: Int
    var caseErrors: Int
    var caseSkipped: Int
    var names: [String]
    var classnames: [String]
    var messages: [String?]
    var systemOut: [String?]
    var properties: [String: String]
}

let junitparserScript = """
    import json, sys
    from junitparser import JUnitXml, TestSuite, Failure, Error, Skipped
    out = []
    for path in sys.argv[1:]:
        xml = JUnitXml.fromfile(path)
        for suite in ([xml] if isinstance(xml, TestSuite) else list(xml)):
            cases = list(suite)
            def count(kind):
                return sum(1 for case in cases if any(isinstance(r, kind) for r in case.result))
            out.append({
                "name": suite.name, "tests": suite.tests, "failures": suite.failures, "errors": suite.errors,
                "skipped": suite.skipped, "cases": len(cases), "caseFailures": count(Failure),
                "caseErrors": count(Error), "caseSkipped": count(Skipped),
                "names": [case.name for case in cases], "classnames": [case.classname for case in cases],
                "messages": [case.result[0].message if case.result else None for case in cases],
                "systemOut": [case.system_out for case in cases],
                "properties": {p.name: p.value for p in suite.properties()},
            })
    print(json.dumps(out))
    """

func junitparser(_ files: [URL]) throws -> [ParsedSuite] {
    let result = try runPython(
        junitparserScript, files.map(\.path), module: "junitparser", debianPackage: "python3-junitparser")
    #expect(result.status == 0, "junitparser failed: \(result.stderr)")
    return try JSONDecoder().decode([ParsedSuite].self, from: Data(result.stdout.utf8))
}

/// What a conforming XML parser must give back for a string we wrote: forbidden and discouraged characters shown
/// as `\u{…}`,
/// everything else (CR, CR LF, TAB, quotes, emoji, Japanese) exactly as it was.
func afterXML(_ text: String) -> String {
    var out = ""
    for scalar in text.unicodeScalars {
        if XMLEscaping.isForbidden(scalar) || XMLEscaping.isDiscouraged(scalar) {
            out += XMLEscaping.visible(scalar)
        } else {
            out.unicodeScalars.append(scalar)
        }
    }
    return out
}

@Suite("JUnit reports as consumers read them")
struct JUnitConsumerTests {
    static let runs: [(String, RunResult)] = [
        ("fixture", fixtureRun), ("interrupted", interruptedRun), ("empty interrupted", emptyInterruptedRun),
    ]

    @Test("--junit FILE validates under junit-10.xsd", arguments: [0, 1, 2])
    func singleFileIsValid(_ index: Int) throws {
        let (label, run) = Self.runs[index]
        let reports = try WrittenReports(run)
        defer { reports.remove() }
        let result = try xmllint(schema: "junit-10.xsd", reports.single)
        #expect(result.status == 0, "\(label): \(result.stderr)")
        #expect(result.stderr.contains("validates"), "\(label): \(result.stderr)")
    }

    @Test("--junit-dir DIR: every per-suite file validates under the strict surefire-3.0.xsd", arguments: [0, 1, 2])
    func perSuiteFilesAreValid(_ index: Int) throws {
        let (label, run) = Self.runs[index]
        let reports = try WrittenReports(run)
        defer { reports.remove() }
        #expect(!reports.perSuite.isEmpty)
        for file in reports.perSuite {
            let result = try xmllint(schema: "surefire-3.0.xsd", file)
            #expect(result.status == 0, "\(label) \(file.lastPathComponent): \(result.stderr)")
        }
    }

    @Test("The schema check can fail: Surefire refuses a <testsuites> root and a testsuite timestamp")
    func schemaCheckCanFail() throws {
        let reports = try WrittenReports(fixtureRun)
        defer { reports.remove() }
        let wrongRoot = try xmllint(schema: "surefire-3.0.xsd", reports.single)
        #expect(wrongRoot.status != 0)
        let withTimestamp = reports.directory.appendingPathComponent("timestamp.xml")
        let document = JUnitReport.renderPerSuite(fixtureRun)[0].document
            .replacingOccurrences(of: "<testsuite name=", with: "<testsuite timestamp=\"2025-04-01T09:30:00\" name=")
        try ReportFile.writeAtomically(document, to: withTimestamp.path)
        let rejected = try xmllint(schema: "surefire-3.0.xsd", withTimestamp)
        #expect(rejected.status != 0, "surefire-3.0.xsd accepted a timestamp: the check proves nothing")
    }

    @Test("junitparser reads the right counts from the single file: 5 tests, 2 failures, 1 error, 1 skipped")
    func countsFromSingleFile() throws {
        let reports = try WrittenReports(fixtureRun)
        defer { reports.remove() }
        let suites = try junitparser([reports.single])
        #expect(suites.map(\.name) == ["jpki", "text-ap", "free area/type A"])
        for (attribute, recomputed, expected) in [
            (\ParsedSuite.tests, \ParsedSuite.cases, 5), (\.failures, \.caseFailures, 2), (\.errors, \.caseErrors, 1),
            (\.skipped, \.caseSkipped, 1),
        ] as [(KeyPath<ParsedSuite, Int?>, KeyPath<ParsedSuite, Int>, Int)] {
            #expect(suites.map { $0[keyPath: attribute] ?? -1 }.reduce(0, +) == expected)
            #expect(suites.map { $0[keyPath: recomputed] }.reduce(0, +) == expected)
        }
    }

    @Test("--repeat: one testcase per run, numbered, so consumers keyed by name keep each; one run keeps bare names")
    func repeatedRunsAreNumbered() throws {
        let names = { (document: String) -> [String] in
            document.components(separatedBy: "<testcase name=\"").dropFirst().map {
                String($0.prefix { $0 != "\"" })
            }
        }
        let single = names(JUnitReport.render(fixtureRun))
        let repeated = names(JUnitReport.render(repeatedRun))
        #expect(single == fixtureRun.scenarios.map(\.testName))
        #expect(repeated.count == 2 * single.count && Set(repeated).count == repeated.count, "\(repeated)")
        #expect(repeated.contains("\(single[0]) [run 1 of 2]") && repeated.contains("\(single[0]) [run 2 of 2]"))
        // Still valid for the strict consumer.
        let reports = try WrittenReports(repeatedRun)
        defer { reports.remove() }
        #expect(try xmllint(schema: "junit-10.xsd", reports.single).status == 0)
    }

    @Test("junitparser reads the right counts from each per-suite file")
    func countsFromPerSuiteFiles() throws {
        let reports = try WrittenReports(fixtureRun)
        defer { reports.remove() }
        let suites = try junitparser(reports.perSuite)
        #expect(suites.map(\.name) == ["jpki", "text-ap", "free area/type A"])
        #expect(
            suites.map { [$0.tests, $0.failures, $0.errors, $0.skipped] } == [
                [3, 2, 0, 0], [1, 0, 0, 1], [1, 0, 1, 0],
            ])
        #expect(
            suites.map { [$0.cases, $0.caseFailures, $0.caseErrors, $0.caseSkipped] }
                == [[3, 2, 0, 0], [1, 0, 0, 1], [1, 0, 1, 0]])
    }

    @Test("junitparser reads zero tests from an empty interrupted run, with the interruption as a property")
    func emptyRun() throws {
        let reports = try WrittenReports(emptyInterruptedRun)
        defer { reports.remove() }
        for suites in [try junitparser([reports.single]), try junitparser(reports.perSuite)] {
            #expect(suites.count == 1)
            #expect(suites.first?.tests == 0)
            #expect(suites.first?.cases == 0)
            #expect(suites.first?.properties["run.interrupted"] == "true")
        }
    }

    @Test("Names, class names, messages, transcripts and properties come back as written; hostile strings intact")
    func stringsRoundTrip() throws {
        let reports = try WrittenReports(fixtureRun)
        defer { reports.remove() }
        for suites in [try junitparser([reports.single]), try junitparser(reports.perSuite)] {
            let cases = suites.flatMap { suite in suite.names.indices.map { (suite, $0) } }
            #expect(cases.count == fixtureRun.scenarios.count)
            for ((suite, index), scenario) in zip(cases, fixtureRun.scenarios) {
                #expect(suite.names[index] == afterXML(scenario.testName))
                #expect(suite.classnames[index] == scenario.suite)
                #expect(suite.systemOut[index] == afterXML(JUnitReport.systemOut(scenario)))
                switch scenario.outcome {
                case .failed(let failure), .error(let failure):
                    #expect(suite.messages[index] == afterXML(JUnitReport.message(failure)))
                case .skipped(let reason):
                    #expect(suite.messages[index] == afterXML(reason))
                case .passed:
                    #expect(suite.messages[index] == nil)
                }
            }
            for suite in suites {
                #expect(
                    suite.properties == [
                        "harness.version": "0.1.0", "harness.commit": "0123456789abcdef0123456789abcdef01234567",
                        "harness.modified": "true", "reader": "Virtual PCD 00 00", "reader.firmware": "1.10",
                        "card.atr": "3B E0 00 FF 81 31 FE 45 14", "card.profile": "default", "card.real": "false",
                        "card.1.profile": "default", "card.1.atr": "3B E0 00 FF 81 31 FE 45 14",
                        "card.1.token-serial": "0000000020500003", "card.1.auth-certificate.serial": "01 2D 57 CA",
                        "card.1.auth-certificate.sha256":
                            "a13c4524831bed9dad23d62dcc7f386439da75147234a0897cfcabe26583e0c8",
                        "run.started": "2025-04-01T09:30:00Z", "run.ended": "2025-04-01T09:30:01Z",
                        "run.interrupted": "false",
                        "sha256:Scenarios/jpki/sign.yaml": fixtureInputs[0].sha256,
                        "sha256:Scenarios/jpki/pin-lockout.yaml": fixtureInputs[1].sha256,
                        "sha256:Scenarios/jpki/<hostile> & \"quoted\".yaml": fixtureInputs[2].sha256,
                        "sha256:Vectors/cards/default.yaml": fixtureInputs[3].sha256,
                    ])
            }
        }
        // The hostile message really is in there: CR, CR LF and TAB survived attribute normalisation.
        let hostileName = try junitparser([reports.single]).flatMap(\.messages).compactMap { $0 }.first {
            $0.contains("message NUL")
        }
        #expect(hostileName?.contains("CR[\r] CRLF[\r\n] TAB[\t]") == true)
        #expect(hostileName?.contains("NUL[\\u{0}] ESC[\\u{1B}[31m]") == true)
        #expect(hostileName?.contains("U+FFFE[\\u{FFFE}] U+FFFF[\\u{FFFF}]") == true)
        #expect(hostileName?.contains("🔐 署名用電子証明書") == true)
    }
}
