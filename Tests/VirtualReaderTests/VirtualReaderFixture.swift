import Foundation
import TestSupport
import Testing
import Transport

/// The real parts, started once for the interop suite: a private pcscd with the vpcd reader
/// (scripts/virtual-reader), and `mynaconf emulate` serving the default card on slot 0 and the second card on
/// slot 1. Everything started is stopped by PID when the suite ends, whatever its outcome. If the parts cannot
/// start, the suite fails with the reason: a missing package is a failure, never a silent pass.
final class VirtualReaderFixture: @unchecked Sendable {
    /// A reader name no other pcscd on the machine uses, so a test can tell it reached this one.
    static let friendlyName = "mynaconf test"
    static let reader0 = "\(friendlyName) 00 00"
    static let reader1 = "\(friendlyName) 00 01"

    let directory: String
    private(set) var socket: String
    private(set) var port: Int
    private(set) var pcscdPID: Int32
    let emulator: EmulatorProcess

    /// What every PC/SC program started by a test needs: the private daemon's socket.
    var environment: [String: String] { ["PCSCLITE_CSOCK_NAME": socket] }

    @TaskLocal static var current: VirtualReaderFixture?

    /// The fixture of the running suite.
    static func shared() throws -> VirtualReaderFixture {
        guard let current else { throw FixtureError("the virtual reader fixture is not running") }
        return current
    }

    private init(directory: String, start: [String: String], emulator: EmulatorProcess) {
        self.directory = directory
        socket = start["PCSCLITE_CSOCK_NAME"] ?? ""
        port = Int(start["MYNACONF_VPCD_PORT"] ?? "") ?? 0
        pcscdPID = Int32(start["MYNACONF_PCSCD_PID"] ?? "") ?? 0
        self.emulator = emulator
    }

    static func start() async throws -> VirtualReaderFixture {
        for tool in ["pcscd", "opensc-tool", "pkcs15-tool", "pkcs11-tool", "pcsc_scan", "scriptor", "openssl"]
        where toolPath(tool) == nil {
            throw FixtureError("\(tool) is not installed; run `make test`, which installs scripts/debian-packages.txt")
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "mynaconf-vpcd-\(UUID().uuidString.prefix(8))"
        ).path
        let values = try await startDaemon(directory: directory, port: nil)
        guard let socket = values["PCSCLITE_CSOCK_NAME"], let port = values["MYNACONF_VPCD_PORT"] else {
            throw FixtureError("scripts/virtual-reader start printed no socket or port: \(values)")
        }
        // libpcsclite reads this once, at a process's first PC/SC call: set it before any.
        setenv("PCSCLITE_CSOCK_NAME", socket, 1)
        let emulator: EmulatorProcess
        do {
            emulator = try EmulatorProcess(
                arguments: ["--port", port, "--card", "default", "--card", "second-card"],
                environment: ["PCSCLITE_CSOCK_NAME": socket])
            _ = try emulator.waitForLine("ready", count: 2)
        } catch {
            let log = (try? String(contentsOfFile: "\(directory)/pcscd.log", encoding: .utf8)) ?? "(none)"
            let pid = Int32(values["MYNACONF_PCSCD_PID"] ?? "") ?? 0
            _ = try? await runTool("\(repositoryRoot)/scripts/virtual-reader", ["stop", "--dir", directory])
            let state = pid > 0 && isRunning(pid) ? "was running" : "was not running"
            throw FixtureError("\(error)\npcscd \(pid) \(state); its log:\n\(log)")
        }
        let fixture = VirtualReaderFixture(directory: directory, start: values, emulator: emulator)
        do {
            for reader in [reader0, reader1] { _ = try await PCSCChannel.waitForCard(in: reader, timeout: .seconds(5)) }
        } catch {
            await fixture.stop()
            throw FixtureError(
                "pcscd (socket \(socket)) does not show the emulated cards: \(error); is PCSCLITE_CSOCK_NAME set "
                    + "before this process's first PC/SC call?")
        }
        return fixture
    }

    /// scripts/virtual-reader start; its KEY=value lines.
    private static func startDaemon(directory: String, port: String?) async throws -> [String: String] {
        var arguments = ["start", "--dir", directory, "--friendly-name", friendlyName, "--auto-exit"]
        if let port { arguments += ["--port", port] }
        let result = try await runTool("\(repositoryRoot)/scripts/virtual-reader", arguments, timeout: .seconds(30))
        guard result.status == 0 else { throw FixtureError("cannot start pcscd with vpcd: \(result)") }
        var values: [String: String] = [:]
        for line in result.stdout.split(separator: "\n") {
            let parts = line.split(separator: "=", maxSplits: 1).map(String.init)
            if parts.count == 2 { values[parts[0]] = parts[1] }
        }
        return values
    }

    /// Stops pcscd (as an administrator or a crash would), leaving the emulator running.
    func stopDaemon() async throws {
        let result = try await runTool("\(repositoryRoot)/scripts/virtual-reader", ["stop", "--dir", directory])
        guard result.status == 0 else { throw FixtureError("cannot stop pcscd: \(result)") }
    }

    /// Starts pcscd again on the same ports and socket.
    func restartDaemon() async throws {
        let values = try await Self.startDaemon(directory: directory, port: String(port))
        guard values["PCSCLITE_CSOCK_NAME"] == socket else {
            throw FixtureError("pcscd came back on another socket: \(values)")
        }
        pcscdPID = Int32(values["MYNACONF_PCSCD_PID"] ?? "") ?? 0
    }

    /// Brings both cards back to their profiles' initial state, through the emulator's standard input.
    func restoreCards() throws {
        let before = emulator.count("restored")
        emulator.send("restore")
        _ = try emulator.waitForLine("restored", count: before + 2)
    }

    func stop() async {
        emulator.stop()
        _ = try? await runTool("\(repositoryRoot)/scripts/virtual-reader", ["stop", "--dir", directory])
        try? FileManager.default.removeItem(atPath: directory)
    }
}

/// Runs a suite inside the fixture: started before its first test, stopped after its last.
struct VirtualReaderScope: SuiteTrait, TestScoping {
    func provideScope(
        for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
    ) async throws {
        let fixture = try await VirtualReaderFixture.start()
        do {
            try await VirtualReaderFixture.$current.withValue(fixture) { try await function() }
        } catch {
            await fixture.stop()
            throw error
        }
        await fixture.stop()
    }
}

extension Trait where Self == VirtualReaderScope {
    /// The real pcscd, vpcd and `mynaconf emulate` around a suite.
    static var virtualReader: Self { Self() }
}
