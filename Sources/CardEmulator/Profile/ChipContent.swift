import APDU
import CardCrypto

/// The chip's applications beyond JPKI, as a profile describes them: the text, visual, juki and common APs, the
/// test hierarchy that certifies the 券面 APs' keys, and the deliberate faults of a faulty profile. An AP left
/// out of the profile is absent from the card (SELECT answers `6A 82`).
public struct ChipContent: Sendable {
    public var issuer: CardIssuerKeys?
    public var text: TextAPContent?
    public var visual: VisualAPContent?
    public var juki: JukiAPContent?
    public var common: CommonAPContent?
    /// Faults the profile declares on purpose, so the suites can be shown to catch them.
    public var faults: Set<CardFault> = []
    /// The requirement IDs a run of the whole suite on a faulty card must fail (`expected_failures`), in the
    /// profile's order; empty for every conforming card.
    public var expectedFailures: [String] = []
    /// The committed profile a faulty one copies plus its faults (`based_on`, default `default`): the card the
    /// scenarios written for it (`card:`) run on when `--card` forces the faulty profile.
    public var basedOn: String?
    /// The CRL that says whether this card's certificates are revoked (absolute path), for `${card.revocation.crl}`.
    public var revocationList: String?

    public init() {}
}

/// The keys of the test hierarchy behind the 券面 APs' card-verifiable certificates (research §3.2): J-LIS's CA
/// keys for the text AP (key ID `6000033…`) and the visual AP (`6000023…`), and the municipality's key they
/// certify in EF `0004`, which signs the APs' records (text EF `0003`, visual EF `0001`, `0002`, `0005`).
public struct CardIssuerKeys: Sendable {
    public var textCA: RSAPrivateKey
    public var visualCA: RSAPrivateKey
    public var municipality: RSAPrivateKey

    public init(textCA: RSAPrivateKey, visualCA: RSAPrivateKey, municipality: RSAPrivateKey) {
        self.textCA = textCA
        self.visualCA = visualCA
        self.municipality = municipality
    }

    public static let textCAKeyID = KeyIdentifier.make("6000033")
    public static let visualCAKeyID = KeyIdentifier.make("6000023")

    /// The municipality key's ID: `9`, the 5-digit municipality code, `1` (our convention; real IDs are
    /// J-LIS's to assign).
    public static func municipalityKeyID(municipalityCode: String) -> [UInt8] {
        KeyIdentifier.make("9" + municipalityCode + "1")
    }
}

/// Retry limits and counters of an AP's credentials, by the names a profile uses (`pin`, `code_a`, …).
public struct CredentialCounters: Sendable, Hashable {
    /// Every limit here is an assumption: no public source states them (research §9.2).
    public var limits: [String: Int] = [:]
    public var triesLeft: [String: Int] = [:]

    public init(limits: [String: Int] = [:], triesLeft: [String: Int] = [:]) {
        self.limits = limits
        self.triesLeft = triesLeft
    }

    /// The assumed limit for every 券面 and 住基 credential: 3, as for the 4-digit JPKI PIN.
    public static let assumedLimit = 3

    func counter(_ name: String) -> RetryCounter {
        RetryCounter(limit: limits[name] ?? Self.assumedLimit, remaining: triesLeft[name])
    }
}

/// 券面事項入力補助AP: its own signing key (EF `0013`), the session key whose public half EF `0006` carries,
/// whether its data was ever written, and raw contents a profile may give for EF `0001`/`0002`.
public struct TextAPContent: Sendable {
    public var key: RSAPrivateKey
    public var sessionKey: RSAPrivateKey
    /// False: a card whose text-AP data was never written; EF `0001`–`0003` hold nothing but `FF`.
    public var written = true
    /// EF `0001` exactly as stored, instead of the one made from the holder.
    public var myNumberFile: [UInt8]?
    /// EF `0002` exactly as stored, instead of the one made from the holder.
    public var attributesFile: [UInt8]?
    /// `pin` (`0011`), `code_a` (`0014`), `code_b` (`0015`).
    public var counters = CredentialCounters()

    public init(key: RSAPrivateKey, sessionKey: RSAPrivateKey) {
        self.key = key
        self.sessionKey = sessionKey
    }
}

/// 券面事項確認AP: its own signing key (EF `001A`) and the card-face images.
public struct VisualAPContent: Sendable {
    public var key: RSAPrivateKey
    public var facePhoto: [UInt8]
    public var nameImage: [UInt8]
    public var addressImage: [UInt8]
    public var myNumberImage: [UInt8]
    public var securityCodeImage: [UInt8]
    /// `birth_date` (`0011`), `code_b` (`0012`), `code_a` (`0013`).
    public var counters = CredentialCounters()

    public init(
        key: RSAPrivateKey, facePhoto: [UInt8], nameImage: [UInt8], addressImage: [UInt8], myNumberImage: [UInt8],
        securityCodeImage: [UInt8]
    ) {
        self.key = key
        self.facePhoto = facePhoto
        self.nameImage = nameImage
        self.addressImage = addressImage
        self.myNumberImage = myNumberImage
        self.securityCodeImage = securityCodeImage
    }
}

/// 住基AP: the 住民基本台帳用 PIN (`001C`) and the key-reference record.
public struct JukiAPContent: Sendable {
    /// `pin` (`001C`).
    public var counters = CredentialCounters()
    public init() {}
}

/// The pre-installed common AP (`D3 92 10 00 31 00 01 01 01 00`): the INTERNAL AUTHENTICATE key (`0019`), the PIN
/// (`001C`) and the records.
public struct CommonAPContent: Sendable {
    public var key: RSAPrivateKey
    /// `pin` (`001C`).
    public var counters = CredentialCounters()

    public init(key: RSAPrivateKey) { self.key = key }
}

/// A fault a profile declares on purpose: the card it makes is broken in one documented way, and a suite must
/// catch it. The loader relaxes exactly the check a fault needs (an invalid My Number, a photo that is not JP2).
public enum CardFault: String, Sendable, CaseIterable {
    case myNumberCheckDigit = "my_number_check_digit"
    case textOffsetTable = "text_offset_table"
    case textIntegrityHash = "text_integrity_hash"
    case textCodeAOpensAttributes = "text_code_a_opens_attributes"
    case cardFaceSignature = "card_face_signature"
    case cardFacePhotoFormat = "card_face_photo_format"
    case visualCodeBOpensMyNumberImage = "visual_code_b_opens_my_number_image"
    case changeKeyWithoutVerify = "change_key_without_verify"
    case internalAuthenticateSHA1 = "internal_authenticate_sha1"
    case under15PresenceFlags = "under_15_presence_flags"
    // The JPKI AP's faults: one per requirement of docs/requirements/jpki.md, each breaking exactly one rule.
    case atrCheckByte = "atr_check_byte"
    case foreignAIDSelected = "foreign_aid_selected"
    case selectAnswersDataUnasked = "select_answers_data_unasked"
    case tokenLabelPadding = "token_label_padding"
    case securityStateSurvivesReselect = "security_state_survives_reselect"
    case authCACertificateMismatch = "auth_ca_certificate_mismatch"
    case signingCertificateUnprotected = "signing_certificate_unprotected"
    case certificateValidityOneYear = "certificate_validity_one_year"
    case emptyVerifySpendsTry = "empty_verify_spends_try"
    case authPINFiveTries = "auth_pin_five_tries"
    case signingPasswordThreeTries = "signing_password_three_tries"
    case changePINAcceptsMalformed = "change_pin_accepts_malformed"
    case authPINUnlocksSigningKey = "auth_pin_unlocks_signing_key"
    case authSignaturePaddingType2 = "auth_signature_padding_type_2"
    case signingKeyIsAuthKey = "signing_key_is_auth_key"
    case readableAuthKey = "readable_auth_key"
    case readBinaryOverrun = "read_binary_overrun"
    case unknownInstructionAnswers6A81 = "unknown_instruction_answers_6a81"
    // The free area's faults (docs/card-ap-profile.md).
    case typeDPlainReads = "type_d_plain_reads"
    case reusedSessionKey = "reused_session_key"
    case userIDIsMyNumber = "user_id_is_my_number"
    case moveOutKeepsLocal = "move_out_keeps_local"

    /// What the faulty card does, for docs and messages.
    public var summary: String {
        switch self {
        case .myNumberCheckDigit: "the My Number's check digit is wrong"
        case .textOffsetTable: "the text AP's EF 0002 offset table points one byte past each attribute"
        case .textIntegrityHash: "the text AP's DF 32 hashes EF 0002 with its offset table, not from DF 22 on"
        case .textCodeAOpensAttributes: "照合番号A opens the text AP's EF 0002 (the four attributes)"
        case .cardFaceSignature: "the visual AP's DF 28 signs one hash of the whole face, not the three groups"
        case .cardFacePhotoFormat: "the visual AP's face photo is a baseline JPEG, not JPEG 2000"
        case .visualCodeBOpensMyNumberImage: "照合番号B opens the visual AP's EF 0005 (the My Number image)"
        case .changeKeyWithoutVerify: "CHANGE KEY replaces the 住基 PINs without a VERIFY first"
        case .internalAuthenticateSHA1: "INTERNAL AUTHENTICATE signs a SHA-1 DigestInfo of the challenge"
        case .under15PresenceFlags: "EF 0008 says 8F 8F 00 on a card without a signing certificate"
        case .atrCheckByte: "the ATR's check byte TCK is wrong (15, should be 14: the XOR of T0 to the last TB)"
        case .foreignAIDSelected: "SELECT of an AID the card does not have answers 90 00, not 6A 82"
        case .selectAnswersDataUnasked: "SELECT with P2 0C (no response data) answers the FCI anyway"
        case .tokenLabelPadding: "EF 0006 pads the token label with 00 bytes, not blanks"
        case .securityStateSurvivesReselect: "re-selecting the JPKI AP keeps the verified PIN"
        case .authCACertificateMismatch:
            "EF 000B holds the signing CA's certificate: the auth certificate does not chain"
        case .signingCertificateUnprotected: "the signing certificate EF 0001 is readable without the signing password"
        case .certificateValidityOneYear: "the certificates are valid one year from issue, not to the 5th birthday"
        case .emptyVerifySpendsTry: "the JPKI AP's empty VERIFY spends a try before it reports the tries left"
        case .authPINFiveTries: "the auth PIN blocks after 5 wrong tries, not 3"
        case .signingPasswordThreeTries: "the signing password blocks after 3 wrong tries, not 5"
        case .changePINAcceptsMalformed: "the JPKI AP's CHANGE REFERENCE DATA stores a badly formed new PIN (43A1)"
        case .authPINUnlocksSigningKey: "the auth PIN unlocks the signing key 001A"
        case .authSignaturePaddingType2: "the auth key pads with PKCS#1 v1.5 type 2 (encryption), not type 1"
        case .signingKeyIsAuthKey: "the signing key object 001A holds the auth key"
        case .readableAuthKey: "READ BINARY on the auth key EF 0017 returns the private key"
        case .readBinaryOverrun: "the JPKI AP's READ BINARY answers Le bytes, 00 past the end, not min(Le, remaining)"
        case .unknownInstructionAnswers6A81: "an INS the card does not know answers 6A 81, not 6D 00"
        case .typeDPlainReads: "a free-area Type D AP answers a plain READ BINARY with its content"
        case .reusedSessionKey: "a free-area Type D AP derives the same session keys at every authentication"
        case .userIDIsMyNumber: "the free area writes the holder's My Number and 0 as the user ID"
        case .moveOutKeepsLocal: "move out answers 90 00 and erases nothing of the local region"
        }
    }
}
