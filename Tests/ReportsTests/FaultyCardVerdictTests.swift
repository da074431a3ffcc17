import Runner
import Testing

@testable import Reports

/// The closing line of a run on a faulty card: what the profile says must fail against what did.
@Suite("Faulty card verdict")
struct FaultyCardVerdictTests {
    @Test(
        "Missed and unexpected requirements are named; a scenario's other requirements ride along with an expected one")
    func mismatch() {
        let verdict = FaultyCardVerdict(profile: "faulty/x", expected: ["JPKI-PIN-02", "JPKI-KEY-01"], run: fixtureRun)
        #expect(verdict.failed == ["FREE-A-01", "JPKI-PIN-02", "JPKI-PIN-03", "REQ-\"<&>\""])
        #expect(verdict.missed == ["JPKI-KEY-01"])
        #expect(verdict.unexpected == ["FREE-A-01", "REQ-\"<&>\""], "an error counts as a failure")
        #expect(!verdict.caughtAsDeclared)
        #expect(
            verdict.line
                == "Card profile faulty/x is faulty on purpose: expected to fail JPKI-PIN-02, JPKI-KEY-01; failed "
                + "FREE-A-01, JPKI-PIN-02, JPKI-PIN-03, REQ-\"<&>\" — NOT as declared (not caught: JPKI-KEY-01; "
                + "failed outside the list: FREE-A-01, REQ-\"<&>\")")
    }

    @Test("Caught as declared only when every expected requirement failed and nothing else did")
    func caught() {
        let verdict = FaultyCardVerdict(
            profile: "faulty/x", expected: ["JPKI-PIN-02", "REQ-\"<&>\"", "FREE-A-01"], run: fixtureRun)
        #expect(verdict.caughtAsDeclared)
        #expect(verdict.line.hasSuffix("— caught as declared"))
        let undeclared = FaultyCardVerdict(profile: "faulty/x", expected: [], run: fixtureRun)
        #expect(!undeclared.caughtAsDeclared)
        #expect(undeclared.line.contains("declares no expected_failures"))
    }

    @Test("The console summary ends with the verdict")
    func summaryLine() {
        let buffer = OutputBuffer()
        let console = ConsoleReporter(colour: false) { buffer.append($0) }
        console.summary(
            fixtureRun, faulty: FaultyCardVerdict(profile: "faulty/x", expected: ["JPKI-PIN-02"], run: fixtureRun))
        let text = buffer.calls.joined()
        let lines = text.split(separator: "\n")
        #expect(
            lines.last?.hasPrefix("Card profile faulty/x is faulty on purpose: expected to fail JPKI-PIN-02;") == true)
    }
}
