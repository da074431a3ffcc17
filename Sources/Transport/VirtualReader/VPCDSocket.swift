import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Where vpcd listens: an address this process may connect to. Only loopback unless the caller allows otherwise,
/// because vpcd has no authentication: whoever reaches the port is the card every PC/SC program on that host sees.
public struct VPCDAddress: Sendable, Hashable, CustomStringConvertible {
    public let host: String
    public let port: UInt16
    /// The resolved socket address bytes (sockaddr_in or sockaddr_in6) and its family.
    let family: Int32
    let sockaddr: [UInt8]

    public var isLoopback: Bool {
        if family == AF_INET { return sockaddr[4] == 127 }
        // ::1, or an IPv4-mapped loopback (::ffff:127.x.y.z); sin6_addr starts at offset 8.
        let address = Array(sockaddr[8..<24])
        if address == [UInt8](repeating: 0, count: 15) + [1] { return true }
        return address.prefix(12) == [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF] && address[12] == 127
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    /// Resolves `host` (a name or a literal) to its first address; refuses one that is not loopback unless
    /// `allowingRemote`.
    public static func resolve(host: String, port: UInt16, allowingRemote: Bool) throws(TransportError)
        -> VPCDAddress
    {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_family = AF_UNSPEC
        var results: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &results)
        guard status == 0, let first = results else {
            let reason = String(cString: gai_strerror(status))
            throw TransportError(.readerUnavailable, "cannot resolve vpcd host '\(host)': \(reason)")
        }
        defer { freeaddrinfo(results) }
        let bytes = Array(
            UnsafeRawBufferPointer(start: UnsafeRawPointer(first.pointee.ai_addr), count: Int(first.pointee.ai_addrlen))
        )
        let address = VPCDAddress(host: host, port: port, family: first.pointee.ai_family, sockaddr: bytes)
        guard allowingRemote || address.isLoopback else {
            throw TransportError(
                .other,
                "vpcd host '\(host)' is not this machine (loopback); the emulated card would be reachable from "
                    + "the network. Pass --allow-remote to connect anyway")
        }
        return address
    }
}

/// The card's end of one connection to vpcd: blocking TCP with the framing of `VPCDFrame`.
///
/// Debian 12's vpcd (0.8) writes a frame's length and body with two `send()` calls and no `TCP_NODELAY`; the body
/// waits for the ACK of the length, which Linux delays by 40 ms unless the receiver is in quick-ACK mode. Quick-ACK
/// mode is not sticky, so it is re-armed before every receive (research/virtual-reader.md §6, pitfall 1).
final class VPCDSocket {
    private(set) var descriptor: Int32
    private var buffer: UnsafeMutableRawBufferPointer

    private init(descriptor: Int32) {
        self.descriptor = descriptor
        buffer = .allocate(byteCount: VPCDFrame.maximumPayload + 2, alignment: 1)
    }

    deinit {
        buffer.deallocate()
        if descriptor >= 0 { Glibc.close(descriptor) }
    }

    /// Connects, giving up after `timeout` (Linux applies the send timeout to `connect`).
    static func connect(to address: VPCDAddress, timeout: Duration) throws(TransportError) -> VPCDSocket {
        let fd = socket(address.family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw TransportError(.other, "cannot create a socket: \(errnoText())") }
        let socket = VPCDSocket(descriptor: fd)
        socket.setTimeout(SO_SNDTIMEO, timeout)
        let result = address.sockaddr.withUnsafeBytes { raw in
            Glibc.connect(fd, raw.baseAddress!.assumingMemoryBound(to: sockaddr.self), socklen_t(raw.count))
        }
        guard result == 0 else {
            let code = errno
            let hint =
                code == ECONNREFUSED
                ? "nothing listens there: is pcscd running with the vpcd reader on this port?"
                : errnoText(code)
            throw TransportError(.readerUnavailable, "cannot connect to vpcd at \(address): \(hint)")
        }
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        socket.setTimeout(SO_SNDTIMEO, .zero)
        return socket
    }

    /// Limits how long a receive may block (`.zero` = forever).
    func setReceiveTimeout(_ timeout: Duration) { setTimeout(SO_RCVTIMEO, timeout) }

    private func setTimeout(_ option: Int32, _ timeout: Duration) {
        let (seconds, attoseconds) = timeout.components
        var value = timeval(tv_sec: Int(seconds), tv_usec: Int(attoseconds / 1_000_000_000_000))
        setsockopt(descriptor, SOL_SOCKET, option, &value, socklen_t(MemoryLayout<timeval>.size))
    }

    enum ReceiveOutcome {
        case message(VPCDMessage)
        /// vpcd closed the connection (pcscd stopped, or the socket was shut down to remove the card).
        case closed
        case timedOut
        case failed(String)
    }

    /// Reads one frame.
    func receive() -> ReceiveOutcome {
        if let failure = readExactly(2, into: 0) { return failure }
        let length = VPCDFrame.length(ofHeader: (buffer[0], buffer[1]))
        if length > 0, let failure = readExactly(length, into: 2) { return failure }
        return .message(VPCDMessage(payload: Array(buffer[2..<(2 + length)])))
    }

    private func readExactly(_ count: Int, into offset: Int) -> ReceiveOutcome? {
        var received = 0
        var one: Int32 = 1
        while received < count {
            setsockopt(descriptor, Int32(IPPROTO_TCP), TCP_QUICKACK, &one, socklen_t(MemoryLayout<Int32>.size))
            let n = recv(descriptor, buffer.baseAddress! + offset + received, count - received, 0)
            if n > 0 {
                received += n
            } else if n == 0 {
                return .closed
            } else if errno == EINTR {
                continue
            } else if errno == EAGAIN || errno == EWOULDBLOCK {
                return .timedOut
            } else {
                return errno == ECONNRESET || errno == ENOTCONN || errno == EPIPE ? .closed : .failed(errnoText())
            }
        }
        return nil
    }

    /// Sends one frame with a single write. Returns false when the connection is gone.
    func send(_ payload: [UInt8]) -> Bool {
        let frame = VPCDFrame.encode(payload)
        var sent = 0
        while sent < frame.count {
            let n = frame.withUnsafeBytes { raw in
                Glibc.send(descriptor, raw.baseAddress! + sent, frame.count - sent, Int32(MSG_NOSIGNAL))
            }
            if n > 0 {
                sent += n
            } else if n < 0 && errno == EINTR {
                continue
            } else {
                return false
            }
        }
        return true
    }

    /// Wakes a receive blocked on this socket from another thread; the connection ends.
    func shutDown() {
        if descriptor >= 0 { shutdown(descriptor, Int32(SHUT_RDWR)) }
    }

    func close() {
        if descriptor >= 0 {
            Glibc.close(descriptor)
            descriptor = -1
        }
    }
}

func errnoText(_ code: Int32 = errno) -> String {
    String(cString: strerror(code))
}
