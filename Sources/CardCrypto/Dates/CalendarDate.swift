import Foundation

/// A date without time zone, as the card and certificates use (YYYYMMDD).
///
/// Proleptic Gregorian, years 1 to 9999 (the range four digits can write). Arithmetic works on a day count, so it
/// never touches a time zone or the host calendar.
public struct CalendarDate: Hashable, Comparable, Sendable, CustomStringConvertible, Codable {
    public let year: Int
    public let month: Int
    public let day: Int

    /// nil for impossible dates (Feb 30, month 13, year 0 or above 9999).
    public init?(year: Int, month: Int, day: Int) {
        guard (1...9999).contains(year), (1...12).contains(month),
            (1...Self.daysIn(month: month, year: year)).contains(day)
        else { return nil }
        self.year = year
        self.month = month
        self.day = day
    }

    /// From exactly eight ASCII digits, e.g. "19800101".
    public init?(yyyymmdd: String) {
        let digits = Array(yyyymmdd.utf8)
        guard digits.count == 8, let fields = Self.numbers(digits, widths: [4, 2, 2]) else { return nil }
        self.init(year: fields[0], month: fields[1], day: fields[2])
    }

    /// From exactly "YYYY-MM-DD", e.g. "1980-01-01".
    public init?(iso: String) {
        let text = Array(iso.utf8)
        guard text.count == 10, text[4] == UInt8(ascii: "-"), text[7] == UInt8(ascii: "-"),
            let fields = Self.numbers(text[0..<4] + text[5..<7] + text[8..<10], widths: [4, 2, 2])
        else { return nil }
        self.init(year: fields[0], month: fields[1], day: fields[2])
    }

    /// Eight digits, e.g. "19800101".
    public var yyyymmdd: String {
        Self.pad(self.year, 4) + Self.pad(self.month, 2) + Self.pad(self.day, 2)
    }

    /// ISO 8601, e.g. "1980-01-01".
    public var description: String {
        "\(Self.pad(self.year, 4))-\(Self.pad(self.month, 2))-\(Self.pad(self.day, 2))"
    }

    /// The same month and day `years` later (or earlier). Feb 29 becomes Feb 28 in a year that has none: the result
    /// stays in the same month, and a validity period computed this way ends a day early rather than a day late.
    /// - Precondition: the result lies in years 1...9999.
    public func adding(years: Int) -> CalendarDate {
        let year = self.year + years
        precondition((1...9999).contains(year), "\(self) plus \(years) years leaves years 1...9999")
        let day = min(self.day, Self.daysIn(month: self.month, year: year))
        return CalendarDate(year: year, month: self.month, day: day)!
    }

    /// The date `days` days later (or earlier).
    /// - Precondition: the result lies in years 1...9999.
    public func adding(days: Int) -> CalendarDate {
        CalendarDate(dayNumber: self.dayNumber + days)
    }

    /// Today in UTC.
    public static func today() -> CalendarDate {
        CalendarDate(secondsSince1970: Date().timeIntervalSince1970, utcOffsetSeconds: 0)
    }

    /// Days from `self` to `other` (positive when `other` is later).
    public func days(until other: CalendarDate) -> Int {
        other.dayNumber - self.dayNumber
    }

    /// Whether `year` has a Feb 29.
    public static func isLeapYear(_ year: Int) -> Bool {
        (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
    }

    public static func < (lhs: CalendarDate, rhs: CalendarDate) -> Bool {
        (lhs.year, lhs.month, lhs.day) < (rhs.year, rhs.month, rhs.day)
    }

    /// Encoded as the ISO text "1980-01-01", the form people write in scenario files; decoding also takes
    /// "19800101".
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let date = CalendarDate(iso: text) ?? CalendarDate(yyyymmdd: text) else {
            throw DecodingError.dataCorrupted(
                .init(
                    codingPath: decoder.codingPath,
                    debugDescription: "'\(text)' is not a date written YYYY-MM-DD or YYYYMMDD"
                )
            )
        }
        self = date
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(self.description)
    }

    // MARK: Day numbers

    /// Days since 0001-01-01 (day 0).
    var dayNumber: Int {
        let before = self.year - 1
        var days = 365 * before + before / 4 - before / 100 + before / 400
        for month in 1..<self.month {
            days += Self.daysIn(month: month, year: self.year)
        }
        return days + self.day - 1
    }

    init(dayNumber: Int) {
        // Estimate the year from the mean Gregorian year, then step to the one that contains the day.
        var year = max(1, min(9999, dayNumber * 400 / 146_097 + 1))
        while year > 1, CalendarDate(year: year, month: 1, day: 1)!.dayNumber > dayNumber {
            year -= 1
        }
        while year < 9999, CalendarDate(year: year + 1, month: 1, day: 1)!.dayNumber <= dayNumber {
            year += 1
        }
        var remaining = dayNumber - CalendarDate(year: year, month: 1, day: 1)!.dayNumber
        precondition(remaining >= 0 && remaining < 366, "day \(dayNumber) lies outside years 1...9999")
        var month = 1
        while remaining >= Self.daysIn(month: month, year: year) {
            remaining -= Self.daysIn(month: month, year: year)
            month += 1
        }
        self.init(year: year, month: month, day: remaining + 1)!
    }

    /// 1970-01-01 as a day number.
    static let unixEpochDayNumber = CalendarDate(year: 1970, month: 1, day: 1)!.dayNumber

    /// The calendar date at an instant, in a zone `utcOffsetSeconds` east of UTC (0 for UTC, 32400 for JST).
    init(secondsSince1970 seconds: Double, utcOffsetSeconds: Int) {
        let days = Int(((seconds + Double(utcOffsetSeconds)) / 86_400).rounded(.down))
        self.init(dayNumber: Self.unixEpochDayNumber + days)
    }

    /// Seconds since 1970 of `hour:minute:second` on this date in a zone `utcOffsetSeconds` east of UTC.
    func secondsSince1970(hour: Int, minute: Int, second: Int, utcOffsetSeconds: Int) -> Int {
        (self.dayNumber - Self.unixEpochDayNumber) * 86_400 + hour * 3_600 + minute * 60 + second - utcOffsetSeconds
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: isLeapYear(year) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    private static func numbers(_ ascii: some Collection<UInt8>, widths: [Int]) -> [Int]? {
        var values: [Int] = []
        var rest = ascii[...]
        for width in widths {
            let field = rest.prefix(width)
            guard field.count == width, field.allSatisfy({ (0x30...0x39).contains($0) }) else { return nil }
            values.append(field.reduce(0) { $0 * 10 + Int($1 - 0x30) })
            rest = rest.dropFirst(width)
        }
        return rest.isEmpty ? values : nil
    }

    private static func pad(_ value: Int, _ width: Int) -> String {
        let digits = String(value)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
}
