import APDU

/// One exchange as the monitor sees it: bytes both ways, when the command started and when its answer was complete
/// (offsets from any fixed origin: the emulator's clock or a transcript's timestamps), and the delay the emulator
/// itself modelled for it (zero for a real card).
public struct TimedExchange: Sendable, Hashable {
    public var command: [UInt8]
    public var response: [UInt8]
    public var start: Duration
    public var end: Duration
    public var modelledDelay: Duration

    public init(command: [UInt8], response: [UInt8], start: Duration, end: Duration, modelledDelay: Duration = .zero) {
        self.command = command
        self.response = response
        self.start = start
        self.end = end
        self.modelledDelay = modelledDelay
    }

    /// The status word ending the response (protected responses end with it too), or nil for fewer than 2 bytes.
    public var statusWord: StatusWord? {
        response.count >= 2 ? StatusWord(response[response.count - 2], response[response.count - 1]) : nil
    }
}

/// The install phases of docs/card-ap-profile.md, named as reports show them.
public enum InstallPhase: String, Sendable, Hashable, CaseIterable {
    case authentication
    case regionCreation = "region_creation"
    case download
    case userID = "user_id"
    case activation
    /// Authentication (or the install's first command) to activation.
    case install
}

/// A phase as measured: gross = end − start; net = gross − the emulator's modelled delays inside (the driver's time).
public struct PhaseMeasurement: Sendable, Hashable {
    public var phase: InstallPhase
    public var start: Duration
    public var end: Duration
    /// The sum of the modelled delays of the commands inside the phase.
    public var modelledDelay: Duration
    /// Commands inside the phase.
    public var commands: Int
    /// The status word of the answer that closed the phase; the phase failed unless it is `90 00`.
    public var statusWord: StatusWord?
    /// The management key's region (authentication, install) when known.
    public var region: FreeAreaRegion?
    /// The AP concerned (user ID, activation, install) when known.
    public var aid: [UInt8]?

    public var gross: Duration { end - start }
    public var net: Duration { gross - modelledDelay }
    public var succeeded: Bool { statusWord == .success }
}

/// One AP install: its phases in order and the whole span (`install`).
public struct InstallRecord: Sendable, Hashable {
    public var aid: [UInt8]?
    public var region: FreeAreaRegion?
    public var phases: [PhaseMeasurement]
    public var total: PhaseMeasurement

    /// Whether the activation answered `90 00`.
    public var isComplete: Bool { total.succeeded }

    public func phase(_ phase: InstallPhase) -> PhaseMeasurement? { phases.first { $0.phase == phase } }
}

/// Recognises the install phases in a command stream, fed one exchange at a time — by the emulator as it answers, or
/// by a transcript reader from recorded timestamps. It has no clock and knows no transport.
public struct InstallPhaseMonitor: Sendable {
    public let managerAID: [UInt8]
    public let instructions: FreeAreaInstructions

    /// Every phase recognised, in the order it ended.
    public private(set) var phases: [PhaseMeasurement] = []
    /// Every install whose activation answered `90 00`.
    public private(set) var installs: [InstallRecord] = []

    private var pendingAuthentication: PhaseMeasurement?
    /// The authentication waiting for its first install.
    private var unclaimedAuthentication: PhaseMeasurement?
    private var download: PhaseMeasurement?
    private var currentInstall: [PhaseMeasurement] = []
    private var sessionRegion: FreeAreaRegion?
    private var managerSelected = false
    /// Everything since the install's start: its first instant, the modelled delays and the commands.
    private var span: (start: Duration, delay: Duration, commands: Int)?

    public init(managerAID: [UInt8] = FreeAreaSetting.defaultManagerAID, instructions: FreeAreaInstructions = .init()) {
        self.managerAID = managerAID
        self.instructions = instructions
    }

    public init(setting: FreeAreaSetting) {
        self.init(managerAID: setting.managerAID, instructions: setting.instructions)
    }

    /// Feeds one exchange.
    public mutating func record(_ exchange: TimedExchange) {
        let command = exchange.command
        guard command.count >= 4 else { return }
        let (cla, ins, p1, p2) = (command[0], command[1], command[2], command[3])

        // Open phases accumulate every exchange inside them.
        pendingAuthentication?.add(exchange)
        download?.add(exchange)

        if cla == 0x00, ins == 0xA4, p1 == 0x04 {
            let aid = Self.commandData(command)
            managerSelected = aid == managerAID
            pendingAuthentication = nil
            unclaimedAuthentication = nil
            download = nil
            currentInstall = []
            span = nil
            guard managerSelected else { return }
            pendingAuthentication = PhaseMeasurement(exchange, phase: .authentication)
            span = (exchange.start, exchange.modelledDelay, 1)
            return
        }
        guard managerSelected else { return }
        let phaseCommand =
            cla & 0x80 != 0
            && [.createRegion, .load, .writeUserID, .activate].contains(
                instructions.command(for: ins))
        if var open = span {
            open.delay += exchange.modelledDelay
            open.commands += 1
            span = open
        } else if phaseCommand {
            span = (exchange.start, exchange.modelledDelay, 1)
        }
        if cla == 0x00, ins == 0x82, var authentication = pendingAuthentication {
            authentication.end = exchange.end
            authentication.statusWord = exchange.statusWord
            authentication.region = FreeAreaRegion(keyReference: p2)
            pendingAuthentication = nil
            phases.append(authentication)
            sessionRegion = authentication.succeeded ? authentication.region : nil
            unclaimedAuthentication = authentication.succeeded ? authentication : nil
            return
        }
        guard cla & 0x80 != 0, let kind = instructions.command(for: ins) else { return }
        switch kind {
        case .createRegion:
            finish(PhaseMeasurement(exchange, phase: .regionCreation, region: sessionRegion))
        case .load:
            if p2 == 0x00 || download == nil {
                download = PhaseMeasurement(exchange, phase: .download, region: sessionRegion)
            }
            let last = p1 & 0x80 != 0
            let status = exchange.statusWord
            if last || status != .success {
                guard var measurement = download else { return }
                measurement.end = exchange.end
                measurement.statusWord = status
                download = nil
                finish(measurement)
            }
        case .writeUserID:
            finish(
                PhaseMeasurement(
                    exchange, phase: .userID, region: sessionRegion, aid: Self.aid(in: exchange, protected: cla)))
        case .activate:
            let activation = PhaseMeasurement(
                exchange, phase: .activation, region: sessionRegion, aid: Self.aid(in: exchange, protected: cla))
            finish(activation)
            // A refused activation is recorded as a failed phase; the install goes on until one succeeds.
            if activation.succeeded { closeInstall(with: activation) }
        case .delete, .moveOut, .freeSpace:
            return
        }
    }

    /// Feeds a whole stream (a transcript).
    public mutating func record(_ exchanges: some Sequence<TimedExchange>) {
        for exchange in exchanges { record(exchange) }
    }

    /// Every measurement of one phase, in order.
    public func measurements(of phase: InstallPhase) -> [PhaseMeasurement] {
        phase == .install ? installs.map(\.total) : phases.filter { $0.phase == phase }
    }

    private mutating func finish(_ measurement: PhaseMeasurement) {
        phases.append(measurement)
        currentInstall.append(measurement)
    }

    private mutating func closeInstall(with activation: PhaseMeasurement) {
        var inside = currentInstall
        if let authentication = unclaimedAuthentication {
            inside.insert(authentication, at: 0)
            unclaimedAuthentication = nil
        }
        currentInstall = []
        guard let opened = span else { return }
        span = nil
        // The gaps between phases are the driver's time too: only the card's modelled delays are taken out.
        var total = activation
        total.phase = .install
        total.start = opened.start
        total.modelledDelay = opened.delay
        total.commands = opened.commands
        total.aid = activation.aid ?? inside.compactMap(\.aid).last
        total.region = activation.region
        installs.append(InstallRecord(aid: total.aid, region: total.region, phases: inside, total: total))
    }

    /// The data of a plain command APDU (short: `CLA INS P1 P2 Lc data [Le]`), or empty.
    public static func commandData(_ command: [UInt8]) -> [UInt8] {
        guard command.count > 5 else { return [] }
        let length = Int(command[4])
        guard length > 0, command.count >= 5 + length else { return [] }
        return Array(command[5..<(5 + length)])
    }

    /// The AP a write-user-ID or activate names: in a protected command the AID is encrypted, so it comes from the
    /// answer to write user ID (not at all for activate); a plain command (a vendor's card without SM) shows it.
    static func aid(in exchange: TimedExchange, protected cla: UInt8) -> [UInt8]? {
        guard cla & 0x0C != 0x0C else { return nil }
        return FreeAreaCard.aid(in: commandData(exchange.command))
    }
}

extension PhaseMeasurement {
    init(_ exchange: TimedExchange, phase: InstallPhase, region: FreeAreaRegion? = nil, aid: [UInt8]? = nil) {
        self.init(
            phase: phase, start: exchange.start, end: exchange.end, modelledDelay: exchange.modelledDelay, commands: 1,
            statusWord: exchange.statusWord, region: region, aid: aid)
    }

    /// Counts an exchange inside a phase opened by an earlier one.
    mutating func add(_ exchange: TimedExchange) {
        modelledDelay += exchange.modelledDelay
        commands += 1
        end = exchange.end
    }
}
