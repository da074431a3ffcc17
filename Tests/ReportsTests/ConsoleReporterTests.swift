import Foundation
import Runner
import Testing

@testable import Reports

@Suite("Console reporter")
struct ConsoleReporterTests {
    @Test(
        "Colour on a terminal only; NO_COLOR with any value, even empty, or TERM=dumb turns it off",
        arguments: [
            (true, [String: String](), true),
            (true, ["TERM": "xterm-256color"], true),
            (false, [:], false),
            (true, ["NO_COLOR": "1"], false),
            (true, ["NO_COLOR": ""], false),
            (true, ["TERM": "dumb"], false),
            (false, ["TERM": "xterm"], false),
        ])
    func colourChoice(_ isTerminal: Bool, _ environment: [String: String], _ expected: Bool) {
        #expect(ConsoleReporter.shouldUseColour(isTerminal: isTerminal, environment: environment) == expected)
    }

    @Test("Without colour no escape sequence is written; with colour the marks are painted")
    func colourOnOff() {
        let plain = consoleOutput(fixtureRun, colour: false)
        // The hostile title's ESC is shown as text, never sent.
        #expect(!plain.contains("\u{1B}"))
        #expect(plain.contains(#"ESC[\u{1B}[31m]"#))
        let painted = consoleOutput(fixtureRun, colour: true)
        #expect(painted.contains("\u{1B}[32m✓\u{1B}[0m JPKI-SIGN-01"))
        #expect(painted.contains("\u{1B}[31m✗\u{1B}[0m JPKI-AUTH-PIN-LOCKOUT"))
        #expect(painted.contains("\u{1B}[33m–\u{1B}[0m TEXT-AP-01"))
        #expect(painted.contains("\u{1B}[31m!\u{1B}[0m FREE-A-INSTALL"))
        // Stripped of our own sequences, the coloured output says exactly what the plain one says.
        let stripped = painted.replacingOccurrences(of: "\u{1B}\\[[0-9]+m", with: "", options: .regularExpression)
        #expect(stripped == plain)
    }

    @Test(
        "One write per scenario, one line each for a pass and a skip; a failure adds location, message, expected, got")
    func scenarioLines() {
        let buffer = OutputBuffer()
        let reporter = ConsoleReporter(colour: false) { buffer.append($0) }
        for scenario in fixtureRun.scenarios { reporter.scenarioFinished(scenario) }
        let calls = buffer.calls
        #expect(calls.count == 5)
        #expect(calls.allSatisfy { $0.hasSuffix("\n") })
        #expect(
            calls[0] == "✓ JPKI-SIGN-01 The signing key signs a SHA-256 DigestInfo after the password (23.5 ms)\n")
        #expect(
            calls[1] == """
                ✗ JPKI-AUTH-PIN-LOCKOUT The auth PIN blocks after three wrong tries (5.00 ms)
                    at Scenarios/jpki/pin-lockout.yaml:14:5
                    status word mismatch
                    expected: 63 C0
                    got:      63 C1

                """)
        #expect(
            calls[3]
                == "– TEXT-AP-01 The text AP reads the four basic attributes "
                + "(skipped: needs a real card: \"text-ap\" is not in this card profile)\n"
        )
        #expect(
            calls[4] == """
                ! FREE-A-INSTALL A Type A card AP installs in the regional area (1.002 s)
                    at Scenarios/free area/type A/install.yaml:3:1
                    error: the card was removed (SCARD_W_REMOVED_CARD)

                """)
        // The hostile message's CR LF starts a new indented line; its lone CR is shown, not obeyed.
        #expect(calls[2].contains("    message NUL[\\u{0}]"))
        #expect(calls[2].contains("CR[\\u{D}] CRLF[\n    ] TAB[\\u{9}]"))
    }

    @Test("The closing line is exactly 'N passed, M failed' (errors count as failed), ', K skipped' only when K > 0")
    func closingLine() {
        let lastLine = { (run: RunResult) in
            consoleOutput(run, colour: true).split(separator: "\n").last.map(String.init)
        }
        #expect(lastLine(fixtureRun) == "1 passed, 3 failed, 1 skipped")
        #expect(lastLine(interruptedRun) == "1 passed, 1 failed")
        #expect(lastLine(emptyInterruptedRun) == "0 passed, 0 failed")
        #expect(consoleOutput(interruptedRun, colour: false).contains("Interrupted:"))
        #expect(!consoleOutput(fixtureRun, colour: false).contains("Interrupted"))
    }

    @Test("Timing table: p50, p95, max and budget per timed step, an exceeded budget marked")
    func timingTable() {
        let output = consoleOutput(fixtureRun, colour: false)
        let lines = output.split(separator: "\n").map(String.init)
        let header = try? #require(lines.firstIndex { $0.hasPrefix("Timed step") })
        guard let header else { return }
        #expect(
            Array(lines[header...(header + 2)]) == [
                "Timed step                                    n        p50         p95         max  budget",
                "sign @ Scenarios/jpki/sign.yaml:14           20  12.500 ms   14.750 ms   15.000 ms  "
                    + "p95 ≤ 150 ms, max ≤ 200 ms ✓",
                "verify @ Scenarios/jpki/pin-lockout.yaml:12   2   3.000 ms  250.500 ms  250.500 ms  "
                    + "max ≤ 200 ms ✗ over budget",
            ])
    }

    @Test("Display width counts Japanese and emoji as two columns, so the table stays aligned")
    func displayWidth() {
        #expect(ConsoleReporter.displayWidth("sign") == 4)
        #expect(ConsoleReporter.displayWidth("署名") == 4)
        #expect(ConsoleReporter.displayWidth("🔐a") == 3)
    }
}
