// Golden files: every report of the fixture run, byte for byte.
//
// To regenerate after an intended change, run
//     MYNACONF_UPDATE_GOLDEN=1 swift test --filter ReportsTests.GoldenTests
// then read the diff (`git diff Tests/ReportsTests/Golden`) before committing it: the goldens are the review.
import Foundation
import Runner
import Testing

@testable import Reports

let goldenDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden")

/// Compares `actual` with the golden file byte for byte, naming the first line that differs; with
/// `MYNACONF_UPDATE_GOLDEN=1` it rewrites the file instead.
func expectGolden(_ actual: String, _ name: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
    let url = goldenDirectory.appendingPathComponent(name)
    if ProcessInfo.processInfo.environment["MYNACONF_UPDATE_GOLDEN"] == "1" {
        try FileManager.default.createDirectory(
            at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(actual.utf8).write(to: url)
        return
    }
    guard let expected = FileManager.default.contents(atPath: url.path) else {
        Issue.record(
            "golden file \(name) is missing; MYNACONF_UPDATE_GOLDEN=1 writes it", sourceLocation: sourceLocation)
        return
    }
    guard Data(actual.utf8) != expected else { return }
    let actualLines = actual.split(separator: "\n", omittingEmptySubsequences: false)
    let expectedLines = String(decoding: expected, as: UTF8.self).split(
        separator: "\n", omittingEmptySubsequences: false)
    let firstDifference =
        zip(actualLines, expectedLines).enumerated().first { $0.element.0 != $0.element.1 }?.offset
        ?? min(actualLines.count, expectedLines.count)
    let got = firstDifference < actualLines.count ? String(actualLines[firstDifference]) : "<end of output>"
    let want = firstDifference < expectedLines.count ? String(expectedLines[firstDifference]) : "<end of file>"
    let difference =
        "\(name) differs at line \(firstDifference + 1):\n  golden: \(want.debugDescription)\n"
        + "  actual: \(got.debugDescription)"
    Issue.record(Comment(rawValue: difference), sourceLocation: sourceLocation)
}

/// Everything the console reporter writes for a run, as one string.
func consoleOutput(_ run: RunResult, colour: Bool) -> String {
    let buffer = OutputBuffer()
    let reporter = ConsoleReporter(colour: colour) { buffer.append($0) }
    for scenario in run.scenarios {
        reporter.scenarioFinished(scenario)
    }
    reporter.summary(run)
    return buffer.text
}

/// Collects console output; the reporter's `write` is `@Sendable`.
final class OutputBuffer: @unchecked Sendable {
    private let lock = NSLock()
    private var parts: [String] = []
    func append(_ text: String) { lock.withLock { parts.append(text) } }
    var text: String { lock.withLock { parts.joined() } }
    var calls: [String] { lock.withLock { parts } }
}

@Suite("Golden reports of the fixture run")
struct GoldenTests {
    @Test("JUnit, one file: matches Golden/junit.xml")
    func junitSingle() throws {
        try expectGolden(JUnitReport.render(fixtureRun), "junit.xml")
    }

    @Test("JUnit, one file per suite: matches Golden/junit-dir/, one file per suite under its safe name")
    func junitPerSuite() throws {
        let documents = JUnitReport.renderPerSuite(fixtureRun)
        #expect(documents.map(\.suite) == ["jpki", "text-ap", "free area/type A"])
        for (suite, document) in documents {
            try expectGolden(document, "junit-dir/" + JUnitReport.fileName(forSuite: suite))
        }
    }

    @Test("JSON: matches Golden/report.json")
    func json() throws {
        try expectGolden(JSONReport.render(fixtureRun), "report.json")
    }

    @Test("HTML: matches Golden/report.html (open it in a browser to review a change)")
    func html() throws {
        try expectGolden(HTMLReport.render(fixtureRun), "report.html")
        try expectGolden(HTMLReport.render(repeatedRun), "repeated/report.html")
    }

    @Test("Console without colour: matches Golden/console.txt")
    func console() throws {
        try expectGolden(consoleOutput(fixtureRun, colour: false), "console.txt")
    }

    @Test("Console with colour: matches Golden/console-colour.txt")
    func consoleColour() throws {
        try expectGolden(consoleOutput(fixtureRun, colour: true), "console-colour.txt")
    }

    @Test("Interrupted runs, with and without scenarios: match their goldens in every format")
    func interrupted() throws {
        try expectGolden(JUnitReport.render(interruptedRun), "interrupted/junit.xml")
        try expectGolden(JSONReport.render(interruptedRun), "interrupted/report.json")
        try expectGolden(consoleOutput(interruptedRun, colour: false), "interrupted/console.txt")
        try expectGolden(HTMLReport.render(interruptedRun), "interrupted/report.html")
        try expectGolden(JUnitReport.render(emptyInterruptedRun), "empty/junit.xml")
        for (suite, document) in JUnitReport.renderPerSuite(emptyInterruptedRun) {
            try expectGolden(document, "empty/" + JUnitReport.fileName(forSuite: suite))
        }
        try expectGolden(JSONReport.render(emptyInterruptedRun), "empty/report.json")
        try expectGolden(consoleOutput(emptyInterruptedRun, colour: false), "empty/console.txt")
        try expectGolden(HTMLReport.render(emptyInterruptedRun), "empty/report.html")
    }
}
