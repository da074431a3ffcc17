import APDU
import CardCrypto

/// A 2-byte file identifier, as SELECT by FID names it (`00 0A`).
public struct FileID: RawRepresentable, Hashable, Sendable, Comparable, CustomStringConvertible {
    public var rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }
    public init(_ rawValue: UInt16) { self.rawValue = rawValue }

    public init?(bytes: [UInt8]) {
        guard bytes.count == 2 else { return nil }
        rawValue = UInt16(bytes[0]) << 8 | UInt16(bytes[1])
    }

    /// The short EF identifier a command may use instead of a SELECT: on this card the low five bits of a
    /// FID below `001F` (VERIFY P2 `98` names `0018`, COMPUTE DIGITAL SIGNATURE P2 `97` names `0017`).
    public var shortIdentifier: UInt8? {
        rawValue >= 1 && rawValue <= 0x1E ? UInt8(rawValue) : nil
    }

    public var description: String { Hex.encode([UInt8(rawValue >> 8), UInt8(rawValue & 0xFF)]) }
    public static func < (lhs: FileID, rhs: FileID) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// Who may use a file: the card checks this against the credentials verified since the application was selected.
public enum AccessCondition: Hashable, Sendable {
    case always
    case never
    /// Any one of these credentials verified opens the file.
    case verified([FileID])

    public static func verified(_ credential: FileID) -> AccessCondition { .verified([credential]) }

    func isSatisfied(by state: SecurityState) -> Bool {
        switch self {
        case .always: return true
        case .never: return false
        case .verified(let credentials): return credentials.contains { state.verified.contains($0) }
        }
    }
}

/// A transparent EF: bytes read with READ BINARY.
public struct TransparentFile: Sendable {
    public var content: [UInt8]
    public var readAccess: AccessCondition

    public init(content: [UInt8], readAccess: AccessCondition = .always) {
        self.content = content
        self.readAccess = readAccess
    }
}

/// A record-structured EF: records read with READ RECORD.
public struct RecordFile: Sendable {
    public var records: [[UInt8]]
    public var readAccess: AccessCondition

    public init(records: [[UInt8]], readAccess: AccessCondition = .always) {
        self.records = records
        self.readAccess = readAccess
    }
}

/// A private key that the card uses and never discloses: no command reads it, only COMPUTE DIGITAL SIGNATURE
/// uses it, and only when `useAccess` is satisfied.
public struct SigningKeyObject: Sendable {
    public var key: RSAPrivateKey
    public var useAccess: AccessCondition
    /// COMPUTE DIGITAL SIGNATURE (`80 2A`) may use it. A key made for INTERNAL AUTHENTICATE alone refuses it.
    public var signsData = true
    /// INTERNAL AUTHENTICATE (`00 88`) signs the DigestInfo of the challenge hashed with this; nil refuses it
    /// (`69 85`), as every JPKI and 券面 key does.
    public var internalAuthenticationHash: HashAlgorithm?

    public init(key: RSAPrivateKey, useAccess: AccessCondition) {
        self.key = key
        self.useAccess = useAccess
    }
}

/// An elementary file as the card OS sees it.
public enum ElementaryFile: Sendable {
    case transparent(TransparentFile)
    case records(RecordFile)
    case signingKey(SigningKeyObject)
    case credential(Credential)
}

/// A card application (DF) selected by its AID, with the EFs under it.
public struct CardApplication: Sendable {
    public var name: String
    public var aid: [UInt8]
    public var files: [FileID: ElementaryFile]
    /// The key COMPUTE DIGITAL SIGNATURE uses with P2 `00` (the 券面 APs' own keys); nil answers `6A 86`.
    public var defaultKey: FileID?

    public init(name: String, aid: [UInt8], files: [FileID: ElementaryFile]) {
        self.name = name
        self.aid = aid
        self.files = files
    }

    /// The EF a command names by short identifier, if one has it.
    func fileID(shortIdentifier sfi: UInt8) -> FileID? {
        files.keys.first { $0.shortIdentifier == sfi }
    }
}

/// Which credentials are verified in the current application. Volatile: a reset, power-off, or any SELECT of
/// an application (the current one included) clears it; selecting EFs does not.
public struct SecurityState: Sendable, Hashable {
    public var verified: Set<FileID> = []
    public init() {}
}
