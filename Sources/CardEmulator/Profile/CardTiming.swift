import APDU
import YAMLSource

/// The interface a card was activated on. The card's data is the same on both; a reader in front of it
/// presents a different ATR (contactless readers make one up), and the bytes travel at different speeds.
public enum CardInterface: String, Sendable, CaseIterable {
    case contact
    case contactless
}

/// How long the real card takes to answer: the chip's own work per command plus the time the bytes spend on
/// the wire. Card data, so a profile can describe a slower or faster chip; applied only by `mynaconf emulate
/// --speed real`, so that software tuned against the emulator does not time out on a real card.
public struct CardTiming: Sendable, Hashable {
    /// The commands whose processing time a profile sets, named as `timing.commands` keys.
    public enum CommandKind: String, Sendable, CaseIterable {
        case select
        case readBinary = "read_binary"
        case readRecord = "read_record"
        case verify
        case changeReferenceData = "change_reference_data"
        case computeDigitalSignature = "compute_digital_signature"
        case internalAuthenticate = "internal_authenticate"
        case getChallenge = "get_challenge"
        case getData = "get_data"
        case mutualAuthenticate = "mutual_authenticate"
        case createRegion = "create_region"
        case load
        case loadLast = "load_last"
        case writeUserID = "write_user_id"
        case activate
        case deleteAP = "delete_ap"
        case moveOut = "move_out"
        case other

        /// The kind of a command as the card dispatches it (CLA `80` only for the proprietary signature); the
        /// free area's management commands (proprietary class) by the INS bytes its profile gives.
        public init(command: [UInt8], freeArea: FreeAreaInstructions? = FreeAreaInstructions()) {
            guard command.count >= 4 else {
                self = .other
                return
            }
            if command[0] & 0x80 != 0, let freeArea, let managed = freeArea.command(for: command[1]) {
                switch managed {
                case .createRegion: self = .createRegion
                case .load: self = command[2] & 0x80 != 0 ? .loadLast : .load
                case .writeUserID: self = .writeUserID
                case .activate: self = .activate
                case .delete: self = .deleteAP
                case .moveOut: self = .moveOut
                case .freeSpace: self = .getData
                }
                return
            }
            switch (command[0] & 0x80 != 0, command[1]) {
            case (false, 0xA4): self = .select
            case (false, 0xB0), (false, 0xB1): self = .readBinary
            case (false, 0xB2), (false, 0xB3): self = .readRecord
            case (false, 0x20): self = .verify
            case (false, 0x24), (true, 0x32): self = .changeReferenceData
            case (true, 0x2A): self = .computeDigitalSignature
            case (false, 0x88): self = .internalAuthenticate
            case (false, 0x84): self = .getChallenge
            case (false, 0x82): self = .mutualAuthenticate
            case (false, 0xCA), (false, 0xCB): self = .getData
            default: self = .other
            }
        }
    }

    /// The chip's processing time per command kind, from the last command byte to the first response byte.
    public var processing: [CommandKind: Duration]
    /// The contact interface's bit rate. The ATR has no TA1, so the card runs at ISO/IEC 7816-3's default
    /// F = 372, D = 1: 10 752 bit/s at a 4 MHz clock.
    public var contactBitRate: Int
    /// ISO/IEC 14443's base rate fc/128 = 106 kbit/s.
    public var contactlessBitRate: Int
    /// The free area's management INS bytes, so its commands are timed as what they are; nil without a free area.
    public var freeAreaInstructions: FreeAreaInstructions? = FreeAreaInstructions()

    public init(processing: [CommandKind: Duration], contactBitRate: Int, contactlessBitRate: Int) {
        self.processing = processing
        self.contactBitRate = contactBitRate
        self.contactlessBitRate = contactlessBitRate
    }

    /// Defaults for every profile that sets nothing (docs/card-profiles.md). The signature's 0.9 s is inside the
    /// 0.5–1.5 s range reported for RSA-2048 on the card; the other figures are assumptions.
    public static let `default` = CardTiming(
        processing: [
            .select: .milliseconds(3), .readBinary: .milliseconds(5), .readRecord: .milliseconds(5),
            .verify: .milliseconds(20), .changeReferenceData: .milliseconds(40),
            .computeDigitalSignature: .milliseconds(900), .internalAuthenticate: .milliseconds(900),
            .getChallenge: .milliseconds(5), .getData: .milliseconds(3), .other: .milliseconds(3),
        ].merging(FreeAreaTimingModel.fast.processing) { current, _ in current },
        contactBitRate: 10_752,
        contactlessBitRate: 106_000
    )

    /// How long the real card would take to answer `command` with `responseLength` bytes on `interface`.
    ///
    /// Transfer model: contact T=1 sends 11 etu per character (10 bits and the character guard time) with a
    /// 4-byte block frame (NAD, PCB, LEN, LRC) each way; contactless ISO/IEC 14443-4 sends 10 etu per character
    /// with PCB and CRC (3 bytes) plus start and end of frame (about 2 more) each way.
    public func latency(command: [UInt8], responseLength: Int, interface: CardInterface) -> Duration {
        let work =
            processing[CommandKind(command: command, freeArea: freeAreaInstructions)] ?? processing[.other] ?? .zero
        let characters: Int
        let bitsPerCharacter: Int
        let rate: Int
        switch interface {
        case .contact:
            (characters, bitsPerCharacter, rate) = (command.count + responseLength + 8, 11, contactBitRate)
        case .contactless:
            (characters, bitsPerCharacter, rate) = (command.count + responseLength + 10, 10, contactlessBitRate)
        }
        let microseconds = characters * bitsPerCharacter * 1_000_000 / max(rate, 1)
        return work + .microseconds(microseconds)
    }
}

/// What a contactless reader reports about the card's radio identity.
public struct ContactlessSetting: Sendable, Hashable {
    public enum PUPI: Sendable, Hashable {
        /// The same 4 bytes at every activation.
        case fixed([UInt8])
        /// Fresh random bytes at every activation, as privacy-minded cards do.
        case random
    }

    /// The Type B Pseudo-Unique PICC Identifier that `FF CA 00 00 00` returns through a contactless reader.
    public var pupi: PUPI
    /// The ATR a PC/SC contactless reader makes up for this card from its ATQB (PC/SC Part 3 §3.1.3.2.3.2):
    /// `3B 88 80 01`, the ATQB's application data (4 bytes) and protocol info (3 bytes), MBLI, TCK.
    public var atr: [UInt8]

    public init(pupi: PUPI, atr: [UInt8] = ContactlessSetting.typeBATR) {
        self.pupi = pupi
        self.atr = atr
    }

    /// "Japanese JPKI card (aka JINC card)" in pcsc-tools' smartcard_list.txt (research/jpki-protocol.md §1.1).
    public static let typeBATR: [UInt8] = [
        0x3B, 0x88, 0x80, 0x01, 0x00, 0x00, 0x05, 0xE0, 0xB3, 0x81, 0xA1, 0x00, 0x7F,
    ]

    /// A fixed PUPI derived from the profile name, so two profiles' cards differ without anyone typing one.
    public static func derived(fromProfileName name: String) -> ContactlessSetting {
        var hash: UInt32 = 2_166_136_261  // FNV-1a: stable across runs and platforms, unlike Hasher
        for byte in name.utf8 {
            hash = (hash ^ UInt32(byte)) &* 16_777_619
        }
        return ContactlessSetting(pupi: .fixed([24, 16, 8, 0].map { UInt8(truncatingIfNeeded: hash >> $0) }))
    }
}

// MARK: - Reading from a profile

extension CardTiming {
    /// `timing:` of a card profile: `commands:` (milliseconds per command kind), `contact_bit_rate`,
    /// `contactless_bit_rate` (bit/s). Whatever is left out keeps its default.
    static func read(_ node: YAMLNode, base: CardTiming = .default) throws(Diagnostic) -> CardTiming {
        let map = try node.mapping(allowing: ["commands", "contact_bit_rate", "contactless_bit_rate"])
        var timing = base
        if let commands = map["commands"] {
            let entries = try commands.mapping(allowing: CommandKind.allCases.map(\.rawValue))
            for key in entries.keys {
                guard let kind = CommandKind(rawValue: key), let value = entries[key] else { continue }
                timing.processing[kind] = .milliseconds(try value.int(in: 0...60_000))
            }
        }
        if let rate = map["contact_bit_rate"] { timing.contactBitRate = try rate.int(in: 1...10_000_000) }
        if let rate = map["contactless_bit_rate"] { timing.contactlessBitRate = try rate.int(in: 1...10_000_000) }
        return timing
    }
}

extension ContactlessSetting {
    /// `contactless:` of a card profile: `pupi:` 4 bytes of hex, or `random`; `atr:` the reader's ATR.
    static func read(_ node: YAMLNode, profileName: String) throws(Diagnostic) -> ContactlessSetting {
        let map = try node.mapping(allowing: ["pupi", "atr"])
        var setting = ContactlessSetting.derived(fromProfileName: profileName)
        if let atrNode = map["atr"] {
            let text = try atrNode.string()
            let atr: [UInt8]
            do {
                atr = try Hex.decode(text)
            } catch {
                throw atrNode.error("bad hex: \(error.message)")
            }
            guard (2...33).contains(atr.count), atr[0] == 0x3B || atr[0] == 0x3F else {
                throw atrNode.error("an ATR is 2 to 33 bytes starting with 3B or 3F; found \(atr.count) byte(s)")
            }
            setting.atr = atr
        }
        guard let pupiNode = map["pupi"] else { return setting }
        let text = try pupiNode.string()
        if text == "random" {
            setting.pupi = .random
            return setting
        }
        let bytes: [UInt8]
        do {
            bytes = try Hex.decode(text)
        } catch {
            throw pupiNode.error("a PUPI is 4 bytes of hex or 'random': \(error.message)")
        }
        guard bytes.count == 4 else {
            throw pupiNode.error("a PUPI is 4 bytes (ISO/IEC 14443-3 Type B); found \(bytes.count)")
        }
        setting.pupi = .fixed(bytes)
        return setting
    }
}
