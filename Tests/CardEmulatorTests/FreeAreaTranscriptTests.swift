import APDU
import CardCrypto
import Foundation
import Testing

@testable import CardEmulator

/// The bytes of a whole install, fixed: a change to the card's answers, the package encoding or the secure messaging
/// shows up as a diff of `Golden/free-area-install.txt` (`MYNACONF_UPDATE_GOLDEN=1` rewrites it).
@Suite("Free area: a whole install, byte for byte, and any bytes get a status word")
struct FreeAreaTranscriptTests {
    static let golden = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Golden/free-area-install.txt").path

    @Test("Install of library-card (Type A) into the local region of the default card, with seeded randomness")
    func installTranscript() throws {
        let card = EmulatedCard(profile: try loadProfile(), random: SeededRandomSource(seed: Array("card".utf8)))
        var driver = FreeAreaDriver(card: card, seed: 1)
        _ = try driver.install(driver.package("library-card"), in: .local)
        // Replay what the installer sent on a fresh card with the same randomness, recording both directions.
        var replay = EmulatedCard(profile: try loadProfile(), random: SeededRandomSource(seed: Array("card".utf8)))
        var lines = [
            "# MCAP-1 (an ASSUMPTION, docs/card-ap-profile.md): select manager, GET CHALLENGE, MUTUAL AUTHENTICATE",
            "# (local key, aes128), create region, LOAD (one block), write user ID, activate. Seeded randomness.",
        ]
        for command in driver.sent {
            lines.append("> " + Hex.encode(command, separator: " "))
            lines.append("< " + Hex.encode(replay.process(command), separator: " "))
        }
        let text = lines.joined(separator: "\n") + "\n"
        if ProcessInfo.processInfo.environment["MYNACONF_UPDATE_GOLDEN"] == "1" {
            try text.write(toFile: Self.golden, atomically: true, encoding: .utf8)
        }
        let expected = try String(contentsOfFile: Self.golden, encoding: .utf8)
        #expect(text == expected)
        #expect(replay.freeArea?.application(aid: driver.package("library-card").aid)?.isActive == true)
    }

    @Test(
        "Random commands to the manager and to each AP type: always a status word, never a crash",
        arguments: [
            "manager", "library-card", "point-card", "evacuee-record",
        ])
    func randomCommands(target: String) throws {
        var driver = FreeAreaDriver(card: try makeFreeAreaCard("free-area-installed"))
        var random = SeededRandomSource(seed: Array(target.utf8))
        let classes: [UInt8] = [0x00, 0x0C, 0x80, 0x8C, 0x84, 0xFF]
        let instructions: [UInt8] = [
            0x20, 0x44, 0x82, 0x84, 0xA4, 0xB0, 0xB2, 0xCA, 0xDA, 0xDC, 0xE0, 0xE4, 0xE8, 0xEE,
        ]
        for round in 0..<400 {
            if round % 50 == 0 {
                // Start again from an authenticated state now and then, so deeper paths are reached.
                if target == "manager" {
                    _ = driver.selectManager()
                    _ = try driver.authenticate(.extended)
                } else {
                    let package = driver.package(target)
                    _ = driver.select(package.aid)
                    if package.kind != .typeC { _ = try driver.authenticate(keys: package.accessKeys!, p2: 0x80) }
                }
            }
            let header = random.bytes(4)
            var command = [
                classes[Int(header[0]) % classes.count], instructions[Int(header[1]) % instructions.count], header[2],
                header[3],
            ]
            let shape = random.bytes(1)[0] % 4
            if shape >= 1 {
                let length = Int(random.bytes(1)[0])
                command += [UInt8(length)] + random.bytes(shape == 3 ? max(0, length - 1) : length)
            }
            if shape == 2 { command.append(random.bytes(1)[0]) }
            let answer = driver.card.process(command)
            #expect(answer.count >= 2, "\(Hex.encode(command))")
            // The card stays consistent: every installed AP is still there.
            #expect(driver.card.freeArea?.applications.count ?? 0 >= 2, "\(Hex.encode(command))")
        }
    }
}
