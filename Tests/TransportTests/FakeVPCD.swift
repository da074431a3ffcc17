import Foundation
import Transport

#if canImport(Glibc)
    import Glibc
#endif

/// The reader side of the vpcd protocol, for tests: listens on a loopback port like vpcd in server mode, and
/// speaks its framing byte by byte — including vpcd 0.8's habit of writing the length and the body separately.
final class FakeVPCD: @unchecked Sendable {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    private var listener: Int32
    private var connection: Int32 = -1
    let port: UInt16

    /// Listens on 127.0.0.1, on `port` or (0) a port the system picks.
    init(port: UInt16 = 0) throws {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.listener = listener
        var one: Int32 = 1
        setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0, listen(listener, 4) == 0 else {
            throw Failure(description: "cannot listen on port \(port): \(String(cString: strerror(errno)))")
        }
        var actual = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &actual) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) }
        }
        self.port = UInt16(bigEndian: actual.sin_port)
    }

    deinit { close() }

    /// Stops listening and drops the card, as a stopped pcscd does.
    func close() {
        dropCard()
        if listener >= 0 {
            Glibc.close(listener)
            listener = -1
        }
    }

    /// Closes the connection to the card, as vpcd does when pcscd shuts down.
    func dropCard() {
        if connection >= 0 {
            Glibc.close(connection)
            connection = -1
        }
    }

    /// Waits for the card to connect.
    func accept(within seconds: Double = 5) throws {
        guard wait(for: listener, seconds: seconds) else {
            throw Failure(description: "no card connected within \(seconds) s")
        }
        connection = Glibc.accept(listener, nil, nil)
        guard connection >= 0 else { throw Failure(description: "accept failed") }
    }

    /// Sends one message; `split` writes the length and the body separately, as vpcd 0.8 does.
    func send(_ payload: [UInt8], split: Bool = true) throws {
        let header = [UInt8(payload.count >> 8), UInt8(payload.count & 0xFF)]
        let writes = split ? [header, payload] : [header + payload]
        for bytes in writes where !bytes.isEmpty {
            let sent = bytes.withUnsafeBytes { Glibc.send(connection, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard sent == bytes.count else { throw Failure(description: "send failed: the card closed?") }
        }
    }

    /// Receives one framed reply; nil if the card closed the connection.
    func receive(within seconds: Double = 5) throws -> [UInt8]? {
        guard let header = try read(2, within: seconds) else { return nil }
        let length = Int(header[0]) << 8 | Int(header[1])
        return try read(length, within: seconds)
    }

    /// Sends a message and returns the card's reply.
    func exchange(_ payload: [UInt8]) throws -> [UInt8] {
        try send(payload)
        guard let reply = try receive() else { throw Failure(description: "the card closed the connection") }
        return reply
    }

    /// True when the card closes the connection within `seconds`.
    func cardCloses(within seconds: Double = 5) throws -> Bool {
        guard wait(for: connection, seconds: seconds) else { return false }
        var byte: UInt8 = 0
        return recv(connection, &byte, 1, 0) <= 0
    }

    private func read(_ count: Int, within seconds: Double) throws -> [UInt8]? {
        var bytes: [UInt8] = []
        while bytes.count < count {
            guard wait(for: connection, seconds: seconds) else {
                throw Failure(description: "no reply within \(seconds) s")
            }
            var chunk = [UInt8](repeating: 0, count: count - bytes.count)
            let n = recv(connection, &chunk, chunk.count, 0)
            if n <= 0 { return nil }
            bytes += chunk.prefix(n)
        }
        return bytes
    }

    private func wait(for descriptor: Int32, seconds: Double) -> Bool {
        var entry = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        return poll(&entry, 1, Int32(seconds * 1000)) > 0
    }
}

/// Collects a server's events so a test can wait for one.
final class EventLog: @unchecked Sendable {
    private let condition = NSCondition()
    private var events: [VPCDCardServer.Event] = []

    func record(_ event: VPCDCardServer.Event) {
        condition.lock()
        events.append(event)
        condition.broadcast()
        condition.unlock()
    }

    var all: [VPCDCardServer.Event] {
        condition.lock()
        defer { condition.unlock() }
        return events
    }

    /// Waits until an event matching `match` has been recorded; returns it, or nil after `seconds`.
    @discardableResult
    func wait(seconds: Double = 30, for match: (VPCDCardServer.Event) -> Bool) -> VPCDCardServer.Event? {
        let deadline = Date(timeIntervalSinceNow: seconds)
        condition.lock()
        defer { condition.unlock() }
        while true {
            if let found = events.first(where: match) { return found }
            guard condition.wait(until: deadline) else { return nil }
        }
    }

    func wait(seconds: Double = 30, for event: VPCDCardServer.Event) -> Bool {
        wait(seconds: seconds) { $0 == event } != nil
    }
}
