// FreeArea: the card's free area (空き領域) in mynaconf's own command profile MCAP-1 (an ASSUMPTION; the J-LIS
// specification is not public): the manager with its two regions, AP packages, Type A/C/D applications and the
// install-phase monitor. docs/card-ap-profile.md is the reference; everything here is data-driven from a profile.
import APDU
import CardCrypto

/// What a card profile says about the free area (`free_area:`); every profile has one unless it says `none`.
public struct FreeAreaSetting: Sendable, Hashable {
    public struct RegionSetting: Sendable, Hashable {
        /// The management key's 16-byte seed (K_enc, K_mac by the ICAO KDF of the management suite).
        public var keySeed: [UInt8]
        public var capacity: Int

        public init(keySeed: [UInt8], capacity: Int) {
            self.keySeed = keySeed
            self.capacity = capacity
        }
    }

    /// An AP present when the card is made (a card-state profile).
    public struct InstalledAP: Sendable, Hashable {
        public var package: String
        public var region: FreeAreaRegion
        public var userID: [UInt8]

        public init(package: String, region: FreeAreaRegion, userID: [UInt8]) {
            self.package = package
            self.region = region
            self.userID = userID
        }
    }

    public var managerAID: [UInt8] = Self.defaultManagerAID
    public var suite: SecureMessagingSuite = .aes128
    public var regions: [FreeAreaRegion: RegionSetting] = [
        .local: RegionSetting(keySeed: Array("MYNACONF-LOCAL01".utf8), capacity: 1024),
        .extended: RegionSetting(keySeed: Array("MYNACONF-EXTEND1".utf8), capacity: 2048),
    ]
    public var created: Set<FreeAreaRegion> = []
    public var installed: [InstalledAP] = []
    /// The packages an installer may download, by name, in the profile's order.
    public var packages: [(name: String, package: CardAPPackage)] = []
    public var instructions = FreeAreaInstructions()
    public var timing: FreeAreaTimingModel = .fast

    public init() {}

    /// The free area every profile gets unless it says otherwise: default keys, sizes and packages, nothing created.
    public static func standard(municipality: String?) -> FreeAreaSetting {
        var setting = FreeAreaSetting()
        setting.packages = defaultPackages(municipality: municipality)
        return setting
    }

    /// `F0` + "MYNAFAMGR": ISO/IEC 7816-5 category F (proprietary, unregistered).
    public static let defaultManagerAID: [UInt8] = [0xF0] + Array("MYNAFAMGR".utf8)

    public func package(named name: String) -> CardAPPackage? { packages.first { $0.name == name }?.package }

    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.managerAID == rhs.managerAID && lhs.suite == rhs.suite && lhs.regions == rhs.regions
            && lhs.created == rhs.created && lhs.installed == rhs.installed
            && lhs.packages.map(\.name) == rhs.packages.map(\.name)
            && lhs.packages.map(\.package) == rhs.packages.map(\.package) && lhs.instructions == rhs.instructions
            && lhs.timing == rhs.timing
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(managerAID)
        hasher.combine(packages.map(\.name))
    }

    /// The default packages (docs/card-ap-profile.md, "Default packages"); `municipality` is the holder's code.
    public static func defaultPackages(municipality: String?) -> [(name: String, package: CardAPPackage)] {
        func records(_ texts: [String]) -> [UInt8] {
            texts.flatMap { BERTLV(tag: BERTag(0x30), value: Array($0.utf8)).encoded }
        }
        let prefix: [UInt8] = [0xF0] + Array("MYNA".utf8)
        return [
            (
                "library-card",
                CardAPPackage(
                    kind: .typeA, aid: prefix + [0x41, 0x01], suite: .aes128,
                    keySeed: Array("LIBRARY-CARD-KEY".utf8), municipalityCode: municipality,
                    initialData: records(["LIB-0001234", "2030-03-31"]))
            ),
            (
                "seal-registration",
                CardAPPackage(
                    kind: .typeA, aid: prefix + [0x41, 0x02], suite: .tripleDES,
                    keySeed: Array("SEAL-REGISTRY-K1".utf8), password: Array("1234".utf8), retryLimit: 3,
                    municipalityCode: municipality, initialData: records(["SEAL-0000567"]))
            ),
            (
                "other-town-library",
                CardAPPackage(
                    kind: .typeA, aid: prefix + [0x41, 0x03], suite: .aes128,
                    keySeed: Array("LIBRARY-CARD-KEY".utf8), municipalityCode: "27100",
                    initialData: records(["OSK-0000042"]))
            ),
            (
                "point-card",
                CardAPPackage(
                    kind: .typeC, aid: prefix + [0x43, 0x01], municipalityCode: municipality,
                    initialData: [0xC1, 0x05] + Array("P0001".utf8) + [0xC2, 0x04] + Array("2026".utf8)
                        + [0xC3, 0x02, 0x00, 0x64])
            ),
            (
                "evacuee-record",
                CardAPPackage(
                    kind: .typeD, aid: prefix + [0x44, 0x01], suite: .aes128,
                    keySeed: Array("EVACUEE-RECORD-1".utf8), municipalityCode: municipality,
                    initialData: Array("避難所:千代田区立千代田小学校;登録:2026-11-01;同行:2名".utf8))
            ),
            (
                "staff-id",
                CardAPPackage(
                    kind: .typeD, aid: prefix + [0x44, 0x02], suite: .tripleDES,
                    keySeed: Array("STAFF-ID-CARD-K1".utf8), password: Array("5678".utf8), retryLimit: 3,
                    municipalityCode: municipality, initialData: Array("STAFF;E-000042;総務課;2026-04-01".utf8))
            ),
        ]
    }
}

/// The INS byte of each management command (MCAP-1 defaults; a vendor's profile sets its card's).
public struct FreeAreaInstructions: Sendable, Hashable {
    public var createRegion: UInt8 = 0xE0
    public var load: UInt8 = 0xE8
    public var writeUserID: UInt8 = 0xDA
    public var activate: UInt8 = 0x44
    public var delete: UInt8 = 0xE4
    public var moveOut: UInt8 = 0xEE
    public var freeSpace: UInt8 = 0xCA

    public init() {}

    /// The profile's names for them (`free_area.commands`).
    public static let keys = [
        "create_region", "load", "write_user_id", "activate", "delete", "move_out", "free_space",
    ]

    public subscript(key: String) -> UInt8? {
        get {
            switch key {
            case "create_region": createRegion
            case "load": load
            case "write_user_id": writeUserID
            case "activate": activate
            case "delete": delete
            case "move_out": moveOut
            case "free_space": freeSpace
            default: nil
            }
        }
        set {
            guard let newValue else { return }
            switch key {
            case "create_region": createRegion = newValue
            case "load": load = newValue
            case "write_user_id": writeUserID = newValue
            case "activate": activate = newValue
            case "delete": delete = newValue
            case "move_out": moveOut = newValue
            case "free_space": freeSpace = newValue
            default: break
            }
        }
    }

    /// Which management command an INS is, or nil.
    public func command(for ins: UInt8) -> FreeAreaCommand? {
        FreeAreaCommand.allCases.first { self[$0.rawValue] == ins }
    }
}

/// The management commands, named as in `free_area.commands`.
public enum FreeAreaCommand: String, Sendable, CaseIterable {
    case createRegion = "create_region"
    case load
    case writeUserID = "write_user_id"
    case activate
    case delete
    case moveOut = "move_out"
    case freeSpace = "free_space"
}

/// The chip's processing time for the free-area commands (docs/card-ap-profile.md, "Timing model").
public enum FreeAreaTimingModel: String, Sendable, Hashable, CaseIterable {
    /// Milliseconds per command, for CI.
    case fast
    /// The J-LIS reference environment's averages (seed 000): region creation 60 s, download 35 s.
    case reference

    public var processing: [CardTiming.CommandKind: Duration] {
        switch self {
        case .fast:
            [
                .mutualAuthenticate: .milliseconds(5), .createRegion: .milliseconds(10), .load: .milliseconds(2),
                .loadLast: .milliseconds(5), .writeUserID: .milliseconds(5), .activate: .milliseconds(5),
                .deleteAP: .milliseconds(5), .moveOut: .milliseconds(5),
            ]
        case .reference:
            [
                .mutualAuthenticate: .milliseconds(300), .createRegion: .seconds(60), .load: .seconds(5),
                .loadLast: .seconds(30), .writeUserID: .seconds(1), .activate: .seconds(1), .deleteAP: .seconds(1),
                .moveOut: .seconds(1),
            ]
        }
    }
}

extension FreeAreaSetting {
    /// The card variables scenarios read (`${card.free_area.…}`, docs/card-ap-profile.md): hex for bytes, the
    /// password as text. A package without a key, suite or password has no such variable.
    public var cardVariables: [String: String] {
        var values = [
            "card.free_area.manager_aid": Hex.encode(managerAID),
            "card.free_area.suite": suite.rawValue,
        ]
        for (region, value) in regions { values["card.free_area.\(region.rawValue).key"] = Hex.encode(value.keySeed) }
        // The management INS bytes, so the installer steps and raw APDUs speak the card's command profile.
        for name in FreeAreaInstructions.keys {
            values["card.free_area.commands.\(name)"] = instructions[name].map { Hex.encode([$0]) }
        }
        for (name, package) in packages {
            let prefix = "card.free_area.packages.\(name)"
            values[prefix] = Hex.encode(package.encoded)
            values[prefix + ".aid"] = Hex.encode(package.aid)
            values[prefix + ".key"] = package.keySeed.map { Hex.encode($0) }
            values[prefix + ".suite"] = package.suite?.rawValue
            values[prefix + ".password"] = package.password.map { String(decoding: $0, as: UTF8.self) }
        }
        return values
    }
}
