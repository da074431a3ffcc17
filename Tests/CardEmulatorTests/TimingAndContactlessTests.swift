import APDU
import Foundation
import TestSupport
import Testing

@testable import CardEmulator

@Suite("Card timing, contactless identity and GET DATA 5F51")
struct TimingAndContactlessTests {
    /// The default profile with `extra` appended, in a temporary copy of the Vectors layout so key paths resolve;
    /// `body` gets its path and the line number of the first appended line. The copy is removed afterwards.
    func withProfile(appending extra: String, _ body: (String, Int) throws -> Void) throws {
        let text = try String(contentsOfFile: profilePath("default"), encoding: .utf8)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("mynaconf-\(UUID().uuidString)")
        try FileManager.default.createDirectory(
            at: directory.appendingPathComponent("cards"), withIntermediateDirectories: true)
        // Keys and the CA's CRL sit beside cards/, as in Vectors/.
        for sibling in ["keys", "revocation"] {
            try FileManager.default.createSymbolicLink(
                atPath: directory.appendingPathComponent(sibling).path,
                withDestinationPath: "\(repositoryRoot)/Vectors/\(sibling)")
        }
        // The profile names its card images relative to its own folder.
        try FileManager.default.createSymbolicLink(
            atPath: directory.appendingPathComponent("cards/images").path,
            withDestinationPath: "\(repositoryRoot)/Vectors/cards/images")
        let path = directory.appendingPathComponent("cards/timed.yaml").path
        let base = text.hasSuffix("\n") ? text : text + "\n"
        defer { try? FileManager.default.removeItem(at: directory) }
        try (base + extra).write(toFile: path, atomically: true, encoding: .utf8)
        try body(path, base.components(separatedBy: "\n").count)
    }

    @Test("A profile that sets no timing gets the documented defaults (docs/card-profiles.md)")
    func defaultTiming() throws {
        let timing = try loadProfile().timing
        #expect(timing == CardTiming.default)
        #expect(timing.processing.count == CardTiming.CommandKind.allCases.count)
        #expect(timing.processing[.computeDigitalSignature] == .milliseconds(900))
        #expect(timing.processing[.verify] == .milliseconds(20) && timing.processing[.select] == .milliseconds(3))
        #expect(timing.contactBitRate == 10_752 && timing.contactlessBitRate == 106_000)
    }

    @Test(
        "Commands are classified as the card dispatches them",
        arguments: [
            ("00A4040C", CardTiming.CommandKind.select), ("00B00000", .readBinary), ("00B20104", .readRecord),
            ("00200080", .verify), ("00240180", .changeReferenceData), ("80320080", .changeReferenceData),
            ("802A0080", .computeDigitalSignature), ("00880099", .internalAuthenticate), ("00840000", .getChallenge),
            ("00CA5F51", .getData), ("002A0080", .other), ("80A40400", .other), ("00", .other),
        ])
    func classification(header: String, kind: CardTiming.CommandKind) {
        #expect(CardTiming.CommandKind(command: try! Hex.decode(header)) == kind)
    }

    @Test("Latency: the chip's time plus the bytes at the interface's rate")
    func latency() {
        let timing = CardTiming.default
        let read = try! Hex.decode("00B0000000")
        // Contact: (5 + 258 + 8) characters × 11 etu at 10 752 bit/s = 277.25 ms, plus 5 ms of work.
        #expect(timing.latency(command: read, responseLength: 258, interface: .contact) == .microseconds(282_250))
        // Contactless: (5 + 258 + 10) × 10 bits at 106 kbit/s = 25.8 ms, plus 5 ms.
        #expect(timing.latency(command: read, responseLength: 258, interface: .contactless) == .microseconds(30_754))
        // A signature: 0.9 s of RSA-2048 dominates.
        let sign = try! Hex.decode("802A008033") + [UInt8](repeating: 0, count: 52)
        let signing = timing.latency(command: sign, responseLength: 258, interface: .contactless)
        #expect(signing > .milliseconds(900) && signing < .milliseconds(1500))
    }

    @Test("A profile sets the timing per command and the rates; what it leaves out keeps its default")
    func profileTiming() throws {
        try withProfile(
            appending: """
                timing:
                  commands:
                    compute_digital_signature: 1200
                    select: 0
                  contactless_bit_rate: 212000
                """
        ) { path, _ in
            let timing = try CardProfile.load(path: path).timing
            #expect(timing.processing[.computeDigitalSignature] == .milliseconds(1200))
            #expect(timing.processing[.select] == .zero)
            #expect(timing.processing[.verify] == CardTiming.default.processing[.verify])
            #expect(timing.contactlessBitRate == 212_000 && timing.contactBitRate == 10_752)
        }
    }

    @Test(
        "A bad timing or contactless setting is refused with file:line:column",
        arguments: [
            ("timing:\n  commands:\n    sign: 900\n", 3, 5, "unknown key 'sign'"),
            ("timing:\n  commands:\n    verify: -1\n", 3, 13, "-1 is out of range 0...60000"),
            ("timing:\n  contact_bit_rate: fast\n", 2, 21, "expected a whole number, found 'fast'"),
            ("contactless:\n  pupi: 01 02 03\n", 2, 9, "a PUPI is 4 bytes (ISO/IEC 14443-3 Type B); found 3"),
            ("contactless:\n  pupi: 01 02 03 0G\n", 2, 9, "a PUPI is 4 bytes of hex or 'random'"),
            ("contactless:\n  atr: 3B 88 80\n  pupi: random\n", 2, 8, ""),
            ("contactless:\n  atr: 12 34\n", 2, 8, "an ATR is 2 to 33 bytes starting with 3B or 3F"),
            ("atr: 3B " + String(repeating: "00 ", count: 33) + "\n", 1, 6, "found 34 byte(s)"),
        ])
    func malformed(extra: String, line: Int, column: Int, words: String) throws {
        try withProfile(appending: extra) { path, first in
            do {
                let loaded = try CardProfile.load(path: path)
                // The one valid case: a short but well-formed ATR and a random PUPI.
                #expect(words.isEmpty, "no error for \(extra)")
                #expect(loaded.contactless.atr == [0x3B, 0x88, 0x80] && loaded.contactless.pupi == .random)
            } catch {
                #expect(!words.isEmpty, "\(error)")
                let expected = "\(path):\(first + line - 1):\(column): error: "
                #expect("\(error)".hasPrefix(expected), "\(error)")
                #expect("\(error)".contains(words), "\(error)")
            }
        }
    }

    @Test("Every profile gets a PUPI of its own, derived from its name")
    func derivedPUPI() throws {
        let first = try loadProfile("default").contactless
        let second = try loadProfile("second-card").contactless
        #expect(first.pupi != second.pupi)
        #expect(first.atr == ContactlessSetting.typeBATR)
        #expect(ContactlessSetting.derived(fromProfileName: "default") == first)
    }

    @Test("GET DATA 5F51 answers the contact ATR without TS, at MF level and with an application selected")
    func contactATR() throws {
        var card = try makeCard()
        #expect(try card.send("00CA5F5100") == "E000FF8131FE45149000")
        #expect(try card.send(selectJPKI) == "9000")
        #expect(try card.send("00CA5F5108") == "E000FF8131FE45149000")
        #expect(try card.send("00CA5F5107") == "6700", "an Le shorter than the object is refused")
        #expect(try card.send("00CA5F51") == "6700", "GET DATA without Le")
        #expect(try card.send("00CA5F52 00".replacingOccurrences(of: " ", with: "")) == "6A88")
    }
}
