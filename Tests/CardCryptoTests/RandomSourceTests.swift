import CardCrypto
import Crypto
import Testing

@Suite("Random sources")
struct RandomSourceTests {
    @Test("SeededRandomSource is SHA-256(seed || counter) blocks, checked with swift-crypto")
    func definition() {
        var source = SeededRandomSource(seed: [0xAA, 0xBB])
        let output = source.bytes(80)
        var expected: [UInt8] = []
        for counter: UInt8 in 0..<3 {
            expected += Array(SHA256.hash(data: [0xAA, 0xBB, 0, 0, 0, 0, 0, 0, 0, counter]))
        }
        #expect(output == Array(expected.prefix(80)))
    }

    @Test("SeededRandomSource is deterministic and a stream")
    func deterministic() {
        var a = SeededRandomSource(seed: 42)
        var b = SeededRandomSource(seed: 42)
        #expect(a.bytes(100) == b.bytes(100))
        var whole = SeededRandomSource(seed: 7)
        var pieces = SeededRandomSource(seed: 7)
        let all = whole.bytes(70)
        #expect(pieces.bytes(3) + pieces.bytes(0) + pieces.bytes(33) + pieces.bytes(34) == all)
    }

    @Test("A UInt64 seed is its eight big-endian bytes")
    func integerSeed() {
        var a = SeededRandomSource(seed: 0x0102_0304_0506_0708)
        var b = SeededRandomSource(seed: [1, 2, 3, 4, 5, 6, 7, 8])
        #expect(a.bytes(40) == b.bytes(40))
    }

    @Test("Different seeds give different streams")
    func differentSeeds() {
        var a = SeededRandomSource(seed: 1)
        var b = SeededRandomSource(seed: 2)
        var c = SeededRandomSource(seed: [])
        let outputs = [a.bytes(32), b.bytes(32), c.bytes(32)]
        #expect(Set(outputs).count == 3)
    }

    @Test("Works through the protocol, as a card emulator holds it")
    func throughProtocol() {
        func challenge(_ source: inout some RandomSource) -> [UInt8] { source.bytes(8) }
        var seeded = SeededRandomSource(seed: 9)
        var again = SeededRandomSource(seed: 9)
        let first = challenge(&seeded)
        #expect(first == challenge(&again))
        #expect(challenge(&seeded) != first)
    }

    @Test("SystemRandomSource gives different outputs of the asked length")
    func system() {
        var source = SystemRandomSource()
        let first = source.bytes(32)
        let second = source.bytes(32)
        #expect(first.count == 32)
        #expect(first != second)
        #expect(source.bytes(0).isEmpty)
        #expect(source.bytes(1000).count == 1000)
    }
}
