import APDU
import CardCrypto

/// The Japanese era a date falls in, and the year within it: 照合番号B and the visual AP's birth-date key write
/// the birth year this way (soltia48/myna-card src/data.rs, confirmed on a card: 1980-02-17 is 昭和55).
public enum JapaneseEra: String, Sendable, CaseIterable {
    case meiji = "明治"
    case taisho = "大正"
    case showa = "昭和"
    case heisei = "平成"
    case reiwa = "令和"

    /// The first day of each era (the day the new era's year 1 begins).
    var firstDay: CalendarDate {
        switch self {
        case .meiji: CalendarDate(year: 1868, month: 1, day: 25)!
        case .taisho: CalendarDate(year: 1912, month: 7, day: 30)!
        case .showa: CalendarDate(year: 1926, month: 12, day: 25)!
        case .heisei: CalendarDate(year: 1989, month: 1, day: 8)!
        case .reiwa: CalendarDate(year: 2019, month: 5, day: 1)!
        }
    }

    /// The era and era year of `date`; nil before Meiji.
    public static func of(_ date: CalendarDate) -> (era: JapaneseEra, year: Int)? {
        guard let era = allCases.reversed().first(where: { $0.firstDay <= date }) else { return nil }
        return (era, date.year - era.firstDay.year + 1)
    }

    /// `YYMMDD` with the era year: 1980-01-01 → `550101`. Nil when the date is before Meiji or its era year has
    /// three digits.
    public static func yymmdd(_ date: CalendarDate) -> String? {
        guard let (_, year) = of(date), year < 100 else { return nil }
        return two(year) + two(date.month) + two(date.day)
    }

    private static func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
}

/// The values the 券面 APs' verification codes take, all derived from what is printed on the card.
public enum VerificationCode {
    /// 照合番号B: era-year birth date `YYMMDD`, the Gregorian expiry year, the 4-digit security code (14 digits;
    /// soltia48/myna-card src/data.rs `verification_code_b`, research §3.1).
    public static func codeB(birthDate: CalendarDate, cardExpiry: CalendarDate, securityCode: String) -> String? {
        guard let birth = JapaneseEra.yymmdd(birthDate) else { return nil }
        return birth + String(cardExpiry.year) + securityCode
    }
}

/// A 16-byte key identifier as the CV certificates and basic-information files carry it: 7 ASCII digits,
/// `08 05`, a 3-digit group, 4 padding bytes (research §3.2; soltia48 src/data.rs `KeyId`). Test-hierarchy
/// numbers begin with 6, production ones with 5.
public enum KeyIdentifier {
    public static func make(_ number: String, group: String = "001") -> [UInt8] {
        precondition(number.utf8.count == 7 && group.utf8.count == 3, "a key ID is 7 digits and a 3-digit group")
        return Array(number.utf8) + [0x08, 0x05] + Array(group.utf8) + [0x00, 0x00, 0x00, 0x00]
    }
}

extension RSAPublicKey {
    /// The key as the 券面 APs store it: `90` public exponent, `91` modulus (265 bytes for RSA-2048).
    public var keyTemplate: [UInt8] {
        BERTLV(tag: BERTag(0x90), value: publicExponent).encoded + BERTLV(tag: BERTag(0x91), value: modulus).encoded
    }
}

/// BER-TLV building for the 券面 APs' files, whose tags are two-byte private-class ones (`FF 20`, `DF 21`).
enum CardFileTLV {
    static func tag(_ value: UInt16) -> BERTag {
        // Every tag used here is a valid two-byte tag; a bad one is a programming error.
        try! BERTag([UInt8(value >> 8), UInt8(value & 0xFF)])
    }

    static func object(_ tagValue: UInt16, _ value: [UInt8]) -> [UInt8] {
        BERTLV(tag: tag(tagValue), value: value).encoded
    }

    /// An outer object whose first child (`table`) holds one big-endian 2-byte offset per following object,
    /// counted from the first byte of the file — outer header included (research §3.2, §4.2).
    /// `shift` moves every offset (a deliberately faulty table).
    static func withOffsetTable(outer: UInt16, table: UInt16, fields: [[UInt8]], shift: Int = 0) -> [UInt8] {
        let tableObject = object(table, [UInt8](repeating: 0, count: fields.count * 2))
        let bodyLength = tableObject.count + fields.reduce(0) { $0 + $1.count }
        let headerLength = object(outer, [UInt8](repeating: 0, count: bodyLength)).count - bodyLength
        var offsets: [UInt8] = []
        var position = headerLength + tableObject.count
        for field in fields {
            let offset = position + shift
            offsets += [UInt8(truncatingIfNeeded: offset >> 8), UInt8(truncatingIfNeeded: offset)]
            position += field.count
        }
        return object(outer, object(table, offsets) + fields.flatMap { $0 })
    }
}

/// A card-verifiable certificate (`7F 21`), as EF `0004` of both 券面 APs holds it: the issuer's and the
/// subject's key IDs and the subject's public key in `5F 4E`, the issuer's signature (PKCS#1 v1.5, SHA-256 over
/// that 297-byte body) in `5F 37` — 568 bytes for RSA-2048 (research §3.2; soltia48 src/data.rs).
public enum CardVerifiableCertificate {
    public static let tag: UInt16 = 0x7F21
    public static let bodyTag: UInt16 = 0x5F4E
    public static let signatureTag: UInt16 = 0x5F37

    static func make(
        issuerKeyID: [UInt8], subjectKeyID: [UInt8], subjectKey: RSAPublicKey, issuer: RSAPrivateKey
    ) throws(CryptoError) -> [UInt8] {
        let body = issuerKeyID + subjectKeyID + subjectKey.keyTemplate
        let signature = try issuer.signPKCS1v15(raw: DigestInfo.of(.sha256, message: body))
        return CardFileTLV.object(
            tag, CardFileTLV.object(bodyTag, body) + CardFileTLV.object(signatureTag, signature))
    }

    /// The certified key and the signed body of a CV certificate, for checks; nil when it is not one.
    public static func parse(_ bytes: [UInt8]) -> (body: [UInt8], signature: [UInt8], key: RSAPublicKey)? {
        guard let (outer, _) = try? BERTLV.parseFirst(bytes), outer.tag == CardFileTLV.tag(tag),
            let body = outer.first(CardFileTLV.tag(bodyTag))?.value,
            let signature = outer.first(CardFileTLV.tag(signatureTag))?.value, body.count > 32,
            let key = publicKey(fromTemplate: Array(body.dropFirst(32)))
        else { return nil }
        return (body, signature, key)
    }

    /// An RSA key from its `90`/`91` template.
    public static func publicKey(fromTemplate bytes: [UInt8]) -> RSAPublicKey? {
        guard let objects = try? BERTLV.parseAll(bytes),
            let exponent = objects.first(where: { $0.tag == BERTag(0x90) })?.value,
            let modulus = objects.first(where: { $0.tag == BERTag(0x91) })?.value
        else { return nil }
        return try? RSAPublicKey(modulus: modulus, publicExponent: exponent)
    }
}

/// Deterministic filler for the fields whose meaning no public source knows (text EF 0005 `DF 43`, visual EF
/// 0003 `DF 35`): SHA-256 blocks of a label, so a profile always gives the same bytes.
func opaqueBytes(_ count: Int, label: String) -> [UInt8] {
    var bytes: [UInt8] = []
    var block = HashAlgorithm.sha256.hash(Array(label.utf8))
    while bytes.count < count {
        bytes += block
        block = HashAlgorithm.sha256.hash(block)
    }
    return Array(bytes.prefix(count))
}
