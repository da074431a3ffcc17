import APDU
import YAMLSource

/// One conformance scenario: what it checks, which requirements it covers, and the steps that check it.
public struct Scenario: Sendable {
    public enum Format: String, Sendable { case yaml, scriptor }

    public var id: String
    public var title: String
    public var requirements: [String]
    public var tags: [String]
    /// Spends PIN tries or otherwise changes the card for good: refused on a real card unless allowed.
    public var destructive: Bool
    /// Attacks the card (key-extraction attempts, malformed commands): refused on a real card unless allowed.
    public var invasive: Bool
    /// The card profile the scenario needs on the emulator (`default` when not given).
    public var card: String?
    /// Where `card:` is written, so a profile that cannot be found is reported there.
    public var cardLocation: SourceLocation?
    /// Environment variables the scenario needs (`needs_env:`); without one of them it is skipped, not failed —
    /// e.g. the OCSP responder's URL, which scripts/ocsp-responder sets.
    public var neededEnvironment: [String] = []
    public var steps: [Step]
    public var file: String
    /// The folder the scenario belongs to under `Scenarios/` (`jpki`), or the file's folder name elsewhere.
    public var suite: String
    public var format: Format
    public var location: SourceLocation

    public init(
        id: String, title: String, requirements: [String] = [], tags: [String] = [], destructive: Bool = false,
        invasive: Bool = false, card: String? = nil, steps: [Step], file: String, suite: String,
        format: Format = .yaml, location: SourceLocation
    ) {
        self.id = id
        self.title = title
        self.requirements = requirements
        self.tags = tags
        self.destructive = destructive
        self.invasive = invasive
        self.card = card
        self.steps = steps
        self.file = file
        self.suite = suite
        self.format = format
        self.location = location
    }

    /// The tags a filter expression sees: the scenario's own, plus `destructive` and `invasive` when set.
    public var effectiveTags: Set<String> {
        var all = Set(tags)
        if destructive { all.insert("destructive") }
        if invasive { all.insert("invasive") }
        return all
    }
}

/// One step: an action, what its response must look like, and what to remember from it.
public struct Step: Sendable {
    public var action: Action
    public var expect: Expectation
    /// The response data is kept under this name for later steps (`${name}`).
    public var capture: String?
    /// Whether the step's commands go protected in the open secure-messaging session, and how they are spoiled.
    public var protection = StepProtection()
    /// The cryptogram (DO 87/85) of the step's last protected response is kept under this name, to compare sessions.
    public var captureCryptogram: String?
    public var location: SourceLocation

    public init(action: Action, expect: Expectation, capture: String? = nil, location: SourceLocation) {
        self.action = action
        self.expect = expect
        self.capture = capture
        self.location = location
    }
}

/// What a step does. Every named action is a short-hand for APDUs a raw `apdu` step could send too.
public indirect enum Action: Sendable {
    /// Sent byte-exact as written, after `${...}` interpolation.
    case apdu(Template)
    /// SELECT by AID (`00 A4 04 0C`).
    case selectApplication(Template)
    /// SELECT of an EF under the current application (`00 A4 02 0C 02 <FID>`).
    case selectFile(Template)
    /// VERIFY of the credential in `ef` (selected first when given, else the current EF); no `pin` asks for the
    /// tries left without spending one.
    case verify(ef: Template?, pin: Template?)
    /// CHANGE REFERENCE DATA `00 24 01 80` with the new value, after a VERIFY.
    case changePIN(ef: Template?, newPIN: Template)
    /// READ BINARY of a whole EF in a client's chunk pattern; the response data is the whole file.
    case read(ef: Template?, pattern: ReadPattern)
    /// READ RECORD of one record, of the current EF or of the EF with a short identifier.
    case readRecord(record: Int, shortIdentifier: Int?)
    /// COMPUTE DIGITAL SIGNATURE `80 2A 00 80` with the key in `key` (selected first when given).
    case sign(key: Template?, data: Template)
    /// GET CHALLENGE of `length` bytes.
    case getChallenge(length: Int)
    /// A warm reset; `powerCycle` is a cold one. Both clear the card's volatile state.
    case reset
    case powerCycle
    /// The inner steps, `times` times; timing budgets apply across the iterations.
    case repeatSteps(times: Int, steps: [Step])
    case wait(milliseconds: Int)
    /// GET CHALLENGE + MUTUAL AUTHENTICATE; opens a host secure-messaging session.
    case mutualAuthenticate(MutualAuthenticationSetup)
    /// A card AP's whole install through the free-area manager, each phase timed.
    case installAP(InstallSpec)
    /// The holder's request to delete an installed AP (`8C E4`).
    case deleteAP(FreeAreaSession, aid: Template)
    /// The move-out command (`8C EE`) that erases the local region.
    case moveOut(FreeAreaSession)

    /// The name of the step kind as written in YAML, for messages and timing tables.
    public var name: String {
        switch self {
        case .apdu: "apdu"
        case .selectApplication, .selectFile: "select"
        case .verify: "verify"
        case .changePIN: "change_pin"
        case .read: "read"
        case .readRecord: "read_record"
        case .sign: "sign"
        case .getChallenge: "get_challenge"
        case .reset: "reset"
        case .powerCycle: "power_cycle"
        case .repeatSteps: "repeat"
        case .wait: "wait"
        case .mutualAuthenticate: "mutual_authenticate"
        case .installAP: "install_ap"
        case .deleteAP: "delete_ap"
        case .moveOut: "move_out"
        }
    }
}

/// How a whole EF is read: the chunk patterns of the clients the card must satisfy (jpki-protocol.md §2.3).
public enum ReadPattern: String, Sendable, CaseIterable {
    /// OpenSC: a 4-byte header read for the DER length, then 256-byte chunks and the exact remainder.
    case opensc
    /// jpki/myna (Rust): 7 bytes, then from offset 7 with Le 00 while more than 255 remain, then the rest.
    case jpkiMyna = "jpki-myna"
    /// jpki-rs: 7 bytes, then from offset 0 in 256-byte chunks with a last Le of size & FF.
    case jpkiRS = "jpki-rs"
    /// my-number/myna: an 8-byte header, then everything in 255-byte chunks.
    case myNumberMyna = "my-number-myna"
    /// 256-byte chunks until the card answers 6B00 or a short chunk (for files that are not DER).
    case untilEnd = "until-end"
}

/// What a step's response must look like. Everything given must hold.
public struct Expectation: Sendable {
    /// Allowed status words; each a 4-digit hex pattern where `?` matches any digit (`63C?`). Empty: any.
    public var statusWords: [StatusWordPattern]
    public var data: BytePattern?
    /// `data`/`data_prefix` written with `${...}` (a capture): compared exactly, or as a prefix.
    public var dataTemplate: (template: Template, prefix: Bool)?
    public var dataRegex: String?
    public var length: ClosedRange<Int>?
    public var tlv: [TLVExpectation]
    public var certificate: CertificateExpectation?
    public var signature: SignatureExpectation?
    public var maxMilliseconds: Int?
    /// On `repeat`: the 95th percentile of the iterations' times.
    public var p95Milliseconds: Int?
    /// The cryptogram of the step's last protected response must differ from this capture (`capture_cryptogram`
    /// of an earlier session): fresh session keys give a new ciphertext for the same data.
    public var cryptogramDiffersFrom: Template?
    /// On `mutual_authenticate` (`session_keys: fresh`): the session keys the host derives must differ from those
    /// of every session opened earlier in the scenario. With `aes128` a reused key does not show in the ciphertext.
    public var sessionKeysFresh = false
    /// The data must not be exactly these bytes (`data_not`): e.g. a second AP's user ID is not the first's.
    public var dataNot: Template?

    public init(
        statusWords: [StatusWordPattern] = [StatusWordPattern.success], data: BytePattern? = nil,
        dataRegex: String? = nil, length: ClosedRange<Int>? = nil, tlv: [TLVExpectation] = [],
        certificate: CertificateExpectation? = nil, signature: SignatureExpectation? = nil,
        maxMilliseconds: Int? = nil, p95Milliseconds: Int? = nil
    ) {
        self.statusWords = statusWords
        self.data = data
        self.dataRegex = dataRegex
        self.length = length
        self.tlv = tlv
        self.certificate = certificate
        self.signature = signature
        self.maxMilliseconds = maxMilliseconds
        self.p95Milliseconds = p95Milliseconds
    }
}

/// A status word with `?` wildcards per hex digit: `9000`, `63C?`, `6A8?`.
public struct StatusWordPattern: Sendable, Hashable, CustomStringConvertible {
    public let text: String

    public init?(_ text: String) {
        let cleaned = text.replacingOccurrences(of: " ", with: "").uppercased()
        guard cleaned.count == 4, cleaned.allSatisfy({ $0 == "?" || $0.isHexDigit }) else { return nil }
        self.text = cleaned
    }

    public static let success = StatusWordPattern("9000")!

    public func matches(_ sw: StatusWord) -> Bool {
        let actual = Hex.encode([sw.sw1, sw.sw2])
        return zip(text, actual).allSatisfy { $0 == "?" || $0 == $1 }
    }

    public var description: String { text }
}

/// Hex bytes where `??` matches any byte: `30 82 ?? ??`. With `prefix`, the data need only start with it.
public struct BytePattern: Sendable, Hashable, CustomStringConvertible {
    /// nil entries are wildcards.
    public let bytes: [UInt8?]
    public let prefix: Bool

    public init(bytes: [UInt8?], prefix: Bool) {
        self.bytes = bytes
        self.prefix = prefix
    }

    public func matches(_ data: [UInt8]) -> Bool {
        if prefix ? data.count < bytes.count : data.count != bytes.count { return false }
        return zip(bytes, data).allSatisfy { $0 == nil || $0 == $1 }
    }

    public var description: String {
        bytes.map { $0.map { Hex.encode([$0]) } ?? "??" }.joined(separator: " ") + (prefix ? " …" : "")
    }
}

/// A TLV object found by its tag path in the response data, and what it must hold.
public struct TLVExpectation: Sendable {
    public var path: [BERTag]
    public var value: BytePattern?
    /// The value must be exactly these bytes (a `value` written with `${...}`, e.g. a hash of another file).
    public var valueTemplate: Template?
    /// The value is valid UTF-8 and reads exactly this text.
    public var utf8: Template?
    public var length: ClosedRange<Int>?
    /// Named checks of the value's content (`my_number`, `date`, `jp2`, …).
    public var formats: [ValueFormat] = []
    /// The value is an offset table: one big-endian 2-byte offset, counted from the start of the data, for each
    /// object that follows it inside its parent, in order.
    public var offsetTable = false
    /// The value is a date `YYYYMMDD` before this one (`YYYY-MM-DD`, or `as_of`).
    public var before: String?
    /// The value is a date `YYYYMMDD` on or after this one.
    public var notBefore: String?
    public var location: SourceLocation

    public init(
        path: [BERTag], value: BytePattern? = nil, utf8: Template? = nil, length: ClosedRange<Int>? = nil,
        location: SourceLocation
    ) {
        self.path = path
        self.value = value
        self.utf8 = utf8
        self.length = length
        self.location = location
    }
}

/// What a TLV value's content must be, by name; each is checked byte for byte by the runner.
public enum ValueFormat: String, Sendable, CaseIterable {
    /// Valid UTF-8.
    case utf8
    /// ASCII digits only.
    case digits
    /// 12 ASCII digits whose last is the check digit of the first eleven (個人番号の検査用数字).
    case myNumber = "my_number"
    /// `YYYYMMDD`, a real calendar date.
    case date
    /// One ASCII digit: 0, 1, 2 or 9 (the card's sex codes).
    case sex
    /// A 1-bit greyscale PNG image, whole.
    case png
    /// A greyscale JPEG 2000 image in a JP2 container, whole.
    case jp2
    /// An RSA-2048 public key as the card stores it: `90` exponent, `91` 256-byte modulus.
    case rsaKey = "rsa_key"
}

/// Checks on an X.509 certificate in the response data (a `read` of a certificate EF).
public struct CertificateExpectation: Sendable {
    /// A captured CA certificate the certificate must be signed by.
    public var chainTo: Template?
    /// The certificate must be valid on this date (`YYYY-MM-DD`, or `as_of`: the card profile's date, today on a real card).
    public var validOn: String?
    /// RDN values the subject / issuer must contain, e.g. `CN: TESTAUTH0000000001A`, `O: JPKI-TEST`.
    public var subject: [(attribute: String, value: Template)]
    public var issuer: [(attribute: String, value: Template)]
    public var keyUsage: [String]
    public var extendedKeyUsage: [String]
    public var policies: [String]
    /// The certificate must be outside its validity on this date (an expired or not-yet-valid one).
    public var notValidOn: String?
    /// What a CRL or an OCSP responder says about the certificate.
    public var revocation: RevocationExpectation?
    public var location: SourceLocation

    public init(
        chainTo: Template? = nil, validOn: String? = nil, subject: [(attribute: String, value: Template)] = [],
        issuer: [(attribute: String, value: Template)] = [], keyUsage: [String] = [], extendedKeyUsage: [String] = [],
        policies: [String] = [], location: SourceLocation
    ) {
        self.chainTo = chainTo
        self.validOn = validOn
        self.subject = subject
        self.issuer = issuer
        self.keyUsage = keyUsage
        self.extendedKeyUsage = extendedKeyUsage
        self.policies = policies
        self.location = location
    }
}

/// What a kiosk's revocation check (失効確認) must find: the status a CRL and/or an OCSP responder gives the
/// certificate. `issuer` is the CA's certificate (the CRL's signer, the OCSP CertID's issuer).
public struct RevocationExpectation: Sendable {
    public enum Status: String, Sendable { case good, revoked }
    public var issuer: Template
    /// A CRL file: a text value, a path relative to the scenario file (or absolute, as `${card.revocation.crl}`).
    public var crl: Template?
    /// An OCSP responder on loopback: `http://127.0.0.1:PORT`.
    public var ocsp: Template?
    public var status: Status
    public var location: SourceLocation

    public init(issuer: Template, crl: Template?, ocsp: Template?, status: Status, location: SourceLocation) {
        self.issuer = issuer
        self.crl = crl
        self.ocsp = ocsp
        self.status = status
        self.location = location
    }
}

/// The response data is a PKCS#1 v1.5 signature that verifies with the key of a captured certificate, over a
/// message hashed with `hash` (or over exactly `digestInfo` when given).
public struct SignatureExpectation: Sendable {
    /// An X.509 certificate; or, with `publicKey`, any key the card world writes: a CV certificate (`7F 21`), a
    /// `90`/`91` key template, a SubjectPublicKeyInfo or a certificate.
    public var certificate: Template
    public var publicKey = false
    /// The signature is the value at this TLV path in the data, not the whole data.
    public var path: [BERTag] = []
    public var message: Template?
    public var digestInfo: Template?
    public var hash: String
    public var location: SourceLocation

    public init(
        certificate: Template, message: Template?, digestInfo: Template?, hash: String, location: SourceLocation
    ) {
        self.certificate = certificate
        self.message = message
        self.digestInfo = digestInfo
        self.hash = hash
        self.location = location
    }
}
