import CardCrypto
import Testing

@Suite("Electronic certificate validity: until the 5th birthday after issue")
struct ElectronicCertificateValidityTests {
    @Test(
        "Examples around the birthday",
        arguments: [
            // Issued the day before the birthday: that birthday is the first.
            ("1980-05-02", "2024-05-01", "2028-05-02"),
            // Issued on the birthday: it does not count (発行の日後).
            ("1980-05-02", "2024-05-02", "2029-05-02"),
            // Issued after the birthday.
            ("1980-05-02", "2024-05-03", "2029-05-02"),
            ("1980-05-02", "2024-12-31", "2029-05-02"),
            ("1980-05-02", "2025-01-01", "2029-05-02"),
            // Born on Feb 29: the birthday is Feb 28 in common years.
            ("2000-02-29", "2024-02-28", "2028-02-29"),
            ("2000-02-29", "2024-02-29", "2029-02-28"),
            ("2000-02-29", "2024-03-01", "2029-02-28"),
            ("2000-02-29", "2023-02-27", "2027-02-28"),
            ("2000-02-29", "2023-02-28", "2028-02-29"),
            ("2000-02-29", "2025-01-10", "2029-02-28"),
            // A year-end birthday.
            ("1990-12-31", "2024-12-30", "2028-12-31"),
            ("1990-12-31", "2024-12-31", "2029-12-31"),
        ]
    )
    func examples(birth: String, issued: String, expected: String) {
        let expiry = ElectronicCertificateValidity.expiry(
            issuedOn: Fixtures.date(issued),
            birthDate: Fixtures.date(birth)
        )
        #expect(expiry == Fixtures.date(expected))
    }

    @Test("An early renewal runs to the 6th birthday")
    func sixthBirthday() {
        let expiry = ElectronicCertificateValidity.expiry(
            issuedOn: Fixtures.date("2024-03-01"),
            birthDate: Fixtures.date("1980-05-02"),
            birthdayCount: 6
        )
        #expect(expiry == Fixtures.date("2029-05-02"))
    }

    @Test("The expiry is always a birthday between four and five years after issue")
    func bounds() {
        let birth = Fixtures.date("1975-07-15")
        var issued = Fixtures.date("2024-01-01")
        while issued < Fixtures.date("2025-01-01") {
            let expiry = ElectronicCertificateValidity.expiry(issuedOn: issued, birthDate: birth)
            #expect(expiry.month == 7 && expiry.day == 15)
            #expect(expiry > issued.adding(years: 4))
            #expect(expiry <= issued.adding(years: 5))
            issued = issued.adding(days: 1)
        }
    }
}
