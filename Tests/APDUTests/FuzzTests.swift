import APDU
import Testing

/// SplitMix64: tiny, deterministic, and good enough to spread bytes and lengths; the seed makes failures repeatable.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

extension SeededGenerator {
    mutating func bytes(_ count: Int) -> [UInt8] { (0..<count).map { _ in UInt8.random(in: 0...255, using: &self) } }
    mutating func chance(_ percent: Int) -> Bool { Int.random(in: 0..<100, using: &self) < percent }
}

/// Thousands of pseudo-random inputs, half of them shaped to be nearly valid so that every decoding path runs:
/// each must either decode (and re-encode byte-exact) or throw an APDUError that points inside the input.
@Suite struct FuzzTests {
    static let iterations = 5000

    @Test func commandAPDUDecodesOrThrows() throws {
        var rng = SeededGenerator(seed: 0x4D59_4E41)
        var decoded: [String: Int] = [:]
        var thrown: [APDUError.Code: Int] = [:]
        for _ in 0..<Self.iterations {
            var bytes = rng.bytes(Int.random(in: 0...300, using: &rng))
            let count = bytes.count
            if rng.chance(50) && count >= 5 {
                // Aim at a case: make the length fields agree with the count (or miss by one).
                let slack = Int.random(in: -1...2, using: &rng)
                if rng.chance(50) {
                    bytes[4] = UInt8(clamping: max(1, count - 5 - slack))
                } else if count >= 6 {
                    bytes[4] = 0
                    if count >= 7 {
                        let lc = max(0, count - 7 - slack)
                        bytes[5] = UInt8(truncatingIfNeeded: lc >> 8)
                        bytes[6] = UInt8(truncatingIfNeeded: lc)
                    }
                }
            }
            do throws(APDUError) {
                let apdu = try CommandAPDU(bytes: bytes)
                #expect(apdu.bytes == bytes, "\(Hex.encode(bytes, separator: " "))")
                #expect(try apdu.validated() == apdu)
                decoded["\(apdu.apduCase.rawValue)\(apdu.isExtended ? "E" : "S")", default: 0] += 1
            } catch {
                #expect(!error.message.isEmpty)
                #expect((0...count).contains(error.offset ?? -1), "\(error) for \(Hex.encode(bytes, separator: " "))")
                thrown[error.code, default: 0] += 1
                // The same input as hex fails the same way.
                #expect(throws: error) { try CommandAPDU(hex: Hex.encode(bytes, separator: " ")) }
            }
        }
        // Every case decoded at least once (case 1 only as 4 bytes, hence the lower bar), and every failure kind hit.
        #expect(Set(decoded.keys) == ["1S", "2S", "3S", "4S", "2E", "3E", "4E"])
        #expect(decoded.values.reduce(0, +) > Self.iterations / 5)
        #expect(Set(thrown.keys) == [.tooShort, .lengthMismatch, .trailingBytes, .invalidLength, .truncated])
    }

    @Test func berTLVParsesOrThrows() throws {
        var rng = SeededGenerator(seed: 0xBE4_7_1)
        var parsed = 0
        var thrown: Set<APDUError.Code> = []
        for iteration in 0..<Self.iterations {
            var bytes: [UInt8]
            if iteration % 3 == 0 {
                bytes = rng.bytes(Int.random(in: 0...300, using: &rng))
            } else {
                // Well-formed objects, then sometimes one damaged byte or a cut.
                let objects = (0..<Int.random(in: 1...3, using: &rng)).map { _ in Self.randomTLV(&rng, depth: 2) }
                bytes = objects.flatMap(\.encoded)
                #expect(try BERTLV.parseAll(bytes) == objects)
                if rng.chance(50) && !bytes.isEmpty {
                    bytes[Int.random(in: 0..<bytes.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
                }
                if rng.chance(30) { bytes.removeLast(Int.random(in: 0...min(3, bytes.count), using: &rng)) }
            }
            do throws(APDUError) {
                let objects = try BERTLV.parseAll(bytes)
                parsed += 1
                // Parsing what we encode gives the same objects back (lengths may have been non-minimal).
                #expect(try BERTLV.parseAll(objects.flatMap(\.encoded)) == objects)
                #expect(objects.flatMap(\.encoded).count <= bytes.count)
                for object in objects { Self.walk(object) }
            } catch {
                #expect(!error.message.isEmpty)
                #expect((0...bytes.count).contains(error.offset ?? -1), "\(error)")
                thrown.insert(error.code)
            }
            if !bytes.isEmpty, let (first, length) = try? BERTLV.parseFirst(bytes) {
                #expect(length <= bytes.count)
                #expect(first.value.count < length)
            }
        }
        #expect(parsed > Self.iterations / 3)
        #expect(thrown.isSuperset(of: [.truncated, .invalidLength, .invalidTag, .trailingBytes]))
    }

    @Test func simpleTLVParsesOrThrows() throws {
        var rng = SeededGenerator(seed: 0x51_4D_50)
        var parsed = 0
        var thrown: Set<APDUError.Code> = []
        for iteration in 0..<Self.iterations {
            var bytes: [UInt8]
            if iteration % 3 == 0 {
                bytes = rng.bytes(Int.random(in: 0...300, using: &rng))
            } else {
                let objects = (0..<Int.random(in: 1...4, using: &rng)).map { _ in
                    SimpleTLV(
                        tag: UInt8.random(in: 0x01...0xFE, using: &rng),
                        value: rng.bytes(
                            rng.chance(10)
                                ? Int.random(in: 255...400, using: &rng) : Int.random(in: 0...40, using: &rng)))
                }
                bytes = objects.flatMap(\.encoded)
                #expect(try SimpleTLV.parseAll(bytes) == objects)
                if rng.chance(50) {
                    bytes[Int.random(in: 0..<bytes.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
                }
            }
            do throws(APDUError) {
                let objects = try SimpleTLV.parseAll(bytes)
                parsed += 1
                #expect(try SimpleTLV.parseAll(objects.flatMap(\.encoded)) == objects)
                for object in objects { #expect(try object.validated() == object) }
            } catch {
                #expect(!error.message.isEmpty)
                #expect((0..<max(1, bytes.count)).contains(error.offset ?? -1), "\(error)")
                thrown.insert(error.code)
            }
        }
        #expect(parsed > Self.iterations / 3)
        #expect(thrown == [.truncated, .invalidTag])
    }

    /// A random tag of 1–3 bytes: low tag bits 11111 only for multi-byte tags.
    static func randomTag(_ rng: inout SeededGenerator, constructed: Bool) -> BERTag {
        let classAndForm = UInt8.random(in: 0...3, using: &rng) << 6 | (constructed ? 0x20 : 0)
        do {
            switch Int.random(in: 0...2, using: &rng) {
            case 0:
                // Not tag 00: ISO/IEC 7816-4 treats 00 (like FF) between objects as filler.
                return try BERTag([classAndForm | UInt8.random(in: (classAndForm == 0 ? 1 : 0)...0x1E, using: &rng)])
            case 1: return try BERTag([classAndForm | 0x1F, UInt8.random(in: 0...0x7F, using: &rng)])
            default:
                return try BERTag([
                    classAndForm | 0x1F, UInt8.random(in: 0x81...0xFF, using: &rng),
                    UInt8.random(in: 0...0x7F, using: &rng),
                ])
            }
        } catch {
            fatalError("generated an invalid tag: \(error)")
        }
    }

    static func randomTLV(_ rng: inout SeededGenerator, depth: Int) -> BERTLV {
        if depth > 0 && rng.chance(40) {
            let children = (0..<Int.random(in: 0...3, using: &rng)).map { _ in randomTLV(&rng, depth: depth - 1) }
            return BERTLV(tag: randomTag(&rng, constructed: true), children: children)
        }
        let length = rng.chance(10) ? Int.random(in: 128...300, using: &rng) : Int.random(in: 0...20, using: &rng)
        return BERTLV(tag: randomTag(&rng, constructed: false), value: rng.bytes(length))
    }

    /// Visits every well-formed constructed value; `children` must never trap either.
    static func walk(_ object: BERTLV) {
        for child in object.children ?? [] { walk(child) }
    }
}
