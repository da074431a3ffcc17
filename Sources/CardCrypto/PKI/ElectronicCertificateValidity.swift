/// How long a JPKI electronic certificate on the card is valid.
public enum ElectronicCertificateValidity {
    /// Card rule: an electronic certificate is valid until the holder's 5th birthday after issue, and that
    /// birthday is its last valid day.
    ///
    /// Sources: the J-LIS portal (jpki.go.jp/procedure/period.html, 2019) says 「電子証明書発行の日から5回目の誕生日まで」;
    /// municipal FAQs quoting the rule in full (e.g. 東村山市, 「公的個人認証サービス（電子証明書）の有効期間は。」) say
    /// 「発行の日後の5回目の誕生日」 — birthdays *after* the day of issue, so a certificate issued on a birthday does not
    /// count that day. A real user-authentication certificate ends at 23:59:59 JST (`notAfter 14:59:59Z`), i.e. at
    /// the end of a day, which fits the birthday being the last valid day.
    ///
    /// Not modelled (the caller can take the earlier date itself): the cap at the card's own expiry and, for the
    /// signing certificate, at the user-authentication certificate's expiry. An early renewal (within three months
    /// of expiry) runs to the 6th birthday: use ``expiry(issuedOn:birthDate:birthdayCount:)``.
    ///
    /// A holder born on Feb 29 has the birthday on Feb 28 in common years (as ``CalendarDate/adding(years:)``).
    /// J-LIS publishes no rule for this case; the earlier day is chosen so the emulator never issues a certificate
    /// that outlives the real one.
    public static func expiry(issuedOn: CalendarDate, birthDate: CalendarDate) -> CalendarDate {
        expiry(issuedOn: issuedOn, birthDate: birthDate, birthdayCount: 5)
    }

    /// The `birthdayCount`-th birthday strictly after `issuedOn` (5 normally, 6 for an early renewal).
    /// - Precondition: `birthdayCount >= 1`.
    public static func expiry(issuedOn: CalendarDate, birthDate: CalendarDate, birthdayCount: Int) -> CalendarDate {
        precondition(birthdayCount >= 1, "the count of birthdays must be at least 1")
        var firstYear = issuedOn.year
        if birthday(of: birthDate, in: firstYear) <= issuedOn {
            firstYear += 1
        }
        return birthday(of: birthDate, in: firstYear + birthdayCount - 1)
    }

    private static func birthday(of birthDate: CalendarDate, in year: Int) -> CalendarDate {
        birthDate.adding(years: year - birthDate.year)
    }
}
