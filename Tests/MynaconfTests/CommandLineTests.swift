import Foundation
import Testing

/// The built `mynaconf` binary, run as a user or a pipeline runs it: output and exit codes.
struct Invocation {
    var status: Int32
    var stdout: String
    var stderr: String
}

let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().path

/// The binary sits beside the test bundle in the build folder (`.build/debug/`).
func mynaconfBinary() -> URL {
    let testBundle = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
    var directory = testBundle.deletingLastPathComponent()
    if directory.lastPathComponent == "MacOS" || directory.pathExtension == "xctest" {
        directory = directory.deletingLastPathComponent()
    }
    for candidate in [directory, directory.deletingLastPathComponent()] {
        let binary = candidate.appendingPathComponent("mynaconf")
        if FileManager.default.isExecutableFile(atPath: binary.path) { return binary }
    }
    return URL(fileURLWithPath: "\(repositoryRoot)/.build/debug/mynaconf")
}

func run(_ arguments: [String], environment: [String: String] = [:], directory: String = repositoryRoot) throws
    -> Invocation
{
    let process = Process()
    process.executableURL = mynaconfBinary()
    process.arguments = arguments
    process.currentDirectoryURL = URL(fileURLWithPath: directory)
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    // Read before waiting so a full pipe cannot stall the child.
    let stdout = out.fileHandleForReading.readDataToEndOfFile()
    let stderr = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return Invocation(
        status: process.terminationStatus,
        stdout: String(decoding: stdout, as: UTF8.self),
        stderr: String(decoding: stderr, as: UTF8.self))
}

@Suite("mynaconf command line", .serialized)
struct CommandLineTests {
    @Test("selftest on the default card: every check passes, exit 0, closing line 'N passed, 0 failed'")
    func selfTestPasses() throws {
        let result = try run(["selftest"])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        let lines = result.stdout.split(separator: "\n")
        #expect(lines.last?.hasSuffix("passed, 0 failed") == true)
        #expect(lines.filter { $0.hasPrefix("PASS ") }.count >= 14)
        #expect(!result.stdout.contains("FAIL"))
        // The PIN and password never reach the output.
        #expect(!result.stdout.contains("1234") && !result.stdout.contains("ABC123"))
    }

    @Test("selftest on a card with a blocked PIN fails its checks: exit 1")
    func selfTestFailsOnBlockedCard() throws {
        let result = try run(["selftest", "--card", "auth-pin-blocked"])
        #expect(result.status == 1)
        #expect(result.stdout.contains("FAIL JPKI-SIGN-02"))
    }

    @Test("selftest on the under-15 card passes without the signing checks")
    func selfTestUnderFifteen() throws {
        let result = try run(["selftest", "--card", "under-15"])
        #expect(result.status == 0, "\(result.stdout)")
        #expect(!result.stdout.contains("JPKI-SIGN-03"))
    }

    @Test("Unknown profile name: exit 2 and where it looked")
    func unknownProfile() throws {
        let result = try run(["selftest", "--card", "no-such-card"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("no card profile named 'no-such-card'"))
    }

    @Test("Malformed profile: exit 2 with file:line:column")
    func malformedProfile() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent(
            "mynaconf-broken-\(UUID().uuidString).yaml"
        ).path
        try "profile: broken\nas_of: 2026-11-24\nholder:\n  my_numbr: \"1\"\n".write(
            toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let result = try run(["selftest", "--card", path])
        #expect(result.status == 2)
        #expect(
            result.stderr.contains("\(path):4:3: error: holder: unknown key 'my_numbr' (did you mean 'my_number'?)"),
            "\(result.stderr)")
    }

    @Test(
        "Usage errors exit 2, not ArgumentParser's 64",
        arguments: [["selftest", "--bogus"], ["no-such-command"], ["selftest", "--card"]])
    func usageErrors(arguments: [String]) throws {
        let result = try run(arguments)
        #expect(result.status == 2, "\(result.stderr)")
        #expect(!result.stderr.isEmpty)
    }

    @Test("--help exits 0 and lists the exit codes")
    func help() throws {
        let result = try run(["--help"])
        #expect(result.status == 0)
        let words = result.stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        #expect(words.contains("3 environment error (no pcscd, no reader, no card)"))
    }

    @Test("readers without pcscd: exit 3 and what to do")
    func readersWithoutPCSCD() throws {
        let result = try run(["readers"], environment: ["PCSCLITE_CSOCK_NAME": "/nonexistent/pcscd.comm"])
        #expect(result.status == 3, "\(result.stdout)\(result.stderr)")
        #expect(result.stderr.contains("0x8010001D"))
        #expect(result.stderr.contains("pcscd is not running"))
    }

    @Test("The profile is found from outside the source tree through MYNACONF_VECTORS")
    func vectorsFromEnvironment() throws {
        let result = try run(
            ["selftest"], environment: ["MYNACONF_VECTORS": "\(repositoryRoot)/Vectors"], directory: "/")
        #expect(result.status == 0, "\(result.stderr)")
    }
}
