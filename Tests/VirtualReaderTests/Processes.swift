import Foundation
import TestSupport
import Testing

/// Something the environment lacks or a process that misbehaved; the message says which and what to do.
struct FixtureError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
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
