import Runner

/// What a person watching the run sees: a line per scenario as it finishes, then a summary with the timing table
/// and the closing line CI reads (`N passed, M failed`). Colour only when asked for; every string from a scenario
/// has its control characters made visible, so a title cannot move the cursor or recolour the terminal.
public struct ConsoleReporter: Sendable {
    private let colour: Bool
    private let write: @Sendable (String) -> Void

    /// `write` receives whole lines, each ending in a newline; one call per scenario and one for the summary.
    public init(colour: Bool, write: @escaping @Sendable (String) -> Void) {
        self.colour = colour
        self.write = write
    }

    /// Colour on a terminal only; `NO_COLOR` set to any value (https://no-color.org) or `TERM=dumb` turns it off.
    public static func shouldUseColour(isTerminal: Bool, environment: [String: String]) -> Bool {
        isTerminal && environment["NO_COLOR"] == nil && environment["TERM"] != "dumb"
    }

    /// One line: mark (✓ passed, ✗ failed, – skipped, ! error), ID, title, time. A failure or error adds its
    /// location, message, and expected and got, indented on the lines below.
    public func scenarioFinished(_ result: ScenarioResult) {
        let head = "\(Self.clean(result.id)) \(Self.clean(result.title))"
        var lines: [String]
        switch result.outcome {
        case .passed:
            lines = ["\(paint("✓", .green)) \(head) \(paint("(\(Figures.human(result.duration)))", .dim))"]
        case .skipped(let reason):
            lines = ["\(paint("–", .yellow)) \(head) \(paint("(skipped: \(Self.clean(reason)))", .yellow))"]
        case .failed(let failure):
            lines = ["\(paint("✗", .red)) \(head) \(paint("(\(Figures.human(result.duration)))", .dim))"]
            lines += details(failure, label: nil)
        case .error(let failure):
            lines = ["\(paint("!", .red)) \(head) \(paint("(\(Figures.human(result.duration)))", .dim))"]
            lines += details(failure, label: "error: ")
        }
        write(lines.joined(separator: "\n") + "\n")
    }

    /// Counts, the scenarios that did not pass, the timing table (p50/p95/max/budget per timed step), and a closing
    /// line exactly `N passed, M failed` (`, K skipped` when K > 0). M counts failures and errors alike: either one
    /// means the run must not be taken as a pass.
    /// `faulty`: the run was on a deliberately faulty card; the closing lines say whether the suite caught it.
    public func summary(_ run: RunResult, faulty: FaultyCardVerdict? = nil) {
        var lines = [""]
        let target = run.target
        let card = target.isRealCard ? "a real card, ATR \(target.atr)" : "card profile \(target.cardProfile)"
        lines.append(
            "Ran \(run.scenarios.count) scenario\(run.scenarios.count == 1 ? "" : "s") in "
                + "\(Figures.human(run.duration)) on \(Self.clean(target.reader)) "
                + "(\(Self.clean(card)), mynaconf \(Self.clean(target.harnessVersion)))")
        lines.append("  " + evidence(run))
        if let profile = target.cardApProfile {
            lines.append("  Free-area commands: \(Self.clean(profile)), J-LIS's specification not being public")
        }
        var counts = [paint("\(run.passed) passed", run.passed > 0 ? .green : .none)]
        counts.append(paint("\(run.failed) failed", run.failed > 0 ? .red : .none))
        if run.errors > 0 { counts.append(paint("\(run.errors) error\(run.errors == 1 ? "" : "s")", .red)) }
        if run.skipped > 0 { counts.append(paint("\(run.skipped) skipped", .yellow)) }
        lines.append("  " + counts.joined(separator: ", "))
        if run.interrupted {
            lines.append(
                paint(
                    "Interrupted: the run was stopped before all its scenarios ran; these results cover the "
                        + "\(run.scenarios.count) that finished.", .red))
            if let reason = run.stopReason { lines.append(paint("Stopped because \(Self.clean(reason))", .red)) }
        }

        let notPassed = run.scenarios.compactMap { scenario -> String? in
            switch scenario.outcome {
            case .failed(let failure):
                "  \(paint("✗", .red)) \(Self.clean(scenario.id))  \(Self.clean(failure.location))"
            case .error(let failure):
                "  \(paint("!", .red)) \(Self.clean(scenario.id))  \(Self.clean(failure.location))"
            case .passed, .skipped: nil
            }
        }
        if !notPassed.isEmpty {
            lines += ["", "Not passed:"] + notPassed
        }

        let timings = run.scenarios.flatMap(\.timings)
        if !timings.isEmpty {
            lines += [""] + timingTable(timings)
        }
        lines += [
            "",
            "\(run.passed) passed, \(run.failed + run.errors) failed"
                + (run.skipped > 0 ? ", \(run.skipped) skipped" : ""),
        ]
        if let faulty {
            lines.append(paint(Self.clean(faulty.line), faulty.caughtAsDeclared ? .green : .red))
        }
        write(lines.joined(separator: "\n") + "\n")
    }

    /// One line of what the report files hold in full: the build, the inputs hashed, and when.
    private func evidence(_ run: RunResult) -> String {
        var build = run.target.harnessCommit.map { "commit \(Self.clean(String($0.prefix(12))))" } ?? "commit unknown"
        if run.target.harnessModified { build += " with uncommitted changes" }
        let scenarioFiles = run.inputs.filter { $0.kind == .scenario }.count
        let profiles = run.inputs.filter { $0.kind == .cardProfile }.count
        var inputs = "\(scenarioFiles) scenario file\(scenarioFiles == 1 ? "" : "s")"
        if profiles > 0 { inputs += " and \(profiles) card profile\(profiles == 1 ? "" : "s")" }
        let start = Figures.timestamp(run.startedAt, fractional: false)
        let end = Figures.timestamp(run.endedAt, fractional: false)
        return "Evidence: \(build); \(inputs) (SHA-256 in the report files); \(start) to \(end)"
    }

    private func details(_ failure: ScenarioFailure, label: String?) -> [String] {
        var lines = Self.cleanLines("at \(failure.location)")
        lines += Self.cleanLines((label ?? "") + failure.message)
        if !failure.expected.isEmpty || !failure.actual.isEmpty {
            lines += Self.cleanLines("expected: \(failure.expected)")
            lines += Self.cleanLines("got:      \(failure.actual)").map { paint($0, .red) }
        }
        return lines.map { "    " + $0 }
    }

    private func timingTable(_ timings: [StepTiming]) -> [String] {
        let header = ["Timed step", "n", "p50", "p95", "max", "budget"]
        let rows = timings.map { timing in
            [
                Self.clean(timing.name), "\(timing.samples.count)", Figures.milliseconds(timing.p50) + " ms",
                Figures.milliseconds(timing.p95) + " ms", Figures.milliseconds(timing.maximum) + " ms",
                timing.budgetText,
            ]
        }
        let widths = (0..<header.count).map { column in
            ([header] + rows).map { Self.displayWidth($0[column]) }.max() ?? 0
        }
        func line(_ cells: [String], verdict: Bool?) -> String {
            var text = Self.padded(cells[0], widths[0], right: false)
            for column in 1...4 {
                text += "  " + Self.padded(cells[column], widths[column], right: true)
            }
            text += "  " + cells[5]
            switch verdict {
            case .some(true): text += " " + paint("✓", .green)
            case .some(false): text += " " + paint("✗ over budget", .red)
            case .none: break
            }
            while text.hasSuffix(" ") { text.removeLast() }
            return text
        }
        return [line(header, verdict: nil)] + zip(rows, timings).map { line($0, verdict: $1.withinBudget) }
    }

    // MARK: Text for a terminal

    enum Paint: String {
        case none = ""
        case green = "32"
        case red = "31"
        case yellow = "33"
        case dim = "2"
    }

    private func paint(_ text: String, _ paint: Paint) -> String {
        guard colour, paint != .none else { return text }
        return "\u{1B}[\(paint.rawValue)m\(text)\u{1B}[0m"
    }

    /// Control characters (C0, DEL, C1) and U+FFFE/U+FFFF shown as `\u{1B}`, so nothing from a scenario reaches the
    /// terminal as a command.
    static func clean(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar.value {
            case 0x00...0x1F, 0x7F...0x9F, 0xFFFE, 0xFFFF: out += XMLEscaping.visible(scalar)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// A multi-line text as lines (LF, CR LF), each cleaned.
    static func cleanLines(_ text: String) -> [String] {
        text.replacingCRLF().split(separator: "\n", omittingEmptySubsequences: false).map { clean(String($0)) }
    }

    /// Columns a terminal uses for `text`: East Asian wide characters and emoji take two.
    static func displayWidth(_ text: String) -> Int {
        text.unicodeScalars.reduce(0) { width, scalar in
            switch scalar.value {
            case 0x1100...0x115F, 0x2E80...0xA4CF, 0xAC00...0xD7A3, 0xF900...0xFAFF, 0xFE30...0xFE4F, 0xFF00...0xFF60,
                0xFFE0...0xFFE6, 0x1F300...0x1F64F, 0x1F900...0x1F9FF, 0x20000...0x3FFFD:
                width + 2
            case 0x0300...0x036F, 0x200B...0x200F, 0xFE00...0xFE0F: width
            default: width + 1
            }
        }
    }

    private static func padded(_ text: String, _ width: Int, right: Bool) -> String {
        let fill = String(repeating: " ", count: max(0, width - displayWidth(text)))
        return right ? fill + text : text + fill
    }
}

extension String {
    fileprivate func replacingCRLF() -> String {
        var out = ""
        var previousCR = false
        for scalar in unicodeScalars {
            if previousCR && scalar != "\n" { out.unicodeScalars.append("\r") }
            previousCR = scalar == "\r"
            if !previousCR { out.unicodeScalars.append(scalar) }
        }
        if previousCR { out.unicodeScalars.append("\r") }
        return out
    }
}
