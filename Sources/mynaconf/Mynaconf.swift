// mynaconf: the command line. A thin layer over the libraries: it parses arguments, picks a channel, and maps
// every outcome to an exit code — 0 success, 1 checks failed, 2 usage or input error, 3 environment error.
import ArgumentParser
import Foundation

@main
struct Mynaconf: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mynaconf",
        abstract: "Conformance test harness for the Japanese My Number card (個人番号カード).",
        discussion: """
            Exit codes: 0 success, 1 checks failed, 2 usage or input error, 3 environment error \
            (no pcscd, no reader, no card).
            """,
        version: "\(harnessVersion) (commit \(BuildInfo.commit ?? "unknown")\(BuildInfo.modified ? ", modified" : ""))",
        subcommands: [
            RunCommand.self, LintCommand.self, SelfTestCommand.self, ReadersCommand.self, VectorsCommand.self,
            EmulateCommand.self, TimingsCommand.self,
        ]
    )

    /// The release; reports also carry the git commit the binary was built from (`BuildInfo`, made at build time).
    static let harnessVersion = "0.1.0"

    /// Runs the command and exits with the project's codes; ArgumentParser's own usage errors (64) become 2.
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let failure as Failure {
            FileHandle.standardError.write(Data((failure.message + "\n").utf8))
            Foundation.exit(failure.exitCode.rawValue)
        } catch {
            let code = exitCode(for: error)
            let message = fullMessage(for: error)
            if !message.isEmpty {
                let stream = code == .success ? FileHandle.standardOutput : FileHandle.standardError
                stream.write(Data((message + "\n").utf8))
            }
            Foundation.exit(
                code == .success ? 0 : code == .failure ? 1 : code == .validationFailure ? 2 : code.rawValue)
        }
    }
}

/// A command's outcome other than success, with the message a person reads and the code a pipeline reads.
struct Failure: Error {
    var message: String
    var exitCode: ExitCode

    static let checksFailed = ExitCode(1)
    static let inputError = ExitCode(2)
    static let environmentError = ExitCode(3)

    static func input(_ message: String) -> Failure { Failure(message: message, exitCode: inputError) }
    static func environment(_ message: String) -> Failure { Failure(message: message, exitCode: environmentError) }
}
