import APDU
import CardCrypto

/// Protected READ BINARY of 255 bytes, each suite, each side: the card opens the command and protects 255 bytes of
/// file content; the host protects the command and opens the response. Both are replayed from one recorded session,
/// so each side is timed alone and every timed call is a real, checked exchange.
func secureMessagingMeasurements(runs: Int) throws -> [Measurement] {
    var measurements: [Measurement] = []
    for suite in SecureMessagingSuite.allCases {
        let keys = suite.deriveKeys(from: [UInt8](repeating: 0x5A, count: 16))
        let start = [UInt8](repeating: 0x01, count: suite.blockSize)
        let read = CommandAPDU(cla: 0x00, ins: 0xB0, p1: 0x00, p2: 0x00, le: 255)
        let content = ResponseAPDU(data: (0..<255).map { UInt8(truncatingIfNeeded: $0 &* 7) }, statusWord: .success)

        // One session recorded up front: runs + 1 exchanges (measure() warms up once).
        var host = try SecureMessagingHostSession(keys: keys, sendSequenceCounter: start)
        var card = try SecureMessagingCardSession(keys: keys, sendSequenceCounter: start)
        var commands: [[UInt8]] = []
        var responses: [[UInt8]] = []
        for _ in 0...runs {
            let command = try host.protect(read).bytes
            _ = try card.unprotect(command)
            let response = try card.protect(content)
            _ = try host.unprotect(response)
            commands.append(command)
            responses.append(response)
        }

        var cardSide = try SecureMessagingCardSession(keys: keys, sendSequenceCounter: start)
        var index = 0
        measurements.append(
            try measure("SM \(suite) card: open READ BINARY, protect 255 B", runs: runs, budget: .microseconds(100)) {
                let opened = try cardSide.unprotect(commands[index])
                precondition(opened.le == 255)
                _ = try cardSide.protect(content)
                index += 1
            })

        var hostSide = try SecureMessagingHostSession(keys: keys, sendSequenceCounter: start)
        index = 0
        measurements.append(
            try measure("SM \(suite) host: protect READ BINARY, open 255 B", runs: runs, budget: .microseconds(100)) {
                _ = try hostSide.protect(read)
                let opened = try hostSide.unprotect(responses[index])
                precondition(opened.data.count == 255)
                index += 1
            })
    }
    return measurements
}
