import Foundation
import Testing

/// The repository's root, found from this file.
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().path

/// Something the environment lacks or a process that misbehaved; the message says which and what to do.
struct FixtureError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// The built `mynaconf` binary beside the test bundle (`.build*/debug/`).
func mynaconfBinary() -> String {
    let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
    var directory = bundle.deletingLastPathComponent()
    if directory.pathExtension == "xctest" { directory = directory.deletingLastPathComponent() }
    for candidate in [directory, directory.deletingLastPathComponent()] {
        let binary = candidate.appendingPathComponent("mynaconf").path
        if FileManager.default.isExecutableFile(atPath: binary) { return binary }
    }
    return "\(repositoryRoot)/.build/debug/mynaconf"
}

/// The full path of a program on PATH (or in /usr/sbin, where pcscd lives).
func toolPath(_ name: String) -> String? {
    if name.hasPrefix("/") { return FileManager.default.isExecutableFile(atPath: name) ? name : nil }
    let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
    let directories = path.split(separator: ":").map(String.init) + ["/usr/sbin", "/usr/bin", "/sbin", "/bin"]
    return directories.map { "\($0)/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
}

/// What a finished program printed and returned.
struct ToolResult: CustomStringConvertible {
    var command: String
    var status: Int32
    var stdout: String
    var stderr: String
    var timedOut: Bool

    var output: String { stdout + stderr }
    var description: String {
        "`\(command)` exited \(status)\(timedOut ? " (killed after its timeout)" : "")\n"
            + "stdout:\n\(stdout)\nstderr:\n\(stderr)"
    }
}

/// Runs a program to completion with a time limit; its output goes through files, so no pipe can fill and stall it.
/// Arguments after `--pin` are masked in the recorded command line: a PIN never appears in a report.
func runTool(
    _ name: String, _ arguments: [String], environment: [String: String] = [:], input: String? = nil,
    timeout: Duration = .seconds(60)
) async throws -> ToolResult {
    guard let executable = toolPath(name) else {
        throw FixtureError("\(name) is not installed; `make test` installs it (scripts/debian-packages.txt)")
    }
    let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("mynaconf-tool-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: scratch) }
    let outPath = scratch.appendingPathComponent("out").path
    let errPath = scratch.appendingPathComponent("err").path
    let inPath = scratch.appendingPathComponent("in").path
    for (path, contents) in [(outPath, Data()), (errPath, Data()), (inPath, Data((input ?? "").utf8))] {
        guard FileManager.default.createFile(atPath: path, contents: contents) else {
            throw FixtureError("cannot create \(path)")
        }
    }

    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    process.standardOutput = FileHandle(forWritingAtPath: outPath)
    process.standardError = FileHandle(forWritingAtPath: errPath)
    process.standardInput = FileHandle(forReadingAtPath: inPath)
    let timedOut = try await runAndWait(process, timeout: timeout)
    var masked = arguments
    for index in masked.indices.dropFirst() where masked[index - 1] == "--pin" { masked[index] = "****" }
    return ToolResult(
        command: ([name] + masked).joined(separator: " "),
        status: process.terminationStatus,
        stdout: (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? "",
        stderr: (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? "",
        timedOut: timedOut)
}

/// Starts `process` and waits for it to end, killing it after `timeout`; returns whether it was killed.
func runAndWait(_ process: Process, timeout: Duration) async throws -> Bool {
    let killed = Flag()
    try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, Error>) in
        process.terminationHandler = { _ in continuation.resume() }
        do {
            try process.run()
        } catch {
            process.terminationHandler = nil
            continuation.resume(throwing: error)
            return
        }
        let pid = process.processIdentifier
        Thread.detachNewThread {
            Thread.sleep(forTimeInterval: timeout.seconds)
            if process.isRunning {
                killed.set()
                kill(pid, SIGKILL)
            }
        }
    }
    return killed.value
}

/// A flag set from one thread and read from another.
final class Flag: @unchecked Sendable {
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
    var seconds: Double {
        let (whole, fraction) = components
        return Double(whole) + Double(fraction) / 1e18
    }
}

/// A running `mynaconf emulate`: lines to its standard input, its event lines read as they come, stopped by PID.
final class EmulatorProcess: @unchecked Sendable {
    let process = Process()
    let arguments: [String]
    private let input = Pipe()
    private let condition = NSCondition()
    private var lines: [String] = []
    private var partial = ""
    private let errPath: String

    init(arguments: [String], environment: [String: String]) throws {
        self.arguments = arguments
        errPath =
            FileManager.default.temporaryDirectory.appendingPathComponent("mynaconf-emulate-\(UUID().uuidString)")
            .path
        guard FileManager.default.createFile(atPath: errPath, contents: nil) else {
            throw FixtureError("cannot create \(errPath)")
        }
        process.executableURL = URL(fileURLWithPath: mynaconfBinary())
        // --stop-on-eof: if this test process dies, the pipe closes and the emulator stops with it.
        process.arguments = ["emulate", "--stop-on-eof"] + arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        process.standardInput = input
        process.standardError = FileHandle(forWritingAtPath: errPath)
        let output = Pipe()
        process.standardOutput = output
        output.fileHandleForReading.readabilityHandler = { [weak self] handle in
            let data = handle.availableData
            guard let self, !data.isEmpty else {
                handle.readabilityHandler = nil
                return
            }
            self.append(String(decoding: data, as: UTF8.self))
        }
        try process.run()
    }

    deinit { try? FileManager.default.removeItem(atPath: errPath) }

    private func append(_ text: String) {
        condition.lock()
        partial += text
        while let newline = partial.firstIndex(of: "\n") {
            lines.append(String(partial[..<newline]))
            partial = String(partial[partial.index(after: newline)...])
        }
        condition.broadcast()
        condition.unlock()
    }

    /// Every line printed so far.
    var output: [String] {
        condition.lock()
        defer { condition.unlock() }
        return lines
    }

    var standardError: String { (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? "" }

    /// Waits for the `count`-th line (counting from the start) beginning with `prefix`.
    func waitForLine(_ prefix: String, count: Int = 1, timeout: Double = 10) throws -> String {
        let deadline = Date(timeIntervalSinceNow: timeout)
        condition.lock()
        defer { condition.unlock() }
        while true {
            let matching = lines.filter { $0.hasPrefix(prefix) }
            if matching.count >= count { return matching[count - 1] }
            guard condition.wait(until: deadline) else {
                let command = "mynaconf emulate " + arguments.joined(separator: " ")
                throw FixtureError(
                    "\(command) printed no \(count)× '\(prefix)' line within \(timeout) s; it printed:\n"
                        + "\(lines.joined(separator: "\n"))\nstderr:\n\(standardError)")
            }
        }
    }

    /// How many lines so far begin with `prefix`.
    func count(_ prefix: String) -> Int { output.filter { $0.hasPrefix(prefix) }.count }

    func send(_ line: String) {
        input.fileHandleForWriting.write(Data((line + "\n").utf8))
    }

    func signal(_ number: Int32) { kill(process.processIdentifier, number) }

    /// SIGTERM, then SIGKILL if it has not ended within 5 s. Returns its exit status.
    @discardableResult
    func stop() -> Int32 {
        if process.isRunning { kill(process.processIdentifier, SIGTERM) }
        let deadline = Date(timeIntervalSinceNow: 5)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        return process.terminationStatus
    }
}
