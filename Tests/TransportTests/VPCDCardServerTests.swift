import APDU
import CardEmulator
import Foundation
import TestSupport
import Testing
import Transport

func loadProfile(_ name: String = "default") throws -> CardProfile {
    try CardProfile.load(path: "\(repositoryRoot)/Vectors/cards/\(name).yaml")
}

func bytes(_ hex: String) -> [UInt8] { try! Hex.decode(hex) }

let selectJPKI = bytes("00A4040C0AD392F000260100000001")
let contactATR = bytes("3BE000FF8131FE4514")

/// A server for `profile` connected to a fresh fake vpcd, with its events logged.
struct Rig {
    let vpcd: FakeVPCD
    let server: VPCDCardServer
    let log = EventLog()

    init(
        profile: CardProfile? = nil, interface: CardInterface = .contact, speed: EmulationSpeed = .instant,
        giveUpAfter: Duration? = .seconds(60), firstRequestTimeout: Duration = .seconds(30), vpcd: FakeVPCD? = nil
    ) throws {
        let vpcd = try vpcd ?? FakeVPCD()
        self.vpcd = vpcd
        let card = EmulatedCard(profile: try profile ?? loadProfile())
        let address = try VPCDAddress.resolve(host: "127.0.0.1", port: vpcd.port, allowingRemote: false)
        let log = self.log
        server = VPCDCardServer(
            slot: VirtualCardSlot(card: card, interface: interface),
            configuration: VPCDCardServer.Configuration(
                address: address, speed: speed, giveUpAfter: giveUpAfter, firstRequestTimeout: firstRequestTimeout),
            onEvent: { log.record($0) })
    }

    /// Starts the server, accepts its connection and answers the first ATR request, as vpcd's first poll does.
    func connect() throws {
        server.start()
        try vpcd.accept()
        #expect(try vpcd.exchange([0x04]) == contactATROrSlot())
    }

    private func contactATROrSlot() -> [UInt8] {
        server.interface == .contact ? server.card.atr : server.card.profile.contactless.atr
    }

    func stop() async {
        server.stop()
        await server.waitUntilStopped()
        vpcd.close()
    }
}

@Suite("vpcd card server, against a fake vpcd")
struct VPCDCardServerTests {
    @Test("A session byte by byte, with vpcd 0.8's split writes: ATR, power off/on/reset, APDUs")
    func session() async throws {
        let rig = try Rig()
        try rig.connect()
        #expect(rig.log.wait(for: .ready))
        try rig.vpcd.send([0x01])  // power on: no reply
        #expect(try rig.vpcd.exchange([0x04]) == contactATR)
        #expect(try rig.vpcd.exchange(selectJPKI) == [0x90, 0x00])
        #expect(try rig.vpcd.exchange(bytes("00A4020C020018")) == [0x90, 0x00])
        #expect(try rig.vpcd.exchange(bytes("002000800439393939")) == [0x63, 0xC2])
        // A reset forgets the selection and keeps the counter.
        try rig.vpcd.send([0x02])
        #expect(try rig.vpcd.exchange([0x04]) == contactATR)
        #expect(try rig.vpcd.exchange(bytes("00A4020C020018")) == [0x6A, 0x82])
        #expect(try rig.vpcd.exchange(selectJPKI) == [0x90, 0x00])
        #expect(try rig.vpcd.exchange(bytes("00A4020C020018")) == [0x90, 0x00])
        #expect(try rig.vpcd.exchange(bytes("00200080")) == [0x63, 0xC2])
        // Power off clears the selection too; an unknown control code gets no reply and breaks nothing.
        try rig.vpcd.send([0x00])
        try rig.vpcd.send([0x03])
        #expect(try rig.vpcd.exchange(bytes("00200080")) == [0x6A, 0x88])
        // A 256-byte READ BINARY answers 258 bytes in one frame, whether vpcd splits its writes or not.
        try rig.vpcd.send(selectJPKI, split: false)
        #expect(try rig.vpcd.receive() == [0x90, 0x00])
        #expect(try rig.vpcd.exchange(bytes("00A4020C02000A")) == [0x90, 0x00])
        let chunk = try rig.vpcd.exchange(bytes("00B0000000"))
        #expect(chunk.count == 258 && chunk.suffix(2) == [0x90, 0x00] && chunk.prefix(2) == [0x30, 0x82])
        await rig.stop()
        #expect(rig.log.all.last == .stopped)
    }

    @Test("remove closes the connection; insert connects again with the card powered up and its counters kept")
    func removeAndInsert() async throws {
        let rig = try Rig()
        try rig.connect()
        #expect(try rig.vpcd.exchange(selectJPKI) == [0x90, 0x00])
        #expect(try rig.vpcd.exchange(bytes("00A4020C020018")) == [0x90, 0x00])
        #expect(try rig.vpcd.exchange(bytes("002000800439393939")) == [0x63, 0xC2])
        #expect(rig.server.remove())
        #expect(!rig.server.remove(), "a second remove reports that the card is already out")
        #expect(try rig.vpcd.cardCloses())
        #expect(rig.log.wait(for: .removed))
        #expect(!rig.server.isInserted)
        rig.vpcd.dropCard()
        #expect(rig.server.insert())
        try rig.vpcd.accept()
        #expect(try rig.vpcd.exchange([0x04]) == contactATR)
        #expect(rig.log.wait(for: .inserted))
        // Pulled out and put back: nothing selected, the wrong try still counted.
        #expect(try rig.vpcd.exchange(bytes("00A4020C020018")) == [0x6A, 0x82])
        #expect(try rig.vpcd.exchange(selectJPKI) == [0x90, 0x00])
        #expect(try rig.vpcd.exchange(bytes("00A4020C020018")) == [0x90, 0x00])
        #expect(try rig.vpcd.exchange(bytes("00200080")) == [0x63, 0xC2])
        await rig.stop()
    }

    @Test("Restore, by the API and by the FF EE command, brings back the profile's initial counters")
    func restore() async throws {
        let rig = try Rig()
        try rig.connect()
        let blockAuthPIN =
            [selectJPKI, bytes("00A4020C020018")] + Array(repeating: bytes("002000800430303030"), count: 3)
        for command in blockAuthPIN { _ = try rig.vpcd.exchange(command) }
        #expect(try rig.vpcd.exchange(bytes("00200080")) == [0x63, 0xC0])
        #expect(try rig.vpcd.exchange(EmulatorControlCommand.restoreInitialState) == [0x90, 0x00])
        #expect(rig.log.wait(for: .restored))
        #expect(try rig.vpcd.exchange(bytes("00200080")) == [0x6A, 0x88], "restored means nothing selected")
        for command in blockAuthPIN { _ = try rig.vpcd.exchange(command) }
        rig.server.restore()
        #expect(try rig.vpcd.exchange(selectJPKI) == [0x90, 0x00])
        #expect(try rig.vpcd.exchange(bytes("00A4020C020018")) == [0x90, 0x00])
        #expect(try rig.vpcd.exchange(bytes("00200080")) == [0x63, 0xC3])
        // Only the exact command restores: another FF command reaches the contact card, which refuses the class.
        #expect(try rig.vpcd.exchange(bytes("FFEE0000086D796E61636F6E67")) == [0x6E, 0x00])
        await rig.stop()
    }

    @Test("When vpcd goes away (pcscd stopped) and comes back, the card reconnects and keeps its state")
    func reconnectsAfterRestart() async throws {
        let rig = try Rig()
        try rig.connect()
        #expect(try rig.vpcd.exchange(selectJPKI) == [0x90, 0x00])
        #expect(try rig.vpcd.exchange(bytes("00A4020C020018")) == [0x90, 0x00])
        #expect(try rig.vpcd.exchange(bytes("002000800439393939")) == [0x63, 0xC2])
        let port = rig.vpcd.port
        rig.vpcd.close()
        let dropped = rig.log.wait { if case .disconnected = $0 { true } else { false } }
        guard case .disconnected(let message)? = dropped else {
            Issue.record("no disconnected event: \(rig.log.all)")
            return
        }
        #expect(message.contains("vpcd closed the connection") && message.contains("reconnecting"))
        let restarted = try FakeVPCD(port: port)
        try restarted.accept()
        #expect(try restarted.exchange([0x04]) == contactATR)
        #expect(rig.log.wait(for: .reconnected))
        #expect(try restarted.exchange(selectJPKI) == [0x90, 0x00])
        #expect(try restarted.exchange(bytes("00A4020C020018")) == [0x90, 0x00])
        #expect(try restarted.exchange(bytes("00200080")) == [0x63, 0xC2])
        rig.server.stop()
        await rig.server.waitUntilStopped()
        restarted.close()
    }

    @Test("With nothing listening it says so once, then gives up after the configured time and stops")
    func givesUp() async throws {
        let vacant = try FakeVPCD()
        let port = vacant.port
        vacant.close()
        let rig = try Rig(giveUpAfter: .milliseconds(400), vpcd: try FakeVPCD(port: port))
        rig.vpcd.close()
        rig.server.start()
        await rig.server.waitUntilStopped()
        let events = rig.log.all
        let waiting = events.compactMap { if case .waiting(let why) = $0 { why } else { nil } }
        #expect(waiting.count == 1)
        #expect(waiting.first?.contains("nothing listens there: is pcscd running with the vpcd reader") == true)
        let failed = events.compactMap { if case .failed(let error) = $0 { error } else { nil } }
        #expect(failed.first?.kind == .readerUnavailable)
        #expect(failed.first?.message.contains("gave up after") == true)
        #expect(events.last == .stopped)
    }

    @Test("A listener that never asks for the ATR (a slot already taken, a port not vpcd's) is named as such")
    func silentListener() async throws {
        let rig = try Rig(giveUpAfter: .milliseconds(300), firstRequestTimeout: .milliseconds(200))
        rig.server.start()
        try rig.vpcd.accept()
        await rig.server.waitUntilStopped()
        let waiting = rig.log.all.compactMap { if case .waiting(let why) = $0 { why } else { nil } }
        #expect(waiting.first?.contains("did not ask for the ATR") == true, "\(rig.log.all)")
        rig.vpcd.close()
    }

    @Test("Stop closes the connection (pcscd sees the card go) and ends the thread")
    func stop() async throws {
        let rig = try Rig()
        try rig.connect()
        rig.server.stop()
        #expect(try rig.vpcd.cardCloses())
        await rig.server.waitUntilStopped()
        #expect(rig.log.all.last == .stopped)
        rig.vpcd.close()
    }

    @Test("--speed real: a signature takes at least the profile's time before its answer")
    func realSpeed() async throws {
        var profile = try loadProfile()
        profile.timing.processing[.computeDigitalSignature] = .milliseconds(300)
        let rig = try Rig(profile: profile, speed: .real)
        try rig.connect()
        for command in [selectJPKI, bytes("00A4020C020018"), bytes("002000800431323334"), bytes("00A4020C020017")] {
            #expect(try rig.vpcd.exchange(command) == [0x90, 0x00])
        }
        let sign = bytes("802A008033") + [UInt8](repeating: 0x11, count: 0x33) + [0x00]
        let clock = ContinuousClock()
        var answer: [UInt8] = []
        let elapsed = try clock.measure { answer = try rig.vpcd.exchange(sign) }
        #expect(answer.count == 258)
        // A lower bound only: the card must not answer sooner than a real one could.
        #expect(elapsed >= .milliseconds(300))
        await rig.stop()
    }

    @Test("Pulling the card out during a slow command: no answer, the connection closes")
    func removedMidCommand() async throws {
        // Ten minutes of modelled signing: a test starved of threads on a loaded machine still pulls the card
        // before the answer is due (stop ends the wait).
        var profile = try loadProfile()
        profile.timing.processing[.computeDigitalSignature] = .seconds(600)
        let rig = try Rig(profile: profile, speed: .real)
        try rig.connect()
        for command in [selectJPKI, bytes("00A4020C020018"), bytes("002000800431323334"), bytes("00A4020C020017")] {
            #expect(try rig.vpcd.exchange(command) == [0x90, 0x00])
        }
        try rig.vpcd.send(bytes("802A008033") + [UInt8](repeating: 0x11, count: 0x33) + [0x00])
        try await Task.sleep(for: .milliseconds(100))
        rig.server.remove()
        #expect(try rig.vpcd.receive() == nil, "the card must not answer once it is out")
        #expect(rig.log.wait(for: .removed))
        await rig.stop()
    }

    @Test("Pulled out and put back at once during a slow command: still a removal and an insertion, never a drop")
    func removedAndPutBackMidCommand() async throws {
        var profile = try loadProfile()
        profile.timing.processing[.computeDigitalSignature] = .seconds(600)
        let rig = try Rig(profile: profile, speed: .real)
        try rig.connect()
        for command in [selectJPKI, bytes("00A4020C020018"), bytes("002000800431323334"), bytes("00A4020C020017")] {
            #expect(try rig.vpcd.exchange(command) == [0x90, 0x00])
        }
        try rig.vpcd.send(bytes("802A008033") + [UInt8](repeating: 0x11, count: 0x33) + [0x00])
        try await Task.sleep(for: .milliseconds(100))
        // Back to back: the server thread may wake only after the card is in again.
        #expect(rig.server.remove())
        #expect(rig.server.insert())
        #expect(try rig.vpcd.receive() == nil, "the card must not answer once it is out")
        rig.vpcd.dropCard()
        try rig.vpcd.accept()
        #expect(try rig.vpcd.exchange([0x04]) == contactATR)
        #expect(rig.log.wait(for: .inserted))
        let arrivals = rig.log.all.filter { [.removed, .inserted, .reconnected].contains($0) }
        #expect(arrivals == [.removed, .inserted], "\(rig.log.all)")
        #expect(!rig.log.all.contains { if case .disconnected = $0 { true } else { false } }, "\(rig.log.all)")
        await rig.stop()
    }

    @Test("Only loopback hosts unless allowed: vpcd has no authentication")
    func loopbackOnly() throws {
        #expect(try VPCDAddress.resolve(host: "127.0.0.1", port: 35963, allowingRemote: false).isLoopback)
        #expect(try VPCDAddress.resolve(host: "localhost", port: 35963, allowingRemote: false).isLoopback)
        #expect(try VPCDAddress.resolve(host: "::1", port: 35963, allowingRemote: false).isLoopback)
        #expect(try VPCDAddress.resolve(host: "::ffff:127.0.0.2", port: 35963, allowingRemote: false).isLoopback)
        do {
            _ = try VPCDAddress.resolve(host: "192.0.2.7", port: 35963, allowingRemote: false)
            Issue.record("a remote host was accepted")
        } catch {
            #expect(error.message.contains("192.0.2.7") && error.message.contains("--allow-remote"))
        }
        #expect(try !VPCDAddress.resolve(host: "192.0.2.7", port: 35963, allowingRemote: true).isLoopback)
        #expect(throws: TransportError.self) {
            try VPCDAddress.resolve(host: "no-such-host.invalid", port: 1, allowingRemote: true)
        }
    }
}
