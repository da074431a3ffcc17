import Foundation

/// Reads a UTF-8 text file; the diagnostic says which file and why it could not be read.
func readTextFile(_ path: String) throws(Diagnostic) -> String {
    let location = SourceLocation(file: path, line: 1, column: 1)
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
        throw Diagnostic("no such file", at: location)
    }
    guard !isDirectory.boolValue else { throw Diagnostic("is a directory, expected a YAML file", at: location) }
    guard let data = FileManager.default.contents(atPath: path) else {
        throw Diagnostic("cannot read the file (permissions?)", at: location)
    }
    guard let text = String(data: data, encoding: .utf8) else {
        throw Diagnostic("the file is not valid UTF-8 text", at: location)
    }
    return text
}
