import APDU
import CardCrypto
import Foundation
import TestSupport
import Testing

@testable import CardEmulator

/// Seeded mutations of the commands the conformance suite really sends, against every committed profile, and random
/// commands inside open secure-messaging sessions of the free area: every answer ends in a status word, never `61xx`
/// or `6Cxx`, and the card never traps (a trap ends the test process, which fails the run).
@Suite("The emulated card under seeded mutations of real command sequences")
struct EmulatorFuzzTests {
    /// Every committed profile, conforming and faulty, by the name the loader takes.
    static let profiles: [String] = {
        let root = "\(repositoryRoot)/Vectors/cards"
        func names(_ folder: String, prefix: String) -> [String] {
            let entries = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
            return entries.filter { $0.hasSuffix(".yaml") }.map { prefix + $0.dropLast(5) }
        }
        return (names(root, prefix: "") + names("\(root)/faulty", prefix: "faulty/")).sorted()
    }()

    /// The raw `apdu:` steps of the scenarios (those without templates) and the commands of the recorded install
    /// transcript: the byte sequences the suite and an installer send, as seeds to mutate.
    static let seeds: [[UInt8]] = {
        var commands: [[UInt8]] = []
        let scenarios = FileManager.default.enumerator(atPath: "\(repositoryRoot)/Scenarios")
        while let relative = scenarios?.nextObject() as? String {
            guard relative.hasSuffix(".yaml"),
                let text = try? String(contentsOfFile: "\(repositoryRoot)/Scenarios/\(relative)", encoding: .utf8)
            else { continue }
            for line in text.split(separator: "\n") {
                guard let range = line.range(of: "apdu:") else { continue }
                var hex = line[range.upperBound...].trimmingCharacters(in: .whitespaces)
                hex = hex.trimmingCharacters(in: CharacterSet(charactersIn: "\"'"))
                if let bytes = try? Hex.decode(hex), bytes.count >= 4 { commands.append(bytes) }
            }
        }
        let transcript = "\(repositoryRoot)/Vectors/transcripts/synthetic-install.txt"
        for line in ((try? String(contentsOfFile: transcript, encoding: .utf8)) ?? "").split(separator: "\n") {
            let fields = line.split(separator: ">", maxSplits: 1)
            if fields.count == 2, let bytes = try? Hex.decode(String(fields[1])) { commands.append(bytes) }
        }
        return commands
    }()

    /// SELECT by AID of every application on `card` (the free area's manager and APs too), so that mutated commands
    /// land inside each of them.
    static func selects(on card: EmulatedCard) -> [[UInt8]] {
        var aids = card.applications.map(\.aid)
        if let setting = card.freeArea?.setting {
            aids += [setting.managerAID] + setting.packages.map(\.package.aid)
        }
        return aids.map { CommandAPDU(cla: 0x00, ins: 0xA4, p1: 0x04, p2: 0x0C, data: $0).bytes }
    }

    /// One to three changes of the kinds a broken host makes: a flipped bit, a cut, bytes appended, a header byte
    /// replaced, Lc or Le set to a boundary value.
    static func mutate(_ command: [UInt8], _ random: inout SeededRandomSource) -> [UInt8] {
        var out = command
        for _ in 0...Int(random.bytes(1)[0] % 3) {
            let choice = random.bytes(4)
            let position = out.isEmpty ? 0 : Int(choice[1]) % out.count
            switch choice[0] % 7 {
            case 0 where !out.isEmpty: out[position] ^= 1 << (choice[2] % 8)
            case 1: out.removeLast(min(out.count, Int(choice[2]) % 6 + 1))
            case 2: out += random.bytes(Int(choice[2]) % 16 + 1)
            case 3 where out.count >= 4: out[Int(choice[1]) % 4] = choice[3]
            case 4 where out.count >= 5: out[4] = [0x00, 0x01, 0xFF, 0xFE, UInt8(out.count - 5)][Int(choice[2]) % 5]
            case 5 where out.count >= 5: out[out.count - 1] = [0x00, 0x01, 0xFF, 0x80][Int(choice[2]) % 4]
            default: out.insert(choice[3], at: position)
            }
        }
        return out
    }

    static func checkAnswer(_ response: [UInt8], to command: [UInt8], on profile: String) {
        #expect(response.count >= 2, "\(profile): \(Hex.encode(command)) answered \(Hex.encode(response))")
        guard response.count >= 2 else { return }
        let sw1 = response[response.count - 2]
        #expect(sw1 != 0x61 && sw1 != 0x6C, "\(profile): \(Hex.encode(command)) answered \(Hex.encode(response))")
    }

    @Test("The seeds are real: raw scenario steps and an install transcript, selecting several applications")
    func seedsAreLoaded() {
        #expect(Self.seeds.count > 150)
        #expect(Self.seeds.filter { $0.count > 2 && $0[1] == 0xA4 }.count > 10)
        #expect(Self.profiles.contains("default") && Self.profiles.contains("free-area-installed"))
        #expect(Self.profiles.filter { $0.hasPrefix("faulty/") }.count > 20)
    }

    @Test("Mutated real commands on every committed profile: a status word, never 61xx or 6Cxx", arguments: profiles)
    func mutatedCommands(profile name: String) throws {
        var card = EmulatedCard(profile: try loadProfile(name), random: SeededRandomSource(seed: [0x46, 0x5A]))
        var random = SeededRandomSource(seed: Array(name.utf8))
        let selects = Self.selects(on: card)
        var statusWords: Set<[UInt8]> = []
        for round in 0..<300 {
            if round % 25 == 0 {
                // Land in one application (or the free area's manager), sometimes after a reset.
                if random.bytes(1)[0] % 4 == 0 { card.reset() }
                _ = card.process(selects[Int(random.bytes(1)[0]) % selects.count])
            }
            let seed = Self.seeds[(Int(random.bytes(1)[0]) << 8 | Int(random.bytes(1)[0])) % Self.seeds.count]
            let command = round % 5 == 0 ? seed : Self.mutate(seed, &random)
            let response = card.process(command)
            Self.checkAnswer(response, to: command, on: name)
            statusWords.insert(Array(response.suffix(2)))
        }
        // The mutations reach past the decoder: more than the malformed-command answer comes back.
        #expect(statusWords.count > 5, "\(name): only \(statusWords.map { Hex.encode($0) })")
    }

    /// No committed profile takes extended lengths, so their paths get a card of their own: every seed also goes out
    /// in the extended form (`00 Lc1 Lc2` and a 2-byte Le), then mutated, on the default card with them switched on.
    @Test("Extended-length forms of the seeds on a card that takes them: a status word, never 61xx or 6Cxx")
    func extendedLengthCommands() throws {
        var profile = try loadProfile("default")
        profile.behaviour.extendedLength = true
        var card = EmulatedCard(profile: profile, random: SeededRandomSource(seed: [0x45, 0x4C]))
        var random = SeededRandomSource(seed: 0x454C)
        let selects = Self.selects(on: card)
        var statusWords: Set<[UInt8]> = []
        for round in 0..<400 {
            if round % 25 == 0 { _ = card.process(selects[Int(random.bytes(1)[0]) % selects.count]) }
            let seed = Self.seeds[(Int(random.bytes(1)[0]) << 8 | Int(random.bytes(1)[0])) % Self.seeds.count]
            guard let short = try? CommandAPDU(bytes: seed) else { continue }
            let le = [nil, 1, 255, 256, 257, 4096, 65535, 65536][Int(random.bytes(1)[0]) % 8]
            let extended = try CommandAPDU(
                cla: short.cla, ins: short.ins, p1: short.p1, p2: short.p2, data: short.data, le: le ?? short.le,
                encoding: .extended)
            let command = round % 3 == 0 ? extended.bytes : Self.mutate(extended.bytes, &random)
            let response = card.process(command)
            Self.checkAnswer(response, to: command, on: "default with extended lengths")
            if round % 3 == 0 { statusWords.insert(Array(response.suffix(2))) }
        }
        // The long forms reach the handlers: unmutated, they are answered 90 00 and more than the wrong-length 67 00.
        #expect(statusWords.contains([0x90, 0x00]) && statusWords.count > 3, "\(statusWords.map { Hex.encode($0) })")
    }

    @Test("Random commands inside open secure-messaging sessions of the free area's manager and its APs")
    func insideSecureMessaging() throws {
        var driver = FreeAreaDriver(card: try makeFreeAreaCard("free-area-installed", seed: 9))
        var random = SeededRandomSource(seed: 0x534D)
        let setting = driver.setting
        let instructions = setting.instructions
        let managementINS = [
            instructions.createRegion, instructions.load, instructions.writeUserID, instructions.activate,
            instructions.delete, instructions.moveOut, instructions.freeSpace,
        ]
        let standardINS: [UInt8] = [0xA4, 0xB0, 0xB2, 0xD6, 0xDC, 0xE2, 0x20, 0x24, 0x84, 0x82, 0xCA, 0x88]
        var opened = 0
        var answered: Set<StatusWord> = []
        for round in 0..<60 {
            if round % 15 == 14 {  // a fresh card now and then, so deleted APs and regions come back
                driver = FreeAreaDriver(card: try makeFreeAreaCard("free-area-installed", seed: UInt8(round)))
            }
            // Open a session: the manager with a region's key, or an installed AP with its access keys.
            let packages = setting.installed.compactMap { setting.package(named: $0.package) }
                .filter { $0.accessKeys != nil }
            let status: StatusWord
            if round % 2 == 0 || packages.isEmpty {
                let region = FreeAreaRegion.allCases[round / 2 % FreeAreaRegion.allCases.count]
                guard driver.selectManager() == .success else { continue }
                status = try driver.authenticate(region)
            } else {
                // An AP the fuzzing deleted (DELETE, move-out) is not there any more: 6A82 is the right answer.
                let package = packages[round / 2 % packages.count]
                guard driver.select(package.aid) == .success else { continue }
                status = try driver.authenticate(keys: package.accessKeys!, p2: 0x80)
            }
            guard status == .success else { continue }
            opened += 1
            for _ in 0..<12 {
                guard driver.session != nil else { break }
                let pick = random.bytes(6)
                let proprietary = pick[0] % 2 == 0
                let ins =
                    proprietary
                    ? managementINS[Int(pick[1]) % managementINS.count]
                    : standardINS[Int(pick[1]) % standardINS.count]
                let someAID = setting.packages[Int(pick[4]) % setting.packages.count].package.aid
                let data: [UInt8] =
                    switch pick[4] % 4 {
                    case 0: []
                    case 1: FreeAreaDriver.aidObject(someAID)
                    case 2: Self.mutate(FreeAreaDriver.aidObject(someAID), &random)
                    default: random.bytes(Int(pick[4]) % 40)
                    }
                let le: Int? = pick[5] % 2 == 0 ? nil : [0, 1, 8, 255, 256][Int(pick[5]) % 5]
                let command: CommandAPDU
                if proprietary && ins == instructions.load && pick[2] % 2 == 0 {
                    // One-block LOAD of a damaged package: the package decoder meets broken TLV.
                    let package = setting.packages[Int(pick[3]) % setting.packages.count].package
                    let damaged = Array(Self.mutate(package.encoded, &random).prefix(FreeAreaCard.maximumBlock))
                    command = CommandAPDU(cla: 0x80, ins: ins, p1: 0x80, p2: 0, data: damaged.isEmpty ? [0] : damaged)
                } else {
                    let zero = pick[2] % 4 != 0  // mostly P1-P2 00 00, which the management commands require
                    command = CommandAPDU(
                        cla: proprietary ? 0x80 : 0x00, ins: ins, p1: zero ? 0 : pick[2], p2: zero ? 0 : pick[3],
                        data: data, le: le)
                }
                let answer = try driver.protected(command)
                Self.checkAnswer(answer.bytes, to: command.bytes, on: "free-area-installed (inside SM)")
                answered.insert(answer.statusWord)
            }
            // Then damage a protected command on the wire: the card answers with a status word and ends the session.
            if var session = driver.session {
                let inner = CommandAPDU(cla: 0x80, ins: instructions.freeSpace, p1: 0, p2: 0, le: 0)
                let wire = Self.mutate(try session.protect(inner).bytes, &random)
                Self.checkAnswer(driver.card.process(wire), to: wire, on: "free-area-installed (damaged SM)")
                driver.session = nil
            }
        }
        #expect(opened > 20)
        #expect(answered.count > 4 && answered.contains(.success), "\(answered)")
    }
}
