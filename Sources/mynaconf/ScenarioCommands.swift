import APDU
import ArgumentParser
import CardCrypto
import CardEmulator
import Dispatch
import Foundation
import Reports
import Runner
import Scenario
import Transport
import YAMLSource

/// `mynaconf lint PATH...`: every problem in the scenario files, without touching a card.
struct LintCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lint",
        abstract: "Check scenario and scriptor files without touching a card.",
        discussion: "Prints every problem as file:line:column: error: message; exit 2 when there is any."
    )

    @Argument(help: "Scenario files (.yaml), scriptor scripts (.scr), or folders of them.")
    var paths: [String]

    @Option(
        help: ArgumentHelp(
            "Card profile whose values (PINs, holder) complete the APDUs checked (default: default).",
            valueName: "name|path"))
    var card: String?

    func run() throws {
        let catalog = ScenarioCatalog.load(paths: paths)
        var problems = catalog.diagnostics
        // An explicit --card must load; the implicit default is used when it can be found.
        let profile = try card.map(ScenarioSupport.profile) ?? (try? CardProfileLocator.load("default"))
        let variables = profile.map(ScenarioSupport.variables(for:)) ?? VariableStore(card: [:], environment: [:])
        problems += StaticChecks.diagnostics(for: catalog.scenarios, variables: variables)
        if card == nil { problems += ScenarioSupport.missingProfiles(catalog.scenarios) }
        try ScenarioSupport.report(problems)
        print("\(catalog.scenarios.count) scenario\(catalog.scenarios.count == 1 ? "" : "s") checked, no problems")
    }
}

/// `mynaconf run PATH...`: runs scenarios on the built-in emulator (or a reader) and writes the reports.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run scenarios and scriptor scripts against the built-in emulated card or a card in a PC/SC reader.",
        discussion: """
            Target: the built-in emulated card is the default (--emulator says so explicitly). Each scenario \
            starts from a fresh emulated card made from its card profile (its `card:`, else default; --card \
            forces one profile for all).

            --reader NAME runs on the card in that PC/SC reader instead. With --card PROFILE, the card is \
            `mynaconf emulate --card PROFILE` behind the virtual reader: before each scenario it is restored to \
            the profile's initial state (FF EE restore command, then a reset), ${card.*} values come from \
            PROFILE, and scenarios written for another profile are skipped. Without --card, the card is a real \
            card: it is reset before each scenario and the real-card rules apply (docs/real-cards.md): \
            credentials only from MYNA_AUTH_PIN, MYNA_SIGN_PASSWORD, MYNA_TEXT_PIN, MYNA_JUKI_PIN; destructive \
            and invasive scenarios refused unless --allow-destructive; the tries left read before each PIN \
            step; the card pinned by its certificate serial (another card stops the run, exit 3); personal \
            data masked unless --show-personal-data. pcscd not running, no such reader (the ones there are \
            listed) or no card: exit 3.

            The free area's steps (mutual_authenticate, install_ap, delete_ap, move_out; Scenarios/card-ap) \
            speak mynaconf's own command profile MCAP-1, an ASSUMPTION: J-LIS's command-level specification is \
            not public (docs/card-ap-profile.md). Reports of a run that used them say so.

            Files are linted first; a run with any problem does not start. --tags takes an expression of tag names with and, or, not and parentheses, e.g. \
            'jpki and not destructive'. --shard K/N (1-based) runs every N-th scenario starting at K, in id \
            order, so N CI jobs share a suite. Exit 0 all passed, 1 some failed, 2 usage or input error (also \
            when no scenario matched), 3 environment error.
            """
    )

    @Argument(help: "Scenario files (.yaml), scriptor scripts (.scr), or folders of them.")
    var paths: [String]

    @Flag(help: "Run against the built-in emulated card (the default; exclusive with --reader).")
    var emulator = false

    @Option(
        help: ArgumentHelp(
            "Run against the card in this PC/SC reader (as `mynaconf readers` names it), e.g. 'Virtual PCD 00 00'.",
            discussion: "With --card: mynaconf emulate behind it, restored before each scenario. Without: a real card, "
                + "reset before each scenario, under the real-card rules.",
            valueName: "name"))
    var reader: String?

    @Option(
        help: ArgumentHelp(
            "Card profile for every scenario: a name from Vectors/cards or a path. With --reader: the profile that "
                + "`mynaconf emulate` runs behind it.",
            discussion: """
                A faulty profile (faulty/NAME) runs the scenarios written for the card it copies, skips those \
                for other card states, and the summary compares what failed with its expected_failures.
                """,
            valueName: "name|path"))
    var card: String?

    @Option(
        help: ArgumentHelp(
            "Only scenarios whose tags match this expression, e.g. 'jpki and not destructive'.",
            valueName: "expression"))
    var tags: String?

    @Option(
        name: .customLong("junit"),
        help: ArgumentHelp("Write one JUnit XML file (Jenkins junit-10 schema).", valueName: "file"))
    var junitFile: String?

    @Option(
        name: .customLong("junit-dir"),
        help: ArgumentHelp("Write one JUnit XML file per suite (Maven Surefire 3.0 schema).", valueName: "dir"))
    var junitDirectory: String?

    @Option(
        name: .customLong("json"),
        help: ArgumentHelp("Write the results as JSON (docs/reports.md has the schema).", valueName: "file"))
    var jsonFile: String?

    @Option(
        name: .customLong("html"),
        help: ArgumentHelp(
            "Write one self-contained HTML page: evidence, results by requirement, failures, timing plots.",
            valueName: "file"))
    var htmlFile: String?

    @Option(help: ArgumentHelp("Run shard K of N (1-based), e.g. 2/4.", valueName: "k/n"))
    var shard: String?

    @Flag(help: "Allow scenarios that spend PIN tries or attack the card on a real card.")
    var allowDestructive = false

    @Flag(
        help:
            "Show personal data (My Number, attributes, images, signing certificate) read from a real card in reports.")
    var showPersonalData = false

    @Flag(
        name: .customLong("as-real-card"),
        help: ArgumentHelp(
            "Apply the real-card rules to the emulated card, as a rehearsal: one card for the whole run, credentials from MYNA_* variables only, destructive scenarios refused, personal data masked. With --reader (and no --card) the card behind the reader is a real card anyway; this says so explicitly."
        ))
    var asRealCard = false

    @Option(help: ArgumentHelp("Run every scenario this many times, 1 to 10000.", valueName: "n"))
    var `repeat` = 1

    func validate() throws {
        guard (1...10_000).contains(`repeat`) else { throw ValidationError("--repeat takes 1 to 10000") }
        if let shard { _ = try ScenarioSupport.parseShard(shard) }
        if reader != nil && emulator {
            throw ValidationError(
                "--reader and --emulator are exclusive: --reader runs on the card in a PC/SC reader, --emulator (the "
                    + "default) on the built-in emulated card")
        }
        if let reader, reader.isEmpty {
            throw ValidationError("--reader needs a reader name; `mynaconf readers` lists them")
        }
        if reader != nil && asRealCard && card != nil {
            throw ValidationError(
                "--as-real-card with --reader and --card: --card says the reader holds `mynaconf emulate` with that "
                    + "profile; leave out --card to treat the card behind the reader as a real card")
        }
    }

    func run() async throws {
        // From the first moment: a Ctrl-C while the files load (or the reader connects) still ends in reports.
        let interruption = Interruption()
        interruption.install()
        let catalog = ScenarioCatalog.load(paths: paths)
        var scenarios = catalog.scenarios
        var problems = catalog.diagnostics
        let defaultProfile = try ScenarioSupport.profile(card ?? "default")
        problems += StaticChecks.diagnostics(for: scenarios, variables: ScenarioSupport.variables(for: defaultProfile))
        if card == nil { problems += ScenarioSupport.missingProfiles(scenarios) }
        try ScenarioSupport.report(problems)

        if let tags {
            let filter: TagExpression
            do { filter = try TagExpression.parse(tags) } catch { throw Failure.input(error.message) }
            scenarios = scenarios.filter { filter.matches($0.effectiveTags) }
        }
        scenarios.sort { $0.id < $1.id }
        let selected = scenarios.count
        if let shard {
            let (index, count) = try ScenarioSupport.parseShard(shard)
            scenarios = scenarios.enumerated().filter { $0.offset % count == index - 1 }.map(\.element)
        }
        guard !scenarios.isEmpty else {
            let filter = tags.map { " with --tags '\($0)'" } ?? ""
            // An empty shard is not an empty selection: say which, so a CI matrix is fixed at the right place.
            if selected > 0, let shard {
                throw Failure.input(
                    "shard \(shard) is empty: \(selected) scenario\(selected == 1 ? "" : "s") matched "
                        + "\(paths.joined(separator: " "))\(filter), fewer than the shard's number; use fewer shards")
            }
            throw Failure.input("no scenario matched \(paths.joined(separator: " "))\(filter)")
        }
        // Every profile the run needs is loaded, and every input hashed, before the first scenario: a problem with
        // either stops the run before it starts, and the digests are of the bytes just parsed. A real card (or the
        // emulator rehearsing one) is the one card the run uses; scenarios for other profiles are skipped there.
        // Behind a reader without --card is a real card: the rules of one, and no profile describes it.
        let isRealCard = asRealCard || (reader != nil && card == nil)
        let emulatedBehindReader = reader != nil && card != nil
        var profiles: [String: CardProfile] = [defaultProfile.name: defaultProfile]
        var profileOrder: [String] =
            (asRealCard && reader == nil) || emulatedBehindReader ? [defaultProfile.name] : []
        for scenario in scenarios where !isRealCard && !emulatedBehindReader {
            let name = card ?? scenario.card ?? "default"
            if profiles[name] == nil { profiles[name] = try ScenarioSupport.profile(name) }
            if !profileOrder.contains(name) { profileOrder.append(name) }
        }
        var inputs: [InputFile] = []
        for file in scenarios.map(\.file) where !inputs.contains(where: { $0.path == file }) {
            inputs.append(try Evidence.input(.scenario, path: file))
        }
        for name in profileOrder {
            guard let path = profiles[name]?.sourcePath, !inputs.contains(where: { $0.path == path }) else { continue }
            inputs.append(try Evidence.input(.cardProfile, path: path))
        }
        let destinations = ReportDestinations(
            files: [("--junit", junitFile), ("--json", jsonFile), ("--html", htmlFile)].compactMap { option, path in
                path.map { (option, $0) }
            },
            folders: junitDirectory.map { [("--junit-dir", $0)] } ?? [])
        try destinations.check(
            inputs: catalog.scenarios.map(\.file) + profiles.values.compactMap(\.sourcePath) + inputs.map(\.path))
        // A report that cannot be written is found now, not after a long run on a card.
        for (option, file) in [("--junit", junitFile), ("--json", jsonFile), ("--html", htmlFile)] {
            guard let file else { continue }
            do { try ReportFile.checkWritable(file) } catch {
                throw Failure.environment("\(option) \(file): \(error.reason); nothing was run")
            }
        }
        if let junitDirectory {
            do {
                try ReportFile.checkWritable((junitDirectory as NSString).appendingPathComponent("TEST-mynaconf.xml"))
            } catch { throw Failure.environment("--junit-dir \(junitDirectory): \(error.reason); nothing was run") }
        }

        var stopReason: String?
        let console = ConsoleReporter(
            colour: ConsoleReporter.shouldUseColour(
                isTerminal: isatty(STDOUT_FILENO) == 1, environment: ProcessInfo.processInfo.environment),
            write: { text in FileHandle.standardOutput.write(Data(text.utf8)) })
        let startedAt = Date()
        let clock = ContinuousClock()
        let start = clock.now
        var results: [ScenarioResult] = []
        var target = TargetInfo(
            reader: "mynaconf built-in emulator", atr: Hex.encode(defaultProfile.atr, separator: " "),
            cardProfile: card ?? "per scenario (default: default)", harnessVersion: Mynaconf.harnessVersion,
            isRealCard: false, harnessCommit: BuildInfo.commit, harnessModified: BuildInfo.modified,
            cards: profileOrder.compactMap { profiles[$0] }.map(Evidence.card(madeFrom:)))
        if card != nil { target.cardProfile = defaultProfile.name }
        if scenarios.contains(where: \.usesFreeAreaProfile) { target.cardApProfile = ScenarioLanguage.cardApProfile }

        // A real card (or the emulator treated as one) is one card for the whole run: its state carries over, its
        // credentials come from the environment, and it is pinned by identity.
        let environment = ProcessInfo.processInfo.environment
        let policy =
            isRealCard ? RealCardPolicy(allowDestructive: allowDestructive, showPersonalData: showPersonalData) : nil
        var persistent: (any CardChannel)?
        var behindReader: PCSCChannel?
        // A faulty card forced with --card runs only the scenarios written for the card it copies.
        let forcedProfile = card != nil && !asRealCard ? defaultProfile : nil
        if let forcedProfile, !forcedProfile.chip.faults.isEmpty {
            target.expectedFailures = forcedProfile.chip.expectedFailures
        }
        var identity: CardIdentity?
        // The reader or the card cannot be reached: the reports are still written, empty and saying why, so a CI
        // gate that reads them sees the cause and not a missing file (the exit code is 3 all the same).
        do {
            if let reader {
                let channel = try await ReaderTarget.connect(reader)
                behindReader = channel
                persistent = channel
                target.reader = reader
                if emulatedBehindReader {
                    try await Self.restore(channel, profile: defaultProfile, checking: true)
                    target.cardProfile = defaultProfile.name
                    var evidence = Evidence.card(madeFrom: defaultProfile)
                    evidence.atr = Hex.encode(await channel.atr(), separator: " ")
                    target.cards = [evidence]
                    target.atr = evidence.atr
                } else {
                    target.cardProfile = "real card"
                    target.isRealCard = true
                }
                let firmware = ReaderTarget.firmware(of: reader, isVirtual: emulatedBehindReader)
                target.readerFirmware = firmware.version
                target.readerFirmwareNote = firmware.note
            } else if asRealCard {
                persistent = EmulatedChannel(
                    card: EmulatedCard(profile: defaultProfile),
                    readerName: "mynaconf built-in emulator (as a real card)")
                target.reader = "mynaconf built-in emulator (as a real card)"
                target.cardProfile = "real card (emulated: \(defaultProfile.name))"
                target.isRealCard = true
            }
            if let persistent, policy != nil {
                let atr: [UInt8]
                do {
                    atr = try await persistent.reset()
                } catch {
                    throw Failure.environment("cannot reset the card in '\(persistent.readerName)': \(error)")
                }
                identity = await CardIdentity.read(from: persistent)
                // What the reports keep of a real card is what was read from it, not what a profile says.
                target.atr = Hex.encode(atr, separator: " ")
                target.cards = [
                    CardUnderTest(
                        profile: nil, atr: target.atr,
                        authenticationCertificateSerial: identity.flatMap { try? Hex.decode($0.certificateSerial) }
                            .map { Hex.encode($0, separator: " ") })
                ]
            }
        } catch let failure as Failure where failure.exitCode == Failure.environmentError {
            var run = RunResult(
                target: target, startedAt: startedAt, duration: clock.now - start, scenarios: [], interrupted: true,
                endedAt: Date(), inputs: inputs)
            run.stopReason = failure.message
            try writeReports(run)
            throw failure
        }
        runLoop: for _ in 0..<`repeat` {
            for scenario in scenarios {
                if interruption.happened { break runLoop }
                let refusal =
                    ScenarioSupport.faultyCardRefusal(for: scenario, forced: forcedProfile)
                    ?? policy?.refusal(for: scenario, environment: environment)
                if let reason = refusal {
                    let result = ScenarioSupport.skipped(scenario, reason: reason)
                    results.append(result)
                    console.scenarioFinished(result)
                    continue
                }
                let channel: any CardChannel
                let variables: VariableStore
                let asOf: CalendarDate
                var profileName: String?
                if emulatedBehindReader, let behindReader {
                    // A faulty card stands in for the card it copies (based_on): those scenarios run on it.
                    if let needed = scenario.card, needed != defaultProfile.name,
                        needed != defaultProfile.chip.basedOn
                    {
                        let result = ScenarioSupport.skipped(
                            scenario,
                            reason:
                                "needs the card profile '\(needed)'; the emulator behind '\(behindReader.readerName)' "
                                + "runs '\(defaultProfile.name)'")
                        results.append(result)
                        console.scenarioFinished(result)
                        continue
                    }
                    do {
                        try await Self.restore(behindReader, profile: defaultProfile, checking: false)
                    } catch let failure as Failure {
                        stopReason = failure.message
                        break runLoop
                    }
                    channel = behindReader
                    variables = ScenarioSupport.variables(for: defaultProfile)
                    asOf = defaultProfile.asOf
                    profileName = defaultProfile.name
                } else if let persistent {
                    channel = persistent
                    variables = RealCardPolicy.variables(environment: environment)
                    asOf = CalendarDate.today()
                    do {
                        _ = try await persistent.reset()
                    } catch {
                        stopReason = "the card in '\(persistent.readerName)' could not be reset: \(error)"
                        break runLoop
                    }
                    if let identity {
                        let now = await CardIdentity.read(from: persistent)
                        if now != identity {
                            stopReason =
                                "another card is in '\(persistent.readerName)': the run started with the card of "
                                + "\(identity), the reader now holds "
                                + (now.map { "the card of \($0)" } ?? "a card without a readable JPKI certificate")
                            break runLoop
                        }
                    }
                } else {
                    guard let profile = profiles[card ?? scenario.card ?? "default"] else { continue }
                    channel = EmulatedChannel(card: EmulatedCard(profile: profile))
                    variables = ScenarioSupport.variables(for: profile)
                    asOf = profile.asOf
                    profileName = profile.name
                }
                var execution = ScenarioExecution(
                    channel: channel, variables: variables, asOf: asOf, realCard: policy,
                    isCancelled: { interruption.happened })
                var result = await execution.run(scenario)
                result.cardProfile = profileName
                results.append(result)
                console.scenarioFinished(result)
            }
        }
        var run = RunResult(
            target: target, startedAt: startedAt, duration: clock.now - start, scenarios: results,
            interrupted: interruption.happened || stopReason != nil, endedAt: Date(), inputs: inputs)
        run.stopReason = stopReason
        try writeReports(run)
        let faulty = forcedProfile.flatMap { profile in
            profile.chip.faults.isEmpty
                ? nil : FaultyCardVerdict(profile: profile.name, expected: profile.chip.expectedFailures, run: run)
        }
        console.summary(run, faulty: faulty)
        if let stopReason { throw Failure.environment("stopped: \(stopReason)") }
        if interruption.happened {
            FileHandle.standardError.write(Data("interrupted: the reports hold what ran\n".utf8))
        }
        if run.failed + run.errors > 0 || interruption.happened { throw ExitCode(1) }
    }

    /// Brings `mynaconf emulate` behind the reader back to its profile's initial state and resets it. A card that
    /// does not take the restore command is not the emulator: exit 3, with what to do.
    private static func restore(_ channel: PCSCChannel, profile: CardProfile, checking: Bool) async throws {
        do {
            try await channel.restoreEmulatedCard()
        } catch {
            guard error.kind == .notEmulated else {
                throw Failure.environment("cannot restore the emulated card in '\(channel.readerName)': \(error)")
            }
            throw Failure.environment(
                "\(error.message). --card \(profile.name) with --reader means the reader holds `mynaconf emulate "
                    + "--card \(profile.name)`; leave out --card to run on a real card under the real-card rules")
        }
        if checking { try await ReaderTarget.confirmProfile(profile, on: channel) }
    }

    private func writeReports(_ run: RunResult) throws {
        do {
            if let junitFile { try ReportFile.writeAtomically(JUnitReport.render(run), to: junitFile) }
            if let junitDirectory {
                for (suite, document) in JUnitReport.renderPerSuite(run) {
                    try ReportFile.writeAtomically(
                        document,
                        to: (junitDirectory as NSString).appendingPathComponent(JUnitReport.fileName(forSuite: suite)))
                }
            }
            if let jsonFile { try ReportFile.writeAtomically(JSONReport.render(run), to: jsonFile) }
            if let htmlFile { try ReportFile.writeAtomically(HTMLReport.render(run), to: htmlFile) }
        } catch {
            throw Failure.environment("\(error)")
        }
    }
}

/// What a report needs to prove which inputs and which card produced it.
enum Evidence {
    /// The file's SHA-256 and size; a file that cannot be read now, just after it was parsed, is an environment
    /// problem (exit 3), not something to leave out of the evidence.
    static func input(_ kind: InputFile.Kind, path: String) throws -> InputFile {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw Failure.environment("\(path): cannot read the file again to record its SHA-256")
        }
        let bytes = [UInt8](data)
        // A profile found by name has an absolute path; under the working directory it is shown relative to it,
        // as scenario paths are, so reports from two checkouts compare.
        let directory = FileManager.default.currentDirectoryPath + "/"
        let shown = path.hasPrefix(directory) ? String(path.dropFirst(directory.count)) : path
        return InputFile(
            kind: kind, path: shown, sha256: Hex.encode(HashAlgorithm.sha256.hash(bytes)).lowercased(),
            bytes: bytes.count)
    }

    /// An emulated card as its profile makes it: the token serial of EF 0006, and the serial and digest of the
    /// user-authentication certificate of EF 000A.
    static func card(madeFrom profile: CardProfile) -> CardUnderTest {
        let certificate = profile.jpki.authenticationCertificate
        let serial = (try? CertificateSummary(derEncoded: certificate)).map {
            Hex.encode($0.serialNumber, separator: " ")
        }
        return CardUnderTest(
            profile: profile.name, atr: Hex.encode(profile.atr, separator: " "), tokenSerial: profile.jpki.tokenSerial,
            authenticationCertificateSerial: serial,
            authenticationCertificateSHA256: Hex.encode(HashAlgorithm.sha256.hash(certificate)).lowercased())
    }
}

/// SIGINT ends a run after the current step, so the reports still describe what ran.
final class Interruption: @unchecked Sendable {
    private let lock = NSLock()
    private var flag = false
    private var source: DispatchSourceSignal?

    var happened: Bool {
        lock.lock()
        defer { lock.unlock() }
        return flag
    }

    func install() {
        signal(SIGINT, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
        source.setEventHandler { [weak self] in
            guard let self else { return }
            self.lock.lock()
            let second = self.flag
            self.flag = true
            self.lock.unlock()
            // A second Ctrl-C means now.
            if second { exit(130) }
        }
        source.resume()
        self.source = source
    }
}

enum ScenarioSupport {
    static func profile(_ name: String) throws -> CardProfile {
        do { return try CardProfileLocator.load(name) } catch { throw Failure.input("\(error)") }
    }

    /// Why a scenario does not run on the faulty card `--card` forces: it was written for another card state
    /// (`card: auth-pin-blocked`) than the one the faulty card copies (`based_on`, default `default`), so its
    /// failure there would say nothing about the fault. Nil when it runs.
    static func faultyCardRefusal(for scenario: Scenario, forced profile: CardProfile?) -> String? {
        guard let profile, !profile.chip.faults.isEmpty else { return nil }
        let base = profile.chip.basedOn ?? "default"
        let written = scenario.card ?? "default"
        guard written != base else { return nil }
        return "written for the card '\(written)'; the faulty card \(profile.name) is '\(base)' with a fault"
    }

    /// A scenario that did not run, with why.
    static func skipped(_ scenario: Scenario, reason: String) -> ScenarioResult {
        ScenarioResult(
            id: scenario.id, title: scenario.title, requirements: scenario.requirements, tags: scenario.tags,
            suite: scenario.suite, file: scenario.file, outcome: .skipped(reason: reason), duration: .zero,
            transcript: [], timings: [])
    }

    /// A scenario's `card:` that names no profile, reported where it is written, before anything runs.
    static func missingProfiles(_ scenarios: [Scenario]) -> [Diagnostic] {
        var problems: [Diagnostic] = []
        var checked: [String: Diagnostic?] = [:]
        for scenario in scenarios {
            guard let name = scenario.card else { continue }
            if checked[name] == nil {
                do {
                    _ = try CardProfileLocator.load(name)
                    checked[name] = .some(nil)
                } catch {
                    checked[name] = .some(error)
                }
            }
            if let found = checked[name], let problem = found {
                let detail = problem.location == nil ? problem.message : problem.description
                problems.append(Diagnostic("card: \(detail)", at: scenario.cardLocation ?? scenario.location))
            }
        }
        return problems
    }

    /// The `${card.…}` values of an emulated card; the environment is the process's.
    static func variables(for profile: CardProfile) -> VariableStore {
        var card: [String: String] = [
            "card.holder.my_number": profile.holder.myNumber, "card.holder.name": profile.holder.name,
            "card.holder.address": profile.holder.address, "card.holder.birth_date": profile.holder.birthDate.yyyymmdd,
            "card.holder.sex": profile.holder.sex, "card.as_of": profile.asOf.description,
        ]
        for (name, pin) in profile.pins { card["card.pins.\(name)"] = pin.value }
        card.merge(ChipVariables.values(for: profile)) { current, _ in current }
        card.merge(profile.freeArea?.cardVariables ?? [:]) { current, _ in current }
        return VariableStore(card: card, environment: ProcessInfo.processInfo.environment)
    }

    /// Prints every problem and stops with exit 2 when there is one.
    static func report(_ problems: [Diagnostic]) throws {
        guard !problems.isEmpty else { return }
        let sorted = problems.sorted {
            ($0.location?.file ?? "", $0.location?.line ?? 0, $0.location?.column ?? 0)
                < ($1.location?.file ?? "", $1.location?.line ?? 0, $1.location?.column ?? 0)
        }
        let text = sorted.map(\.description).joined(separator: "\n")
        throw Failure.input(text + "\n\(problems.count) problem\(problems.count == 1 ? "" : "s") found")
    }

    static func parseShard(_ text: String) throws -> (Int, Int) {
        let parts = text.split(separator: "/")
        guard parts.count == 2, let index = Int(parts[0]), let count = Int(parts[1]), count >= 1,
            (1...count).contains(index)
        else {
            throw ValidationError("--shard takes K/N with 1 ≤ K ≤ N, e.g. 2/4; got '\(text)'")
        }
        return (index, count)
    }
}
