import APDU
import Foundation
import YAMLSource

/// Reads a pcsc-tools `scriptor` script as it is — one APDU per line (spaced or not, `\` continues a line),
/// `reset`, `exit`, `#` comments at column 0 — so the scripts people already have run without conversion.
///
/// Expectations ride in comments on the line after an APDU, which scriptor itself ignores:
/// `# expect sw: 9000` (also `63C?`), or `# expect response: 30 82 ?? ?? 90 00` for data and status word.
/// Without one, a step checks nothing but that the card answered, as scriptor does.
struct ScriptorParser {
    let path: String
    let text: String
    var diagnostics: [Diagnostic] = []

    init(path: String, text: String) {
        self.path = path
        self.text = text
    }

    func at(_ line: Int, _ column: Int) -> SourceLocation { SourceLocation(file: path, line: line, column: column) }

    mutating func parse(suite: String) -> Scenario? {
        guard !text.isEmpty else {
            diagnostics.append(Diagnostic("the script is empty", at: at(1, 1)))
            return nil
        }
        if text.unicodeScalars.contains(where: { $0.value == 0 }) {
            diagnostics.append(Diagnostic("this is not a text file (it contains NUL bytes)", at: at(1, 1)))
            return nil
        }
        var steps: [Step] = []
        var title: String?
        var requirements: [String] = []
        var pending = ""  // a command continued with "\"
        var pieces: [ContinuedLine] = []  // where each of its lines starts in `pending`
        var pendingStart = (line: 0, column: 0)
        var lastCommandRefused = false  // the last command line had bad hex or was not an APDU
        let lines = text.components(separatedBy: "\n")
        for (index, rawLine) in lines.enumerated() {
            let number = index + 1
            let line = rawLine.hasSuffix("\r") ? String(rawLine.dropLast()) : rawLine
            if pending.isEmpty {
                if line.hasPrefix("#") {
                    let comment = line.dropFirst().trimmingCharacters(in: .whitespaces)
                    if comment.lowercased().hasPrefix("expect") {
                        // After a command line that was refused, its expectation is still checked, but on a
                        // stand-in: "must follow an APDU line" would send the author to the wrong line.
                        if lastCommandRefused {
                            let location = at(number, 1)
                            var standIn = [
                                Step(
                                    action: .apdu(Template(literal: "", location: location)),
                                    expect: Expectation(statusWords: []), location: location)
                            ]
                            applyExpectation(String(comment), line: number, to: &standIn)
                        } else {
                            applyExpectation(String(comment), line: number, to: &steps)
                        }
                    } else if comment.lowercased().hasPrefix("requirements:") {
                        guard steps.isEmpty, requirements.isEmpty else {
                            diagnostics.append(
                                Diagnostic(
                                    "'# requirements:' belongs once, before the first command", at: at(number, 1)))
                            continue
                        }
                        requirements = comment.dropFirst("requirements:".count)
                            .split(whereSeparator: { " ,[]".contains($0) }).map(String.init)
                    } else if title == nil, !comment.isEmpty, steps.isEmpty {
                        title = comment
                    }
                    continue
                }
                if line.trimmingCharacters(in: .whitespaces).isEmpty { continue }
                let lower = line.lowercased()
                if lower.contains("exit") { break }
                if lower.contains("reset") {
                    steps.append(Step(action: .reset, expect: Expectation(statusWords: []), location: at(number, 1)))
                    lastCommandRefused = false
                    continue
                }
                pendingStart = (
                    number,
                    (line.firstIndex { $0 != " " && $0 != "\t" }).map {
                        line.distance(from: line.startIndex, to: $0) + 1
                    } ?? 1
                )
            }
            pieces.append(ContinuedLine(line: number, start: pending.count))
            if line.hasSuffix("\\") {
                pending += line.dropLast() + " "
                continue
            }
            pending += line
            if let step = command(pending, pieces: pieces, column: pendingStart.column) {
                steps.append(step)
                lastCommandRefused = false
            } else {
                lastCommandRefused = true
            }
            pending = ""
            pieces = []
        }
        if !pending.isEmpty {
            diagnostics.append(
                Diagnostic(
                    "the last command ends with '\\' but no line follows",
                    at: at(pendingStart.line, pendingStart.column)))
        }
        if steps.isEmpty && diagnostics.isEmpty {
            diagnostics.append(Diagnostic("the script has no command", at: at(1, 1)))
        }
        let name = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        return Scenario(
            id: name, title: title ?? name, requirements: requirements, steps: steps, file: path, suite: suite,
            format: .scriptor,
            location: at(1, 1))
    }

    /// A line of a command continued with `\`: its number, and where its text starts in the joined command.
    private struct ContinuedLine {
        var line: Int
        var start: Int
    }

    /// One APDU line (or lines joined by `\`): hex bytes, spaced or not. It must be a well-formed command APDU (Lc
    /// agreeing with the data). Bad hex is reported on the line and column where it stands in the file.
    private mutating func command(_ text: String, pieces: [ContinuedLine], column: Int) -> Step? {
        let first = pieces.first?.line ?? 1
        let location = at(first, column)
        let bytes: [UInt8]
        do {
            bytes = try Hex.decode(text)
        } catch {
            let offset = error.offsetUnit == .column ? (error.offset ?? 1) : 1
            let piece = pieces.last { $0.start < offset } ?? ContinuedLine(line: first, start: 0)
            diagnostics.append(Diagnostic("bad hex: \(error.message)", at: at(piece.line, offset - piece.start)))
            return nil
        }
        do {
            _ = try CommandAPDU(bytes: bytes)
        } catch {
            diagnostics.append(Diagnostic("not a command APDU: \(error.description)", at: location))
            return nil
        }
        return Step(
            action: .apdu(Template(literal: Hex.encode(bytes, separator: " "), location: location)),
            expect: Expectation(statusWords: []), location: location)
    }

    private mutating func applyExpectation(_ comment: String, line: Int, to steps: inout [Step]) {
        let location = at(line, 1)
        guard var last = steps.last, case .apdu = last.action else {
            diagnostics.append(Diagnostic("an expectation comment must follow an APDU line", at: location))
            return
        }
        let body = comment.dropFirst("expect".count).trimmingCharacters(in: .whitespaces)
        if body.lowercased().hasPrefix("sw:") {
            let text = body.dropFirst(3).trimmingCharacters(in: .whitespaces)
            guard let pattern = StatusWordPattern(text) else {
                diagnostics.append(
                    Diagnostic("'\(text)' is not a status word (4 hex digits, ? for any digit)", at: location))
                return
            }
            last.expect.statusWords = [pattern]
        } else if body.lowercased().hasPrefix("response:") {
            let text = body.dropFirst(9).replacingOccurrences(of: " ", with: "")
            var bytes: [UInt8?] = []
            var index = text.startIndex
            while index < text.endIndex, text.distance(from: index, to: text.endIndex) >= 2 {
                let pair = String(text[index..<text.index(index, offsetBy: 2)])
                if pair == "??" {
                    bytes.append(nil)
                } else if let byte = UInt8(pair, radix: 16) {
                    bytes.append(byte)
                } else {
                    diagnostics.append(Diagnostic("'\(pair)' is neither a hex byte nor ??", at: location))
                    return
                }
                index = text.index(index, offsetBy: 2)
            }
            guard text.count % 2 == 0, bytes.count >= 2, let sw1 = bytes[bytes.count - 2],
                let sw2 = bytes[bytes.count - 1]
            else {
                diagnostics.append(Diagnostic("a response ends with a status word of 2 bytes (no ??)", at: location))
                return
            }
            last.expect.statusWords = [StatusWordPattern(Hex.encode([sw1, sw2]))!]
            last.expect.data = BytePattern(bytes: Array(bytes.dropLast(2)), prefix: false)
        } else {
            diagnostics.append(
                Diagnostic("write '# expect sw: 9000' or '# expect response: <hex> 90 00'", at: location))
            return
        }
        steps[steps.count - 1] = last
    }
}
