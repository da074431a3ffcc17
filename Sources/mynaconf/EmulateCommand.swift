import ArgumentParser
import CardEmulator
import Dispatch
import Foundation
import Transport

extension CardInterface: ExpressibleByArgument {}
extension EmulationSpeed: ExpressibleByArgument {}

/// `mynaconf emulate`: the emulated card in vsmartcard's virtual reader, for every PC/SC program on the machine.
struct EmulateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "emulate",
        abstract: "Serve emulated cards to pcscd through vsmartcard's virtual reader (vpcd).",
        discussion: """
            pcscd must run with the vpcd reader (scripts/virtual-reader start; docs/virtual-reader.md). The card \
            connects to vpcd on --port (slot 0; slot 1 is the next port) and appears as "Virtual PCD 00 00". \
            Prints one line beginning "ready" per card once pcscd sees it, then one line per event.

            Standard input takes one command a line: remove, insert, restore (back to the profile's initial \
            state), status, stop; each optionally followed by a slot number. SIGUSR1 removes the cards, SIGUSR2 \
            inserts them, SIGINT and SIGTERM stop.

            A PC/SC program can restore the card with the reader-class command FF EE 00 00 08 "mynaconf" \
            (6D79 6E61 636F 6E66), which answers 90 00; a real card never receives it.
            """
    )

    @Option(
        name: .long,
        help: "Card profile: a name from Vectors/cards or a path. Twice for two cards (slots 0 and 1).")
    var card: [String] = []

    @Option(name: .long, help: "vpcd's port for slot 0; slot 1 is this plus one.")
    var port: Int = 35963

    @Option(name: .long, help: "The slot of the first card: 0 or 1.")
    var slot: Int = 0

    @Option(name: .long, help: "Where vpcd listens.")
    var host = "127.0.0.1"

    @Flag(name: .long, help: "Allow a --host that is not this machine (the card would be reachable from there).")
    var allowRemote = false

    @Option(name: .long, help: "contact (the card's ATR) or contactless (a PC/SC contactless reader's view).")
    var interface: CardInterface = .contact

    @Option(name: .long, help: "instant, or real: each command takes the real card's time (profile `timing`).")
    var speed: EmulationSpeed = .instant

    @Option(name: .long, help: "Seconds vpcd may stay unreachable before emulate gives up (exit 3); 0: never.")
    var giveUpAfter: Double = 30

    @Flag(name: .long, help: "Stop when standard input closes, e.g. when the parent process that started it dies.")
    var stopOnEOF = false

    @Option(
        name: .customLong("install-report"),
        help: """
            On exit, write the free-area install phases an outside installer drove (p50/p95/max per phase, net of \
            the emulator's modelled delay, cards per hour, budgets) as JSON here. The command profile is mynaconf's \
            MCAP-1, an ASSUMPTION (docs/card-ap-profile.md). With a report, emulate exits 1 when a budget is missed \
            or no install completed.
            """)
    var installReport: String?

    @Option(name: .customLong("install-junit"), help: "The same install report as JUnit XML (one case per phase).")
    var installJUnit: String?

    @Option(
        name: .customLong("install-budget"),
        help: "PHASE=DURATION for the install report, e.g. download=2s; default: seed 000's averages × tolerance.")
    var installBudgets: [String] = []

    @Option(name: .customLong("install-tolerance"), help: "Multiplier of seed 000's averages, 1 to 1000.")
    var installTolerance: Double = InstallBudgets.defaultTolerance

    func run() async throws {
        let budgets = try InstallTimingOptions.budgets(
            installBudgets, tolerance: installTolerance, option: "--install-tolerance")
        let recording = installReport != nil || installJUnit != nil
        let slots = try makeSlots()
        let printer = EventPrinter()
        let controller = EmulatorController(printer: printer)
        let recorder = InstallRecorder()
        for (index, entry) in slots.enumerated() {
            var configuration = VPCDCardServer.Configuration(
                address: entry.address, speed: speed, giveUpAfter: giveUpAfter > 0 ? .seconds(giveUpAfter) : nil)
            if recording {
                let setting = entry.slot.card.profile.freeArea ?? FreeAreaSetting()
                recorder.add(slot: index, monitor: InstallPhaseMonitor(setting: setting))
                configuration.onExchange = { exchange in recorder.record(exchange, slot: index) }
            }
            let server = VPCDCardServer(
                slot: entry.slot, configuration: configuration,
                onEvent: { event in controller.handle(event, from: index) })
            controller.add(server, label: entry.label, profile: entry.profileName, slotNumber: slot + index)
        }
        let signals = controller.installSignalHandlers()
        controller.readStandardInput(stopOnEOF: stopOnEOF)
        controller.startAll()
        await controller.waitUntilStopped()
        withExtendedLifetime(signals) {}
        if let failure = controller.failure { throw Failure.environment(failure) }
        printer.line("stopped")
        if recording {
            let source = "mynaconf emulate, " + slots.map(\.label).joined(separator: ", ")
            let report = recorder.report(budgets: budgets, source: source)
            try InstallTimingOptions.write(report, json: installReport, junit: installJUnit)
            printer.problem(report.consoleText)
            if !report.passed { throw ExitCode(1) }
        }
    }

    private struct SlotSetup {
        var slot: VirtualCardSlot
        var address: VPCDAddress
        var label: String
        var profileName: String
    }

    private func makeSlots() throws -> [SlotSetup] {
        let names = card.isEmpty ? ["default"] : card
        guard names.count <= 2 else {
            throw Failure.input("--card: vpcd has two slots, so at most two cards; got \(names.count)")
        }
        guard slot == 0 || slot == 1 else { throw Failure.input("--slot \(slot): vpcd's slots are 0 and 1") }
        guard slot + names.count <= 2 else {
            throw Failure.input("--slot 1 leaves room for one card; got \(names.count) --card options")
        }
        guard (1...65534).contains(port + slot + names.count - 1) && port > 0 else {
            throw Failure.input("--port \(port): not a TCP port (slot 1 uses --port + 1, so at most 65534)")
        }
        guard giveUpAfter >= 0 && giveUpAfter.isFinite else {
            throw Failure.input("--give-up-after \(giveUpAfter): seconds must be 0 (never) or more")
        }
        var setups: [SlotSetup] = []
        for (index, name) in names.enumerated() {
            let profile: CardProfile
            do {
                profile = try CardProfileLocator.load(name)
            } catch {
                throw Failure.input("\(error)")
            }
            let port = UInt16(port + slot + index)
            let address: VPCDAddress
            do {
                address = try VPCDAddress.resolve(host: host, port: port, allowingRemote: allowRemote)
            } catch {
                throw Failure.input("--host: \(error.message)")
            }
            setups.append(
                SlotSetup(
                    slot: VirtualCardSlot(card: EmulatedCard(profile: profile), interface: interface),
                    address: address,
                    label: "port=\(port) slot=\(slot + index)",
                    profileName: profile.name))
        }
        return setups
    }
}

/// One line at a time on standard output, whichever thread writes it (the servers', the signal handler's).
final class EventPrinter: @unchecked Sendable {
    private let lock = NSLock()

    func line(_ text: String) { write(text, to: FileHandle.standardOutput) }
    func problem(_ text: String) { write(text, to: FileHandle.standardError) }

    private func write(_ text: String, to handle: FileHandle) {
        lock.lock()
        defer { lock.unlock() }
        handle.write(Data((text + "\n").utf8))
    }
}

/// The emulated cards of one `emulate` run and what controls them: standard input, signals, their own events.
final class EmulatorController: @unchecked Sendable {
    private struct Card {
        var server: VPCDCardServer
        var label: String
        var profile: String
        var slotNumber: Int
    }

    private let printer: EventPrinter
    private let lock = NSLock()
    private var cards: [Card] = []
    private var failureMessage: String?

    init(printer: EventPrinter) {
        self.printer = printer
    }

    var failure: String? {
        lock.lock()
        defer { lock.unlock() }
        return failureMessage
    }

    func add(_ server: VPCDCardServer, label: String, profile: String, slotNumber: Int) {
        lock.lock()
        cards.append(Card(server: server, label: label, profile: profile, slotNumber: slotNumber))
        lock.unlock()
    }

    private var all: [Card] {
        lock.lock()
        defer { lock.unlock() }
        return cards
    }

    func startAll() {
        for card in all { card.server.start() }
    }

    func stopAll() {
        for card in all { card.server.stop() }
    }

    func removeAll() {
        for card in all { card.server.remove() }
    }

    func insertAll() {
        for card in all { card.server.insert() }
    }

    func waitUntilStopped() async {
        for card in all { await card.server.waitUntilStopped() }
    }

    func handle(_ event: VPCDCardServer.Event, from index: Int) {
        let card = all[index]
        let server = card.server
        switch event {
        case .ready:
            let settings = server.configuration
            printer.line(
                "ready \(card.label) card=\(card.profile) interface=\(interface(of: card)) speed=\(settings.speed)")
        case .inserted: printer.line("inserted \(card.label)")
        case .reconnected: printer.line("reconnected \(card.label)")
        case .removed: printer.line("removed \(card.label)")
        case .restored: printer.line("restored \(card.label)")
        case .disconnected(let why): printer.line("disconnected \(card.label): \(why)")
        case .waiting(let why): printer.problem("waiting \(card.label): \(why)")
        case .failed(let error):
            lock.lock()
            if failureMessage == nil { failureMessage = "\(card.label): \(error.message)" }
            lock.unlock()
            stopAll()
        case .stopped: break
        }
    }

    private func interface(of card: Card) -> String { card.server.interface.rawValue }

    // MARK: - Standard input

    /// Reads control lines on a thread of its own (a blocking read must not hold a pool thread).
    func readStandardInput(stopOnEOF: Bool) {
        let thread = Thread { [self] in
            var number = 0
            while let line = readLine() {
                number += 1
                perform(line, lineNumber: number)
            }
            if stopOnEOF { stopAll() }
        }
        thread.name = "emulate stdin"
        thread.start()
    }

    private func perform(_ line: String, lineNumber: Int) {
        let words = line.split(whereSeparator: \.isWhitespace).map(String.init)
        guard let verb = words.first, !verb.hasPrefix("#") else { return }
        let commands = ["remove", "insert", "restore", "status", "stop"]
        guard commands.contains(verb) else {
            let expected = commands.joined(separator: ", ")
            printer.problem(
                "stdin:\(lineNumber):1: error: unknown command '\(verb)'; expected one of \(expected), "
                    + "optionally followed by a slot number")
            return
        }
        var targets = all
        if words.count > 1 {
            guard words.count == 2, let number = Int(words[1]),
                let match = targets.first(where: { $0.slotNumber == number })
            else {
                let column = verb.count + 2
                let slots = targets.map { String($0.slotNumber) }.joined(separator: " or ")
                let given = words.dropFirst().joined(separator: " ")
                printer.problem("stdin:\(lineNumber):\(column): error: '\(given)' is not a slot served here (\(slots))")
                return
            }
            targets = [match]
        }
        for card in targets {
            switch verb {
            case "remove":
                if !card.server.remove() { printer.line("already-removed \(card.label)") }
            case "insert":
                if !card.server.insert() { printer.line("already-inserted \(card.label)") }
            case "restore": card.server.restore()
            case "status":
                printer.line(
                    "status \(card.label) card=\(card.profile) \(card.server.isInserted ? "inserted" : "removed")")
            default: card.server.stop()
            }
        }
    }

    // MARK: - Signals

    /// SIGINT/SIGTERM stop, SIGUSR1 removes every card, SIGUSR2 inserts them. The sources must be kept alive.
    func installSignalHandlers() -> [DispatchSourceSignal] {
        let actions: [(Int32, @Sendable () -> Void)] = [
            (SIGINT, { [self] in stopAll() }),
            (SIGTERM, { [self] in stopAll() }),
            (SIGUSR1, { [self] in removeAll() }),
            (SIGUSR2, { [self] in insertAll() }),
        ]
        return actions.map { number, action in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler(handler: action)
            source.resume()
            return source
        }
    }
}

/// The install-phase monitors of an `emulate` run, one per slot, fed from the servers' threads.
final class InstallRecorder: @unchecked Sendable {
    private let lock = NSLock()
    private var monitors: [Int: InstallPhaseMonitor] = [:]
    /// Instants become offsets from here: the monitor has no clock of its own.
    private let origin = ContinuousClock.now

    func add(slot: Int, monitor: InstallPhaseMonitor) {
        lock.lock()
        defer { lock.unlock() }
        monitors[slot] = monitor
    }

    func record(_ exchange: VPCDCardServer.ObservedExchange, slot: Int) {
        lock.lock()
        defer { lock.unlock() }
        monitors[slot]?.record(
            TimedExchange(
                command: exchange.command, response: exchange.response, start: exchange.received - origin,
                end: exchange.answered - origin, modelledDelay: exchange.modelledDelay))
    }

    func report(budgets: InstallBudgets, source: String) -> InstallTimingReport {
        lock.lock()
        defer { lock.unlock() }
        let ordered = monitors.keys.sorted().compactMap { monitors[$0] }
        return InstallTimingReport(
            source: source, installs: ordered.flatMap(\.installs), allPhases: ordered.flatMap(\.phases),
            budgets: budgets)
    }
}
