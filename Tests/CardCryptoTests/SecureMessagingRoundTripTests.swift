import APDU
import CardCrypto
import Testing

@Suite("Secure messaging: the host and the card sides agree")
struct SecureMessagingRoundTripTests {
    static let commands: [String] = [
        "00A4020C02011E",  // case 3: SELECT by FID
        "00A4040C0AD392F000260100000001",  // case 3: SELECT by AID
        "00B0000004",  // case 2
        "00B0000000",  // case 2, Le 256
        "00B00000FF",  // case 2, Le 255: the protected response may exceed 256 bytes, so the command goes extended
        "0084000008",  // GET CHALLENGE
        "00A40000",  // case 1
        "00B1000004540200000F",  // odd INS: data in DO 85
        "0020009804" + "31323334",  // VERIFY: case 3
        "802A00803331" + String(repeating: "AB", count: 50) + "00",  // case 4
        "00D60000000130" + String(repeating: "5A", count: 304),  // case 3 extended: 304 bytes of data
        "00B00000000000",  // case 2 extended, Le 65536
    ]

    @Test(
        "Every command survives protect → unprotect unchanged, and every response protect → unprotect",
        arguments: SecureMessagingSuite.allCases)
    func roundTrip(suite: SecureMessagingSuite) throws {
        var (host, card) = try sessionPair(suite)
        var random = SeededRandomSource(seed: 99)
        for (index, hex) in Self.commands.enumerated() {
            let command = try CommandAPDU(hex: hex)
            let protected = try host.protect(command)
            #expect(protected.cla == command.cla | 0x0C)
            #expect(protected.le == (protected.isExtended ? 65536 : 256))
            let opened = try card.unprotect(protected.bytes)
            #expect(opened == command, "command \(index): \(hex)")
            let data = random.bytes([0, 1, 7, 8, 15, 16, 17, 255, 256, 300][index % 10])
            let response = ResponseAPDU(data: data, statusWord: index % 3 == 0 ? .success : .fileNotFound)
            let protectedResponse = try card.protect(response)
            #expect(protectedResponse.suffix(2) == response.statusWord.bytes[...])
            #expect(try host.unprotect(protectedResponse) == response)
        }
        #expect(host.sendSequenceCounter == card.sendSequenceCounter)
    }

    @Test(
        "Short or extended: Le 255 asks for an extended protected command, Le 4 does not",
        arguments: SecureMessagingSuite.allCases)
    func extendedWhenTheResponseCouldNotFit(suite: SecureMessagingSuite) throws {
        var (host, _) = try sessionPair(suite)
        let small = try host.protect(CommandAPDU(hex: "00B0000004"))
        #expect(!small.isExtended)
        _ = try? host.unprotect([0x69, 0x88])  // ends the session; a fresh one for the next command
        (host, _) = try sessionPair(suite)
        let large = try host.protect(CommandAPDU(hex: "00B00000FF"))
        #expect(large.isExtended)
        #expect(large.bytes.suffix(2) == [0x00, 0x00])
    }

    @Test("A long session: 600 exchanges keep both counters in step", arguments: SecureMessagingSuite.allCases)
    func longSession(suite: SecureMessagingSuite) throws {
        var (host, card) = try sessionPair(suite, seed: 5)
        let start = host.sendSequenceCounter
        for _ in 0..<600 {
            let opened = try card.unprotect(host.protect(CommandAPDU(hex: "00B0000010")).bytes)
            _ = try host.unprotect(
                card.protect(ResponseAPDU(data: [UInt8](repeating: 7, count: 16), statusWord: .success)))
            #expect(opened.le == 16)
        }
        #expect(host.sendSequenceCounter == start.advanced(by: 1200))
        #expect(card.sendSequenceCounter == host.sendSequenceCounter)
    }

    @Test("The counter wraps from all FF to all 00 on both sides", arguments: SecureMessagingSuite.allCases)
    func counterWraps(suite: SecureMessagingSuite) throws {
        let keys = suite.deriveKeys(from: [UInt8](repeating: 3, count: 16))
        let top = [UInt8](repeating: 0xFF, count: suite.blockSize)
        var host = try SecureMessagingHostSession(keys: keys, sendSequenceCounter: top)
        var card = try SecureMessagingCardSession(keys: keys, sendSequenceCounter: top)
        let command = try CommandAPDU(hex: "00A4020C02011E")
        #expect(try card.unprotect(host.protect(command).bytes) == command)
        #expect(host.sendSequenceCounter.bytes == [UInt8](repeating: 0, count: suite.blockSize))
        #expect(try host.unprotect(card.protect(ResponseAPDU(statusWord: .success))).statusWord == .success)
        #expect(card.sendSequenceCounter.bytes.last == 1)
    }

    @Test("Counter arithmetic: advancing by a negative distance undoes a positive one, with borrows")
    func counterArithmetic() {
        let counter = SendSequenceCounter([0x00, 0x01, 0x00, 0x00])
        #expect(counter.advanced(by: -1).bytes == [0x00, 0x00, 0xFF, 0xFF])
        #expect(counter.advanced(by: -1).advanced(by: 1) == counter)
        #expect(counter.advanced(by: 0x1_0203).bytes == [0x00, 0x02, 0x02, 0x03])
        #expect(SendSequenceCounter([0, 0]).advanced(by: -1).bytes == [0xFF, 0xFF])
        #expect(counter.description == "00010000")
    }

    @Test("The initial counter: RND.IC's last 4 bytes, RND.IFD's last 4; AES pads with 8 zero bytes in front")
    func initialCounter() {
        let card = [UInt8](hex: "4608F91988702212")
        let host = [UInt8](hex: "781723860C06C226")
        #expect(
            SendSequenceCounter.initial(suite: .tripleDES, cardChallenge: card, hostChallenge: host).bytes
                == [UInt8](hex: "887022120C06C226"))
        #expect(
            SendSequenceCounter.initial(suite: .aes128, cardChallenge: card, hostChallenge: host).bytes
                == [UInt8](hex: "0000000000000000887022120C06C226"))
    }

    @Test("AES: the IV is E(KS_enc, SSC) — the same data under the next counter encrypts differently")
    func aesIVFollowsTheCounter() throws {
        var (host, card) = try sessionPair(.aes128)
        let command = try CommandAPDU(hex: "0020009804" + "31323334")
        let first = try host.protect(command)
        _ = try card.unprotect(first.bytes)
        _ = try host.unprotect(card.protect(ResponseAPDU(statusWord: .success)))
        let second = try host.protect(command)
        #expect(first.data.prefix(19) != second.data.prefix(19))
        #expect(try card.unprotect(second.bytes) == command)
    }
}
