import APDU
import CardCrypto
import Testing

@testable import CardEmulator

@Suite("Any byte sequence gets a status word")
struct RobustnessTests {
    @Test("Malformed APDUs answer 6700; unknown INS 6D00; unknown CLA 6E00; secure messaging 6882")
    func malformedAndUnknown() throws {
        var card = try makeCard()
        #expect(card.process([]) == [0x67, 0x00])
        #expect(card.process([0x00]) == [0x67, 0x00])
        #expect(card.process([0x00, 0xA4, 0x04]) == [0x67, 0x00])
        #expect(try card.send("00A4040C0AD392") == "6700", "Lc says 10, 2 follow")
        #expect(try card.send("00B00000050102") == "6700", "trailing bytes")
        #expect(try card.send("00EE0000") == "6D00")
        #expect(try card.send("80A4040C0A" + jpkiAID) == "6D00", "SELECT is not a proprietary-class command")
        #expect(try card.send("C0A40000") == "6E00")
        #expect(try card.send("0CA4040C0A" + jpkiAID) == "6882")
        #expect(try card.send("00A4040C00") == "6700")
    }

    @Test(
        "Unknown AIDs answer 6A82, with or without Le",
        arguments: [
            "00A4040007627601FF000000", "00A4040006A00000000101", "00A4040C07A0000000791000",
            "00A4040C0AD392F00026010000000200", "00A4040C09D392F0002601000000", "00A4040C0BD392F00026010000000100",
            "00A4040C0BD392F000260100000001FF00",
        ])
    func unknownAIDs(command: String) throws {
        var card = try makeCard()
        #expect(try card.send(command) == "6A82")
    }

    @Test("OpenSC's PIV probes at MF level do not succeed")
    func pivProbes() throws {
        var card = try makeCard()
        #expect(try card.send("00CADF3005") != "9000")
        #expect(try !card.send("00CB3FFF035C017E08").hasSuffix("9000"))
    }

    @Test("Ten thousand random commands: always a 2-byte status word at the end, never 61xx or 6Cxx")
    func randomCommands() throws {
        var card = try makeCard()
        var random = SeededRandomSource(seed: 7)
        // Bias towards the card's own CLA/INS so the random commands reach deep into the handlers.
        let classes: [UInt8] = [0x00, 0x80, 0x0C, 0xFF]
        let instructions: [UInt8] = [0xA4, 0xB0, 0xB2, 0x20, 0x24, 0x2A, 0x84, 0x88, 0xCA, 0x00]
        for round in 0..<10_000 {
            var command = random.bytes(Int(random.bytes(1)[0]) % 24)
            if command.count >= 2 && round % 2 == 0 {
                command[0] = classes[Int(command[0]) % classes.count]
                command[1] = instructions[Int(command[1]) % instructions.count]
            }
            if round % 50 == 0 { _ = try card.send(selectJPKI) }
            let response = card.process(command)
            #expect(response.count >= 2)
            let sw1 = response[response.count - 2]
            #expect(sw1 != 0x61 && sw1 != 0x6C, "\(Hex.encode(command)) answered \(Hex.encode(response))")
        }
    }

    @Test("GET CHALLENGE returns Le random bytes; P1P2 other than 0000 is 6A86; no Le is 6700")
    func getChallenge() throws {
        var card = try makeCard()
        let challenge = try card.exchange("0084000008")
        #expect(challenge.statusWord == .success && challenge.data.count == 8)
        #expect(try card.exchange("0084000008").data != challenge.data)
        #expect(try card.exchange("0084000000").data.count == 256)
        #expect(try card.send("0084010008") == "6A86")
        #expect(try card.send("00840000") == "6700")
    }
}
