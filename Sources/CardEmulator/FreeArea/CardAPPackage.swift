import APDU
import CardCrypto

/// The free area's two regions (seed 002 §1). The raw value is the profile's name for it.
public enum FreeAreaRegion: String, Sendable, Hashable, CaseIterable, Comparable {
    /// 地域住民向け領域: only the holder's municipality installs here; erased when the holder moves out.
    case local
    /// 拡張利用領域: anyone with the key installs here; kept until the card is renewed.
    case extended

    /// P2 of MUTUAL AUTHENTICATE naming the region's management key (MCAP-1).
    public var keyReference: UInt8 {
        switch self {
        case .local: 0x81
        case .extended: 0x82
        }
    }

    public init?(keyReference: UInt8) {
        guard let region = Self.allCases.first(where: { $0.keyReference == keyReference }) else { return nil }
        self = region
    }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.keyReference < rhs.keyReference }
}

/// An AP package, as LOAD carries it (docs/card-ap-profile.md, "The package"): what a card AP is before it is
/// installed. Value semantics; `encoded` and `init(decoding:)` are each other's inverse.
public struct CardAPPackage: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        /// Record AP, 255 bytes, mutual authentication, optional password.
        case typeA = "A"
        /// 共通カードAP, 33 bytes: the user ID readable without authentication.
        case typeC = "C"
        /// Binary AP, 255 bytes, every read in secure messaging.
        case typeD = "D"

        public var tagValue: UInt8 { Array(rawValue.utf8)[0] }

        /// The size an AP of this type takes in its region (seed 002 §2).
        public var size: Int { self == .typeC ? 33 : 255 }

        var needsKey: Bool { self != .typeC }
    }

    public var kind: Kind
    public var aid: [UInt8]
    public var size: Int
    /// A and D: the suite of mutual authentication (and D's secure messaging).
    public var suite: SecureMessagingSuite?
    /// A and D: the 16-byte key seed of the AP's access keys.
    public var keySeed: [UInt8]?
    /// Printable ASCII, 4–16 characters, or nil for an AP without one.
    public var password: [UInt8]?
    public var retryLimit: Int
    /// The installer's 5-digit 全国地方公共団体コード; required for the local region.
    public var municipalityCode: String?
    /// A: `30 L record` …; C: at most 17 bytes; D: the binary contents.
    public var initialData: [UInt8]

    public init(
        kind: Kind, aid: [UInt8], suite: SecureMessagingSuite? = nil, keySeed: [UInt8]? = nil,
        password: [UInt8]? = nil, retryLimit: Int = 3, municipalityCode: String? = nil, initialData: [UInt8] = []
    ) {
        self.kind = kind
        self.aid = aid
        self.size = kind.size
        self.suite = suite
        self.keySeed = keySeed
        self.password = password
        self.retryLimit = retryLimit
        self.municipalityCode = municipalityCode
        self.initialData = initialData
    }

    /// The AP's access keys (K_enc, K_mac) from its key seed, or nil for a Type C.
    public var accessKeys: SecureMessagingKeys? {
        guard let suite, let keySeed else { return nil }
        return suite.deriveKeys(from: keySeed)
    }

    /// Type A's information records, from the initial data (each `30 L record`).
    public var records: [[UInt8]] {
        (try? BERTLV.parseAll(initialData))?.map(\.value) ?? []
    }

    /// `70 L (80 4F 81 82 83 84 85 87 86)`.
    public var encoded: [UInt8] {
        var objects: [BERTLV] = [
            BERTLV(tag: BERTag(0x80), value: [kind.tagValue]),
            BERTLV(tag: BERTag(0x4F), value: aid),
            BERTLV(tag: BERTag(0x81), value: [UInt8(size >> 8), UInt8(size & 0xFF)]),
        ]
        if let suite { objects.append(BERTLV(tag: BERTag(0x82), value: [Self.suiteCode(suite)])) }
        if let keySeed { objects.append(BERTLV(tag: BERTag(0x83), value: keySeed)) }
        if let password {
            objects.append(BERTLV(tag: BERTag(0x84), value: password))
            objects.append(BERTLV(tag: BERTag(0x85), value: [UInt8(retryLimit)]))
        }
        if let municipalityCode {
            objects.append(BERTLV(tag: BERTag(0x87), value: Array(municipalityCode.utf8)))
        }
        if !initialData.isEmpty { objects.append(BERTLV(tag: BERTag(0x86), value: initialData)) }
        return BERTLV(tag: BERTag(0x70), children: objects).encoded
    }

    static func suiteCode(_ suite: SecureMessagingSuite) -> UInt8 {
        switch suite {
        case .tripleDES: 0x01
        case .aes128: 0x02
        }
    }

    /// Why a package was refused, for the profile loader's messages and the tests; the card answers `6A 80`.
    public struct Malformed: Error, Sendable, CustomStringConvertible {
        public let reason: String
        public var description: String { reason }
    }

    /// Parses and checks a downloaded package by the rules of docs/card-ap-profile.md.
    public init(decoding bytes: [UInt8]) throws(Malformed) {
        let outer: BERTLV
        do {
            let (object, length) = try BERTLV.parseFirst(bytes)
            guard length == bytes.count else {
                throw Malformed(reason: "\(bytes.count - length) byte(s) after the package object")
            }
            outer = object
        } catch let error as Malformed {
            throw error
        } catch {
            throw Malformed(reason: "not a BER-TLV object: \(error)")
        }
        guard outer.tag == BERTag(0x70) else { throw Malformed(reason: "the package tag is \(outer.tag), not 70") }
        let children: [BERTLV]
        do {
            children = try BERTLV.parseAll(outer.value)
        } catch {
            throw Malformed(reason: "inside 70: \(error)")
        }
        // Each tag at most once, in the documented order.
        let order: [UInt8] = [0x80, 0x4F, 0x81, 0x82, 0x83, 0x84, 0x85, 0x87, 0x86]
        var fields: [UInt8: [UInt8]] = [:]
        var last = -1
        for child in children {
            guard child.tag.bytes.count == 1, let position = order.firstIndex(of: child.tag.bytes[0]) else {
                throw Malformed(reason: "unknown object \(child.tag) in the package")
            }
            guard position > last else {
                throw Malformed(reason: "object \(child.tag) repeated or out of order (80 4F 81 82 83 84 85 87 86)")
            }
            last = position
            fields[child.tag.bytes[0]] = child.value
        }
        guard let typeValue = fields[0x80], typeValue.count == 1,
            let kind = Kind.allCases.first(where: { $0.tagValue == typeValue[0] })
        else { throw Malformed(reason: "80 (type) must be one byte: 41, 43 or 44") }
        guard let aid = fields[0x4F], (5...16).contains(aid.count) else {
            throw Malformed(reason: "4F (AID) must be 5 to 16 bytes")
        }
        guard let sizeValue = fields[0x81], sizeValue.count == 2 else {
            throw Malformed(reason: "81 (size) must be two bytes")
        }
        let size = Int(sizeValue[0]) << 8 | Int(sizeValue[1])
        guard size == kind.size else {
            throw Malformed(reason: "a Type \(kind.rawValue) takes \(kind.size) bytes, not \(size)")
        }
        var suite: SecureMessagingSuite?
        var keySeed: [UInt8]?
        if kind.needsKey {
            guard let code = fields[0x82], code.count == 1,
                let found = SecureMessagingSuite.allCases.first(where: {
                    Self.suiteCode($0) == code[0]
                })
            else { throw Malformed(reason: "82 (suite) must be 01 or 02 for a Type \(kind.rawValue)") }
            guard let seed = fields[0x83], seed.count == 16 else {
                throw Malformed(reason: "83 (key seed) must be 16 bytes for a Type \(kind.rawValue)")
            }
            suite = found
            keySeed = seed
        } else if fields[0x82] != nil || fields[0x83] != nil || fields[0x84] != nil {
            throw Malformed(reason: "a Type C has no suite, key or password")
        }
        var retryLimit = 3
        if let password = fields[0x84] {
            guard (4...16).contains(password.count), password.allSatisfy({ (0x20...0x7E).contains($0) }) else {
                throw Malformed(reason: "84 (password) must be 4 to 16 printable ASCII characters")
            }
            if let limit = fields[0x85] {
                guard limit.count == 1, (1...15).contains(limit[0]) else {
                    throw Malformed(reason: "85 (retry limit) must be one byte, 1 to 15")
                }
                retryLimit = Int(limit[0])
            }
        } else if fields[0x85] != nil {
            throw Malformed(reason: "85 (retry limit) without 84 (password)")
        }
        var municipality: String?
        if let code = fields[0x87] {
            guard code.count == 5, code.allSatisfy({ (0x30...0x39).contains($0) }) else {
                throw Malformed(reason: "87 (municipality code) must be 5 ASCII digits")
            }
            municipality = String(decoding: code, as: UTF8.self)
        }
        self.init(
            kind: kind, aid: aid, suite: suite, keySeed: keySeed, password: fields[0x84], retryLimit: retryLimit,
            municipalityCode: municipality, initialData: fields[0x86] ?? [])
        if let problem = contentProblem { throw Malformed(reason: problem) }
    }

    /// Why the initial data does not fit the AP's layout, or nil.
    var contentProblem: String? {
        switch kind {
        case .typeC:
            return initialData.count <= TypeCLayout.informationLength
                ? nil : "a Type C holds \(TypeCLayout.informationLength) bytes of its own, not \(initialData.count)"
        case .typeD:
            let total = UserID.dataObjectLength + initialData.count
            return total <= size ? nil : "a Type D's content would be \(total) bytes, more than its \(size)"
        case .typeA:
            guard let objects = try? BERTLV.parseAll(initialData), objects.allSatisfy({ $0.tag == BERTag(0x30) })
            else { return initialData.isEmpty ? nil : "86 of a Type A must be records, each 30 L …" }
            let total =
                TypeARecords.fixedLength(informationRecords: objects.count)
                + objects.reduce(0) { $0 + $1.value.count }
            return total <= size ? nil : "a Type A's records would take \(total) bytes, more than its \(size)"
        }
    }
}

/// The 13-character user ID (利用者ID, seed 002) and its data object `5F 50 0D`.
public enum UserID {
    public static let length = 13
    public static let tag: [UInt8] = [0x5F, 0x50]
    /// `5F 50 0D` + 13 bytes.
    public static let dataObjectLength = 16
    static let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ".utf8)

    public static func dataObject(_ id: [UInt8]) -> [UInt8] { tag + [UInt8(id.count)] + id }

    /// `[A-Z][0-9A-Z]{12}`: the first character a letter, so it can never be a My Number (12 digits).
    public static func isWellFormed(_ id: [UInt8]) -> Bool {
        id.count == length && (0x41...0x5A).contains(id[0]) && id.allSatisfy { alphabet.contains($0) }
    }

    /// A fresh ID from `random`; modulo bias is irrelevant to uniqueness and this is test data.
    static func generate(random: inout some RandomSource) -> [UInt8] {
        let bytes = random.bytes(length)
        return bytes.enumerated().map { index, byte in
            index == 0 ? 0x41 + byte % 26 : alphabet[Int(byte) % alphabet.count]
        }
    }
}

/// Type C's 33 bytes: `5F 50 0D` + user ID, then the AP's own 17 bytes (its initial data padded with `00`).
enum TypeCLayout {
    static let informationLength = 17
}

/// Type A's records: 1 the header, 2 the user ID, 3… information.
enum TypeARecords {
    /// The header and user-ID records' bytes.
    static func fixedLength(informationRecords: Int) -> Int {
        header(informationRecords: informationRecords).count + 16
    }

    static func header(informationRecords: Int) -> [UInt8] {
        [0x80, 0x01, 0x41, 0x81, 0x01, UInt8(min(informationRecords, 255))]
    }
}
