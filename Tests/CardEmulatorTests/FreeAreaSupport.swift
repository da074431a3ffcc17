import APDU
import CardCrypto
import Testing

@testable import CardEmulator

/// An installer as a kiosk or install terminal would be: it drives the card's free area with CardCrypto's HOST
/// classes (`HostMutualAuthentication`, `SecureMessagingHostSession`), byte for byte as docs/card-ap-profile.md says.
struct FreeAreaDriver {
    var card: EmulatedCard
    var session: SecureMessagingHostSession?
    var random: SeededRandomSource
    /// Every exchange, for tests that look at the bytes.
    var sent: [[UInt8]] = []

    init(card: EmulatedCard, seed: UInt8 = 7) {
        self.card = card
        self.random = SeededRandomSource(seed: [seed, 0x46, 0x41])
    }

    var setting: FreeAreaSetting { card.freeArea!.setting }

    func package(_ name: String) -> CardAPPackage { setting.package(named: name)! }

    mutating func send(_ bytes: [UInt8]) -> ResponseAPDU {
        sent.append(bytes)
        return try! ResponseAPDU(bytes: card.process(bytes))
    }

    mutating func send(_ command: CommandAPDU) -> ResponseAPDU { send(command.bytes) }

    mutating func select(_ aid: [UInt8]) -> StatusWord {
        session = nil
        return send(CommandAPDU(cla: 0x00, ins: 0xA4, p1: 0x04, p2: 0x0C, data: aid)).statusWord
    }

    mutating func selectManager() -> StatusWord { select(setting.managerAID) }

    /// GET CHALLENGE, then MUTUAL AUTHENTICATE with `keys` (P2 `p2`); on `90 00` the host session is open.
    mutating func authenticate(keys: SecureMessagingKeys, p2: UInt8) throws -> StatusWord {
        session = nil
        let challenge = send(CommandAPDU(cla: 0x00, ins: 0x84, p1: 0x00, p2: 0x00, le: 8))
        #expect(challenge.statusWord == .success)
        #expect(challenge.data.count == 8)
        let host = try HostMutualAuthentication(keys: keys, cardChallenge: challenge.data, random: &random)
        let answer = send(CommandAPDU(cla: 0x00, ins: 0x82, p1: 0x00, p2: p2, data: host.commandData, le: 40))
        guard answer.statusWord == .success else { return answer.statusWord }
        #expect(answer.data.count == 40)
        session = try host.complete(responseData: answer.data)
        return .success
    }

    /// Mutual authentication with a region's management key.
    mutating func authenticate(_ region: FreeAreaRegion, keySeed: [UInt8]? = nil) throws -> StatusWord {
        let seed = keySeed ?? setting.regions[region]!.keySeed
        return try authenticate(keys: setting.suite.deriveKeys(from: seed), p2: region.keyReference)
    }

    /// Sends `command` protected and opens the answer; an unprotected answer (the card ended the session) comes back
    /// as it is, and the host session ends too.
    mutating func protected(_ command: CommandAPDU) throws -> ResponseAPDU {
        var current = try #require(session)
        let wrapped = try current.protect(command)
        let raw = card.process(wrapped.bytes)
        sent.append(wrapped.bytes)
        guard raw.count > 2 else {
            session = nil
            return try ResponseAPDU(bytes: raw)
        }
        let opened = try current.unprotect(raw)
        session = current
        return opened
    }

    mutating func manage(_ ins: UInt8, p1: UInt8 = 0, p2: UInt8 = 0, data: [UInt8] = [], le: Int? = nil) throws
        -> ResponseAPDU
    {
        try protected(CommandAPDU(cla: 0x80, ins: ins, p1: p1, p2: p2, data: data, le: le))
    }

    /// LOAD in blocks of `blockSize`; the status word of the last block sent.
    mutating func load(_ bytes: [UInt8], blockSize: Int = FreeAreaCard.maximumBlock) throws -> StatusWord {
        let blocks = stride(from: 0, to: bytes.count, by: blockSize).map {
            Array(bytes[$0..<min(bytes.count, $0 + blockSize)])
        }
        for (number, block) in blocks.enumerated() {
            let last = number == blocks.count - 1
            let answer = try manage(setting.instructions.load, p1: last ? 0x80 : 0x00, p2: UInt8(number), data: block)
            if answer.statusWord != .success || last { return answer.statusWord }
        }
        return .success
    }

    static func aidObject(_ aid: [UInt8]) -> [UInt8] { BERTLV(tag: BERTag(0x4F), value: aid).encoded }

    /// A whole install as an installer does it: select, authenticate, create the region when needed, download,
    /// write the user ID, activate. Returns the user ID.
    mutating func install(_ package: CardAPPackage, in region: FreeAreaRegion) throws -> [UInt8] {
        #expect(selectManager() == .success)
        #expect(try authenticate(region) == .success)
        if card.freeArea!.regions[region] == nil {
            #expect(try manage(setting.instructions.createRegion).statusWord == .success)
        }
        #expect(try load(package.encoded) == .success)
        let written = try manage(setting.instructions.writeUserID, data: Self.aidObject(package.aid))
        #expect(written.statusWord == .success)
        #expect(Array(written.data.prefix(3)) == [0x5F, 0x50, 0x0D])
        #expect(try manage(setting.instructions.activate, data: Self.aidObject(package.aid)).statusWord == .success)
        return Array(written.data.dropFirst(3))
    }

    /// Selects an AP and authenticates with its key (P2 `80`).
    mutating func open(_ package: CardAPPackage) throws -> StatusWord {
        #expect(select(package.aid) == .success)
        return try authenticate(keys: package.accessKeys!, p2: 0x80)
    }
}

func makeFreeAreaCard(_ name: String = "default", seed: UInt8 = 42) throws -> EmulatedCard {
    EmulatedCard(profile: try loadProfile(name), random: SeededRandomSource(seed: [seed]))
}
