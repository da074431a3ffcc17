import CardCrypto
import Foundation
import Testing

@Suite("CalendarDate")
struct CalendarDateTests {
    @Test("Parses YYYYMMDD and ISO text")
    func parsing() throws {
        let date = try #require(CalendarDate(yyyymmdd: "19800101"))
        #expect(date.year == 1980 && date.month == 1 && date.day == 1)
        #expect(CalendarDate(iso: "1980-01-01") == date)
        #expect(CalendarDate(year: 1980, month: 1, day: 1) == date)
        #expect(date.yyyymmdd == "19800101")
        #expect(date.description == "1980-01-01")
        #expect(CalendarDate(iso: "0001-01-01")?.yyyymmdd == "00010101")
        #expect(CalendarDate(yyyymmdd: "99991231")?.description == "9999-12-31")
    }

    @Test(
        "Refuses impossible dates and malformed text",
        arguments: [
            "19800230", "19801301", "19800001", "19800100", "00000101", "19000229", "20230229", "1980010",
            "198001011", " 19800101", "1980010a", "+1980101", "",
        ]
    )
    func refusesYYYYMMDD(text: String) {
        #expect(CalendarDate(yyyymmdd: text) == nil)
    }

    @Test(
        "Refuses malformed ISO text",
        arguments: [
            "1980-1-01", "1980/01/01", "19800101", "1980-02-30", "1980-01-01T00:00", "1980-01-0 ", "-980-01-01",
        ]
    )
    func refusesISO(text: String) {
        #expect(CalendarDate(iso: text) == nil)
    }

    @Test("Leap years follow the Gregorian rules")
    func leapYears() {
        #expect(CalendarDate(year: 2024, month: 2, day: 29) != nil)
        #expect(CalendarDate(year: 2000, month: 2, day: 29) != nil)
        #expect(CalendarDate(year: 1900, month: 2, day: 29) == nil)
        #expect(CalendarDate(year: 2023, month: 2, day: 29) == nil)
        #expect(CalendarDate(year: 2023, month: 4, day: 31) == nil)
        #expect(CalendarDate(year: 10000, month: 1, day: 1) == nil)
        #expect(CalendarDate(year: 0, month: 1, day: 1) == nil)
        #expect(CalendarDate.isLeapYear(2400) && !CalendarDate.isLeapYear(2100))
    }

    @Test("Adding years keeps the day, Feb 29 becomes Feb 28 in common years")
    func addingYears() {
        let leapDay = Fixtures.date("2024-02-29")
        #expect(leapDay.adding(years: 1) == Fixtures.date("2025-02-28"))
        #expect(leapDay.adding(years: 4) == Fixtures.date("2028-02-29"))
        #expect(leapDay.adding(years: -4) == Fixtures.date("2020-02-29"))
        #expect(leapDay.adding(years: 76) == Fixtures.date("2100-02-28"))
        #expect(leapDay.adding(years: 0) == leapDay)
        #expect(Fixtures.date("1980-05-02").adding(years: 5) == Fixtures.date("1985-05-02"))
    }

    @Test("Adding days crosses months, years and leap days")
    func addingDays() {
        #expect(Fixtures.date("2024-02-28").adding(days: 1) == Fixtures.date("2024-02-29"))
        #expect(Fixtures.date("2024-02-28").adding(days: 2) == Fixtures.date("2024-03-01"))
        #expect(Fixtures.date("2023-02-28").adding(days: 1) == Fixtures.date("2023-03-01"))
        #expect(Fixtures.date("2023-12-31").adding(days: 1) == Fixtures.date("2024-01-01"))
        #expect(Fixtures.date("2024-01-01").adding(days: -1) == Fixtures.date("2023-12-31"))
        #expect(Fixtures.date("2024-01-01").adding(days: 366) == Fixtures.date("2025-01-01"))
        #expect(Fixtures.date("1970-01-01").adding(days: 19_723) == Fixtures.date("2024-01-01"))
        #expect(Fixtures.date("0001-01-01").adding(days: 3_652_058) == Fixtures.date("9999-12-31"))
        #expect(Fixtures.date("2000-01-01").days(until: Fixtures.date("2000-12-31")) == 365)
    }

    @Test("Every day of 1999–2001 follows the one before")
    func consecutiveDays() throws {
        var date = Fixtures.date("1999-01-01")
        var count = 0
        while date < Fixtures.date("2002-01-01") {
            let next = date.adding(days: 1)
            #expect(next > date)
            #expect(next.adding(days: -1) == date)
            #expect(CalendarDate(yyyymmdd: next.yyyymmdd) == next)
            date = next
            count += 1
        }
        #expect(count == 365 + 366 + 365)
    }

    @Test("Ordering is by year, then month, then day")
    func ordering() {
        let dates = ["2024-03-01", "1980-12-31", "2024-02-29", "1981-01-01", "1980-01-02"].map(Fixtures.date)
        #expect(
            dates.sorted().map(\.description) == ["1980-01-02", "1980-12-31", "1981-01-01", "2024-02-29", "2024-03-01"]
        )
        #expect(Fixtures.date("2024-01-31") < Fixtures.date("2024-02-01"))
        #expect(!(Fixtures.date("2024-02-01") < Fixtures.date("2024-02-01")))
    }

    @Test("Codable as ISO text; decoding also takes YYYYMMDD")
    func codable() throws {
        let date = Fixtures.date("1980-01-01")
        let json = try JSONEncoder().encode([date])
        #expect(String(decoding: json, as: UTF8.self) == #"["1980-01-01"]"#)
        #expect(try JSONDecoder().decode([CalendarDate].self, from: json) == [date])
        #expect(try JSONDecoder().decode([CalendarDate].self, from: Data(#"["19800101"]"#.utf8)) == [date])
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode([CalendarDate].self, from: Data(#"["1980-02-30"]"#.utf8))
        }
    }

    @Test("Today is the UTC date")
    func today() {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let before = calendar.dateComponents([.year, .month, .day], from: Date())
        let today = CalendarDate.today()
        let after = calendar.dateComponents([.year, .month, .day], from: Date())
        let matches = [before, after].contains {
            $0.year == today.year && $0.month == today.month && $0.day == today.day
        }
        #expect(matches)
    }
}
