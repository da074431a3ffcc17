/// The two certificates on the card: 利用者証明用 (user authentication, EF 000A) and 署名用 (signing, EF 0001).
public enum JPKICertificateKind: String, Sendable, CaseIterable {
    case authentication
    case signing
}

/// The person a signing certificate names (基本4情報, plus the substitute-character maps).
public struct CertificateHolder: Sendable, Hashable {
    /// 氏名, e.g. "山田　太郎" (family and given name separated by an ideographic space, as on real certificates).
    public var name: String
    /// Which characters of `name` are substitutes, one digit per character ("0" no, "1" yes), if recorded.
    public var nameAlternative: String?
    /// "1" male, "2" female, "9" not applicable; written into the certificate exactly as given.
    public var sex: String
    public var birthDate: CalendarDate
    /// 住所, from the prefecture on, without a postal code.
    public var address: String
    /// Which characters of `address` are substitutes, one digit per character, if recorded.
    public var addressAlternative: String?

    public init(
        name: String,
        nameAlternative: String? = nil,
        sex: String,
        birthDate: CalendarDate,
        address: String,
        addressAlternative: String? = nil
    ) {
        self.name = name
        self.nameAlternative = nameAlternative
        self.sex = sex
        self.birthDate = birthDate
        self.address = address
        self.addressAlternative = addressAlternative
    }

    /// The birth date as the signing certificate writes it: `EYYYYMMDD`, an era digit then the Gregorian date
    /// (1 明治, 2 大正, 3 昭和, 4 平成, 5 令和, 0 before 明治). So 1980-02-17 is "319800217".
    ///
    /// Real signing certificates carry nine characters here (descriptions of real certificates and the clients that
    /// parse them agree), so the test PKI does too; a client that expects the era digit would misread plain YYYYMMDD.
    public var encodedBirthDate: String {
        "\(Self.eraDigit(of: self.birthDate))\(self.birthDate.yyyymmdd)"
    }

    /// First days of the eras, in the Gregorian calendar. Meiji is counted from 1868-01-25, the first day of its
    /// first year as it was later applied; nobody with a My Number card was born near that boundary.
    private static let eras: [(digit: Int, start: CalendarDate)] = [
        (5, CalendarDate(year: 2019, month: 5, day: 1)!),
        (4, CalendarDate(year: 1989, month: 1, day: 8)!),
        (3, CalendarDate(year: 1926, month: 12, day: 25)!),
        (2, CalendarDate(year: 1912, month: 7, day: 30)!),
        (1, CalendarDate(year: 1868, month: 1, day: 25)!),
    ]

    static func eraDigit(of date: CalendarDate) -> Int {
        eras.first { date >= $0.start }?.digit ?? 0
    }

    /// The otherName entries in the order a real signing certificate lists them (name, birth date, sex, address,
    /// then the two substitute maps), leaving out the absent ones.
    var subjectAltNameEntries: [(oid: String, value: String)] {
        var entries: [(oid: String, value: String)] = [
            (JPKIObjectIdentifiers.name, self.name),
            (JPKIObjectIdentifiers.birthDate, self.encodedBirthDate),
            (JPKIObjectIdentifiers.sex, self.sex),
            (JPKIObjectIdentifiers.address, self.address),
        ]
        if let nameAlternative {
            entries.append((JPKIObjectIdentifiers.nameAlternative, nameAlternative))
        }
        if let addressAlternative {
            entries.append((JPKIObjectIdentifiers.addressAlternative, addressAlternative))
        }
        return entries
    }
}
