import Foundation
import Testing

/// `mynaconf emulate` refusing bad input before it connects anywhere: exit 2 with what and where; exit 3 when vpcd
/// cannot be reached. (Through the real pcscd it is tested in VirtualReaderTests.)
@Suite("mynaconf emulate: bad input and a missing vpcd")
struct EmulateCommandTests {
    @Test("A malformed profile: exit 2 with file:line:column, before any connection")
    func malformedProfile() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent(
            "mynaconf-emulate-\(UUID().uuidString).yaml"
        ).path
        try "profile: broken\nas_of: 2026-11-24\ntimng: {}\n".write(
            toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let result = try run(["emulate", "--card", path, "--port", "9"])
        #expect(result.status == 2, "\(result.stderr)")
        #expect(
            result.stderr.contains("\(path):3:1: error: unknown key 'timng' (did you mean 'timing'?)"),
            "\(result.stderr)")
        #expect(result.stdout.isEmpty)
    }

    @Test(
        "Usage errors: exit 2 and what is wrong",
        arguments: [
            (["emulate", "--card", "default", "--card", "default", "--card", "default"], "at most two cards"),
            (["emulate", "--slot", "2"], "vpcd's slots are 0 and 1"),
            (["emulate", "--slot", "1", "--card", "default", "--card", "second-card"], "room for one card"),
            (["emulate", "--port", "70000"], "not a TCP port"),
            (["emulate", "--host", "192.0.2.7"], "--allow-remote"),
            (["emulate", "--interface", "nfc"], "nfc"),
            (["emulate", "--speed", "fast"], "fast"),
            (["emulate", "--card", "no-such-card"], "no card profile named 'no-such-card'"),
        ])
    func usage(arguments: [String], words: String) throws {
        let result = try run(arguments)
        #expect(result.status == 2, "\(result.stdout)\(result.stderr)")
        #expect(result.stderr.contains(words), "\(result.stderr)")
    }

    @Test("No vpcd on the port: says where it looked and what to do, gives up after --give-up-after, exit 3")
    func noVPCD() throws {
        let result = try run(["emulate", "--port", String(try freePort()), "--give-up-after", "0.3"])
        #expect(result.status == 3, "\(result.stdout)\(result.stderr)")
        #expect(result.stderr.contains("nothing listens there: is pcscd running with the vpcd reader"))
        #expect(result.stderr.contains("gave up after"))
        #expect(!result.stdout.contains("ready"))
    }

    @Test("A tolerance out of range is refused at startup, before a session: exit 2, not a trap at the report")
    func installToleranceOutOfRange() throws {
        let report = FileManager.default.temporaryDirectory.appendingPathComponent("install-\(UUID()).json").path
        defer { try? FileManager.default.removeItem(atPath: report) }
        for tolerance in ["1e300", "0.5"] {
            let result = try run([
                "emulate", "--port", String(try freePort()), "--give-up-after", "0.3", "--install-report", report,
                "--install-tolerance", tolerance,
            ])
            #expect(result.status == 2, "\(result.stdout)\(result.stderr)")
            let words = "--install-tolerance \(Double(tolerance)!): a multiplier"
            #expect(result.stderr.contains(words), "\(result.stderr)")
            #expect(!result.stderr.contains("nothing listens there"))
            #expect(!FileManager.default.fileExists(atPath: report))
        }
        let budget = try run(["emulate", "--port", "9", "--install-budget", "download=1e30s"])
        #expect(budget.status == 2, "\(budget.stdout)\(budget.stderr)")
        #expect(budget.stderr.contains("longer than the longest budget"), "\(budget.stderr)")
    }

    /// A TCP port nothing listens on (the system picks it, then it is released).
    func freePort() throws -> UInt16 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(fd, pointer, length) == 0 && getsockname(fd, pointer, &length) == 0
            }
        }
        guard bound else { throw CocoaError(.fileWriteUnknown) }
        return UInt16(bigEndian: address.sin_port)
    }
}
