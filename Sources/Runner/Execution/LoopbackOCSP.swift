import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Carries an OCSP request to a responder on this machine and brings the answer back (RFC 6960 Appendix A:
/// HTTP POST, `application/ocsp-request`). Only loopback addresses are accepted: mynaconf's network traffic
/// stays on the machine, and a test responder is always local (`openssl ocsp`, scripts/ocsp-responder).
enum LoopbackOCSP {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Parses `http://127.0.0.1:PORT[/path]` (also `localhost`); anything else is refused with the reason.
    static func endpoint(_ url: String) throws(Failure) -> (port: UInt16, path: String) {
        guard let components = URLComponents(string: url), components.scheme == "http" else {
            throw Failure(description: "'\(url)' is not an http:// URL")
        }
        guard let host = components.host, ["127.0.0.1", "localhost"].contains(host) else {
            throw Failure(
                description: "'\(url)': the OCSP responder must be on loopback (127.0.0.1 or localhost); "
                    + "mynaconf does not send requests off this machine")
        }
        guard let port = components.port, (1...65_535).contains(port) else {
            throw Failure(description: "'\(url)' has no port")
        }
        return (UInt16(port), components.path.isEmpty ? "/" : components.path)
    }

    /// POSTs `request` and returns the response body; every step has a 10-second limit.
    static func post(_ request: [UInt8], to url: String) throws(Failure) -> [UInt8] {
        let (port, path) = try endpoint(url)
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else {
            throw Failure(description: "cannot open a socket: \(String(cString: strerror(errno)))")
        }
        defer { close(socket) }
        var limit = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(socket, SOL_SOCKET, SO_SNDTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else {
            throw Failure(
                description: "cannot reach the OCSP responder at \(url): \(String(cString: strerror(errno))) "
                    + "(is it running? scripts/ocsp-responder starts one)")
        }
        let header =
            "POST \(path) HTTP/1.0\r\nHost: 127.0.0.1:\(port)\r\nContent-Type: application/ocsp-request\r\n"
            + "Content-Length: \(request.count)\r\nConnection: close\r\n\r\n"
        let message = Array(header.utf8) + request
        var sent = 0
        while sent < message.count {
            let count = message[sent...].withUnsafeBytes { send(socket, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard count > 0 else {
                throw Failure(description: "sending to \(url) failed: \(String(cString: strerror(errno)))")
            }
            sent += count
        }
        var answer: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while answer.count < 1 << 20 {
            let count = buffer.withUnsafeMutableBytes { recv(socket, $0.baseAddress, $0.count, 0) }
            if count == 0 { break }
            guard count > 0 else {
                throw Failure(description: "reading from \(url) failed: \(String(cString: strerror(errno)))")
            }
            answer += buffer[0..<count]
            if let body = body(of: answer), body.complete { break }
        }
        guard let body = body(of: answer), let status = statusCode(of: answer) else {
            throw Failure(description: "\(url) did not answer with an HTTP response")
        }
        guard status == 200 else { throw Failure(description: "\(url) answered HTTP \(status)") }
        return body.bytes
    }

    /// The body of an HTTP response once the headers have arrived; `complete` when Content-Length bytes are in.
    private static func body(of answer: [UInt8]) -> (bytes: [UInt8], complete: Bool)? {
        let separator: [UInt8] = [13, 10, 13, 10]
        guard
            let end = (0...max(0, answer.count - 4)).first(where: {
                Array(answer[$0..<min($0 + 4, answer.count)]) == separator
            })
        else { return nil }
        let head = String(decoding: answer[..<end], as: UTF8.self)
        let bytes = Array(answer[(end + 4)...])
        let length = head.split(separator: "\r\n").first { $0.lowercased().hasPrefix("content-length:") }
            .flatMap { Int($0.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) }
        return (bytes, length.map { bytes.count >= $0 } ?? false)
    }

    /// The status line's code (`200`).
    private static func statusCode(of answer: [UInt8]) -> Int? {
        guard let line = String(decoding: answer.prefix(64), as: UTF8.self).split(separator: "\r\n").first else {
            return nil
        }
        let parts = line.split(separator: " ")
        return parts.count >= 2 ? Int(parts[1]) : nil
    }
}
