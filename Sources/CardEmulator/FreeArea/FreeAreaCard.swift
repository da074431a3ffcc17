import APDU
import CardCrypto

/// An AP in a region: its package, the user ID the card wrote, whether it is active, and its data.
public struct InstalledCardAP: Sendable, Hashable {
    public let package: CardAPPackage
    public internal(set) var userID: [UInt8]?
    public internal(set) var isActive = false
    /// The password's counter; persistent, like every credential's.
    public internal(set) var passwordCounter: RetryCounter?
    /// Type A: every record, 1 the header and 2 the user ID once written.
    public internal(set) var records: [[UInt8]]
    /// Type C and D: the binary content once the user ID is written.
    public internal(set) var content: [UInt8] = []

    init(package: CardAPPackage) {
        self.package = package
        self.passwordCounter = package.password.map { _ in RetryCounter(limit: package.retryLimit) }
        let information = package.kind == .typeA ? package.records : []
        self.records = [TypeARecords.header(informationRecords: information.count), []] + information
    }

    public var aid: [UInt8] { package.aid }

    mutating func write(userID: [UInt8]) {
        self.userID = userID
        let object = UserID.dataObject(userID)
        switch package.kind {
        case .typeA: records[1] = object
        case .typeC:
            content =
                object + package.initialData
                + [UInt8](repeating: 0, count: TypeCLayout.informationLength - package.initialData.count)
        case .typeD: content = object + package.initialData
        }
    }

    /// Bytes of the region this AP takes.
    public var size: Int { package.size }
}

/// A created region: its capacity and its APs, in install order.
public struct FreeAreaRegionState: Sendable, Hashable {
    public let capacity: Int
    public internal(set) var applications: [InstalledCardAP] = []

    public var used: Int { applications.reduce(0) { $0 + $1.size } }
    public var free: Int { capacity - used }

    func index(of aid: [UInt8]) -> Int? { applications.firstIndex { $0.aid == aid } }
}

/// The free area of one card: persistent state (regions, APs, user IDs, password counters) and volatile state
/// (what is selected, sessions, challenges, a download in progress), which `reset()` clears — a reset or power loss
/// mid-download discards the partial package and nothing else.
public struct FreeAreaCard: Sendable {
    public let setting: FreeAreaSetting
    let holder: CardHolder
    let faults: Set<CardFault>
    /// AIDs of the card's standard applications: an AP package may not reuse one.
    let reservedAIDs: [[UInt8]]
    public internal(set) var regions: [FreeAreaRegion: FreeAreaRegionState] = [:]

    enum Selection: Sendable, Equatable {
        case manager
        case application([UInt8])
    }

    var selection: Selection?
    var manager = ManagerState()
    var application = ApplicationState()

    struct Download: Sendable {
        let region: FreeAreaRegion
        var bytes: [UInt8] = []
        var nextBlock = 0
    }

    struct ManagerState: Sendable {
        var challenge: [UInt8]?
        var session: SecureMessagingCardSession?
        var region: FreeAreaRegion?
        var download: Download?
    }

    struct ApplicationState: Sendable {
        var challenge: [UInt8]?
        var authenticated = false
        var passwordVerified = false
        var session: SecureMessagingCardSession?
    }

    /// The largest LOAD block and the largest package one download may carry (docs/card-ap-profile.md).
    public static let maximumBlock = 223
    public static let maximumDownload = 2048

    public init(setting: FreeAreaSetting, holder: CardHolder, faults: Set<CardFault>, reservedAIDs: [[UInt8]]) {
        self.setting = setting
        self.holder = holder
        self.faults = faults
        self.reservedAIDs = reservedAIDs
        for region in setting.created {
            regions[region] = FreeAreaRegionState(capacity: setting.regions[region]?.capacity ?? 0)
        }
        // The loader checked every entry (package known, room, user ID format); one that still fails is left off.
        for entry in setting.installed {
            guard let package = setting.package(named: entry.package), regions[entry.region] != nil,
                regions[entry.region]!.free >= package.size, application(aid: package.aid) == nil
            else { continue }
            var ap = InstalledCardAP(package: package)
            ap.write(userID: entry.userID)
            ap.isActive = true
            regions[entry.region]!.applications.append(ap)
        }
    }

    /// Every installed AP, local region first.
    public var applications: [(region: FreeAreaRegion, application: InstalledCardAP)] {
        regions.keys.sorted().flatMap { region in regions[region]!.applications.map { (region, $0) } }
    }

    public func application(aid: [UInt8]) -> InstalledCardAP? {
        applications.first { $0.application.aid == aid }?.application
    }

    /// Whether the manager or an AP of the free area is the current application.
    public var isSelected: Bool { selection != nil }

    /// A reset or power loss: the card forgets what was selected and authenticated, and any partial download.
    public mutating func reset() {
        selection = nil
        manager = ManagerState()
        application = ApplicationState()
    }

    // MARK: - Dispatch

    /// The free area's answer to `bytes`, or nil when the command is not the free area's (nothing is selected here,
    /// or a SELECT names another application). `selected` tells the card to drop its own selection.
    mutating func respond(to bytes: [UInt8], random: inout any RandomSource) -> (answer: [UInt8], selected: Bool)? {
        if bytes.count >= 5, bytes[0] == 0x00, bytes[1] == 0xA4, bytes[2] == 0x04,
            let command = try? CommandAPDU(bytes: bytes)
        {
            let aid = command.data
            let ours = aid == setting.managerAID || application(aid: aid)?.isActive == true
            // A SELECT of ours with a P2 we do not know is refused and changes nothing.
            if ours, ![0x0C, 0x00, 0x04].contains(command.p2) { return (StatusWord.incorrectP1P2.bytes, false) }
            if aid == setting.managerAID {
                reset()
                selection = .manager
                return (answer(for: command, aid: aid), true)
            }
            if let ap = application(aid: aid), ap.isActive {
                reset()
                selection = .application(aid)
                return (answer(for: command, aid: aid), true)
            }
            reset()  // another application: this one is no longer current
            return nil
        }
        guard let selection else { return nil }
        switch selection {
        case .manager: return (respondAsManager(bytes, random: &random), false)
        case .application(let aid): return (respondAsApplication(aid, bytes, random: &random), false)
        }
    }

    private func answer(for select: CommandAPDU, aid: [UInt8]) -> [UInt8] {
        switch select.p2 {
        case 0x0C: return StatusWord.success.bytes
        case 0x00, 0x04:
            let value = BERTLV(tag: BERTag(0x82), value: [0x38]).encoded + BERTLV(tag: BERTag(0x84), value: aid).encoded
            return BERTLV(tag: BERTag(0x62), value: value).encoded + StatusWord.success.bytes
        default: return StatusWord.incorrectP1P2.bytes
        }
    }

    static func status(_ statusWord: StatusWord) -> [UInt8] { statusWord.bytes }

    /// A protected command arrives: opens it with `session`, or says what the card answers instead (the session is
    /// then over: `session` becomes nil).
    static func open(
        _ bytes: [UInt8], session: inout SecureMessagingCardSession?
    ) -> Result<CommandAPDU, RefusedCommand> {
        guard var current = session, !current.hasEnded else {
            session = nil
            return .failure(RefusedCommand(.securityStatusNotSatisfied))
        }
        do {
            let command = try current.unprotect(bytes)
            session = current
            return .success(command)
        } catch {
            session = nil
            return .failure(RefusedCommand(SecureMessagingCardSession.statusWord(for: error)))
        }
    }

    /// The protected form of `response`; if protecting fails (it cannot, with a well-formed session), the session
    /// ends and the card answers `69 88`.
    static func seal(_ response: ResponseAPDU, session: inout SecureMessagingCardSession?) -> [UInt8] {
        guard var current = session else { return response.bytes }
        do {
            let bytes = try current.protect(response)
            session = current
            return bytes
        } catch {
            session = nil
            return StatusWord.securityMessagingDataObjectsIncorrect.bytes
        }
    }

    /// GET CHALLENGE in the manager and the APs: exactly 8 bytes, for MUTUAL AUTHENTICATE.
    static func challenge(_ command: CommandAPDU, random: inout any RandomSource) -> Result<[UInt8], RefusedCommand> {
        guard command.p1 == 0, command.p2 == 0 else { return .failure(RefusedCommand(.incorrectP1P2)) }
        guard command.data.isEmpty, command.le == MutualAuthentication.challengeLength else {
            return .failure(RefusedCommand(.wrongLength))
        }
        return .success(random.bytes(MutualAuthentication.challengeLength))
    }
}

/// A command refused with a status word.
struct RefusedCommand: Error {
    let statusWord: StatusWord
    init(_ statusWord: StatusWord) { self.statusWord = statusWord }
}

extension StatusWord {
    /// `63 00`: authentication failed, no counter (MCAP-1's answer to a wrong key).
    static let authenticationFailed = StatusWord(0x63, 0x00)
    /// `6A 89`: the file (region, AP) already exists.
    static let alreadyExists = StatusWord(0x6A, 0x89)
}
