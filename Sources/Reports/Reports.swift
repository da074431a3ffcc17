// Reports: renders the Runner's results as JUnit XML, JSON, a self-contained HTML page, and console progress and
// summary, and writes report files atomically. It reads results only; it never talks to a card, and it adds nothing
// that could carry a PIN.
import Foundation
import Runner

/// Fixed-point figures for reports: no locale, no floating point, so every report is byte-for-byte reproducible.
enum Figures {
    /// `d` in thousandths of a unit (`unitAttoseconds` is 10^18 for seconds, 10^15 for milliseconds), rounded half
    /// up; negative durations count as zero (a clock that stepped back is not a measurement).
    static func thousandths(_ d: Duration, unitAttoseconds: Int64) -> Int64 {
        let (seconds, attoseconds) = d.components
        guard seconds > 0 || (seconds == 0 && attoseconds > 0) else { return 0 }
        let step = unitAttoseconds / 1000  // attoseconds per thousandth of the unit
        let perSecond = 1_000_000_000_000_000_000 / step
        let (whole, overflow) = seconds.multipliedReportingOverflow(by: perSecond)
        if overflow { return Int64.max }
        let (total, overflow2) = whole.addingReportingOverflow((attoseconds + step / 2) / step)
        return overflow2 ? Int64.max : total
    }

    /// `1234` → `"1.234"`.
    static func fixed3(_ thousandths: Int64) -> String {
        let fraction = String(thousandths % 1000)
        return "\(thousandths / 1000)." + String(repeating: "0", count: 3 - fraction.count) + fraction
    }

    /// Seconds with three decimals, e.g. `"0.125"`: JUnit times (Surefire allows at most three).
    static func seconds(_ d: Duration) -> String {
        fixed3(thousandths(d, unitAttoseconds: 1_000_000_000_000_000_000))
    }

    /// Milliseconds with three decimals (microsecond resolution), e.g. `"12.345"`: JSON and the timing table.
    static func milliseconds(_ d: Duration) -> String {
        fixed3(thousandths(d, unitAttoseconds: 1_000_000_000_000_000))
    }

    /// A budget as a person writes it: `200 ms`, `0.5 ms`, trailing zeros dropped.
    static func budget(_ d: Duration) -> String {
        var text = milliseconds(d)
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
        return text + " ms"
    }

    /// A scenario's time for the console: `0.41 ms`, `123.4 ms`, `2.345 s`.
    static func human(_ d: Duration) -> String {
        let micros = thousandths(d, unitAttoseconds: 1_000_000_000_000_000)
        if micros < 10_000 {
            let hundredths = (micros + 5) / 10
            let fraction = String(hundredths % 100)
            return "\(hundredths / 100)." + String(repeating: "0", count: 2 - fraction.count) + fraction + " ms"
        }
        if micros < 1_000_000 {
            let tenths = (micros + 50) / 100
            return "\(tenths / 10).\(tenths % 10) ms"
        }
        return seconds(d) + " s"
    }

    /// RFC 3339 in UTC, e.g. `2025-04-01T09:30:00Z` (with `.123` milliseconds when `fractional`).
    static func timestamp(_ date: Date, fractional: Bool) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.formatOptions =
            fractional ? [.withInternetDateTime, .withFractionalSeconds] : [.withInternetDateTime]
        return formatter.string(from: date)
    }
}

extension ScenarioResult {
    /// The JUnit test name: the scenario's ID, which lint keeps unique. It stays the same when the title, the
    /// requirements, the steps or the file's name change, so CI can follow one test across versions; the title is
    /// in `<system-out>`.
    public var testName: String { id }

    /// The outcome as one word, the same in every report: `passed`, `failed`, `skipped`, `error`.
    public var outcomeName: String {
        switch outcome {
        case .passed: "passed"
        case .failed: "failed"
        case .skipped: "skipped"
        case .error: "error"
        }
    }
}

extension StepTiming {
    /// Whether the samples keep to the budgets; nil when the step has none.
    public var withinBudget: Bool? {
        guard maxBudget != nil || p95Budget != nil else { return nil }
        if let maxBudget, maximum > maxBudget { return false }
        if let p95Budget, p95 > p95Budget { return false }
        return true
    }

    /// The budgets as written in a scenario: `p95 ≤ 150 ms, max ≤ 200 ms`; empty when there are none.
    var budgetText: String {
        var parts: [String] = []
        if let p95Budget { parts.append("p95 ≤ \(Figures.budget(p95Budget))") }
        if let maxBudget { parts.append("max ≤ \(Figures.budget(maxBudget))") }
        return parts.joined(separator: ", ")
    }
}

extension RunResult {
    /// The suites in the order their first scenario ran, each with its scenarios in run order.
    var suites: [(name: String, scenarios: [ScenarioResult])] {
        var order: [String] = []
        var members: [String: [ScenarioResult]] = [:]
        for scenario in scenarios {
            if members[scenario.suite] == nil { order.append(scenario.suite) }
            members[scenario.suite, default: []].append(scenario)
        }
        return order.map { ($0, members[$0] ?? []) }
    }
}

extension TranscriptEntry {
    /// Instructions whose command data is a credential: VERIFY, CHANGE REFERENCE DATA, DISABLE and ENABLE
    /// VERIFICATION REQUIREMENT, RESET RETRY COUNTER (ISO/IEC 7816-4), even and odd forms.
    private static let credentialInstructions: Set<UInt8> = [
        0x20, 0x21, 0x24, 0x25, 0x26, 0x27, 0x28, 0x29, 0x2C, 0x2D,
    ]

    /// The command as reports show it. The Runner masks credentials before results reach here; this is a second
    /// guard, so a command that still carries a credential in clear hex shows `********` for its data.
    public var maskedCommand: String {
        let digits = command.filter { !$0.isWhitespace }
        guard digits.count >= 10, digits.count.isMultiple(of: 2), digits.allSatisfy(\.isHexDigit) else {
            return command
        }
        var bytes: [UInt8] = []
        var index = digits.startIndex
        while index < digits.endIndex {
            let next = digits.index(index, offsetBy: 2)
            bytes.append(UInt8(digits[index..<next], radix: 16) ?? 0)
            index = next
        }
        guard Self.credentialInstructions.contains(bytes[1]), bytes.count > 5 else { return command }
        // Short Lc is one byte; extended Lc is 00 followed by two bytes.
        let header = bytes[4] == 0 && bytes.count >= 7 ? 7 : 5
        let dataLength = header == 7 ? Int(bytes[5]) << 8 | Int(bytes[6]) : Int(bytes[4])
        guard dataLength > 0 else { return command }
        let trailer = bytes.dropFirst(header + dataLength)
        let hex = { (part: ArraySlice<UInt8>) in part.map { String(format: "%02X", $0) }.joined(separator: " ") }
        return ([hex(bytes[..<header]), "********"] + (trailer.isEmpty ? [] : [hex(trailer)])).joined(separator: " ")
    }
}
