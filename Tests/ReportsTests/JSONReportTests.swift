// The JSON report against its published schema (docs/schemas/report-v1.schema.json, checked with Debian's
// python3-jsonschema), and read back by Python's and Foundation's parsers.
import Foundation
import Runner
import TestSupport
import Testing

@testable import Reports

let jsonSchema = repositoryFolder.appendingPathComponent("docs/schemas/report-v1.schema.json")

let validateScript = """
    import json, sys, jsonschema
    schema = json.load(open(sys.argv[1], encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    errors = []
    for path in sys.argv[2:]:
        document = json.load(open(path, encoding="utf-8"))
        errors += ["%s: %s at %s" % (path, e.message, list(e.absolute_path))
                   for e in jsonschema.Draft202012Validator(schema).iter_errors(document)]
    print("\\n".join(errors))
    sys.exit(1 if errors else 0)
    """

/// Validates JSON documents against the published schema; returns the validator's complaints.
func validateJSON(_ documents: [String]) throws -> ProgramRun {
    let directory = try temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let paths = try documents.enumerated().map { index, document in
        let path = directory.appendingPathComponent("report-\(index).json").path
        try ReportFile.writeAtomically(document, to: path)
        return path
    }
    return try runPython(
        validateScript, [jsonSchema.path] + paths, module: "jsonschema", debianPackage: "python3-jsonschema")
}

@Suite("JSON report")
struct JSONReportTests {
    @Test("Validates against report-v1.schema.json: the fixture, an interrupted run, an empty interrupted run")
    func validatesAgainstSchema() throws {
        let result = try validateJSON([fixtureRun, interruptedRun, emptyInterruptedRun].map(JSONReport.render))
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
    }

    @Test("A faulty card's run carries target.expectedFailures, valid against the schema; no other run has it")
    func expectedFailures() throws {
        var faulty = fixtureRun
        faulty.target.expectedFailures = ["JPKI-KEY-01", "KIOSK-01"]
        let rendered = JSONReport.render(faulty)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(rendered.utf8)) as? [String: Any])
        let target = try #require(object["target"] as? [String: Any])
        #expect(target["expectedFailures"] as? [String] == ["JPKI-KEY-01", "KIOSK-01"])
        #expect(!JSONReport.render(fixtureRun).contains("expectedFailures"))
        let result = try validateJSON([rendered])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        let repeated = rendered.replacingOccurrences(of: "\"KIOSK-01\"", with: "\"JPKI-KEY-01\"")
        #expect(repeated != rendered)
        #expect(try validateJSON([repeated]).status == 1, "an ID twice is refused by the schema")
    }

    @Test("The schema check can fail: a missing summary, an unknown outcome, a bad digest or commit are refused")
    func schemaCheckCanFail() throws {
        let rendered = JSONReport.render(fixtureRun)
        let withoutSummary = rendered.replacingOccurrences(of: "\"summary\"", with: "\"summery\"")
        let unknownOutcome = rendered.replacingOccurrences(
            of: "\"outcome\": \"skipped\"", with: "\"outcome\": \"todo\"")
        // The evidence is checked too: a digest that is not SHA-256 hex, a commit that is not a git hash.
        let badDigest = rendered.replacingOccurrences(of: fixtureInputs[0].sha256, with: "not-a-digest")
        let badCommit = rendered.replacingOccurrences(
            of: "0123456789abcdef0123456789abcdef01234567", with: "main")
        #expect(withoutSummary != rendered && unknownOutcome != rendered)
        #expect(badDigest != rendered && badCommit != rendered)
        for document in [withoutSummary, unknownOutcome, badDigest, badCommit] {
            let result = try validateJSON([document])
            #expect(result.status == 1, "\(result.stdout)\(result.stderr)")
        }
    }

    @Test("Parses back with the schema version, counts, outcomes and every hostile string intact")
    func roundTrip() throws {
        let rendered = JSONReport.render(fixtureRun)
        let object = try #require(
            try JSONSerialization.jsonObject(with: Data(rendered.utf8)) as? [String: Any])
        #expect(object["schemaVersion"] as? Int == JSONReport.schemaVersion)
        #expect(JSONReport.schemaVersion == 1)
        #expect(object["format"] as? String == "mynaconf-report")
        let summary = try #require(object["summary"] as? [String: Int])
        #expect(summary == ["total": 5, "passed": 1, "failed": 2, "errors": 1, "skipped": 1])
        let scenarios = try #require(object["scenarios"] as? [[String: Any]])
        #expect(scenarios.map { $0["outcome"] as? String } == ["passed", "failed", "failed", "skipped", "error"])
        #expect(scenarios.map { $0["title"] as? String } == fixtureRun.scenarios.map(\.title))
        let failure = try #require(scenarios[2]["failure"] as? [String: String])
        #expect(failure["actual"] == "got \(hostile)")
        let run = try #require(object["run"] as? [String: Any])
        #expect(run["startedAt"] as? String == "2025-04-01T09:30:00.125Z")
        #expect(run["endedAt"] as? String == "2025-04-01T09:30:01.375Z")
        let target = try #require(object["target"] as? [String: Any])
        #expect(target["harnessCommit"] as? String == "0123456789abcdef0123456789abcdef01234567")
        #expect(target["harnessModified"] as? Bool == true)
        #expect(target["readerFirmware"] as? String == "1.10")
        let inputs = try #require(object["inputs"] as? [[String: Any]])
        #expect(inputs.map { $0["path"] as? String } == fixtureInputs.map(\.path))
        #expect(inputs.map { $0["sha256"] as? String } == fixtureInputs.map(\.sha256))
        #expect(inputs.map { $0["kind"] as? String } == ["scenario", "scenario", "scenario", "card-profile"])
        #expect(run["interrupted"] as? Bool == false)
    }

    @Test("Strings are escaped as RFC 8259 requires, at the byte level")
    func escaping() {
        #expect(JSONValue.quoted("a\"b\\c/d") == #""a\"b\\c/d""#)
        #expect(JSONValue.quoted("\u{0}\u{1B}\n\r\t\u{8}\u{C}\u{7F}") == #""\u0000\u001B\n\r\t\b\f\u007F""#)
        #expect(JSONValue.quoted("署名 🔐 \u{FFFE} \u{2028}") == "\"署名 🔐 \u{FFFE} \\u2028\"")
    }

    @Test("Keys are sorted at every level and durations are milliseconds with three decimals")
    func layout() {
        let value = JSONValue.object([
            "b": .integer(1), "a": .object(["z": .null, "y": .array([])]), "c": .milliseconds(.microseconds(1_500)),
        ])
        #expect(
            value.rendered() == "{\n  \"a\": {\n    \"y\": [],\n    \"z\": null\n  },\n  \"b\": 1,\n  \"c\": 1.500\n}")
        #expect(JSONReport.render(emptyInterruptedRun).contains("\"scenarios\": []"))
    }
}
