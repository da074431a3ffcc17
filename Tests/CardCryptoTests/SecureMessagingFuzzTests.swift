import APDU
import CardCrypto
import Testing

/// Seeded random inputs against both decoders: every input ends in an answer or a named error, never a crash, and
/// no changed input is ever accepted as something else than what was protected.
@Suite("Secure messaging: seeded fuzzing of protected commands and responses")
struct SecureMessagingFuzzTests {
    /// One random change: flip a bit, drop bytes from the end, append bytes, overwrite a byte, or insert one.
    static func mutate(_ bytes: [UInt8], _ random: inout SeededRandomSource) -> [UInt8] {
        var out = bytes
        let choice = random.bytes(4)
        let position = out.isEmpty ? 0 : Int(choice[1]) % out.count
        switch choice[0] % 5 {
        case 0 where !out.isEmpty: out[position] ^= 1 << (choice[2] % 8)
        case 1: out.removeLast(min(out.count, Int(choice[2]) % 12 + 1))
        case 2: out += random.bytes(Int(choice[2]) % 12 + 1)
        case 3 where !out.isEmpty: out[position] = choice[3]
        default: out.insert(choice[3], at: position)
        }
        return out
    }

    @Test(
        "Mutated protected commands: the card accepts only what was protected", arguments: SecureMessagingSuite.allCases
    )
    func commands(suite: SecureMessagingSuite) throws {
        var random = SeededRandomSource(seed: 2024)
        let keys = suite.deriveKeys(from: [0x11])
        let counter = [UInt8](repeating: 0x33, count: suite.blockSize)
        let originals = try [
            "00A4020C02011E", "00B0000004", "802A0080143132333435363738393031323334353637383930" + "00",
            "00B1000004540200000F", "00A40000",
        ].map { try CommandAPDU(hex: $0) }
        var accepted = 0
        for iteration in 0..<3000 {
            let original = originals[iteration % originals.count]
            var host = try SecureMessagingHostSession(keys: keys, sendSequenceCounter: counter)
            let protected = try host.protect(original).bytes
            let mutated = Self.mutate(protected, &random)
            var card = try SecureMessagingCardSession(keys: keys, sendSequenceCounter: counter)
            do {
                let opened = try card.unprotect(mutated)
                // Only the protected command's own Le byte is outside the checksum.
                #expect(opened == original, "accepted a changed command: \(Hex.encode(mutated))")
                accepted += 1
            } catch {
                #expect(!error.reason.isEmpty)
                #expect(card.hasEnded)
            }
        }
        #expect(accepted < 300)
    }

    @Test(
        "Mutated protected responses: the host accepts only what was protected",
        arguments: SecureMessagingSuite.allCases)
    func responses(suite: SecureMessagingSuite) throws {
        var random = SeededRandomSource(seed: 4048)
        let keys = suite.deriveKeys(from: [0x22])
        let counter = [UInt8](repeating: 0x44, count: suite.blockSize)
        let responses = [
            ResponseAPDU(statusWord: .success), ResponseAPDU(data: [0x60, 0x14, 0x5F, 0x01], statusWord: .success),
            ResponseAPDU(data: [UInt8](repeating: 0xA5, count: 40), statusWord: StatusWord(0x62, 0x82)),
        ]
        for iteration in 0..<3000 {
            let response = responses[iteration % responses.count]
            var host = try SecureMessagingHostSession(keys: keys, sendSequenceCounter: counter)
            var card = try SecureMessagingCardSession(keys: keys, sendSequenceCounter: counter)
            _ = try card.unprotect(host.protect(CommandAPDU(hex: "00B0000000")).bytes)
            let mutated = Self.mutate(try card.protect(response), &random)
            do {
                #expect(try host.unprotect(mutated) == response, "accepted a changed response: \(Hex.encode(mutated))")
            } catch {
                #expect(!error.reason.isEmpty)
            }
        }
    }

    @Test("Random bytes: every input is a named error for both decoders")
    func randomBytes() throws {
        var random = SeededRandomSource(seed: 77)
        for suite in SecureMessagingSuite.allCases {
            let keys = suite.deriveKeys(from: [0x33])
            let counter = [UInt8](repeating: 0, count: suite.blockSize)
            for _ in 0..<2000 {
                let length = Int(random.bytes(1)[0]) % 64
                var bytes = random.bytes(length)
                if bytes.count > 4, random.bytes(1)[0] & 1 == 0 { bytes[0] = 0x0C }
                var card = try SecureMessagingCardSession(keys: keys, sendSequenceCounter: counter)
                #expect(thrown { try card.unprotect(bytes) } != nil)
                var host = try SecureMessagingHostSession(keys: keys, sendSequenceCounter: counter)
                _ = try host.protect(CommandAPDU(hex: "00B0000000"))
                #expect(thrown { try host.unprotect(bytes) } != nil)
            }
        }
    }
}
