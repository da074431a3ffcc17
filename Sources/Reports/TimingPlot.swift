import Foundation
import Runner

/// One timed step drawn as inline SVG: a histogram of its samples with a tick per sample below it, dashed and dotted
/// marks at p50 and p95, and a line per budget (red for max, orange for p95), on a millisecond axis from zero.
/// A budget far beyond the samples is named at the right edge instead of squeezing the samples into one bar.
struct TimingPlot {
    var timing: StepTiming
    /// How many scenario runs contributed samples (more than one with `--repeat`).
    var runs: Int
    /// Unique within the page, for the SVG's accessible title.
    var identifier: String

    static let width = 640.0
    static let height = 184.0
    static let left = 56.0
    static let right = 620.0
    static let top = 30.0
    static let baseline = 140.0
    static let binsPerStep = 5
    /// Above this many samples the per-sample ticks are left out: the histogram carries the shape, the page stays small.
    static let rugLimit = 1000
    /// A budget more than this many times the slowest sample is named at the edge, not drawn to scale.
    static let offScaleFactor = 4.0

    static let barColour = "#3f6fb5"
    static let overBudgetColour = "#c62828"
    static let p95BudgetColour = "#e08a00"

    func svg() -> String {
        let samples = timing.samples.map(Self.milliseconds)
        let slowest = samples.max() ?? 0
        var budgets: [(label: String, value: Double, colour: String)] = []
        if let p95 = timing.p95Budget {
            budgets.append(("p95 budget \(Figures.budget(p95))", Self.milliseconds(p95), Self.p95BudgetColour))
        }
        if let max = timing.maxBudget {
            budgets.append(("max budget \(Figures.budget(max))", Self.milliseconds(max), Self.overBudgetColour))
        }
        let onScale = budgets.filter { slowest == 0 || $0.value <= slowest * Self.offScaleFactor }
        let offScale = budgets.filter { !(slowest == 0 || $0.value <= slowest * Self.offScaleFactor) }
        let axis = Self.axis(upTo: max(slowest, onScale.map(\.value).max() ?? 0) * 1.05)

        var parts: [String] = []
        let title =
            "\(timing.name): \(samples.count) sample\(samples.count == 1 ? "" : "s"), p50 "
            + "\(Figures.milliseconds(timing.p50)) ms, p95 \(Figures.milliseconds(timing.p95)) ms, max "
            + "\(Figures.milliseconds(timing.maximum)) ms"
            + (timing.budgetText.isEmpty ? "" : "; budget \(timing.budgetText)")
        parts.append(
            "<svg class=\"timing-plot\" viewBox=\"0 0 \(Self.f(Self.width)) \(Self.f(Self.height))\" "
                + "width=\"\(Self.f(Self.width))\" height=\"\(Self.f(Self.height))\" role=\"img\" "
                + "aria-labelledby=\"\(identifier)-title\">")
        parts.append("<title id=\"\(identifier)-title\">\(HTMLEscaping.text(title))</title>")
        parts.append(
            "<rect x=\"0\" y=\"0\" width=\"\(Self.f(Self.width))\" height=\"\(Self.f(Self.height))\" fill=\"#ffffff\"/>"
        )

        // Histogram: five bins per axis step, so bin edges are round numbers; a bin that starts at or past the max
        // budget is drawn red. (The small allowance keeps 0.3 / 0.1 in bin 3, not 2.)
        let binWidth = axis.step / Double(Self.binsPerStep)
        let binCount = max(1, Int((axis.maximum / binWidth).rounded()))
        var counts = Array(repeating: 0, count: binCount)
        for sample in samples {
            counts[min(binCount - 1, max(0, Int((sample / binWidth + 1e-9).rounded(.down))))] += 1
        }
        let tallest = counts.max() ?? 0
        let maxBudget = timing.maxBudget.map(Self.milliseconds)
        for (bin, count) in counts.enumerated() where count > 0 {
            let low = Double(bin) * binWidth
            let x = Self.x(low, axis)
            let barWidth = max(1, Self.x(low + binWidth, axis) - x - 1)
            let barHeight = max(1, Double(count) / Double(tallest) * (Self.baseline - Self.top))
            let colour = maxBudget.map { low >= $0 } == true ? Self.overBudgetColour : Self.barColour
            parts.append(
                "<rect class=\"bar\" x=\"\(Self.f(x))\" y=\"\(Self.f(Self.baseline - barHeight))\" "
                    + "width=\"\(Self.f(barWidth))\" height=\"\(Self.f(barHeight))\" fill=\"\(colour)\">"
                    + "<title>\(Self.label(low))–\(Self.label(low + binWidth)) ms: \(count) "
                    + "sample\(count == 1 ? "" : "s")</title></rect>")
        }

        // One tick per sample under the axis, so a handful of samples is seen as they are.
        if samples.count <= Self.rugLimit {
            var path = ""
            for sample in samples {
                path += "M\(Self.f(Self.x(sample, axis))) \(Self.f(Self.baseline + 4))v8"
            }
            if !path.isEmpty {
                parts.append(
                    "<path class=\"rug\" d=\"\(path)\" stroke=\"\(Self.barColour)\" stroke-opacity=\"0.6\" "
                        + "fill=\"none\"/>")
            }
        }

        // Axis, ticks and the count scale.
        parts.append(
            "<line x1=\"\(Self.f(Self.left))\" y1=\"\(Self.f(Self.baseline))\" x2=\"\(Self.f(Self.right))\" "
                + "y2=\"\(Self.f(Self.baseline))\" stroke=\"#333333\"/>")
        var tick = 0.0
        var index = 0
        while tick <= axis.maximum + axis.step / 1000 {
            let x = Self.x(tick, axis)
            parts.append(
                "<line x1=\"\(Self.f(x))\" y1=\"\(Self.f(Self.baseline))\" x2=\"\(Self.f(x))\" "
                    + "y2=\"\(Self.f(Self.baseline + 16))\" stroke=\"#333333\"/>")
            parts.append(
                "<text x=\"\(Self.f(x))\" y=\"\(Self.f(Self.baseline + 30))\" text-anchor=\"middle\" "
                    + "font-size=\"11\">\(Self.label(tick))</text>")
            index += 1
            tick = Double(index) * axis.step
        }
        parts.append(
            "<text x=\"\(Self.f(Self.right))\" y=\"\(Self.f(Self.baseline + 44))\" text-anchor=\"end\" "
                + "font-size=\"11\">ms</text>")
        parts.append(
            "<text x=\"\(Self.f(Self.left - 6))\" y=\"\(Self.f(Self.top + 4))\" text-anchor=\"end\" "
                + "font-size=\"11\">\(tallest)</text>")
        parts.append(
            "<text x=\"\(Self.f(Self.left - 6))\" y=\"\(Self.f(Self.baseline))\" text-anchor=\"end\" "
                + "font-size=\"11\">0</text>")

        // The samples' p50 and p95, then the budgets, drawn last so nothing covers them.
        for (name, value, dash) in [
            ("p50", Self.milliseconds(timing.p50), "6 3"), ("p95", Self.milliseconds(timing.p95), "2 3"),
        ] where !samples.isEmpty {
            let x = Self.x(value, axis)
            parts.append(
                "<line class=\"percentile\" x1=\"\(Self.f(x))\" y1=\"\(Self.f(Self.top))\" x2=\"\(Self.f(x))\" "
                    + "y2=\"\(Self.f(Self.baseline))\" stroke=\"#222222\" stroke-dasharray=\"\(dash)\">"
                    + "<title>\(name) \(Self.label(value)) ms</title></line>")
        }
        for (offset, budget) in onScale.enumerated() {
            let x = Self.x(budget.value, axis)
            let anchor = x > Self.width / 2 ? "end" : "start"
            let labelX = anchor == "end" ? x - 4 : x + 4
            parts.append(
                "<line class=\"budget\" x1=\"\(Self.f(x))\" y1=\"\(Self.f(Self.top - 8))\" x2=\"\(Self.f(x))\" "
                    + "y2=\"\(Self.f(Self.baseline))\" stroke=\"\(budget.colour)\" stroke-width=\"2\"/>")
            parts.append(
                "<text x=\"\(Self.f(labelX))\" y=\"\(Self.f(Self.top - 14 + Double(offset) * 12))\" "
                    + "text-anchor=\"\(anchor)\" font-size=\"11\" fill=\"\(budget.colour)\">"
                    + "\(HTMLEscaping.text(budget.label))</text>")
        }
        for (offset, budget) in offScale.enumerated() {
            parts.append(
                "<text class=\"budget off-scale\" x=\"\(Self.f(Self.right))\" "
                    + "y=\"\(Self.f(Self.top - 14 + Double(offset + onScale.count) * 12))\" text-anchor=\"end\" "
                    + "font-size=\"11\" fill=\"\(budget.colour)\">\(HTMLEscaping.text(budget.label)), off scale →</text>"
            )
        }
        parts.append("</svg>")
        return parts.joined(separator: "\n")
    }

    // MARK: Scale and numbers

    struct Axis {
        var maximum: Double
        var step: Double
    }

    /// An axis from 0 to a round number at or above `value`, with 1, 2 or 5 × 10^k between ticks and at most five
    /// steps. Nothing measured (all zero) gets a 1 ms axis.
    static func axis(upTo value: Double) -> Axis {
        let target = value > 0 ? value : 1
        let raw = target / 5
        let magnitude = pow(10, (log10(raw)).rounded(.down))
        let step = [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= raw * (1 - 1e-9) } ?? 10 * magnitude
        return Axis(maximum: (target / step).rounded(.up) * step, step: step)
    }

    static func x(_ milliseconds: Double, _ axis: Axis) -> Double {
        left + min(1, max(0, milliseconds / axis.maximum)) * (right - left)
    }

    static func milliseconds(_ d: Duration) -> Double {
        let (seconds, attoseconds) = d.components
        return max(0, Double(seconds) * 1000 + Double(attoseconds) / 1e15)
    }

    /// A coordinate with one decimal, without locale or exponent, so the page is byte-for-byte reproducible.
    static func f(_ value: Double) -> String {
        let tenths = Int((value * 10).rounded())
        let sign = tenths < 0 ? "-" : ""
        return "\(sign)\(abs(tenths) / 10).\(abs(tenths) % 10)"
    }

    /// A tick or sample value in milliseconds: at most three decimals, trailing zeros dropped.
    static func label(_ value: Double) -> String {
        let thousandths = Int((value * 1000).rounded())
        var text = "\(thousandths / 1000)"
        let fraction = thousandths % 1000
        if fraction != 0 {
            var digits = String(fraction)
            digits = String(repeating: "0", count: 3 - digits.count) + digits
            while digits.hasSuffix("0") { digits.removeLast() }
            text += "." + digits
        }
        return text
    }
}
