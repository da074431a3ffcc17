import Foundation

/// Where the report options write, checked before anything runs: a report path that is one of the inputs would
/// overwrite the scenario or transcript it came from, two options with one path would keep only the last report,
/// and a folder given for a file would fail only after the whole run. Each is a usage error (exit 2).
struct ReportDestinations {
    /// `--json` and the like: the option's name and the file it writes.
    var files: [(option: String, path: String)] = []
    /// `--junit-dir`: the option's name and the folder it writes into.
    var folders: [(option: String, path: String)] = []

    static func resolved(_ path: String) -> String {
        URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path
    }

    /// Throws the first problem; `inputs` are the files the command reads (scenarios, profiles, transcripts).
    func check(inputs: [String]) throws {
        let readFrom = Dictionary(inputs.map { (Self.resolved($0), $0) }, uniquingKeysWith: { first, _ in first })
        var claimed: [String: String] = [:]
        for (option, path) in files {
            let target = Self.resolved(path)
            if let input = readFrom[target] {
                throw Failure.input(
                    "\(option) \(path): that is an input of this run (\(input)); the report would "
                        + "overwrite it. Write reports to another file")
            }
            if let other = claimed[target] {
                throw Failure.input("\(other) and \(option) both write \(path); give each report its own file")
            }
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
                throw Failure.input("\(option) \(path): is a folder; give a file name for the report")
            }
            claimed[target] = option
        }
        for (option, path) in folders {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue {
                throw Failure.input("\(option) \(path): is a file; give a folder for the reports")
            }
        }
    }
}
