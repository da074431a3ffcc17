// What every test target needs to run programs as a user or a pipeline runs them: the repository's root, the built
// `mynaconf`, and one way to run a program that cannot stall on a full pipe, kills a program that hangs, and names
// the Debian package of a tool that is missing. Foundation only, so any test target can use it.
import Foundation

/// The repository's root, found from this file (`Tests/TestSupport/TestSupport.swift`).
public let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().path

/// The built `mynaconf`, beside the test bundle in the build folder (`.build*/debug/`).
public func mynaconfBinary() -> String {
    let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
    var directory = bundle.deletingLastPathComponent()
    if directory.pathExtension == "xctest" { directory = directory.deletingLastPathComponent() }
    for candidate in [directory, directory.deletingLastPathComponent()] {
        let binary = candidate.appendingPathComponent("mynaconf").path
        if FileManager.default.isExecutableFile(atPath: binary) { return binary }
    }
    return "\(repositoryRoot)/.build/debug/mynaconf"
}

/// The full path of a program: a path as given, else on PATH or in the sbin folders (where pcscd lives).
public func toolPath(_ name: String) -> String? {
    if name.contains("/") { return FileManager.default.isExecutableFile(atPath: name) ? name : nil }
    let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
    let directories = path.split(separator: ":").map(String.init) + ["/usr/sbin", "/usr/bin", "/sbin", "/bin"]
    return directories.map { "\($0)/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
}

/// What a finished program printed and returned.
public struct ProgramRun: Sendable, CustomStringConvertible {
    /// The command line, with the argument after `--pin` masked: a PIN never appears in a test's output.
    public var command: String
    public var status: Int32
    public var stdout: String
    public var stderr: String
    /// True when the program outlived its time limit and was killed.
    public var timedOut: Bool

    public var output: String { stdout + stderr }
    public var description: String {
        "`\(command)` exited \(status)\(timedOut ? " (killed after its time limit)" : "")\n"
            + "stdout:\n\(stdout)\nstderr:\n\(stderr)"
    }
}

/// A program that could not be run: missing (with the Debian package to install), or not startable.
public struct ProgramProblem: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// Runs a program to its end and returns what it printed. `name`: a path, or a program on PATH. `environment` is
/// added to the test's own, `unsetting` removed from it. Output goes through files, so no pipe can fill and stall
/// the program; one still running after `timeout` is killed and the result says so, so a hang fails one test
/// instead of the whole CI job. A missing program throws, naming `debianPackage`: `make test` installs every package
/// in scripts/debian-packages.txt, so a silent skip would hide a broken setup.
public func runTool(
    _ name: String, _ arguments: [String], environment: [String: String] = [:], unsetting: [String] = [],
    directory: String = repositoryRoot, input: String? = nil, timeout: Duration = .seconds(300),
    debianPackage: String? = nil
) throws -> ProgramRun {
    let prepared = try PreparedRun(
        name, arguments, environment: environment, unsetting: unsetting, directory: directory, input: input,
        debianPackage: debianPackage)
    defer { prepared.cleanUp() }
    let ended = DispatchSemaphore(value: 0)
    prepared.process.terminationHandler = { _ in ended.signal() }
    try prepared.process.run()
    var timedOut = false
    if ended.wait(timeout: .now() + timeout.seconds) == .timedOut {
        timedOut = true
        kill(prepared.process.processIdentifier, SIGKILL)
        ended.wait()
    }
    return prepared.result(timedOut: timedOut)
}

/// The same, for async tests: waits without blocking a thread of the concurrency pool.
public func runTool(
    _ name: String, _ arguments: [String], environment: [String: String] = [:], unsetting: [String] = [],
    directory: String = repositoryRoot, input: String? = nil, timeout: Duration = .seconds(300),
    debianPackage: String? = nil
) async throws -> ProgramRun {
    let prepared = try PreparedRun(
        name, arguments, environment: environment, unsetting: unsetting, directory: directory, input: input,
        debianPackage: debianPackage)
    defer { prepared.cleanUp() }
    let killed = KilledFlag()
    try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, Error>) in
        prepared.process.terminationHandler = { _ in continuation.resume() }
        do {
            try prepared.process.run()
        } catch {
            prepared.process.terminationHandler = nil
            continuation.resume(throwing: error)
            return
        }
        let process = prepared.process
        let limit = timeout.seconds
        Thread.detachNewThread {
            Thread.sleep(forTimeInterval: limit)
            if process.isRunning {
                killed.set()
                kill(process.processIdentifier, SIGKILL)
            }
        }
    }
    return prepared.result(timedOut: killed.value)
}

/// Runs Debian's Python (`/usr/bin/python3`, where Debian's python3-* modules import) on a script; when `module`
/// does not import, the error names the Debian package to install.
public func runPython(_ script: String, _ arguments: [String], module: String, debianPackage: String) throws
    -> ProgramRun
{
    let probe = try runTool("/usr/bin/python3", ["-c", "import \(module)"], debianPackage: "python3")
    guard probe.status == 0 else {
        throw ProgramProblem(
            "Python module \(module) is missing: install the Debian package \(debianPackage) (`make test` does)")
    }
    return try runTool("/usr/bin/python3", ["-c", script] + arguments, debianPackage: "python3")
}

/// A program set up to run: its output files in a scratch folder of its own, removed afterwards.
private struct PreparedRun {
    let process = Process()
    let scratch: URL
    let outPath: String
    let errPath: String
    let command: String

    init(
        _ name: String, _ arguments: [String], environment: [String: String], unsetting: [String], directory: String,
        input: String?, debianPackage: String?
    ) throws {
        guard let executable = toolPath(name) else {
            throw ProgramProblem(
                "\(name) is missing: install the Debian package \(debianPackage ?? "that provides it") "
                    + "(`make test` does, from scripts/debian-packages.txt)")
        }
        scratch = FileManager.default.temporaryDirectory.appendingPathComponent("mynaconf-program-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        outPath = scratch.appendingPathComponent("out").path
        errPath = scratch.appendingPathComponent("err").path
        let inPath = scratch.appendingPathComponent("in").path
        for (path, contents) in [(outPath, Data()), (errPath, Data()), (inPath, Data((input ?? "").utf8))] {
            guard FileManager.default.createFile(atPath: path, contents: contents) else {
                throw ProgramProblem("cannot create \(path)")
            }
        }
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        var variables = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        for name in unsetting { variables[name] = nil }
        process.environment = variables
        process.standardOutput = FileHandle(forWritingAtPath: outPath)
        process.standardError = FileHandle(forWritingAtPath: errPath)
        process.standardInput = FileHandle(forReadingAtPath: inPath)
        var shown = arguments
        for index in shown.indices.dropFirst() where shown[index - 1] == "--pin" { shown[index] = "****" }
        command = ([name] + shown).joined(separator: " ")
    }

    func result(timedOut: Bool) -> ProgramRun {
        ProgramRun(
            command: command, status: process.terminationStatus,
            stdout: Self.text(outPath), stderr: Self.text(errPath), timedOut: timedOut)
    }

    /// What a program wrote, invalid UTF-8 shown as U+FFFD rather than lost.
    static func text(_ path: String) -> String {
        String(decoding: FileManager.default.contents(atPath: path) ?? Data(), as: UTF8.self)
    }

    func cleanUp() { try? FileManager.default.removeItem(at: scratch) }
}

/// Set by the watchdog thread, read once the program has ended.
private final class KilledFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var raised = false
    func set() {
        lock.lock()
        raised = true
        lock.unlock()
    }
    var value: Bool {
        lock.lock()
        defer { lock.unlock() }
        return raised
    }
}

extension Duration {
    /// The duration in seconds, for the Foundation and Dispatch calls that take a Double.
    public var seconds: Double {
        let (whole, fraction) = components
        return Double(whole) + Double(fraction) / 1e18
    }
}
