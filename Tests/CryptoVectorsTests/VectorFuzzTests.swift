import CardCrypto
import Foundation
import Testing
import YAMLSource

@testable import CryptoVectors

/// Seeded random damage to real vector files: every input is read or refused with a located diagnostic; nothing
/// crashes or hangs. (Fuzz targets proper come later; these keep the decoders honest meanwhile.)
@Suite("Vector decoders under seeded random damage")
struct VectorFuzzTests {
    static func damage(_ bytes: [UInt8], _ random: inout SeededRandomSource) -> [UInt8] {
        var out = bytes
        for _ in 0...Int(random.bytes(1)[0] % 4) {
            let choice = random.bytes(4)
            let position = out.isEmpty ? 0 : (Int(choice[1]) << 8 | Int(choice[2])) % out.count
            switch choice[0] % 5 {
            case 0 where !out.isEmpty: out[position] = choice[3]
            case 1: out = Array(out.prefix(position))
            case 2: out.insert(choice[3], at: position)
            case 3 where !out.isEmpty: out.remove(at: position)
            default:
                let structural: [UInt8] = [0x22, 0x7B, 0x5B, 0x0A, 0x3D, 0x5D]  // " { [ newline = ]
                out.insert(contentsOf: structural[(Int(choice[3]) % 6)...], at: position)
            }
        }
        return out
    }

    @Test(
        "Damaged files parse or fail with a location inside the file",
        arguments: ["icao-9303-11-bac.kat", "nist/TCBCMMT2.rsp", "wycheproof/aes_cmac_test.json"])
    func damaged(file: String) throws {
        let original = [UInt8](try Data(contentsOf: URL(fileURLWithPath: "\(cryptoVectors)/\(file)")))
        let name = (file as NSString).lastPathComponent
        var random = SeededRandomSource(seed: 1234)
        let lineCount = original.filter { $0 == 0x0A }.count + 2
        var refused = 0
        for _ in 0..<80 {
            let path = "damaged/\(name)"
            do {
                let parsed = try VectorFile.parse(Self.damage(original, &random), path: path)
                _ = runKnownAnswers(parsed)  // a damaged value is a failing case, never a crash
            } catch {
                refused += 1
                let location = try #require(error.location)
                #expect(location.file == path)
                #expect(location.line >= 1 && location.line <= lineCount + 8)
                #expect(location.column >= 1)
                #expect(!error.message.isEmpty)
            }
        }
        #expect(refused > 0)
    }

    @Test("Random bytes into the JSON reader: a value or a located syntax error")
    func randomJSON() {
        var random = SeededRandomSource(seed: 99)
        let alphabet = Array("{}[],:\"\\ntrufalse0123456789-+.eE \n".utf8)
        for _ in 0..<3000 {
            let length = Int(random.bytes(1)[0]) % 40
            let bytes = random.bytes(length).map { alphabet[Int($0) % alphabet.count] }
            do {
                _ = try LocatedJSONReader.parse(bytes)
            } catch {
                #expect(error.position.line >= 1 && error.position.column >= 1)
            }
        }
    }
}
