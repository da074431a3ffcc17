import APDU
import CardCrypto
import Testing

@testable import CardEmulator

@Suite("Free area: the install-phase monitor")
struct InstallPhaseMonitorTests {
    /// A synthetic stream: each command takes `card` ms of modelled delay, the driver waits `gap` ms before it.
    struct Stream {
        var exchanges: [TimedExchange] = []
        var clock: Duration = .zero

        mutating func add(_ command: String, _ response: String, gap: Int, card: Int, wire: Int = 0) throws {
            let start = clock + .milliseconds(gap)
            let end = start + .milliseconds(card + wire)
            exchanges.append(
                TimedExchange(
                    command: try Hex.decode(command), response: try Hex.decode(response), start: start, end: end,
                    modelledDelay: .milliseconds(card)))
            clock = end
        }
    }

    static let mac = "8E080102030405060708"

    /// One install in the extended region with region creation and a two-block download (bytes as on the wire;
    /// the monitor reads only headers and status words).
    func installStream() throws -> Stream {
        // Start..end in ms: 100..103, 153..158, 358..658, 1658..61658, 62058..67058, 67658..97658, 97908..98908,
        // 99058..100058.
        var stream = Stream()
        try stream.add("00A4040C0AF04D594E4146414D4752", "9000", gap: 100, card: 3)
        try stream.add("0084000008", "01020304050607089000", gap: 50, card: 5)
        try stream.add(
            "0082008228" + String(repeating: "00", count: 40) + "28", String(repeating: "11", count: 40) + "9000",
            gap: 200, card: 300)
        try stream.add("8CE000000A" + Self.mac + "00", "990290008E0801020304050607089000", gap: 1_000, card: 60_000)
        try stream.add("8CE800000A" + Self.mac + "00", "990290008E0801020304050607089000", gap: 400, card: 5_000)
        try stream.add("8CE880010A" + Self.mac + "00", "990290008E0801020304050607089000", gap: 600, card: 30_000)
        try stream.add(
            "8CDA00000A" + Self.mac + "00",
            "8711" + String(repeating: "00", count: 17) + "990290008E0801020304050607089000", gap: 250, card: 1_000)
        try stream.add("8C4400000A" + Self.mac + "00", "990290008E0801020304050607089000", gap: 150, card: 1_000)
        return stream
    }

    @Test("Gross and net per phase, exact to the millisecond")
    func phases() throws {
        var monitor = InstallPhaseMonitor()
        monitor.record(try installStream().exchanges)
        let byPhase = Dictionary(uniqueKeysWithValues: monitor.phases.map { ($0.phase, $0) })
        #expect(monitor.phases.map(\.phase) == [.authentication, .regionCreation, .download, .userID, .activation])

        let authentication = try #require(byPhase[.authentication])
        #expect(authentication.start == .milliseconds(100) && authentication.end == .milliseconds(658))
        #expect(authentication.gross == .milliseconds(558))
        #expect(authentication.net == .milliseconds(558 - 3 - 5 - 300))
        #expect(authentication.commands == 3 && authentication.region == .extended && authentication.succeeded)

        let region = try #require(byPhase[.regionCreation])
        #expect(region.gross == .milliseconds(60_000) && region.net == .zero)

        let download = try #require(byPhase[.download])
        #expect(download.start == .milliseconds(62_058) && download.end == .milliseconds(97_658))
        #expect(download.gross == .milliseconds(35_600))
        #expect(download.net == .milliseconds(600))  // the driver's pause between the blocks
        #expect(download.commands == 2)

        #expect(byPhase[.userID]?.gross == .milliseconds(1_000) && byPhase[.userID]?.net == .zero)
        #expect(byPhase[.activation]?.succeeded == true)

        let install = try #require(monitor.installs.first)
        #expect(monitor.installs.count == 1 && install.isComplete)
        #expect(install.total.start == .milliseconds(100) && install.total.end == .milliseconds(100_058))
        #expect(install.total.gross == .milliseconds(99_958))
        let card = 3 + 5 + 300 + 60_000 + 5_000 + 30_000 + 1_000 + 1_000
        #expect(install.total.net == .milliseconds(99_958 - card))
        #expect(install.total.commands == 8)
        #expect(install.phases.map(\.phase) == [.authentication, .regionCreation, .download, .userID, .activation])
        #expect(monitor.measurements(of: .install).count == 1)
    }

    @Test("A failed download and a refused activation are recorded as failed; the install ends at a successful one")
    func failures() throws {
        var stream = Stream()
        try stream.add("00A4040C0AF04D594E4146414D4752", "9000", gap: 0, card: 1)
        try stream.add("0084000008", "01020304050607089000", gap: 0, card: 1)
        try stream.add(
            "0082008128" + String(repeating: "00", count: 40), String(repeating: "11", count: 40) + "9000", gap: 0,
            card: 1)
        try stream.add("8CE880000A" + Self.mac + "00", "990269828E0801020304050607086982", gap: 10, card: 2)  // refused
        try stream.add("8CE880000A" + Self.mac + "00", "990290008E0801020304050607089000", gap: 10, card: 2)
        try stream.add("8C4400000A" + Self.mac + "00", "990269858E0801020304050607086985", gap: 10, card: 2)
        try stream.add("8CDA00000A" + Self.mac + "00", "990290008E0801020304050607089000", gap: 10, card: 2)
        try stream.add("8C4400000A" + Self.mac + "00", "990290008E0801020304050607089000", gap: 10, card: 2)
        var monitor = InstallPhaseMonitor()
        monitor.record(stream.exchanges)
        let downloads = monitor.measurements(of: .download)
        #expect(downloads.map(\.statusWord) == [StatusWord(0x69, 0x82), .success])
        #expect(monitor.measurements(of: .activation).map(\.succeeded) == [false, true])
        #expect(monitor.installs.count == 1)
        #expect(monitor.installs[0].region == .local)
        #expect(monitor.installs[0].total.commands == 8)
    }

    @Test("A second install in the same session starts at its own first command")
    func secondInstall() throws {
        var stream = try installStream()
        try stream.add("8CE880000A" + Self.mac + "00", "990290008E0801020304050607089000", gap: 500, card: 30_000)
        try stream.add("8CDA00000A" + Self.mac + "00", "990290008E0801020304050607089000", gap: 100, card: 1_000)
        try stream.add("8C4400000A" + Self.mac + "00", "990290008E0801020304050607089000", gap: 100, card: 1_000)
        var monitor = InstallPhaseMonitor()
        monitor.record(stream.exchanges)
        #expect(monitor.installs.count == 2)
        let second = monitor.installs[1].total
        #expect(second.start == .milliseconds(100_558))
        #expect(second.gross == .milliseconds(32_200) && second.net == .milliseconds(200))
        #expect(monitor.installs[1].phases.map(\.phase) == [.download, .userID, .activation])
    }

    @Test("Commands to other applications and management commands outside the manager are not phases")
    func ignoresOthers() throws {
        var stream = Stream()
        try stream.add("00A4040C0AD392F000260100000001", "9000", gap: 0, card: 1)
        try stream.add("8CE000000A" + Self.mac + "00", "6882", gap: 0, card: 1)
        var monitor = InstallPhaseMonitor()
        monitor.record(stream.exchanges)
        #expect(monitor.phases.isEmpty && monitor.installs.isEmpty)
    }

    @Test("Driving the emulated card with the reference timing model: download net of the card's delay")
    func onTheEmulator() throws {
        var profile = try loadProfile()
        for (kind, duration) in FreeAreaTimingModel.reference.processing { profile.timing.processing[kind] = duration }
        var driver = FreeAreaDriver(card: EmulatedCard(profile: profile, random: SeededRandomSource(seed: [2])))
        _ = try driver.install(driver.package("evacuee-record"), in: .local)
        // Replay what was sent with a driver that takes 20 ms between commands and the card's modelled delay.
        var card = EmulatedCard(profile: profile, random: SeededRandomSource(seed: [2]))
        var monitor = InstallPhaseMonitor(setting: profile.freeArea!)
        var clock = Duration.zero
        var totalDelay = Duration.zero
        for command in driver.sent {
            let response = card.process(command)
            let delay = profile.timing.latency(command: command, responseLength: response.count, interface: .contact)
            let start = clock + .milliseconds(20)
            clock = start + delay
            totalDelay += delay
            monitor.record(
                TimedExchange(command: command, response: response, start: start, end: clock, modelledDelay: delay))
        }
        let install = try #require(monitor.installs.first)
        #expect(install.total.net == .milliseconds(20 * (driver.sent.count - 1)))
        #expect(install.phase(.regionCreation)!.gross > .seconds(60))
        let download = try #require(install.phase(.download))
        #expect(download.gross >= .seconds(30))
        #expect(download.net == .milliseconds(20) * (download.commands - 1))
        #expect(install.total.modelledDelay == totalDelay)
    }
}
