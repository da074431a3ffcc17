import Foundation
import Testing
import YAMLSource

@testable import Scenario

let testsFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
let brokenFolder = testsFolder.appendingPathComponent("Broken").path

/// Every file in `Broken/` with the place its first problem must be reported and words the message must hold.
/// (`brokenElsewhere` lists those checked where APDUs are evaluated: the Runner and the command line.)
let brokenExpectations: [(file: String, position: String, words: String)] = [
    ("bad-hex.yaml", "4:18", "invalid hex digit 'G'"),
    ("bad-indent.yaml", "5:4", "YAML syntax"),
    ("bad-pattern.yaml", "4:34", "'openssl' is not one of"),
    ("bad-script.scr", "2:1", "Lc says 10 data bytes but 2 follow"),
    ("bad-sw.yaml", "5:19", "'90000' is not a status word"),
    ("duplicate-key.yaml", "2:1", "duplicate key 'title'"),
    ("empty.yaml", "1:1", "the file is empty"),
    ("tab.yaml", "4:1", "YAML syntax"),
    ("two-actions.yaml", "4:5", "exactly one action"),
    ("unknown-function.yaml", "4:25", "unknown function 'sha512'"),
    ("unknown-key.yaml", "2:1", "unknown key 'titel' (did you mean 'title'?)"),
    ("unknown-step.yaml", "5:5", "unknown key 'selekt' (did you mean 'select'?)"),
    ("unknown-variable.yaml", "4:28", "unknown variable 'card.pins.auht'"),
    ("unterminated.yaml", "4:51", "expected ',' or ')'"),
    ("wrong-type.yaml", "3:14", "expected true or false"),
    ("repeat-expect-data.yaml", "8:15", "'data' does not apply to repeat"),
    ("both-data.yaml", "5:38", "give either data or data_prefix, not both"),
    ("nested-repeat.yaml", "10:20", "this repeat runs its steps 10000000000 times"),
    ("long-wait.yaml", "9:23", "waits add up to 60000001000 ms"),
    ("deep-template.yaml", "6:189", "functions nested more than 32 deep"),
]

/// Files whose problem shows only where templates are evaluated or profiles looked up (the command line).
let brokenElsewhere: [(file: String, position: String, words: String)] = [
    ("lc-mismatch.yaml", "4:11", "Lc says 5 data bytes but 2 follow"),
    ("byte-overflow.yaml", "4:25", "300 does not fit in one byte"),
    ("missing-card.yaml", "3:7", "no card profile named 'no-such-profile'"),
    ("concat-bomb.yaml", "6:30", "concat makes more than 1048576 bytes"),
]

@Suite("Broken scenario files are rejected with their location")
struct BrokenCorpusTests {
    @Test("Each broken file: file:line:column and what is wrong", arguments: brokenExpectations.map(\.file))
    func brokenFile(name: String) throws {
        let expectation = brokenExpectations.first { $0.file == name }!
        let path = "\(brokenFolder)/\(name)"
        let catalog = ScenarioCatalog.load(paths: [path])
        let first = try #require(catalog.diagnostics.first, "no problem reported for \(name)")
        #expect(first.description.hasPrefix("\(path):\(expectation.position): error: "), "\(first)")
        #expect(first.description.contains(expectation.words), "\(first)")
    }

    @Test("Every file in the corpus has an expectation, so a new broken file cannot go unchecked")
    func corpusIsCovered() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: brokenFolder).sorted()
        let covered = Set(
            brokenExpectations.map(\.file) + brokenElsewhere.map(\.file) + [
                "duplicate-id-a.yaml", "duplicate-id-b.yaml",
            ])
        #expect(Set(files) == covered)
    }

    /// Not a corpus file: the schema check would expand it too (millions of values), in Python.
    @Test("A billion-laughs scenario (nested aliases, 9^7 steps) is refused at once, with its place")
    func aliasBomb() throws {
        var text = "id: ALIAS-BOMB\ntitle: nested aliases\nrequirement: R-1\nsteps:\n"
        text += "  - repeat: { times: 1, steps: &a [{ get_challenge: 8 }, { get_challenge: 8 }] }\n"
        for (previous, anchor) in zip("abcdefg", "bcdefgh") {
            let references = Array(repeating: "*\(previous)", count: 9).joined(separator: ", ")
            text += "  - repeat: { times: 1, steps: &\(anchor) [\(references)] }\n"
        }
        let parser = ScenarioParser()
        #expect(parser.parse(file: "bomb.yaml", text: text) == nil)
        let first = try #require(parser.diagnostics.first)
        #expect(first.description.hasPrefix("bomb.yaml:5:"), "\(first)")
        #expect(first.description.contains("aliases (*name) expand this document to more than"), "\(first)")
    }

    @Test("Honest anchors and aliases read as written; repeats within the bound in all are accepted")
    func honestAliasesAndRepeats() throws {
        let text = """
            id: ALIASES
            title: a reused step list
            requirement: R-1
            steps:
              - repeat: { times: 1000, steps: &challenge [{ get_challenge: 8 }, { get_challenge: 16 }] }
              - repeat: { times: 100, steps: [{ repeat: { times: 1000, steps: *challenge } }] }
              - repeat: { times: 60, steps: [{ wait: 60000 }] }
            """
        let parser = ScenarioParser()
        let scenario = try #require(parser.parse(file: "aliases.yaml", text: text), "\(parser.diagnostics)")
        #expect(parser.diagnostics.isEmpty, "\(parser.diagnostics)")
        #expect(scenario.steps.count == 3)
        guard case .repeatSteps(100, let outer) = scenario.steps[1].action,
            case .repeatSteps(1000, let inner) = outer.first?.action
        else {
            Issue.record("\(scenario.steps[1].action)")
            return
        }
        #expect(inner.count == 2)
    }

    @Test("All problems at once: two in one file are both reported")
    func allProblemsAtOnce() {
        let catalog = ScenarioCatalog.load(paths: [
            "\(brokenFolder)/unknown-variable.yaml", "\(brokenFolder)/wrong-type.yaml",
        ])
        #expect(catalog.diagnostics.count == 4)
    }

    @Test("The same id in two files: the second is reported, naming the first")
    func duplicateIDs() {
        let catalog = ScenarioCatalog.load(paths: [
            "\(brokenFolder)/duplicate-id-a.yaml", "\(brokenFolder)/duplicate-id-b.yaml",
        ])
        #expect(catalog.diagnostics.count == 1)
        let message = catalog.diagnostics.first?.description ?? ""
        #expect(
            message.hasPrefix(
                "\(brokenFolder)/duplicate-id-b.yaml:1:1: error: duplicate scenario id 'JPKI-SELECT-TOKEN'"))
        #expect(message.contains("duplicate-id-a.yaml:1:1"))
    }

    @Test("Binary garbage: not UTF-8, with the place of the first bad byte; no crash", arguments: [0, 1, 2])
    func binaryGarbage(seed: Int) throws {
        var generator = SeededBytes(seed: UInt64(seed + 1))
        let bytes = Array("id: X\n".utf8) + (0..<4096).map { _ in generator.next() }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent(
            "garbage-\(seed)-\(UUID().uuidString).yaml"
        ).path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let catalog = ScenarioCatalog.load(paths: [path])
        #expect(catalog.scenarios.isEmpty)
        #expect(catalog.diagnostics.first?.location?.file == path)
    }

    @Test("A 10 MB file is refused before parsing, with its size")
    func hugeFile() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("huge-\(UUID().uuidString).yaml").path
        let line = "# " + String(repeating: "x", count: 1022) + "\n"
        try String(repeating: line, count: 10 * 1024).write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let catalog = ScenarioCatalog.load(paths: [path])
        #expect(catalog.diagnostics.first?.description.contains("a scenario file is at most") == true)
    }

    @Test("A missing path and an empty folder are problems too")
    func missingPaths() throws {
        let empty = FileManager.default.temporaryDirectory.appendingPathComponent("empty-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: empty) }
        let catalog = ScenarioCatalog.load(paths: ["/nonexistent/scenario.yaml", empty])
        #expect(
            catalog.diagnostics.map(\.message) == [
                "no such file or folder", "the folder holds no scenario (.yaml) or script (.scr) file",
            ])
    }
}

/// A small deterministic byte generator (xorshift), so garbage tests are reproducible.
struct SeededBytes {
    var state: UInt64
    init(seed: UInt64) { state = seed &* 0x9E37_79B9_7F4A_7C15 | 1 }
    mutating func next() -> UInt8 {
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        return UInt8(truncatingIfNeeded: state)
    }
}
