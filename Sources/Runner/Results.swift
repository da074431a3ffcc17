import Foundation

/// What a run produced: the target it ran against and one result per scenario, in the order they ran, with the
/// evidence a certifier files with it (which build, which inputs, when). Reports render exactly this; nothing here
/// knows how it will be shown.
public struct RunResult: Sendable, Hashable {
    public var target: TargetInfo
    public var startedAt: Date
    /// When the run ended, by the wall clock; with `startedAt`, when the card was tested.
    public var endedAt: Date
    /// Measured on the monotonic clock, so a clock step during the run does not change it.
    public var duration: Duration
    public var scenarios: [ScenarioResult]
    /// True when the run was interrupted (SIGINT) before every scenario ran; the report says so.
    public var interrupted: Bool
    /// Every scenario file and card profile the run used, with its SHA-256, in the order first used.
    public var inputs: [InputFile]
    /// Why the run stopped before its end when something other than SIGINT stopped it (another card appeared in the
    /// reader, the card was pulled out); nil otherwise. `interrupted` is then true as well.
    public var stopReason: String?

    /// Without `endedAt`, the run is taken to have ended `duration` after it started.
    public init(
        target: TargetInfo, startedAt: Date, duration: Duration, scenarios: [ScenarioResult], interrupted: Bool = false,
        endedAt: Date? = nil, inputs: [InputFile] = []
    ) {
        self.target = target
        self.startedAt = startedAt
        let (seconds, attoseconds) = duration.components
        self.endedAt = endedAt ?? startedAt.addingTimeInterval(Double(seconds) + Double(attoseconds) / 1e18)
        self.duration = duration
        self.scenarios = scenarios
        self.interrupted = interrupted
        self.inputs = inputs
    }

    public var passed: Int { scenarios.filter { $0.outcome == .passed }.count }
    public var failed: Int { scenarios.filter { if case .failed = $0.outcome { true } else { false } }.count }
    public var errors: Int { scenarios.filter { if case .error = $0.outcome { true } else { false } }.count }
    public var skipped: Int { scenarios.filter { if case .skipped = $0.outcome { true } else { false } }.count }
}

/// The card and reader a run talked to, and the harness that talked to them; suite-level properties in JUnit.
public struct TargetInfo: Sendable, Hashable {
    /// "mynaconf built-in emulator" or the PC/SC reader name.
    public var reader: String
    /// The reader's firmware version (from its CCID descriptor); nil where there is none to read, as on the
    /// built-in emulator.
    public var readerFirmware: String?
    /// Why `readerFirmware` is unknown (e.g. the virtual reader has no USB descriptor); nil when it was read, or on
    /// the built-in emulator, where there is no reader.
    public var readerFirmwareNote: String?
    /// The ATR as upper-case hex with spaces.
    public var atr: String
    /// The card profile's name (emulator) or "real card".
    public var cardProfile: String
    /// Each card the run used: one for a real card, one per card profile on the emulator.
    public var cards: [CardUnderTest]
    public var harnessVersion: String
    /// The git commit the harness was built from (full hash); nil when it was built outside a git checkout.
    public var harnessCommit: String?
    /// True when the sources (Package.swift, Sources/, Plugins/) had uncommitted changes at build time: the commit
    /// alone does not say what ran.
    public var harnessModified: Bool
    /// True when the card is a real card (personal data rules apply in later issues).
    public var isRealCard: Bool
    /// On a deliberately faulty card forced with `--card`: the requirements its profile says the run must fail
    /// (`expected_failures`). Nil on every other card.
    public var expectedFailures: [String]?
    /// The free area's command profile the run's scenarios spoke ("mynaconf MCAP-1 (assumption)"), when any did:
    /// J-LIS's command-level specification is not public, so a result against it rests on our assumption.
    public var cardApProfile: String?

    public init(
        reader: String, atr: String, cardProfile: String, harnessVersion: String, isRealCard: Bool,
        harnessCommit: String? = nil, harnessModified: Bool = false, readerFirmware: String? = nil,
        cards: [CardUnderTest] = []
    ) {
        self.reader = reader
        self.readerFirmware = readerFirmware
        self.atr = atr
        self.cardProfile = cardProfile
        self.cards = cards
        self.harnessVersion = harnessVersion
        self.harnessCommit = harnessCommit
        self.harnessModified = harnessModified
        self.isRealCard = isRealCard
    }
}

/// A card the run tested, as the reports record it: enough to tell it from any other card, and nothing personal.
/// (`CardIdentity` is what pins a real card during the run; this is what the evidence keeps.)
public struct CardUnderTest: Sendable, Hashable {
    /// The emulator's card profile; nil for a real card.
    public var profile: String?
    /// The ATR as upper-case hex with spaces.
    public var atr: String
    /// The JPKI token serial (EF 0006), when readable.
    public var tokenSerial: String?
    /// The user-authentication certificate's serial number, upper-case hex with spaces, when readable.
    public var authenticationCertificateSerial: String?
    /// SHA-256 of the user-authentication certificate (lower-case hex): it pins the card's key pair.
    public var authenticationCertificateSHA256: String?

    public init(
        profile: String?, atr: String, tokenSerial: String? = nil, authenticationCertificateSerial: String? = nil,
        authenticationCertificateSHA256: String? = nil
    ) {
        self.profile = profile
        self.atr = atr
        self.tokenSerial = tokenSerial
        self.authenticationCertificateSerial = authenticationCertificateSerial
        self.authenticationCertificateSHA256 = authenticationCertificateSHA256
    }
}

/// A file the run read, with the digest of the bytes read, so a report proves which inputs produced it.
public struct InputFile: Sendable, Hashable {
    public enum Kind: String, Sendable, CaseIterable {
        case scenario
        case cardProfile = "card-profile"
    }

    public var kind: Kind
    /// The path as given on the command line (scenarios) or as found (card profiles).
    public var path: String
    /// SHA-256 of the file's bytes, lower-case hex.
    public var sha256: String
    public var bytes: Int

    public init(kind: Kind, path: String, sha256: String, bytes: Int) {
        self.kind = kind
        self.path = path
        self.sha256 = sha256
        self.bytes = bytes
    }
}

/// One scenario's result.
public struct ScenarioResult: Sendable, Hashable {
    public var id: String
    public var title: String
    public var requirements: [String]
    public var tags: [String]
    /// The suite: the scenario's folder under `Scenarios/` (`jpki`), or the folder of the file otherwise.
    public var suite: String
    /// The scenario file, as given on the command line.
    public var file: String
    public var outcome: Outcome
    public var duration: Duration
    /// Every APDU exchanged, with credentials already masked.
    public var transcript: [TranscriptEntry]
    /// Timings of steps that carry a budget or are repeated.
    public var timings: [StepTiming]
    /// The card profile the scenario ran on (emulator); nil on a real card.
    public var cardProfile: String?

    public init(
        id: String, title: String, requirements: [String], tags: [String], suite: String, file: String,
        outcome: Outcome, duration: Duration, transcript: [TranscriptEntry], timings: [StepTiming],
        cardProfile: String? = nil
    ) {
        self.id = id
        self.title = title
        self.requirements = requirements
        self.tags = tags
        self.suite = suite
        self.file = file
        self.outcome = outcome
        self.duration = duration
        self.transcript = transcript
        self.timings = timings
        self.cardProfile = cardProfile
    }
}

public enum Outcome: Sendable, Hashable {
    case passed
    /// An expectation did not hold.
    case failed(ScenarioFailure)
    /// The scenario could not run on this target; it does not fail the run.
    case skipped(reason: String)
    /// The harness or the channel failed (reader gone, card removed): not a verdict on the card.
    case error(ScenarioFailure)
}

/// Why a scenario failed: what was expected, what came back, and the step (file:line) that saw it.
public struct ScenarioFailure: Sendable, Hashable {
    public var message: String
    public var expected: String
    public var actual: String
    /// `file:line:column` of the failing step.
    public var location: String

    public init(message: String, expected: String, actual: String, location: String) {
        self.message = message
        self.expected = expected
        self.actual = actual
        self.location = location
    }
}

/// One command and its response. `command` is what to show: VERIFY and CHANGE REFERENCE DATA bodies and any
/// bytes that came from `${env.*}` are already replaced by `********`.
public struct TranscriptEntry: Sendable, Hashable {
    public var command: String
    public var response: String
    public var duration: Duration
    /// `file:line` of the step that sent it, or a note such as "reset".
    public var step: String
    /// For a command sent in secure messaging: the command before protection (credentials, keys and package bytes
    /// masked) and what it was (`protected`, `replayed`, `protected, tampered (mac)`); `command` is the wire bytes.
    public var plainCommand: String?
    /// The response opened: its data and status word, or why there is none.
    public var plainResponse: String?

    public init(
        command: String, response: String, duration: Duration, step: String, plainCommand: String? = nil,
        plainResponse: String? = nil
    ) {
        self.command = command
        self.response = response
        self.duration = duration
        self.step = step
        self.plainCommand = plainCommand
        self.plainResponse = plainResponse
    }
}

/// A timed step: its samples and budgets. Percentiles are nearest-rank over the samples.
public struct StepTiming: Sendable, Hashable {
    /// A label a person recognises: the step's kind and location, e.g. "sign @ jpki/sign.yaml:14".
    public var name: String
    public var samples: [Duration]
    public var maxBudget: Duration?
    public var p95Budget: Duration?

    public init(name: String, samples: [Duration], maxBudget: Duration? = nil, p95Budget: Duration? = nil) {
        self.name = name
        self.samples = samples
        self.maxBudget = maxBudget
        self.p95Budget = p95Budget
    }

    public func percentile(_ p: Double) -> Duration {
        let sorted = samples.sorted()
        guard !sorted.isEmpty else { return .zero }
        let rank = Int((p / 100 * Double(sorted.count)).rounded(.up))
        return sorted[Swift.min(Swift.max(rank, 1), sorted.count) - 1]
    }

    public var p50: Duration { percentile(50) }
    public var p95: Duration { percentile(95) }
    public var maximum: Duration { samples.max() ?? .zero }
}
