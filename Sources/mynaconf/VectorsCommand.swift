import ArgumentParser
import CardEmulator
import CryptoVectors
import Foundation
import YAMLSource

/// `mynaconf vectors`: known-answer files against the card crypto, or, with `--emulator`, the signature vectors
/// through emulated cards' COMPUTE DIGITAL SIGNATURE.
struct VectorsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vectors",
        abstract:
            "Run known-answer vector files: ICAO, RFC and NIST vectors in mynaconf's format, NIST CAVP, Wycheproof.",
        discussion: """
            Files: .kat (mynaconf's own format, docs/vectors.md), .rsp (NIST CAVP AES and TDES, unchanged), .json \
            (Wycheproof RSASSA-PKCS1-v1_5 verification and generation, AES-CMAC, unchanged). A folder stands for \
            the vector files in it. Without paths, the vectors shipped with mynaconf (Vectors/crypto) run. \
            The output ends with 'N passed, M failed'; exit 1 if any case failed, 2 if a file cannot be read or \
            parsed (with its file:line:column), 3 if a card run cannot start.

            --reader NAME has the card in that PC/SC reader sign every message of the verification files' valid \
            cases with its user-authentication key, each signature checked by a strict verifier against the \
            certificate read from the card (EF 000A). The PIN comes only from MYNA_AUTH_PIN in the environment \
            (unset: exit 2); the tries left are read first, and with fewer than two nothing is sent (exit 3).
            """
    )

    @Argument(help: "Vector files or folders (default: the shipped Vectors/crypto).")
    var paths: [String] = []

    @Flag(
        help: """
            Run the signature vectors on emulated cards: a card per generation group signs every message with \
            80 2A 00 80 (compared byte for byte); verification files' valid messages are signed and checked \
            against the certificate read from the card.
            """)
    var emulator = false

    @Option(
        help: ArgumentHelp(
            "Have the card in this PC/SC reader sign the verification files' valid messages (PIN from MYNA_AUTH_PIN).",
            valueName: "reader"))
    var reader: String?

    @Flag(name: .shortAndLong, help: "List every case, not only the failures.")
    var verbose = false

    func validate() throws {
        if self.reader != nil && self.emulator {
            throw ValidationError(
                "--reader and --emulator are exclusive: --reader signs on the card in a PC/SC reader, --emulator on "
                    + "emulated cards made from the generation vectors' keys")
        }
    }

    func run() async throws {
        let paths = try self.paths.isEmpty ? [Self.shippedVectors()] : self.paths
        let files = try Self.load(Self.expand(paths))
        let results: [FileResult]
        if let reader = self.reader {
            results = try await Self.runOnReader(reader, files: files)
        } else if self.emulator {
            do {
                results = try await CardSigningRun.runOnEmulator(files)
            } catch {
                throw Failure.environment("mynaconf vectors --emulator: \(error)")
            }
            guard !results.isEmpty else {
                throw Failure.input(
                    "--emulator runs signature vectors (Wycheproof RSASSA-PKCS1-v1_5 files); none of the files given "
                        + "has any")
            }
            let used = Set(results.map(\.path))
            let skipped = files.filter { !used.contains($0.path) }
            if !skipped.isEmpty {
                print(
                    "skipped \(skipped.count) file\(skipped.count == 1 ? "" : "s") without signature vectors (no card command runs them)"
                )
                if self.verbose {
                    for file in skipped { print("  \(file.path) (\(file.format.rawValue))") }
                }
            }
        } else {
            results = files.map(runKnownAnswers)
        }
        for line in renderReport(results, verbose: self.verbose) { print(line) }
        if results.contains(where: { $0.failed > 0 }) { throw ExitCode(1) }
    }

    /// The verification files' valid messages signed by the card in `reader` with its user-authentication key.
    static func runOnReader(_ reader: String, files: [VectorFile]) async throws -> [FileResult] {
        // Only from the environment: an argument would sit in the shell history and `ps`, a file on a disk.
        guard let pin = ProcessInfo.processInfo.environment["MYNA_AUTH_PIN"], !pin.isEmpty else {
            throw Failure.input(
                "--reader: set MYNA_AUTH_PIN in the environment to the card's user-authentication PIN (4 digits); "
                    + "mynaconf takes it from nowhere else")
        }
        guard files.contains(where: \.hasValidSignatureVerificationCases) else {
            throw Failure.input(
                "--reader signs the messages of signature verification files (Wycheproof "
                    + "rsa_signature_2048_sha256_test.json); none of the files given has any")
        }
        let channel = try await ReaderTarget.connect(reader)
        do {
            return try await CardSigningRun.runOnCard(files, channel: channel, pin: pin)
        } catch {
            throw Failure.environment("mynaconf vectors --reader '\(reader)': \(error)")
        }
    }

    /// The `crypto` folder next to the card profiles (source tree, installed share, or MYNACONF_VECTORS).
    static func shippedVectors() throws -> String {
        for directory in CardProfileLocator.vectorsDirectories() {
            let crypto = directory + "/crypto"
            if FileManager.default.fileExists(atPath: crypto) { return crypto }
        }
        throw Failure.input(
            "no vector files given, and no Vectors/crypto folder found; pass files or set MYNACONF_VECTORS")
    }

    /// Files as given; a folder becomes the vector files under it, in a stable order.
    static func expand(_ paths: [String]) throws -> [String] {
        var files: [String] = []
        for path in paths {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
                files.append(path)  // a missing file is reported by the loader, with its name
                continue
            }
            let found = (FileManager.default.enumerator(atPath: path)?.allObjects as? [String] ?? [])
                .filter { [".kat", ".rsp", ".json"].contains(where: $0.lowercased().hasSuffix) }
                .sorted()
            guard !found.isEmpty else {
                throw Failure.input("\(path): error: the folder holds no vector files (.kat, .rsp, .json)")
            }
            let base = path.hasSuffix("/") ? String(path.dropLast()) : path
            files += found.map { "\(base)/\($0)" }
        }
        return files
    }

    /// Every file parsed before anything runs: one unreadable file stops the run (exit 2) with every problem listed,
    /// so a report is never half made.
    static func load(_ paths: [String]) throws -> [VectorFile] {
        var files: [VectorFile] = []
        var problems: [String] = []
        for path in paths {
            do {
                files.append(try VectorFile.load(path: path))
            } catch {
                problems.append("\(error)")
            }
        }
        guard problems.isEmpty else {
            let count = problems.count == 1 ? "1 file" : "\(problems.count) files"
            throw Failure.input(
                problems.joined(separator: "\n") + "\nmynaconf vectors: \(count) could not be read; nothing was run")
        }
        return files
    }
}
