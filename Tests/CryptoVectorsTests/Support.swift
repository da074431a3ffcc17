import Foundation
import TestSupport
import Testing
import YAMLSource

@testable import CryptoVectors

let cryptoVectors = "\(repositoryRoot)/Vectors/crypto"

/// Writes `text` to a fresh temporary file with this name and returns its path.
func temporaryFile(_ name: String, _ text: String) throws -> String {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
        "mynaconf-vectors-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    let path = directory.appendingPathComponent(name).path
    try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    return path
}

/// The diagnostic loading `text` as a file called `name` gives, rendered `file:line:column: error: …` with the
/// temporary folder cut off.
func loadError(_ name: String, _ text: String) throws -> String? {
    let path = try temporaryFile(name, text)
    do {
        _ = try VectorFile.load(path: path)
        return nil
    } catch {
        return "\(error)".replacingOccurrences(of: path, with: name)
    }
}

/// Parses `text` as a file called `name` and runs it against CardCrypto.
func run(_ name: String, _ text: String) throws -> FileResult {
    runKnownAnswers(try VectorFile.load(path: try temporaryFile(name, text)))
}
