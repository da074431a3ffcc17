import APDU
import CardEmulator
import Foundation

// Install timings that can fail: the per-phase report of installs seen by the emulator's InstallPhaseMonitor, from
// `mynaconf emulate --install-report` (an outside installer) or `mynaconf timings` (a recorded transcript). Budgets
// come from seed 000's J-LIS averages × a tolerance; the command profile is MCAP-1, an assumption.

/// Budgets per phase, in the seed's terms.
struct InstallBudgets {
    /// Seed 000 (J-LIS reference environment): 独自利用領域生成 1 min, アプリダウンロード 35 s — averages.
    static let seedAverages: [InstallPhase: Duration] = [.regionCreation: .seconds(60), .download: .seconds(35)]
    /// Seed 000's operator steps (初期画面 10 s, 利用者情報入力 40 s, 搭載アプリ選択 10 s), added to the install for the
    /// whole-card figure.
    static let operatorSteps = Duration.seconds(60)
    /// Seed 000: "概ね2分～3分程度/枚"; the upper end is the whole card's budget.
    static let wholeCard = Duration.seconds(180)
    static let defaultTolerance = 1.5
    /// A tolerance below 1 would budget under the seed's averages; above 1000 it no longer gates anything, and far
    /// above it `Duration * Double` overflows.
    static let toleranceRange = 1.0...1000.0
    /// About 31 years: any longer budget gates nothing, and a much longer one overflows `Duration`.
    static let longestBudgetSeconds = 1e9

    var tolerance = defaultTolerance
    /// Budgets given on the command line; they replace the seed's.
    var overrides: [InstallPhase: Duration] = [:]

    func budget(_ phase: InstallPhase) -> Duration? {
        if let given = overrides[phase] { return given }
        return Self.seedAverages[phase].map { $0 * tolerance }
    }

    /// `download=2s`, `region_creation=1500ms`, `install=0.5` (seconds).
    static func parse(_ text: String) throws -> (InstallPhase, Duration) {
        let parts = text.split(separator: "=", maxSplits: 1).map(String.init)
        let names = InstallPhase.allCases.map(\.rawValue).joined(separator: ", ")
        guard parts.count == 2, let phase = InstallPhase(rawValue: parts[0]) else {
            throw Failure.input("--install-budget \(text): write PHASE=DURATION, a phase one of \(names)")
        }
        var number = parts[1]
        var scale = 1.0
        if number.hasSuffix("ms") {
            number.removeLast(2)
            scale = 0.001
        } else if number.hasSuffix("s") {
            number.removeLast()
        }
        guard let value = Double(number), value.isFinite, value >= 0 else {
            throw Failure.input("--install-budget \(text): '\(parts[1])' is not a duration such as 2s, 1500ms or 0.5")
        }
        guard value * scale <= longestBudgetSeconds else {
            throw Failure.input(
                "--install-budget \(text): '\(parts[1])' is longer than the longest budget, 1e9 s (about 31 years)")
        }
        return (phase, .milliseconds(Int64((value * scale * 1000).rounded())))
    }
}

/// The report: per phase p50/p95/max over the installs (net of the emulator's modelled delay), budgets, verdicts,
/// and cards per hour.
struct InstallTimingReport {
    struct PhaseSummary {
        var phase: InstallPhase
        var net: [Duration]
        var gross: [Duration]
        var budget: Duration?

        func percentile(_ p: Double, _ samples: [Duration]) -> Duration {
            let sorted = samples.sorted()
            guard !sorted.isEmpty else { return .zero }
            let rank = Int((p / 100 * Double(sorted.count)).rounded(.up))
            return sorted[min(max(rank, 1), sorted.count) - 1]
        }
        var p50: Duration { percentile(50, net) }
        var p95: Duration { percentile(95, net) }
        var maximum: Duration { net.max() ?? .zero }
        var withinBudget: Bool? { budget.map { maximum <= $0 } }
    }

    var source: String
    var installs: [InstallRecord]
    /// Phases that ended in a status word other than 90 00 (a refused install): reported, not timed.
    var failedPhases: [PhaseMeasurement]
    var budgets: InstallBudgets
    /// The manager AID and INS bytes the phases were found by, and the profile they came from (`timings --card`).
    var commandBytes: InstallCommandBytes?
    /// What a person needs to know to read the result, e.g. why nothing was recognised.
    var notes: [String] = []

    init(source: String, installs: [InstallRecord], allPhases: [PhaseMeasurement], budgets: InstallBudgets) {
        self.source = source
        let activated = installs.filter(\.isComplete)
        self.installs = activated.filter(Self.isWhole)
        self.failedPhases = allPhases.filter { !$0.succeeded }
        self.budgets = budgets
        let partial = activated.count - self.installs.count
        if partial > 0 {
            // Read with another card's INS bytes, a create region can look like an activation: counting it would
            // report an install of a few milliseconds, and pass.
            notes.append(
                "not counted: \(partial) activation\(partial == 1 ? "" : "s") answered 90 00 without a download and a "
                    + "user ID before \(partial == 1 ? "it" : "them") in the same session (an install resumed after "
                    + "a reset, or INS bytes that are not the card's: check --card)")
        }
    }

    /// A whole install: its download, user ID and activation answered 90 00 in one session.
    static func isWhole(_ install: InstallRecord) -> Bool {
        [InstallPhase.download, .userID, .activation].allSatisfy { phase in
            install.phases.contains { $0.phase == phase && $0.succeeded }
        }
    }

    var phases: [PhaseSummary] {
        InstallPhase.allCases.compactMap { phase in
            // A region already there answers 6A 89 to create region: that is no region creation to time.
            let measured = installs.compactMap { phase == .install ? $0.total : $0.phase(phase) }.filter(\.succeeded)
            guard !measured.isEmpty else { return nil }
            return PhaseSummary(
                phase: phase, net: measured.map(\.net), gross: measured.map(\.gross), budget: budgets.budget(phase))
        }
    }

    /// Installs per hour at the measured mean, with and without seed 000's operator steps.
    var cardsPerHour: (machine: Double, withOperator: Double)? {
        guard !installs.isEmpty else { return nil }
        let mean = installs.map { Self.seconds($0.total.net) }.reduce(0, +) / Double(installs.count)
        let withOperator = mean + Self.seconds(InstallBudgets.operatorSteps)
        return (mean > 0 ? 3600 / mean : 0, 3600 / withOperator)
    }

    /// The whole card: the slowest install plus the operator steps, against seed 000's 3 minutes.
    var wholeCardWithinBudget: Bool? {
        guard let slowest = installs.map(\.total.net).max() else { return nil }
        return slowest + InstallBudgets.operatorSteps <= InstallBudgets.wholeCard
    }

    /// Passed when there is at least one complete install and every budget holds.
    var passed: Bool {
        !installs.isEmpty && phases.allSatisfy { $0.withinBudget != false } && wholeCardWithinBudget != false
    }

    static func seconds(_ d: Duration) -> Double {
        let (s, atto) = d.components
        return Double(s) + Double(atto) / 1e18
    }

    static func ms(_ d: Duration) -> String { String(format: "%.1f", seconds(d) * 1000) }

    var consoleText: String {
        var lines = ["Install timings (\(source)); command profile \(Self.profileLabel)"]
        if let commandBytes { lines.append(commandBytes.summary) }
        lines.append("\(installs.count) complete install\(installs.count == 1 ? "" : "s")")
        guard !installs.isEmpty else {
            lines.append("no complete install (download, user ID and activation answered 90 00) was found")
            lines += notes
            lines.append("install timings: FAILED")
            return lines.joined(separator: "\n")
        }
        lines.append("phase              n     p50 ms     p95 ms     max ms   budget ms  verdict")
        for summary in phases {
            let budget = summary.budget.map(Self.ms) ?? "—"
            let verdict: String
            switch summary.withinBudget {
            case .some(true): verdict = "kept"
            case .some(false): verdict = "OVER BUDGET"
            case .none: verdict = summary.phase == .install ? "see whole card" : "no budget"
            }
            lines.append(
                summary.phase.rawValue.padding(toLength: 16, withPad: " ", startingAt: 0)
                    + String(format: "%5d", summary.net.count)
                    + [summary.p50, summary.p95, summary.maximum].map { Self.ms($0).leftPadded(11) }.joined()
                    + budget.leftPadded(12) + "  " + verdict)
        }
        if let rate = cardsPerHour {
            lines.append(
                String(
                    format: "cards per hour: %.1f (installs alone), %.1f with the operator steps (+60 s, seed 000)",
                    rate.machine, rate.withOperator))
        }
        // The install row has no budget of its own: the whole card's is this one, so it is always shown.
        if let slowest = installs.map(\.total.net).max(), let kept = wholeCardWithinBudget {
            let total = slowest + InstallBudgets.operatorSteps
            lines.append(
                String(
                    format: "whole card: slowest install %.1f s + %.0f s operator steps = %.1f s, budget %.0f s "
                        + "(seed 000's 2-3 minutes): %@",
                    Self.seconds(slowest), Self.seconds(InstallBudgets.operatorSteps), Self.seconds(total),
                    Self.seconds(InstallBudgets.wholeCard), kept ? "kept" : "OVER BUDGET"))
        }
        for phase in failedPhases {
            let sw = phase.statusWord.map { Hex.encode([$0.sw1, $0.sw2]) } ?? "no answer"
            lines.append("refused: \(phase.phase.rawValue) answered \(sw)")
        }
        lines += notes
        lines.append(passed ? "install timings: within budget" : "install timings: FAILED")
        return lines.joined(separator: "\n")
    }

    static let profileLabel = "mynaconf MCAP-1 (assumption)"

    var json: String {
        func number(_ d: Duration) -> String { Self.ms(d) }
        var phaseObjects: [String] = []
        for summary in phases {
            let budget = summary.budget.map(number) ?? "null"
            let within = summary.withinBudget.map { $0 ? "true" : "false" } ?? "null"
            phaseObjects.append(
                "    {\"phase\": \"\(summary.phase.rawValue)\", \"n\": \(summary.net.count), "
                    + "\"p50Ms\": \(number(summary.p50)), \"p95Ms\": \(number(summary.p95)), "
                    + "\"maxMs\": \(number(summary.maximum)), \"grossMaxMs\": \(number(summary.gross.max() ?? .zero)), "
                    + "\"budgetMs\": \(budget), \"withinBudget\": \(within)}")
        }
        var installObjects: [String] = []
        for install in installs {
            let phases = install.phases.map { "\"\($0.phase.rawValue)\": \(number($0.net))" }.joined(separator: ", ")
            let region = install.region.map { "\"\($0.rawValue)\"" } ?? "null"
            let aid = install.aid.map { "\"\(Hex.encode($0, separator: " "))\"" } ?? "null"
            installObjects.append(
                "    {\"aid\": \(aid), \"region\": \(region), \"netMs\": {\(phases)}, "
                    + "\"installNetMs\": \(number(install.total.net)), \"installGrossMs\": \(number(install.total.gross))}"
            )
        }
        let rate = cardsPerHour
        let refused = failedPhases.map { phase in
            let sw = phase.statusWord.map { "\"\(Hex.encode([$0.sw1, $0.sw2]))\"" } ?? "null"
            return "{\"phase\": \"\(phase.phase.rawValue)\", \"statusWord\": \(sw)}"
        }
        return """
            {
              "cardApProfile": "\(Self.profileLabel)",
              "source": \(Self.quoted(source)),
              "passed": \(passed),
              "tolerance": \(budgets.tolerance),
              "operatorStepsMs": \(number(InstallBudgets.operatorSteps)),
              "wholeCardBudgetMs": \(number(InstallBudgets.wholeCard)),
              "wholeCardWithinBudget": \(wholeCardWithinBudget.map { $0 ? "true" : "false" } ?? "null"),
              "cardsPerHour": \(rate.map { String(format: "%.2f", $0.machine) } ?? "null"),
              "cardsPerHourWithOperator": \(rate.map { String(format: "%.2f", $0.withOperator) } ?? "null"),
              "completeInstalls": \(installs.count),
              "phases": [
            \(phaseObjects.joined(separator: ",\n"))
              ],
              "installs": [
            \(installObjects.joined(separator: ",\n"))
              ],
              "refused": [\(refused.joined(separator: ", "))],
              "commandBytes": \(commandBytes?.json ?? "null"),
              "notes": [\(notes.map(Self.quoted).joined(separator: ", "))]
            }

            """
    }

    var junit: String {
        func escape(_ text: String) -> String {
            text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
                .replacingOccurrences(of: "\"", with: "&quot;").replacingOccurrences(of: ">", with: "&gt;")
        }
        var cases: [String] = []
        var failures = 0
        for summary in phases {
            var body = "      <properties>\n"
            for (name, value) in [
                ("n", "\(summary.net.count)"), ("p50Ms", Self.ms(summary.p50)), ("p95Ms", Self.ms(summary.p95)),
                ("maxMs", Self.ms(summary.maximum)), ("budgetMs", summary.budget.map(Self.ms) ?? ""),
            ] {
                body += "        <property name=\"\(name)\" value=\"\(value)\"/>\n"
            }
            body += "      </properties>\n"
            if summary.withinBudget == false {
                failures += 1
                body +=
                    "      <failure message=\"\(summary.phase.rawValue) over budget: max \(Self.ms(summary.maximum)) ms > "
                    + "\(summary.budget.map(Self.ms) ?? "") ms\" type=\"budget\"/>\n"
            }
            cases.append(
                "    <testcase classname=\"install-timings\" name=\"\(summary.phase.rawValue)\" time=\""
                    + String(format: "%.3f", Self.seconds(summary.maximum)) + "\">\n\(body)    </testcase>")
        }
        if installs.isEmpty {
            failures += 1
            cases.append(
                "    <testcase classname=\"install-timings\" name=\"complete install\">\n"
                    + "      <failure message=\"\(escape((["no complete install was found"] + notes).joined(separator: "; ")))\" "
                    + "type=\"missing\"/>\n    </testcase>")
        }
        return """
            <?xml version="1.0" encoding="UTF-8"?>
            <testsuites name="mynaconf install timings" tests="\(cases.count)" failures="\(failures)">
              <testsuite name="install-timings" tests="\(cases.count)" failures="\(failures)">
                <properties>
                  <property name="cardApProfile" value="\(Self.profileLabel)"/>
                  <property name="source" value="\(escape(source))"/>
                  <property name="tolerance" value="\(budgets.tolerance)"/>
                </properties>
            \(cases.joined(separator: "\n"))
              </testsuite>
            </testsuites>

            """
    }

    static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            default:
                if scalar.value < 0x20 {
                    out += String(format: "\\u%04x", scalar.value)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}

extension String {
    fileprivate func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
}

/// A recorded install transcript (format v1, docs/install-timings.md): one exchange per two lines,
/// `T > HEX` (command sent at T ms) then `T < HEX` (answer complete at T ms); `#` comments and blank lines.
enum InstallTranscript {
    struct Problem: Error, CustomStringConvertible {
        var description: String
    }

    /// 1e12 ms, about 31 years: a longer recording is a mistake, and past ~9.2e15 ms `Duration` overflows.
    static let latestMilliseconds = 1e12

    static func parse(_ text: String, path: String) throws(Problem) -> [TimedExchange] {
        var exchanges: [TimedExchange] = []
        var pending: (command: [UInt8], start: Duration, line: Int)?
        var last = Duration.zero
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let number = index + 1
            let line = rawLine.hasSuffix("\r") ? String(rawLine.dropLast()) : String(rawLine)
            let content = line.trimmingCharacters(in: .whitespaces)
            if content.isEmpty || content.hasPrefix("#") { continue }
            let column =
                (line.firstIndex { !$0.isWhitespace }.map { line.distance(from: line.startIndex, to: $0) } ?? 0) + 1
            func fail(_ message: String, at offset: Int = 0) -> Problem {
                Problem(description: "\(path):\(number):\(column + offset): error: \(message)")
            }
            let fields = content.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: true).map(String.init)
            guard fields.count >= 2 else {
                throw fail("expected 'MILLISECONDS > HEX' or 'MILLISECONDS < HEX'")
            }
            guard let milliseconds = Double(fields[0]), milliseconds.isFinite, milliseconds >= 0 else {
                throw fail("'\(fields[0])' is not a time in milliseconds since the start of the recording")
            }
            guard milliseconds <= latestMilliseconds else {
                throw fail("time \(fields[0]) ms is past the latest a recording may reach, 1e12 ms (about 31 years)")
            }
            let instant = Duration.microseconds(Int64((milliseconds * 1000).rounded()))
            guard instant >= last else {
                throw fail("time \(fields[0]) ms runs backwards (the line before is later)")
            }
            last = instant
            let hexOffset =
                content.distance(
                    from: content.startIndex, to: content.range(of: fields[1])!.upperBound) + 1
            let bytes: [UInt8]
            do { bytes = try Hex.decode(fields.count > 2 ? fields[2] : "") } catch {
                throw fail("bad hex: \(error.message)", at: hexOffset)
            }
            switch fields[1] {
            case ">":
                if let pending {
                    throw fail("a command, but the command on line \(pending.line) has no answer yet")
                }
                guard bytes.count >= 4 else { throw fail("a command APDU has at least 4 bytes", at: hexOffset) }
                pending = (bytes, instant, number)
            case "<":
                guard let open = pending else { throw fail("an answer with no command before it") }
                guard bytes.count >= 2 else { throw fail("an answer ends with a status word (2 bytes)", at: hexOffset) }
                exchanges.append(TimedExchange(command: open.command, response: bytes, start: open.start, end: instant))
                pending = nil
            default:
                throw fail("'\(fields[1])' is neither > (command) nor < (answer)", at: fields[0].count + 1)
            }
        }
        if let pending {
            throw Problem(description: "\(path):\(pending.line):1: error: the last command has no answer")
        }
        return exchanges
    }
}

/// The bytes the install phases are recognised by: the manager's AID and the management INS bytes of a card
/// profile's free area (`free_area.manager_aid`, `free_area.commands`).
struct InstallCommandBytes {
    var cardProfile: String
    var managerAID: [UInt8]
    var instructions: FreeAreaInstructions

    init(cardProfile: String, setting: FreeAreaSetting) {
        self.cardProfile = cardProfile
        managerAID = setting.managerAID
        instructions = setting.instructions
    }

    /// The commands that open or close a phase, in install order.
    static let phaseCommands: [FreeAreaCommand] = [.createRegion, .load, .writeUserID, .activate]

    var insList: String {
        Self.phaseCommands.map { "\($0.rawValue) \(Hex.encode([instructions[$0.rawValue] ?? 0]))" }
            .joined(separator: ", ")
    }

    var summary: String {
        "free-area bytes of card profile '\(cardProfile)': manager AID \(Hex.encode(managerAID, separator: " ")); "
            + "INS \(insList)"
    }

    var json: String {
        let ins = FreeAreaInstructions.keys.map { key in
            "\"\(key)\": \"\(Hex.encode([instructions[key] ?? 0]))\""
        }
        return "{\"cardProfile\": \(InstallTimingReport.quoted(cardProfile)), "
            + "\"managerAid\": \"\(Hex.encode(managerAID, separator: " "))\", \"ins\": {\(ins.joined(separator: ", "))}}"
    }
}

/// Why a transcript yields no complete install, read from its bytes: which AIDs it selects and which proprietary
/// INS bytes it sends to the manager, against the bytes the profile expects. A card whose free area uses other bytes
/// then reads as "pass --card", never as an install that was not there.
struct InstallRecognition {
    var bytes: InstallCommandBytes
    /// Distinct AIDs selected (SELECT by DF name), in order of first appearance.
    var selectedAIDs: [[UInt8]] = []
    var managerSelections = 0
    /// Distinct INS of proprietary-class commands sent while the manager was selected that the profile does not name.
    var unknownINS: [UInt8] = []
    /// Phase commands (by the profile's INS) seen while the manager was selected.
    var phaseCommandsSeen = 0

    init(_ exchanges: [TimedExchange], bytes: InstallCommandBytes) {
        self.bytes = bytes
        var managerSelected = false
        for exchange in exchanges {
            let command = exchange.command
            let (cla, ins, p1) = (command[0], command[1], command[2])
            if cla == 0x00, ins == 0xA4, p1 == 0x04 {
                let aid = InstallPhaseMonitor.commandData(command)
                if !selectedAIDs.contains(aid) { selectedAIDs.append(aid) }
                managerSelected = aid == bytes.managerAID
                if managerSelected { managerSelections += 1 }
                continue
            }
            guard managerSelected, cla & 0x80 != 0 else { continue }
            if let kind = bytes.instructions.command(for: ins) {
                if InstallCommandBytes.phaseCommands.contains(kind) { phaseCommandsSeen += 1 }
            } else if !unknownINS.contains(ins) {
                unknownINS.append(ins)
            }
        }
    }

    /// Lines for the report; empty when there is nothing to explain.
    func notes(installsFound: Bool) -> [String] {
        let profile = "card profile '\(bytes.cardProfile)'"
        let remedy =
            "if the card's free area uses other bytes, pass --card with a profile that has them "
            + "(free_area.manager_aid, free_area.commands; docs/install-timings.md)"
        var notes: [String] = []
        if managerSelections == 0 {
            let selected =
                selectedAIDs.isEmpty
                ? "it selects no application by AID"
                : "it selects " + selectedAIDs.prefix(5).map { Hex.encode($0, separator: " ") }.joined(separator: ", ")
                    + (selectedAIDs.count > 5 ? " and \(selectedAIDs.count - 5) more" : "")
            notes.append(
                "not recognised: the transcript never selects the manager AID "
                    + "\(Hex.encode(bytes.managerAID, separator: " ")) of \(profile) (\(selected)); \(remedy)")
        } else if !unknownINS.isEmpty {
            let sent = unknownINS.map { Hex.encode([$0]) }.joined(separator: ", ")
            notes.append(
                "\(installsFound ? "note" : "not recognised"): after selecting the manager the transcript sends INS "
                    + "\(sent), which \(profile) does not name (\(bytes.insList)); \(remedy)")
        } else if !installsFound && phaseCommandsSeen == 0 {
            notes.append(
                "not recognised: the manager is selected \(managerSelections) time(s) but no management command "
                    + "(\(bytes.insList)) follows; \(remedy)")
        }
        return notes
    }
}
