import APDU
import YAMLSource

// The free area's steps (issue 8): mutual authentication, secure messaging, and the card-AP installer's commands
// in mynaconf's own command profile MCAP-1 (docs/card-ap-profile.md) — an ASSUMPTION, since the J-LIS command
// specification is not public. Every byte an installer sends is data here, so a vendor's profile can differ.

/// The secure-messaging suites a step can name (CardCrypto's `SecureMessagingSuite`, by its YAML name).
public enum SecureMessagingSuiteName: String, Sendable, CaseIterable {
    case aes128
    case tripleDES = "3des"
}

/// A key reference of MUTUAL AUTHENTICATE's P2: `80` the selected AP's own key, `81` the local region's management
/// key, `82` the extended region's.
public enum FreeAreaRegion: String, Sendable, CaseIterable {
    case local
    case extended

    /// The P2 that names the region's management key in MCAP-1.
    public var keyReference: UInt8 { self == .local ? 0x81 : 0x82 }
}

/// How a session's later steps are sent: every command protected until the session ends, or only the steps that
/// say `secure: true`.
public enum ProtectionMode: String, Sendable, CaseIterable {
    case all
    case marked
}

/// GET CHALLENGE + MUTUAL AUTHENTICATE with a key seed, opening a host secure-messaging session.
public struct MutualAuthenticationSetup: Sendable {
    /// The 16-byte key seed; the suite derives K_enc and K_mac from it (ICAO 9303-11 KDF).
    public var key: Template
    public var suite: SecureMessagingSuiteName
    /// MUTUAL AUTHENTICATE's P2.
    public var reference: UInt8
    public var protect: ProtectionMode

    public init(key: Template, suite: SecureMessagingSuiteName, reference: UInt8, protect: ProtectionMode) {
        self.key = key
        self.suite = suite
        self.reference = reference
        self.protect = protect
    }
}

/// The free-area manager and the region key a management step authenticates with.
public struct FreeAreaSession: Sendable {
    public var region: FreeAreaRegion
    public var key: Template
    public var suite: SecureMessagingSuiteName
    /// The manager's AID (MCAP-1: `F0 4D 59 4E 41 46 41 4D 47 52`).
    public var manager: Template
    /// True when the step wrote `manager:`; otherwise the card profile's `free_area.manager_aid` applies where there
    /// is one (an emulated card), and MCAP-1's AID where there is none (a real card).
    /// The management commands' INS bytes, as a card profile's `free_area.commands` names them.
    public var commands = FreeAreaCommands()
    public var managerGiven = false

    public init(region: FreeAreaRegion, key: Template, suite: SecureMessagingSuiteName, manager: Template) {
        self.region = region
        self.key = key
        self.suite = suite
        self.manager = manager
    }
}

/// The INS of each management command: the step's `commands:`, else the card profile's `free_area.commands` (an
/// emulated card), else MCAP-1's (a real card, whose profile the harness does not have).
public struct FreeAreaCommands: Sendable, Equatable {
    public var createRegion: UInt8 = 0xE0
    public var load: UInt8 = 0xE8
    public var writeUserID: UInt8 = 0xDA
    public var activate: UInt8 = 0x44
    public var delete: UInt8 = 0xE4
    public var moveOut: UInt8 = 0xEE
    /// The names the step wrote in `commands:`; the others may come from the card profile.
    public var given: Set<String> = []

    public init() {}

    public static let names = ["create_region", "load", "write_user_id", "activate", "delete", "move_out"]

    public subscript(name: String) -> UInt8 {
        get {
            switch name {
            case "create_region": createRegion
            case "load": load
            case "write_user_id": writeUserID
            case "activate": activate
            case "delete": delete
            default: moveOut
            }
        }
        set {
            switch name {
            case "create_region": createRegion = newValue
            case "load": load = newValue
            case "write_user_id": writeUserID = newValue
            case "activate": activate = newValue
            case "delete": delete = newValue
            default: moveOut = newValue
            }
        }
    }
}

/// The phases of an install, in order, as the seed's J-LIS figures name them (seed 000: 独自利用領域生成,
/// アプリダウンロード) plus the three short exchanges around them.
public enum InstallPhase: String, Sendable, CaseIterable, Comparable {
    case authentication
    case regionCreation = "region_creation"
    case download
    case userID = "user_id"
    case activation
    /// Authentication through activation.
    case install

    public static func < (lhs: InstallPhase, rhs: InstallPhase) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}

/// Whether `install_ap` creates the region: `auto` sends CREATE REGION and takes "already there" (`6A 89`) as done.
public enum RegionCreation: String, Sendable, CaseIterable {
    case auto
    case always
    case never
}

/// The whole install of a card AP: select the manager, authenticate, create the region when needed, LOAD the
/// package in blocks, write the user ID (the step's response data, for `capture`), activate.
public struct InstallSpec: Sendable {
    public var session: FreeAreaSession
    /// The package TLV (`70 …`), usually `${card.free_area.packages.NAME}`.
    public var package: Template
    /// The AP's AID for WRITE USER ID and ACTIVATE; nil: taken from the package's `4F`.
    public var aid: Template?
    /// LOAD block size: 1–223 bytes.
    public var blockSize: Int
    public var createRegion: RegionCreation
    /// Budgets per phase, in milliseconds.
    public var budgets: [InstallPhase: Int]

    public init(
        session: FreeAreaSession, package: Template, aid: Template?, blockSize: Int, createRegion: RegionCreation,
        budgets: [InstallPhase: Int]
    ) {
        self.session = session
        self.package = package
        self.aid = aid
        self.blockSize = blockSize
        self.createRegion = createRegion
        self.budgets = budgets
    }
}

/// How a raw protected command is spoiled on purpose, for negative tests of the card's secure messaging.
public enum TamperKind: String, Sendable, CaseIterable {
    /// One bit of the checksum (DO 8E) flipped.
    case mac
    /// Protected with a send-sequence counter one ahead of the card's.
    case counter
    /// DO 97 (Le) moved before DO 87 (data): the objects out of order.
    case order
}

/// Per-step secure-messaging options: `secure`, `tamper`, `replay`.
public struct StepProtection: Sendable {
    /// nil: follow the session's mode.
    public var secure: Bool?
    public var tamper: TamperKind?
    /// Send the previous protected command's bytes again, unchanged (`replay: previous`).
    public var replayPrevious = false

    public init(secure: Bool? = nil, tamper: TamperKind? = nil, replayPrevious: Bool = false) {
        self.secure = secure
        self.tamper = tamper
        self.replayPrevious = replayPrevious
    }

    public var isEmpty: Bool { secure == nil && tamper == nil && !replayPrevious }
}

extension ScenarioLanguage {
    /// The free-area manager's AID in MCAP-1 (F0 = proprietary, unregistered category; then "MYNAFAMGR").
    public static let freeAreaManagerAID: [UInt8] = [0xF0, 0x4D, 0x59, 0x4E, 0x41, 0x46, 0x41, 0x4D, 0x47, 0x52]
    /// The largest LOAD block MCAP-1 accepts.
    public static let maximumLoadBlock = 223
    /// The label reports carry wherever the command profile shows.
    public static let cardApProfile = "mynaconf MCAP-1 (assumption)"
}

extension Scenario {
    /// True when a step speaks the free area's command profile (MCAP-1), so the reports must say it is an assumption.
    public var usesFreeAreaProfile: Bool { Self.usesFreeAreaProfile(steps) }

    private static func usesFreeAreaProfile(_ steps: [Step]) -> Bool {
        steps.contains { step in
            switch step.action {
            case .mutualAuthenticate, .installAP, .deleteAP, .moveOut: true
            case .repeatSteps(_, let inner): usesFreeAreaProfile(inner)
            default: false
            }
        }
    }
}
