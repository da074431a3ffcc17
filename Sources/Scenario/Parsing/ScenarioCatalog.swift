import Foundation
import YAMLSource

/// The scenarios named on a command line: files and folders (searched recursively for `.yaml`, `.yml`, and the
/// scriptor extensions `.scr`, `.script`, `.scriptor`), parsed, with every problem across all of them.
public struct ScenarioCatalog {
    public var scenarios: [Scenario]
    public var diagnostics: [Diagnostic]

    /// Larger files are refused before parsing: no scenario is that big, and a stray binary must not stall lint.
    public static let maximumFileSize = 4 * 1024 * 1024
    static let scenarioExtensions: Set<String> = ["yaml", "yml", "scr", "script", "scriptor"]

    public static func load(paths: [String]) -> ScenarioCatalog {
        var files: [String] = []
        var diagnostics: [Diagnostic] = []
        for path in paths {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                diagnostics.append(
                    Diagnostic("no such file or folder", at: SourceLocation(file: path, line: 1, column: 1)))
                continue
            }
            if isDirectory.boolValue {
                let found = (FileManager.default.subpaths(atPath: path) ?? [])
                    .filter { scenarioExtensions.contains(URL(fileURLWithPath: $0).pathExtension.lowercased()) }
                    .sorted()
                    .map { (path as NSString).appendingPathComponent($0) }
                if found.isEmpty {
                    diagnostics.append(
                        Diagnostic(
                            "the folder holds no scenario (.yaml) or script (.scr) file",
                            at: SourceLocation(file: path, line: 1, column: 1)))
                }
                files += found
            } else {
                files.append(path)
            }
        }
        let parser = ScenarioParser()
        var scenarios: [Scenario] = []
        var seen: [String: SourceLocation] = [:]
        for file in files {
            guard let text = read(file, into: &diagnostics) else { continue }
            guard let scenario = parser.parse(file: file, text: text) else { continue }
            if let first = seen[scenario.id] {
                diagnostics.append(
                    Diagnostic("duplicate scenario id '\(scenario.id)', first used at \(first)", at: scenario.location))
                continue
            }
            seen[scenario.id] = scenario.location
            scenarios.append(scenario)
        }
        return ScenarioCatalog(scenarios: scenarios, diagnostics: diagnostics + parser.diagnostics)
    }

    private static func read(_ file: String, into diagnostics: inout [Diagnostic]) -> String? {
        let start = SourceLocation(file: file, line: 1, column: 1)
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: file),
            let size = attributes[.size] as? Int
        else {
            diagnostics.append(Diagnostic("cannot read the file", at: start))
            return nil
        }
        guard size <= maximumFileSize else {
            diagnostics.append(
                Diagnostic("the file is \(size) bytes; a scenario file is at most \(maximumFileSize) bytes", at: start))
            return nil
        }
        guard let data = FileManager.default.contents(atPath: file) else {
            diagnostics.append(Diagnostic("cannot read the file", at: start))
            return nil
        }
        guard let text = String(data: data, encoding: .utf8) else {
            let (line, column) = firstInvalidUTF8(in: [UInt8](data))
            diagnostics.append(
                Diagnostic("the file is not UTF-8 text", at: SourceLocation(file: file, line: line, column: column)))
            return nil
        }
        if text.isEmpty || text.allSatisfy(\.isWhitespace) {
            diagnostics.append(Diagnostic("the file is empty", at: start))
            return nil
        }
        return text
    }

    /// The line and column of the first byte that breaks UTF-8, so a binary file is pointed at, not just named.
    static func firstInvalidUTF8(in bytes: [UInt8]) -> (Int, Int) {
        var line = 1
        var column = 1
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            let width =
                byte < 0x80 ? 1 : byte >> 5 == 0b110 ? 2 : byte >> 4 == 0b1110 ? 3 : byte >> 3 == 0b11110 ? 4 : 0
            guard width > 0, index + width <= bytes.count,
                bytes[(index + 1)..<(index + width)].allSatisfy({ $0 >> 6 == 0b10 }),
                String(decoding: bytes[index..<(index + width)], as: UTF8.self).unicodeScalars.first?.value != 0xFFFD
            else { return (line, column) }
            if byte == 0x0A {
                line += 1
                column = 1
            } else {
                column += 1
            }
            index += width
        }
        return (line, column)
    }
}
