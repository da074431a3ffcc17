// VirtualReaderBenchmark: the two small programs `make bench` needs to time the virtual reader
// (scripts/bench-virtual-reader): a PC/SC client that times SCardTransmit round trips, and a minimal vpcd card that
// answers as many bytes as the emulator does, so the comparison isolates the emulator's own cost.
import CPCSCLite
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

func fail(_ message: String, code: Int32 = 2) -> Never {
    FileHandle.standardError.write(Data("VirtualReaderBenchmark: \(message)\n".utf8))
    exit(code)
}

func hexBytes(_ text: String) -> [UInt8] {
    let digits = text.filter { !$0.isWhitespace && $0 != ":" }
    guard digits.count % 2 == 0 else { fail("'\(text)' is not hex") }
    var bytes: [UInt8] = []
    var index = digits.startIndex
    while index < digits.endIndex {
        let next = digits.index(index, offsetBy: 2)
        guard let byte = UInt8(digits[index..<next], radix: 16) else { fail("'\(text)' is not hex") }
        bytes.append(byte)
        index = next
    }
    return bytes
}

/// `--name value` options, repeatable.
func options(_ arguments: ArraySlice<String>) -> [String: [String]] {
    var result: [String: [String]] = [:]
    var iterator = arguments.makeIterator()
    while let name = iterator.next() {
        guard name.hasPrefix("--"), let value = iterator.next() else { fail("expected --option value, got '\(name)'") }
        result[String(name.dropFirst(2)), default: []].append(value)
    }
    return result
}

// MARK: - The PC/SC client

func check(_ status: LONG, _ what: String) {
    guard status == SCARD_S_SUCCESS else {
        fail(
            "\(what): PC/SC error 0x\(String(UInt32(truncatingIfNeeded: status), radix: 16, uppercase: true))", code: 3)
    }
}

func nanoseconds() -> UInt64 {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
}

/// Waits for a card in the reader, then times `--count` transmissions of `--apdu` after `--setup` commands and
/// `--warmup` untimed ones. Prints one line: `p50_us=… p99_us=… max_us=… count=… response_bytes=… sw=…`.
func client(_ arguments: ArraySlice<String>) {
    let given = options(arguments)
    guard let reader = given["reader"]?.last, let apduText = given["apdu"]?.last else {
        fail("client needs --reader NAME --apdu HEX [--setup HEX]... [--count N] [--warmup N]")
    }
    let count = Int(given["count"]?.last ?? "5000") ?? 5000
    let warmup = Int(given["warmup"]?.last ?? "500") ?? 500
    var context: SCARDCONTEXT = 0
    check(SCardEstablishContext(DWORD(SCARD_SCOPE_SYSTEM), nil, nil, &context), "SCardEstablishContext")
    var state = SCARD_READERSTATE()
    let name = strdup(reader)
    state.szReader = UnsafePointer(name)
    // Up to 10 s for pcscd to see the card (it polls every 400 ms); a timed-out wait is not an error here.
    for _ in 0..<100 {
        let status = SCardGetStatusChange(context, 100, &state, 1)
        if status != SCARD_E_TIMEOUT { check(status, "SCardGetStatusChange") }
        if state.dwEventState & DWORD(SCARD_STATE_PRESENT) != 0 { break }
        state.dwCurrentState = state.dwEventState
    }
    var card: SCARDHANDLE = 0
    var active: DWORD = 0
    check(
        SCardConnect(context, reader, DWORD(SCARD_SHARE_SHARED), DWORD(SCARD_PROTOCOL_T1), &card, &active),
        "SCardConnect to '\(reader)'")
    var buffer = [UInt8](repeating: 0, count: 65_548)
    var request = g_rgSCardT1Pci
    func transmit(_ command: [UInt8]) -> Int {
        var length = DWORD(buffer.count)
        check(SCardTransmit(card, &request, command, DWORD(command.count), nil, &buffer, &length), "SCardTransmit")
        return Int(length)
    }
    for setup in given["setup"] ?? [] { _ = transmit(hexBytes(setup)) }
    let apdu = hexBytes(apduText)
    for _ in 0..<warmup { _ = transmit(apdu) }
    let responseLength = transmit(apdu)
    let statusWord = String(format: "%02X%02X", buffer[responseLength - 2], buffer[responseLength - 1])
    var samples = [UInt64](repeating: 0, count: count)
    for index in 0..<count {
        let start = nanoseconds()
        let length = transmit(apdu)
        samples[index] = nanoseconds() - start
        if length != responseLength { fail("response length changed from \(responseLength) to \(length)", code: 1) }
    }
    samples.sort()
    func microseconds(_ quantile: Double) -> String {
        let value = samples[min(samples.count - 1, Int(Double(samples.count) * quantile))]
        return String(format: "%.1f", Double(value) / 1000)
    }
    print(
        "p50_us=\(microseconds(0.50)) p99_us=\(microseconds(0.99)) max_us=\(microseconds(1.0)) count=\(count) "
            + "response_bytes=\(responseLength) sw=\(statusWord)")
    SCardDisconnect(card, DWORD(SCARD_LEAVE_CARD))
    SCardReleaseContext(context)
    free(name)
}

// MARK: - The minimal card

/// A vpcd card that does nothing but answer: the ATR, `90 00` to SELECT of the JPKI AP and of any EF, Le bytes
/// and `90 00` to READ BINARY, `6A 82` to anything else — the same sizes the emulator answers. Blocking sockets,
/// TCP_QUICKACK re-armed before every receive and one write per frame, as any card behind Debian's vpcd must.
func minimalCard(_ arguments: ArraySlice<String>) {
    let given = options(arguments)
    guard let port = UInt16(given["port"]?.last ?? "") else { fail("minimal-card needs --port N") }
    let atr: [UInt8] = [0x3B, 0xE0, 0x00, 0xFF, 0x81, 0x31, 0xFE, 0x45, 0x14]
    let jpki: [UInt8] = [0xD3, 0x92, 0xF0, 0x00, 0x26, 0x01, 0x00, 0x00, 0x00, 0x01]
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = port.bigEndian
    address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
    let connected = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
        }
    }
    guard connected == 0 else { fail("cannot connect to vpcd on port \(port)", code: 3) }
    var one: Int32 = 1
    setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
    var input = [UInt8](repeating: 0, count: 65_537)
    var output = [UInt8](repeating: 0, count: 65_539)
    func readExactly(_ count: Int) -> Bool {
        var received = 0
        while received < count {
            setsockopt(fd, Int32(IPPROTO_TCP), TCP_QUICKACK, &one, socklen_t(MemoryLayout<Int32>.size))
            let n = input.withUnsafeMutableBytes { recv(fd, $0.baseAddress! + received, count - received, 0) }
            if n <= 0 { return false }
            received += n
        }
        return true
    }
    func reply(_ length: Int) {
        output[0] = UInt8(length >> 8)
        output[1] = UInt8(length & 0xFF)
        _ = output.withUnsafeBytes { send(fd, $0.baseAddress!, length + 2, Int32(MSG_NOSIGNAL)) }
    }
    FileHandle.standardOutput.write(Data("ready port=\(port)\n".utf8))
    while readExactly(2) {
        let length = Int(input[0]) << 8 | Int(input[1])
        guard readExactly(length) else { break }
        if length == 1 {
            guard input[0] == 0x04 else { continue }  // power off/on and reset: no reply
            for (index, byte) in atr.enumerated() { output[2 + index] = byte }
            reply(atr.count)
            continue
        }
        var size = 0
        if length >= 5 && input[1] == 0xB0 {
            size = input[4] == 0 ? 256 : Int(input[4])
            for index in 0..<size { output[2 + index] = 0x30 }
            output[2 + size] = 0x90
            output[3 + size] = 0x00
        } else if length >= 7 && input[1] == 0xA4
            && (input[2] == 0x02 || (input[2] == 0x04 && Array(input[5..<length]) == jpki))
        {
            (output[2], output[3]) = (0x90, 0x00)
        } else {
            (output[2], output[3]) = (0x6A, 0x82)
        }
        reply(size + 2)
    }
}

switch CommandLine.arguments.dropFirst().first {
case "client": client(CommandLine.arguments.dropFirst(2))
case "minimal-card": minimalCard(CommandLine.arguments.dropFirst(2))
default: fail("usage: VirtualReaderBenchmark client|minimal-card --option value ...")
}
