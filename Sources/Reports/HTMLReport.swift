import Foundation
import Runner

/// The HTML report (`--html FILE`): one self-contained page a certifier can file and open anywhere, offline. Inline
/// CSS and SVG, no script, nothing fetched; a Content-Security-Policy tells the browser so as well. It shows the
/// verdict, the evidence (build, inputs with their SHA-256, reader, cards, times), the results by requirement,
/// every failure with its transcript, a plot per timed step, and every scenario.
public enum HTMLReport {
    /// A transcript longer than this shows its last commands only (the failure is at the end); the JSON report keeps
    /// every command.
    public static let transcriptLimit = 500
    /// Failures shown in full per scenario, and in all: a long `--repeat` run stays a page a person can read.
    public static let failuresPerScenario = 3
    public static let failureLimit = 200

    public static func render(_ run: RunResult) -> String {
        let verdict = Verdict(run)
        let notPassed = run.scenarios.filter(isFailure)
        let timed = timedSteps(run)
        var page: [String] = []
        page.append("<!DOCTYPE html>")
        page.append("<html lang=\"en\">")
        page.append("<head>")
        page.append("<meta charset=\"utf-8\">")
        page.append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">")
        page.append(
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">")
        page.append("<meta name=\"generator\" content=\"mynaconf \(e(run.target.harnessVersion))\">")
        page.append(
            "<title>mynaconf report: \(verdict.word), \(e(Figures.timestamp(run.startedAt, fractional: false)))</title>"
        )
        page.append("<style>\n\(stylesheet)</style>")
        page.append("</head>")
        page.append("<body>")

        page.append("<header class=\"verdict \(verdict.style)\">")
        page.append("<h1>mynaconf conformance report: \(verdict.word)</h1>")
        page.append("<p class=\"counts\">\(e(counts(run)))</p>")
        page.append(
            "<p>\(e(run.target.reader)) · \(e(cardText(run.target))) · started "
                + "\(e(Figures.timestamp(run.startedAt, fractional: false)))</p>")
        page.append("</header>")
        if run.interrupted {
            page.append(
                "<p class=\"notice\">Interrupted: the run was stopped before all its scenarios ran; this report covers "
                    + "the \(run.scenarios.count) that finished.</p>")
            if let reason = run.stopReason { page.append("<p class=\"notice\">Stopped because \(e(reason))</p>") }
        }
        page.append(
            "<nav><a href=\"#evidence\">Evidence</a> · <a href=\"#requirements\">Results by requirement</a> · "
                + "<a href=\"#failures\">Failures (\(notPassed.count))</a> · "
                + "<a href=\"#timings\">Timed steps (\(timed.count))</a> · <a href=\"#scenarios\">All scenarios</a></nav>"
        )

        page += evidenceSection(run)
        page += requirementsSection(run)
        page += failuresSection(run, notPassed)
        page += timingsSection(timed)
        page += scenariosSection(run)

        page.append(
            "<footer>Written by mynaconf \(e(run.target.harnessVersion)). Credentials in commands are shown as "
                + "<code>********</code>. This page loads nothing: no script, font or image from anywhere.</footer>")
        page.append("</body>")
        page.append("</html>")
        return page.joined(separator: "\n") + "\n"
    }

    // MARK: Sections

    private static func evidenceSection(_ run: RunResult) -> [String] {
        let target = run.target
        var commit = target.harnessCommit.map { "<code>\(e($0))</code>" } ?? "unknown (built outside a git checkout)"
        if target.harnessModified {
            commit +=
                " <span class=\"warning\">built with uncommitted changes: the commit alone does not say what ran"
                + "</span>"
        }
        var rows: [(String, String)] = [
            ("Harness", "mynaconf \(e(target.harnessVersion))"),
            ("Commit", commit),
            ("Started", e(Figures.timestamp(run.startedAt, fractional: true))),
            ("Ended", e(Figures.timestamp(run.endedAt, fractional: true))),
            ("Duration", e(Figures.human(run.duration))),
            ("Reader", e(target.reader)),
            (
                "Reader firmware",
                target.readerFirmware.map(e) ?? target.readerFirmwareNote.map { "unknown: \(e($0))" } ?? "not available"
            ),
            ("Card", e(cardText(target))),
            ("ATR", "<code>\(e(target.atr))</code>"),
            ("Interrupted", run.interrupted ? "yes" : "no"),
        ]
        if target.isRealCard { rows.append(("Real card", "yes")) }
        if let profile = target.cardApProfile { rows.append(("Free-area command profile", e(profile))) }
        if let expected = target.expectedFailures {
            rows.append(
                ("Faulty card", e(FaultyCardVerdict(profile: target.cardProfile, expected: expected, run: run).line)))
        }
        if let reason = run.stopReason { rows.append(("Stopped because", e(reason))) }
        var lines = ["<section id=\"evidence\">", "<h2>Evidence</h2>", "<table class=\"evidence\">"]
        for (name, value) in rows {
            lines.append("<tr><th scope=\"row\">\(name)</th><td>\(value)</td></tr>")
        }
        lines.append("</table>")

        lines.append("<h3>Cards</h3>")
        if target.cards.isEmpty {
            lines.append("<p>No card identity was recorded.</p>")
        } else {
            lines.append(
                "<table class=\"cards\"><tr><th>#</th><th>Card profile</th><th>ATR</th><th>Token serial</th>"
                    + "<th>Auth certificate serial</th><th>Auth certificate SHA-256</th></tr>")
            for (index, card) in target.cards.enumerated() {
                lines.append(
                    "<tr><td>\(index + 1)</td><td>\(card.profile.map(e) ?? "real card")</td>"
                        + "<td><code>\(e(card.atr))</code></td><td>\(code(card.tokenSerial))</td>"
                        + "<td>\(code(card.authenticationCertificateSerial))</td>"
                        + "<td class=\"digest\">\(code(card.authenticationCertificateSHA256))</td></tr>")
            }
            lines.append("</table>")
        }

        lines.append("<h3>Input files</h3>")
        if run.inputs.isEmpty {
            lines.append("<p>No input file was recorded.</p>")
        } else {
            lines.append(
                "<p>SHA-256 of the bytes the run read; <code>sha256sum</code> prints the same for the same file.</p>")
            lines.append("<table class=\"inputs\"><tr><th>Kind</th><th>File</th><th>SHA-256</th><th>Bytes</th></tr>")
            for input in run.inputs {
                let kind = input.kind == .scenario ? "scenario" : "card profile"
                lines.append(
                    "<tr><td>\(kind)</td><td><code>\(e(input.path))</code></td>"
                        + "<td class=\"digest\"><code>\(e(input.sha256))</code></td><td>\(input.bytes)</td></tr>")
            }
            lines.append("</table>")
        }
        lines.append("</section>")
        return lines
    }

    private static func requirementsSection(_ run: RunResult) -> [String] {
        var lines = ["<section id=\"requirements\">", "<h2>Results by requirement</h2>"]
        let groups = requirementGroups(run)
        guard !groups.isEmpty else {
            return lines + ["<p>No scenario ran.</p>", "</section>"]
        }
        lines.append(
            "<table class=\"requirements\"><tr><th>Requirement</th><th>Verdict</th><th>Scenarios</th></tr>")
        for group in groups {
            let verdict = requirementVerdict(group.results.map(\.result))
            // A scenario run several times (--repeat) is one entry with a mark per run, so a flaky one shows.
            var order: [String] = []
            var runs: [String: [(index: Int, result: ScenarioResult)]] = [:]
            for item in group.results {
                if runs[item.result.id] == nil { order.append(item.result.id) }
                runs[item.result.id, default: []].append(item)
            }
            let scenarios = order.map { id in
                let items = runs[id] ?? []
                let failing = items.first { isFailure($0.result) }
                let name = failing.map { "<a href=\"#failure-\($0.index)\">\(e(id))</a>" } ?? e(id)
                return runMarks(items.map(\.result)) + " " + name + (items.count > 1 ? " (\(items.count) runs)" : "")
            }
            let requirement = group.requirement.map { "<code>\(e($0))</code>" } ?? "<em>no requirement named</em>"
            lines.append(
                "<tr class=\"\(verdict.style)\"><td>\(requirement)</td><td>\(verdict.word)</td>"
                    + "<td>\(scenarios.joined(separator: "<br>"))</td></tr>")
        }
        lines.append("</table>")
        lines.append("</section>")
        return lines
    }

    private static func failuresSection(_ run: RunResult, _ notPassed: [ScenarioResult]) -> [String] {
        var lines = ["<section id=\"failures\">", "<h2>Failures</h2>"]
        guard !notPassed.isEmpty else { return lines + ["<p>None.</p>", "</section>"] }
        // A scenario that fails on every one of 10000 runs (--repeat) shows its first failures, not 10000 of them.
        var shownPerScenario: [String: Int] = [:]
        var shown = 0
        for (index, scenario) in run.scenarios.enumerated() {
            let failure: ScenarioFailure
            let kind: String
            switch scenario.outcome {
            case .failed(let details):
                failure = details
                kind = "failed"
            case .error(let details):
                failure = details
                kind = "error"
            case .passed, .skipped: continue
            }
            guard shown < failureLimit, shownPerScenario[scenario.id, default: 0] < failuresPerScenario else {
                continue
            }
            shownPerScenario[scenario.id, default: 0] += 1
            shown += 1
            lines.append("<article class=\"failure \(kind)\" id=\"failure-\(index)\">")
            lines.append(
                "<h3><span class=\"mark \(kind)\">\(mark(scenario))</span> \(e(scenario.id)): \(e(scenario.title))</h3>"
            )
            var facts = ["suite <code>\(e(scenario.suite))</code>", "file <code>\(e(scenario.file))</code>"]
            if let profile = scenario.cardProfile { facts.append("card profile <code>\(e(profile))</code>") }
            if !scenario.requirements.isEmpty {
                facts.append(
                    "requirements " + scenario.requirements.map { "<code>\(e($0))</code>" }.joined(separator: ", "))
            }
            lines.append("<p class=\"facts\">\(facts.joined(separator: " · "))</p>")
            lines.append("<dl>")
            lines.append("<dt>at</dt><dd><code>\(e(failure.location))</code></dd>")
            lines.append("<dt>\(kind == "error" ? "error" : "what")</dt><dd>\(e(failure.message))</dd>")
            if !failure.expected.isEmpty || !failure.actual.isEmpty {
                lines.append("<dt>expected</dt><dd><code>\(e(failure.expected))</code></dd>")
                lines.append("<dt>got</dt><dd class=\"got\"><code>\(e(failure.actual))</code></dd>")
            }
            lines.append("</dl>")
            lines += transcript(scenario.transcript)
            lines.append("</article>")
        }
        if shown < notPassed.count {
            lines.append(
                "<p class=\"notice\">\(notPassed.count - shown) more failures are not shown here (at most "
                    + "\(failuresPerScenario) per scenario and \(failureLimit) in all); the JSON and JUnit reports have "
                    + "every one.</p>")
        }
        lines.append("</section>")
        return lines
    }

    private static func transcript(_ entries: [TranscriptEntry]) -> [String] {
        guard !entries.isEmpty else { return ["<p class=\"facts\">No command was sent.</p>"] }
        let shown = entries.suffix(transcriptLimit)
        var lines = [
            "<details open><summary>Transcript (\(entries.count) command\(entries.count == 1 ? "" : "s"))</summary>"
        ]
        if shown.count < entries.count {
            lines.append(
                "<p class=\"facts\">The first \(entries.count - shown.count) commands are not shown here; the JSON "
                    + "report has every one.</p>")
        }
        var text: [String] = []
        for entry in shown {
            text.append("\(e(entry.step))  \(Figures.milliseconds(entry.duration)) ms")
            text.append("&gt; \(e(entry.maskedCommand))")
            text.append("&lt; \(e(entry.response))")
            if let plain = entry.plainCommand { text.append("    plain &gt; \(e(plain))") }
            if let plain = entry.plainResponse { text.append("    plain &lt; \(e(plain))") }
        }
        lines.append("<pre class=\"transcript\">\(text.joined(separator: "\n"))</pre>")
        lines.append("</details>")
        return lines
    }

    private static func timingsSection(_ timed: [(timing: StepTiming, runs: Int)]) -> [String] {
        var lines = ["<section id=\"timings\">", "<h2>Timed steps</h2>"]
        guard !timed.isEmpty else { return lines + ["<p>No step was timed.</p>", "</section>"] }
        lines.append(
            "<p class=\"legend\">Bars: samples per bin (red past the max budget); ticks below the axis: each sample; "
                + "dashed line: p50; dotted line: p95; red line: max budget; orange line: p95 budget. Percentiles "
                + "are nearest-rank over all samples of the step.</p>")
        for (index, step) in timed.enumerated() {
            let timing = step.timing
            let verdict: String
            switch timing.withinBudget {
            case .some(true): verdict = "<span class=\"kept\">budget \(e(timing.budgetText)): kept</span>"
            case .some(false): verdict = "<span class=\"over\">budget \(e(timing.budgetText)): EXCEEDED</span>"
            case .none: verdict = "no budget"
            }
            let count = timing.samples.count
            lines.append("<figure>")
            lines.append(TimingPlot(timing: timing, runs: step.runs, identifier: "plot-\(index + 1)").svg())
            lines.append(
                "<figcaption><strong>\(e(timing.name))</strong>: \(count) sample\(count == 1 ? "" : "s")"
                    + (step.runs > 1 ? " from \(step.runs) runs" : "")
                    + ", p50 \(Figures.milliseconds(timing.p50)) ms, p95 \(Figures.milliseconds(timing.p95)) ms, "
                    + "max \(Figures.milliseconds(timing.maximum)) ms; \(verdict)</figcaption>")
            lines.append("</figure>")
        }
        lines.append("</section>")
        return lines
    }

    /// One row per scenario; a scenario run several times (--repeat) has one row with a mark per run (or counts,
    /// past a handful) and its median and slowest time.
    private static func scenariosSection(_ run: RunResult) -> [String] {
        var lines = ["<section id=\"scenarios\">", "<h2>All scenarios</h2>"]
        guard !run.scenarios.isEmpty else { return lines + ["<p>No scenario ran.</p>", "</section>"] }
        lines.append(
            "<table class=\"scenarios\"><tr><th></th><th>Scenario</th><th>Title</th><th>Suite</th><th>Time</th>"
                + "<th>Note</th></tr>")
        var order: [String] = []
        var runs: [String: [(index: Int, result: ScenarioResult)]] = [:]
        for (index, scenario) in run.scenarios.enumerated() {
            if runs[scenario.id] == nil { order.append(scenario.id) }
            runs[scenario.id, default: []].append((index, scenario))
        }
        for id in order {
            let items = runs[id] ?? []
            guard let first = items.first?.result else { continue }
            let results = items.map(\.result)
            var note = ""
            if let failing = items.first(where: { isFailure($0.result) }) {
                switch failing.result.outcome {
                case .failed(let failure), .error(let failure):
                    note = "<a href=\"#failure-\(failing.index)\">\(e(failure.location))</a>"
                case .passed, .skipped: break
                }
            } else if case .skipped(let reason) = first.outcome {
                note = "skipped: \(e(reason))"
            }
            let durations = results.map(\.duration).sorted()
            let time =
                durations.count == 1
                ? Figures.human(durations[0])
                : "median \(Figures.human(durations[(durations.count - 1) / 2])), max "
                    + "\(Figures.human(durations[durations.count - 1])) (\(durations.count) runs)"
            let style = results.contains(where: isFailure) ? "failed" : first.outcomeName
            lines.append(
                "<tr class=\"\(style)\"><td>\(runMarks(results))</td><td><code>\(e(id))</code></td>"
                    + "<td>\(e(first.title))</td><td>\(e(first.suite))</td><td>\(e(time))</td><td>\(note)</td></tr>")
        }
        lines.append("</table>")
        lines.append("</section>")
        return lines
    }

    // MARK: Grouping

    /// The timed steps, each with the samples of every run of its scenario (`--repeat`) together, in the order
    /// they first ran. A step's name holds its file and line, so two steps never share one.
    static func timedSteps(_ run: RunResult) -> [(timing: StepTiming, runs: Int)] {
        var order: [String] = []
        var merged: [String: (timing: StepTiming, runs: Int)] = [:]
        for timing in run.scenarios.flatMap(\.timings) {
            if var existing = merged[timing.name] {
                existing.timing.samples += timing.samples
                existing.runs += 1
                merged[timing.name] = existing
            } else {
                order.append(timing.name)
                merged[timing.name] = (timing, 1)
            }
        }
        return order.compactMap { merged[$0] }
    }

    /// Requirements sorted by ID, each with the results of the scenarios that name it (a scenario naming two
    /// appears under both); scenarios naming none come last.
    static func requirementGroups(_ run: RunResult) -> [(
        requirement: String?, results: [(index: Int, result: ScenarioResult)]
    )] {
        var named: [String: [(index: Int, result: ScenarioResult)]] = [:]
        var unnamed: [(index: Int, result: ScenarioResult)] = []
        for (index, scenario) in run.scenarios.enumerated() {
            if scenario.requirements.isEmpty { unnamed.append((index, scenario)) }
            for requirement in Set(scenario.requirements) {
                named[requirement, default: []].append((index, scenario))
            }
        }
        var groups: [(requirement: String?, results: [(index: Int, result: ScenarioResult)])] =
            named.keys.sorted().map { ($0, named[$0] ?? []) }
        if !unnamed.isEmpty { groups.append((nil, unnamed)) }
        return groups
    }

    /// A requirement fails when any of its scenarios failed or stopped with an error; it passes when at least one
    /// passed and none failed; it is untested when every one was skipped.
    static func requirementVerdict(_ results: [ScenarioResult]) -> (word: String, style: String) {
        let outcomes = results.map(\.outcomeName)
        if outcomes.contains("failed") || outcomes.contains("error") { return ("failed", "failed") }
        if !outcomes.contains("passed") { return ("not tested", "skipped") }
        let skipped = outcomes.filter { $0 == "skipped" }.count
        return (skipped == 0 ? "passed" : "passed (\(skipped) skipped)", "passed")
    }

    // MARK: Text

    struct Verdict {
        var word: String
        var style: String

        init(_ run: RunResult) {
            if run.failed + run.errors > 0 {
                (word, style) = ("FAILED", "failed")
            } else if run.interrupted {
                (word, style) = ("INTERRUPTED", "interrupted")
            } else if run.passed == 0 {
                (word, style) = ("NOTHING PASSED", "interrupted")
            } else {
                (word, style) = ("PASSED", "passed")
            }
        }
    }

    private static func counts(_ run: RunResult) -> String {
        var parts = ["\(run.passed) passed", "\(run.failed) failed"]
        if run.errors > 0 { parts.append("\(run.errors) error\(run.errors == 1 ? "" : "s")") }
        if run.skipped > 0 { parts.append("\(run.skipped) skipped") }
        let total = run.scenarios.count
        return parts.joined(separator: " · ")
            + " — \(total) scenario\(total == 1 ? "" : "s") in \(Figures.human(run.duration))"
    }

    private static func cardText(_ target: TargetInfo) -> String {
        target.isRealCard ? "a real card" : "card profile \(target.cardProfile)"
    }

    private static func mark(_ scenario: ScenarioResult) -> String {
        switch scenario.outcome {
        case .passed: "✓"
        case .failed: "✗"
        case .skipped: "–"
        case .error: "!"
        }
    }

    private static func isFailure(_ scenario: ScenarioResult) -> Bool {
        scenario.outcomeName == "failed" || scenario.outcomeName == "error"
    }

    /// A mark per run, or past five runs a count per outcome (`✓×9998 ✗×2`), so a flaky scenario shows either way.
    static func runMarks(_ results: [ScenarioResult]) -> String {
        if results.count <= 5 {
            return results.map { "<span class=\"mark \($0.outcomeName)\">\(mark($0))</span>" }.joined()
        }
        var counts: [(outcome: String, mark: String, count: Int)] = []
        for result in results {
            if let index = counts.firstIndex(where: { $0.outcome == result.outcomeName }) {
                counts[index].count += 1
            } else {
                counts.append((result.outcomeName, mark(result), 1))
            }
        }
        return counts.map { "<span class=\"mark \($0.outcome)\">\($0.mark)×\($0.count)</span>" }.joined(separator: " ")
    }

    private static func e(_ text: String) -> String { HTMLEscaping.text(text) }

    private static func code(_ text: String?) -> String {
        text.map { "<code>\(e($0))</code>" } ?? "unknown"
    }

    static let stylesheet = """
        :root { color-scheme: light; }
        body { font-family: system-ui, sans-serif; margin: 0 auto; max-width: 1100px; padding: 0 16px 32px; \
        color: #1b1b1b; background: #ffffff; line-height: 1.45; }
        code, pre { font-family: ui-monospace, monospace; font-size: 0.92em; }
        header.verdict { padding: 14px 20px; margin: 16px 0; border-radius: 6px; color: #ffffff; }
        header.verdict h1 { margin: 0 0 4px; font-size: 1.5em; }
        header.verdict p { margin: 2px 0; }
        .verdict.passed { background: #2e7d32; }
        .verdict.failed { background: #c62828; }
        .verdict.interrupted { background: #b26a00; }
        .notice { background: #fff3e0; border-left: 4px solid #b26a00; padding: 8px 12px; }
        nav { margin: 8px 0 16px; }
        h2 { border-bottom: 1px solid #cccccc; padding-bottom: 4px; margin-top: 32px; }
        table { border-collapse: collapse; width: 100%; margin: 8px 0; }
        th, td { border: 1px solid #dddddd; padding: 4px 8px; text-align: left; vertical-align: top; }
        th { background: #f3f3f3; }
        table.evidence th { width: 12em; }
        td.digest code { word-break: break-all; }
        tr.failed td, tr.error td { background: #fdecea; }
        tr.skipped td { background: #fff8e1; }
        .mark { font-weight: bold; }
        .mark.passed, .kept { color: #2e7d32; }
        .mark.failed, .mark.error, .over, .got, .warning { color: #c62828; }
        .mark.skipped { color: #b26a00; }
        article.failure { border: 1px solid #e0b4b4; border-left: 6px solid #c62828; border-radius: 4px; \
        padding: 4px 16px 12px; margin: 16px 0; }
        article.failure h3 { margin: 8px 0 4px; }
        .facts { color: #555555; margin: 4px 0; }
        dl { display: grid; grid-template-columns: 6em 1fr; gap: 2px 12px; margin: 8px 0; }
        dt { font-weight: bold; }
        dd { margin: 0; white-space: pre-wrap; word-break: break-word; }
        pre.transcript { background: #f7f7f7; border: 1px solid #dddddd; padding: 8px; overflow-x: auto; \
        max-height: 32em; }
        figure { margin: 16px 0; }
        figcaption { margin-top: 4px; }
        svg.timing-plot { max-width: 100%; height: auto; border: 1px solid #dddddd; }
        .legend { color: #555555; }
        footer { margin-top: 32px; color: #555555; font-size: 0.9em; }

        """
}

/// Escaping for HTML text and attribute values (the same function serves both: quotes are escaped too). Characters
/// a browser would drop or act on are shown as `\u{1B}`: C0 controls but TAB and LF, DEL, C1, U+FFFE/U+FFFF, and the
/// bidirectional controls, which could make a hostile title or response read as something else.
enum HTMLEscaping {
    static func text(_ value: String) -> String {
        var out = ""
        out.reserveCapacity(value.utf8.count)
        var scalars = value.unicodeScalars.makeIterator()
        var pending = scalars.next()
        while let scalar = pending {
            pending = scalars.next()
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            case "\r" where pending == "\n": continue  // CR LF reads as a line break
            case "\t", "\n": out.unicodeScalars.append(scalar)
            default:
                if isHidden(scalar) {
                    out += XMLEscaping.visible(scalar)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }

    static func isHidden(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x1F, 0x7F...0x9F, 0xFFFE, 0xFFFF: true
        case 0x061C, 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069: true
        default: false
        }
    }
}
