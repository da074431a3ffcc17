import APDU
import CardCrypto

/// Everything that makes one emulated card: who holds it, its credentials and their counters, its certificates,
/// the date the card lives on, and the behaviours no public source pins down. Loaded from `Vectors/cards/*.yaml`.
public struct CardProfile: Sendable {
    public var name: String
    public var summary: String
    /// Where the profile was read from, for messages.
    public var sourcePath: String?
    /// The date every validity decision about this card uses (certificate and card expiry), so committed test
    /// data never expires. A real card is judged on today's date instead.
    public var asOf: CalendarDate
    public var atr: [UInt8]
    public var holder: CardHolder
    /// Credential values and counters by name (`auth`, `sign`, `text`): what `${card.pins.auth}` reads.
    public var pins: [String: PINSetting]
    public var jpki: JPKIContent
    /// The text, visual, juki and common APs and the deliberate faults (docs/card-profiles.md).
    public var chip = ChipContent()
    public var behaviour: CardBehaviour
    /// How long the real card takes per command; used by `mynaconf emulate --speed real`.
    public var timing = CardTiming.default
    /// The radio identity a contactless reader reports (the PUPI).
    public var contactless = ContactlessSetting(pupi: .random)
    /// The free area (空き領域) and the AP packages an installer may download; nil: the card has none.
    public var freeArea: FreeAreaSetting? = FreeAreaSetting.standard(municipality: nil)

    /// The applications on the chip as the card is made from this profile: change a field above (a key, a
    /// counter) and a card made afterwards carries the change.
    public var applications: [CardApplication] {
        chipApplications(jpki: JPKIApplication.build(jpki, pins: pins, asOf: asOf))
    }

    public init(
        name: String, summary: String = "", sourcePath: String? = nil, asOf: CalendarDate,
        atr: [UInt8] = CardProfile.contactATR, holder: CardHolder, pins: [String: PINSetting], jpki: JPKIContent,
        behaviour: CardBehaviour = CardBehaviour()
    ) {
        self.name = name
        self.summary = summary
        self.sourcePath = sourcePath
        self.asOf = asOf
        self.atr = atr
        self.holder = holder
        self.pins = pins
        self.jpki = jpki
        self.behaviour = behaviour
        self.contactless = .derived(fromProfileName: name)
    }

    /// The contact ATR of the My Number card, the one OpenSC's jpki driver matches.
    public static let contactATR: [UInt8] = [0x3B, 0xE0, 0x00, 0xFF, 0x81, 0x31, 0xFE, 0x45, 0x14]
}

/// The card holder's data as the card records it (基本4情報 and the My Number).
public struct CardHolder: Sendable, Hashable {
    public var myNumber: String
    public var name: String
    public var address: String
    public var birthDate: CalendarDate
    /// `1` male, `2` female, `9` not applicable (ISO 5218 wording, as the card stores it).
    public var sex: String
    public var cardExpiry: CalendarDate?
    /// The 4-digit セキュリティコード printed on the card face: the end of 照合番号B.
    public var securityCode: String?
    /// The issuing municipality's 5-digit 全国地方公共団体コード (common AP EF 0001, visual AP EF 0003).
    public var municipalityCode: String?
    /// The card's 15-digit serial number (common AP EF 0001).
    public var cardSerial: String?

    public init(
        myNumber: String, name: String, address: String, birthDate: CalendarDate, sex: String,
        cardExpiry: CalendarDate? = nil
    ) {
        self.myNumber = myNumber
        self.name = name
        self.address = address
        self.birthDate = birthDate
        self.sex = sex
        self.cardExpiry = cardExpiry
    }

    /// The check digit rule of the 個人番号 (MIC ordinance 行政手続における特定の個人を識別するための番号の利用等に
    /// 関する法律施行令 §8): weights 2–7 then 2–6 from the right over the first eleven digits, modulo 11.
    public static func isValidMyNumber(_ number: String) -> Bool {
        let digits = number.compactMap { $0.wholeNumberValue }
        guard digits.count == 12, number.count == 12, number.allSatisfy({ $0.isASCII && $0.isNumber }) else {
            return false
        }
        return checkDigit(forFirstEleven: Array(digits.prefix(11))) == digits[11]
    }

    static func checkDigit(forFirstEleven digits: [Int]) -> Int {
        var sum = 0
        for (index, digit) in digits.reversed().enumerated() {
            let n = index + 1
            sum += digit * (n <= 6 ? n + 1 : n - 5)
        }
        let remainder = sum % 11
        return remainder <= 1 ? 0 : 11 - remainder
    }
}

/// A credential's value and counter as the profile sets them.
public struct PINSetting: Sendable, Hashable {
    public var value: String
    /// Tries left when the card is made; nil = the full limit.
    public var triesLeft: Int?

    public init(value: String, triesLeft: Int? = nil) {
        self.value = value
        self.triesLeft = triesLeft
    }
}

/// The JPKI AP's content: certificates (DER) and keys, as issued by the test PKI.
public struct JPKIContent: Sendable {
    public var tokenLabel: String
    public var tokenSerial: String
    public var authenticationCertificate: [UInt8]
    public var authenticationCA: [UInt8]
    public var authenticationKey: RSAPrivateKey
    /// Absent on a card without a signing certificate (a holder under 15).
    public var signingCertificate: [UInt8]?
    public var signingCA: [UInt8]
    public var signingKey: RSAPrivateKey?

    public init(
        tokenLabel: String = "JPKIAPICCTOKEN2", tokenSerial: String, authenticationCertificate: [UInt8],
        authenticationCA: [UInt8], authenticationKey: RSAPrivateKey, signingCertificate: [UInt8]?,
        signingCA: [UInt8], signingKey: RSAPrivateKey?
    ) {
        self.tokenLabel = tokenLabel
        self.tokenSerial = tokenSerial
        self.authenticationCertificate = authenticationCertificate
        self.authenticationCA = authenticationCA
        self.authenticationKey = authenticationKey
        self.signingCertificate = signingCertificate
        self.signingCA = signingCA
        self.signingKey = signingKey
    }
}

/// Card behaviour that no public source states; each is a labelled assumption (docs/card-model.md) that a
/// profile can change to match a card that behaves otherwise.
public struct CardBehaviour: Sendable, Hashable {
    public enum MalformedPIN: String, Sendable, CaseIterable {
        /// A value of the wrong length or characters is compared like any other and spends a try.
        case wrongTry = "wrong_try"
        /// It is refused with `6A 80` and spends nothing.
        case refused
    }

    public enum EmptyVerifyAfterSuccess: String, Sendable, CaseIterable {
        /// `63 Cx`, as OpenSC's driver expects (jpki-protocol.md §2.2).
        case triesLeft = "tries_left"
        /// `90 00`, as soltia48 reports "some cards" do.
        case success
    }

    public var malformedPIN: MalformedPIN = .wrongTry
    public var emptyVerifyAfterSuccess: EmptyVerifyAfterSuccess = .triesLeft
    /// The clients studied use only short APDUs; extended ones get `67 00` unless this is set.
    public var extendedLength = false

    public init() {}
}
