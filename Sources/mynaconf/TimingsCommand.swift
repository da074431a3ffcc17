import ArgumentParser
import CardEmulator
import Foundation
import Reports

/// `mynaconf timings`: evaluates a recorded, timestamped transcript of installs on a card (real or not) with the same
/// phase rules and budgets as `mynaconf emulate --install-report` (docs/install-timings.md).
struct TimingsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "timings",
        abstract: "Evaluate the install phases of a recorded transcript against the seed's budgets.",
        discussion: """
            The free area's command profile is mynaconf's MCAP-1, an ASSUMPTION (docs/card-ap-profile.md): J-LIS's \
            command specification is not public. A transcript is text: 'MILLISECONDS > HEX' for a command sent, \
            'MILLISECONDS < HEX' for its answer, '#' comments (docs/install-timings.md). Budgets: region creation \
            60 s and download 35 s (seed 000, J-LIS averages) × --tolerance; --install-budget overrides one phase. \
            The phases are found by the manager AID and INS bytes of --card's free_area (default: the default \
            profile's, MCAP-1's own). Exit 0 within budget, 1 over budget or no complete install (with why: e.g. the manager AID never selected), 2 bad input.
            """
    )

    @Argument(help: "The transcript file.")
    var transcript: String

    @Option(
        name: .long,
        help: "Card profile (a name from Vectors/cards or a path) with the manager AID and INS bytes the card used.")
    var card = "default"

    @Option(name: .long, help: "Write the report as JSON here.")
    var json: String?

    @Option(name: .long, help: "Write the report as JUnit XML here (one test case per phase).")
    var junit: String?

    @Option(name: .customLong("install-budget"), help: "PHASE=DURATION, e.g. download=2s or region_creation=1500ms.")
    var budgets: [String] = []

    @Option(name: .long, help: "Multiplier of the seed's averages, 1 to 1000.")
    var tolerance: Double = InstallBudgets.defaultTolerance

    func run() throws {
        let budgets = try InstallTimingOptions.budgets(self.budgets, tolerance: tolerance)
        let profile: CardProfile
        do { profile = try CardProfileLocator.load(card) } catch { throw Failure.input("\(error)") }
        var isDirectory: ObjCBool = false
        let exists = FileManager.default.fileExists(atPath: transcript, isDirectory: &isDirectory)
        guard exists, !isDirectory.boolValue, let data = FileManager.default.contents(atPath: transcript) else {
            let why =
                !exists
                ? "no such file"
                : isDirectory.boolValue ? "is a directory, expected a transcript file" : "cannot read the file"
            throw Failure.input("\(transcript):1:1: error: \(why)")
        }
        let destinations = ReportDestinations(
            files: [("--json", json), ("--junit", junit)].compactMap { option, path in path.map { (option, $0) } })
        try destinations.check(inputs: [transcript] + (profile.sourcePath.map { [$0] } ?? []))
        let exchanges: [TimedExchange]
        do {
            exchanges = try InstallTranscript.parse(String(decoding: data, as: UTF8.self), path: transcript)
        } catch { throw Failure.input(error.description) }
        let setting = profile.freeArea ?? FreeAreaSetting()
        var monitor = InstallPhaseMonitor(setting: setting)
        for exchange in exchanges { monitor.record(exchange) }
        var report = InstallTimingReport(
            source: transcript, installs: monitor.installs, allPhases: monitor.phases, budgets: budgets)
        let bytes = InstallCommandBytes(cardProfile: profile.name, setting: setting)
        report.commandBytes = bytes
        report.notes += InstallRecognition(exchanges, bytes: bytes).notes(installsFound: !report.installs.isEmpty)
        try InstallTimingOptions.write(report, json: json, junit: junit)
        print(report.consoleText)
        if !report.passed { throw ExitCode(1) }
    }
}

enum InstallTimingOptions {
    /// Validated when the command starts, so `emulate` refuses a bad value before it serves a card.
    static func budgets(_ given: [String], tolerance: Double, option: String = "--tolerance") throws -> InstallBudgets {
        guard InstallBudgets.toleranceRange.contains(tolerance) else {
            throw Failure.input("\(option) \(tolerance): a multiplier of the seed's averages from 1 to 1000, e.g. 1.5")
        }
        var budgets = InstallBudgets(tolerance: tolerance)
        for text in given {
            let (phase, duration) = try InstallBudgets.parse(text)
            budgets.overrides[phase] = duration
        }
        return budgets
    }

    static func write(_ report: InstallTimingReport, json: String?, junit: String?) throws {
        do {
            if let json { try ReportFile.writeAtomically(report.json, to: json) }
            if let junit { try ReportFile.writeAtomically(report.junit, to: junit) }
        } catch {
            throw Failure.environment("cannot write the install report: \(error)")
        }
    }
}
