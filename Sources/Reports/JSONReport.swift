import Foundation
import Runner

/// The JSON report: everything the run produced, for tools. Its shape is versioned (`schemaVersion`) and published
/// as a JSON Schema in `docs/schemas/report-v1.schema.json`; `docs/reports.md` says what each field means.
public enum JSONReport {
    /// Bumped when a field is removed, renamed or changes meaning; new fields keep the version.
    public static let schemaVersion = 1
    /// The value of the top-level `format` key, so a tool can tell this file from others.
    public static let format = "mynaconf-report"

    /// Pretty-printed UTF-8 with keys sorted, so two runs diff cleanly.
    public static func render(_ run: RunResult) -> String {
        document(run).rendered() + "\n"
    }

    static func runFields(_ run: RunResult) -> [String: JSONValue] {
        var fields: [String: JSONValue] = [
            "startedAt": .string(Figures.timestamp(run.startedAt, fractional: true)),
            "endedAt": .string(Figures.timestamp(run.endedAt, fractional: true)),
            "durationMs": .milliseconds(run.duration),
            "interrupted": .bool(run.interrupted),
        ]
        // Added to schema version 1 without breaking it: present only when the run was stopped for a reason.
        if let reason = run.stopReason { fields["stopReason"] = .string(reason) }
        return fields
    }

    static func targetFields(_ target: TargetInfo) -> [String: JSONValue] {
        var fields: [String: JSONValue] = [
            "reader": .string(target.reader),
            "readerFirmware": .optional(target.readerFirmware),
            "atr": .string(target.atr),
            "cardProfile": .string(target.cardProfile),
            "cards": .array(target.cards.map(card)),
            "harnessVersion": .string(target.harnessVersion),
            "harnessCommit": .optional(target.harnessCommit),
            "harnessModified": .bool(target.harnessModified),
            "realCard": .bool(target.isRealCard),
        ]
        // Added to schema version 1 without breaking it: present only when the firmware is unknown for a reason.
        if let note = target.readerFirmwareNote { fields["readerFirmwareNote"] = .string(note) }
        if let profile = target.cardApProfile { fields["cardApProfile"] = .string(profile) }
        // Likewise only on a deliberately faulty card: what its profile says the run must fail.
        if let expected = target.expectedFailures {
            fields["expectedFailures"] = .array(expected.map(JSONValue.string))
        }
        return fields
    }

    static func document(_ run: RunResult) -> JSONValue {
        .object([
            "format": .string(format),
            "schemaVersion": .integer(schemaVersion),
            "run": .object(runFields(run)),
            "target": .object(targetFields(run.target)),
            "inputs": .array(
                run.inputs.map { input in
                    .object([
                        "kind": .string(input.kind.rawValue),
                        "path": .string(input.path),
                        "sha256": .string(input.sha256),
                        "bytes": .integer(input.bytes),
                    ])
                }),
            "summary": .object([
                "total": .integer(run.scenarios.count),
                "passed": .integer(run.passed),
                "failed": .integer(run.failed),
                "errors": .integer(run.errors),
                "skipped": .integer(run.skipped),
            ]),
            "scenarios": .array(run.scenarios.map(scenario)),
        ])
    }

    private static func card(_ card: CardUnderTest) -> JSONValue {
        .object([
            "profile": .optional(card.profile),
            "atr": .string(card.atr),
            "tokenSerial": .optional(card.tokenSerial),
            "authenticationCertificateSerial": .optional(card.authenticationCertificateSerial),
            "authenticationCertificateSHA256": .optional(card.authenticationCertificateSHA256),
        ])
    }

    private static func scenario(_ scenario: ScenarioResult) -> JSONValue {
        var failure = JSONValue.null
        var skipReason = JSONValue.null
        switch scenario.outcome {
        case .passed: break
        case .failed(let details), .error(let details):
            failure = .object([
                "message": .string(details.message),
                "expected": .string(details.expected),
                "actual": .string(details.actual),
                "location": .string(details.location),
            ])
        case .skipped(let reason): skipReason = .string(reason)
        }
        return .object([
            "id": .string(scenario.id),
            "title": .string(scenario.title),
            "requirements": .array(scenario.requirements.map(JSONValue.string)),
            "tags": .array(scenario.tags.map(JSONValue.string)),
            "suite": .string(scenario.suite),
            "file": .string(scenario.file),
            "cardProfile": .optional(scenario.cardProfile),
            "outcome": .string(scenario.outcomeName),
            "durationMs": .milliseconds(scenario.duration),
            "failure": failure,
            "skipReason": skipReason,
            "transcript": .array(
                scenario.transcript.map { entry in
                    var fields: [String: JSONValue] = [
                        "step": .string(entry.step),
                        "command": .string(entry.maskedCommand),
                        "response": .string(entry.response),
                        "durationMs": .milliseconds(entry.duration),
                    ]
                    // Only for secure messaging: the wire bytes above, their plain meaning here.
                    if let plain = entry.plainCommand { fields["plainCommand"] = .string(plain) }
                    if let plain = entry.plainResponse { fields["plainResponse"] = .string(plain) }
                    return .object(fields)
                }),
            "timings": .array(scenario.timings.map(timing)),
        ])
    }

    private static func timing(_ timing: StepTiming) -> JSONValue {
        .object([
            "name": .string(timing.name),
            "count": .integer(timing.samples.count),
            "samplesMs": .array(timing.samples.map(JSONValue.milliseconds)),
            "p50Ms": .milliseconds(timing.p50),
            "p95Ms": .milliseconds(timing.p95),
            "maxMs": .milliseconds(timing.maximum),
            "p95BudgetMs": timing.p95Budget.map(JSONValue.milliseconds) ?? .null,
            "maxBudgetMs": timing.maxBudget.map(JSONValue.milliseconds) ?? .null,
            "withinBudget": timing.withinBudget.map(JSONValue.bool) ?? .null,
        ])
    }
}

/// A JSON value with a deterministic writer: sorted keys, two-space indentation, numbers in fixed point.
/// Foundation's serialisers are not used because their number formatting and escaping differ between platforms.
indirect enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case integer(Int)
    /// A number already in its JSON form, e.g. `12.345`.
    case number(String)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    static func milliseconds(_ d: Duration) -> JSONValue { .number(Figures.milliseconds(d)) }

    /// A string, or `null` when there is none.
    static func optional(_ text: String?) -> JSONValue { text.map(JSONValue.string) ?? .null }

    func rendered(indent: Int = 0) -> String {
        let inner = String(repeating: "  ", count: indent + 1)
        let outer = String(repeating: "  ", count: indent)
        switch self {
        case .null: return "null"
        case .bool(let value): return value ? "true" : "false"
        case .integer(let value): return String(value)
        case .number(let text): return text
        case .string(let value): return Self.quoted(value)
        case .array(let items):
            guard !items.isEmpty else { return "[]" }
            return "[\n" + items.map { inner + $0.rendered(indent: indent + 1) }.joined(separator: ",\n")
                + "\n\(outer)]"
        case .object(let members):
            guard !members.isEmpty else { return "{}" }
            let lines = members.keys.sorted().map { key in
                inner + Self.quoted(key) + ": " + (members[key] ?? .null).rendered(indent: indent + 1)
            }
            return "{\n" + lines.joined(separator: ",\n") + "\n\(outer)}"
        }
    }

    /// RFC 8259 string: `"` and `\` escaped, control characters as `\n`-style or `\u00XX` escapes; U+2028 and
    /// U+2029 escaped too, so the file is also valid JavaScript. Everything else is written as UTF-8.
    static func quoted(_ value: String) -> String {
        var out = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F || scalar.value == 0x2028 || scalar.value == 0x2029 {
                    let hex = String(scalar.value, radix: 16, uppercase: true)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}
