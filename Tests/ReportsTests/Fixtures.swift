import Foundation
import Runner
import TestSupport
import Testing

@testable import Reports

/// The repository's root as a URL, for the paths these tests build.
let repositoryFolder = URL(fileURLWithPath: repositoryRoot)

/// The JUnit schemas are test data in `shared/`, which sits beside the clone (here and in CI).
let junitSchemas = repositoryFolder.deletingLastPathComponent().appendingPathComponent("shared/docs/junit-schemas")

/// Everything a hostile scenario author or card could put in a string: NUL, ESC with a colour sequence, a CDATA
/// end, both quotes, CR and CR LF, a tab, emoji, Japanese, U+FFFE and U+FFFF, markup, an ampersand, DEL and a C1.
let hostile =
    "NUL[\u{0}] ESC[\u{1B}[31m] ]]> \"double\" 'single' CR[\r] CRLF[\r\n] TAB[\t] 🔐 署名用電子証明書 "
    + "U+FFFE[\u{FFFE}] U+FFFF[\u{FFFF}] <b>&amp; DEL[\u{7F}] C1[\u{9B}]"

let fixtureTarget = TargetInfo(
    reader: "Virtual PCD 00 00", atr: "3B E0 00 FF 81 31 FE 45 14", cardProfile: "default",
    harnessVersion: "0.1.0", isRealCard: false, harnessCommit: "0123456789abcdef0123456789abcdef01234567",
    harnessModified: true, readerFirmware: "1.10",
    cards: [
        CardUnderTest(
            profile: "default", atr: "3B E0 00 FF 81 31 FE 45 14", tokenSerial: "0000000020500003",
            authenticationCertificateSerial: "01 2D 57 CA",
            authenticationCertificateSHA256: "a13c4524831bed9dad23d62dcc7f386439da75147234a0897cfcabe26583e0c8")
    ])

/// 2025-04-01T09:30:00.125Z.
let fixtureStart = Date(timeIntervalSince1970: 1_743_499_800.125)

/// 2025-04-01T09:30:01.375Z: measured on the wall clock, not start + duration.
let fixtureEnd = Date(timeIntervalSince1970: 1_743_499_801.375)

/// The files the fixture run read; one path carries markup, as a file name may.
let fixtureInputs = [
    InputFile(
        kind: .scenario, path: "Scenarios/jpki/sign.yaml",
        sha256: "934d1911b54851866bbd1fc7c42ad407868e6dd0857bb8191715035e9ebbae13", bytes: 769),
    InputFile(
        kind: .scenario, path: "Scenarios/jpki/pin-lockout.yaml",
        sha256: "de7bf88cff27ab2f687c33de5a6d8c37b8e71c63cee14dccad819c667bcd0b96", bytes: 1203),
    InputFile(
        kind: .scenario, path: "Scenarios/jpki/<hostile> & \"quoted\".yaml",
        sha256: "a9646b630d18de6b8154765af78db4943df829cc246cd54373b340ba052c40f6", bytes: 757),
    InputFile(
        kind: .cardProfile, path: "Vectors/cards/default.yaml",
        sha256: "1c6fc2379d19bcd29ff0bb11b44f74be426d71e86297a4987da798e043b1495d", bytes: 1397),
]

/// A run with every outcome, two suites plus one whose name needs a safe file name, a transcript (with one
/// credential the Runner failed to mask), timings within and over budget, and hostile strings.
let fixtureRun: RunResult = {
    let selectJPKI = TranscriptEntry(
        command: "00 A4 04 0C 0A D3 92 F0 00 26 01 00 00 00 01", response: "90 00", duration: .microseconds(412),
        step: "Scenarios/jpki/sign.yaml:6")
    let passed = ScenarioResult(
        id: "JPKI-SIGN-01", title: "The signing key signs a SHA-256 DigestInfo after the password",
        requirements: ["JPKI-SIGN-01"], tags: ["jpki", "sign"], suite: "jpki", file: "Scenarios/jpki/sign.yaml",
        outcome: .passed, duration: .microseconds(23_456),
        transcript: [
            selectJPKI,
            TranscriptEntry(
                command: "00 20 00 80 0A ********", response: "90 00", duration: .microseconds(1_001),
                step: "Scenarios/jpki/sign.yaml:9"),
            // Left unmasked on purpose: Reports must mask it on its own.
            TranscriptEntry(
                command: "00 20 00 80 04 31 32 33 34", response: "90 00", duration: .microseconds(998),
                step: "Scenarios/jpki/sign.yaml:10"),
            TranscriptEntry(
                command: "80 2A 00 80 33 30 31 30 0D 06 09 60 86 48 01 65 03 04 02 01 05 00 04 20 00",
                response: "61 00",
                duration: .microseconds(12_345), step: "Scenarios/jpki/sign.yaml:14"),
        ],
        timings: [
            StepTiming(
                name: "sign @ Scenarios/jpki/sign.yaml:14",
                samples: (1...20).map { .microseconds(10_000 + $0 * 250) },
                maxBudget: .milliseconds(200), p95Budget: .milliseconds(150))
        ])
    let failed = ScenarioResult(
        id: "JPKI-AUTH-PIN-LOCKOUT", title: "The auth PIN blocks after three wrong tries",
        requirements: ["JPKI-PIN-02", "JPKI-PIN-03"], tags: ["jpki", "pin"], suite: "jpki",
        file: "Scenarios/jpki/pin-lockout.yaml",
        outcome: .failed(
            ScenarioFailure(
                message: "status word mismatch", expected: "63 C0", actual: "63 C1",
                location: "Scenarios/jpki/pin-lockout.yaml:14:5")),
        duration: .milliseconds(5), transcript: [selectJPKI],
        timings: [
            StepTiming(
                name: "verify @ Scenarios/jpki/pin-lockout.yaml:12",
                samples: [.milliseconds(3), .microseconds(250_500)],
                maxBudget: .milliseconds(200))
        ])
    let hostileFailure = ScenarioResult(
        id: "HOSTILE-01", title: "Hostile: \(hostile)", requirements: ["REQ-\"<&>\""], tags: ["認証", hostile],
        suite: "jpki", file: "Scenarios/jpki/hostile.yaml",
        outcome: .failed(
            ScenarioFailure(
                message: "message \(hostile)", expected: "expected \(hostile)", actual: "got \(hostile)",
                location: "Scenarios/jpki/hostile.yaml:1:1")),
        duration: .nanoseconds(1_999_500),
        transcript: [
            TranscriptEntry(command: "00 B0 00 00 00", response: hostile, duration: .zero, step: "reset \(hostile)")
        ],
        timings: [])
    let skipped = ScenarioResult(
        id: "TEXT-AP-01", title: "The text AP reads the four basic attributes", requirements: [], tags: [],
        suite: "text-ap", file: "Scenarios/text-ap/read.yaml",
        outcome: .skipped(reason: "needs a real card: \"text-ap\" is not in this card profile"), duration: .zero,
        transcript: [], timings: [])
    let error = ScenarioResult(
        id: "FREE-A-INSTALL", title: "A Type A card AP installs in the regional area", requirements: ["FREE-A-01"],
        tags: ["free-area"], suite: "free area/type A", file: "Scenarios/free area/type A/install.yaml",
        outcome: .error(
            ScenarioFailure(
                message: "the card was removed (SCARD_W_REMOVED_CARD)", expected: "", actual: "",
                location: "Scenarios/free area/type A/install.yaml:3:1")),
        duration: .seconds(1) + .milliseconds(2), transcript: [], timings: [])
    return RunResult(
        target: fixtureTarget, startedAt: fixtureStart, duration: .milliseconds(1_234) + .microseconds(567),
        scenarios: [passed, failed, hostileFailure, skipped, error].map { scenario in
            var scenario = scenario
            scenario.cardProfile = "default"
            return scenario
        }, endedAt: fixtureEnd, inputs: fixtureInputs)
}()

/// The fixture's scenarios run twice (`--repeat 2`), the second time with the lockout passing: the HTML report
/// merges each timed step's samples and marks the flaky scenario once per run.
let repeatedRun: RunResult = {
    var second = fixtureRun.scenarios
    second[1].outcome = .passed
    return RunResult(
        target: fixtureTarget, startedAt: fixtureStart, duration: .seconds(2), scenarios: fixtureRun.scenarios + second,
        endedAt: fixtureEnd, inputs: fixtureInputs)
}()

/// A run stopped by SIGINT before any scenario finished.
let emptyInterruptedRun = RunResult(
    target: fixtureTarget, startedAt: fixtureStart, duration: .milliseconds(3), scenarios: [], interrupted: true,
    inputs: fixtureInputs)

/// The fixture's first two scenarios, then SIGINT.
let interruptedRun = RunResult(
    target: fixtureTarget, startedAt: fixtureStart, duration: .milliseconds(40),
    scenarios: Array(fixtureRun.scenarios.prefix(2)), interrupted: true, inputs: fixtureInputs)

// MARK: Files and tools

/// A fresh directory under the system's temporary directory, removed by the caller.
func temporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("mynaconf-reports-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}
