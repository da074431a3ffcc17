import Foundation

/// Validity instants of the test PKI. JPKI certificates are issued in Japan Standard Time: a real
/// user-authentication certificate ends `2024-05-02 14:59:59Z`, which is 23:59:59 JST. So a certificate valid
/// "from A to B" runs from 00:00:00 JST on A (15:00:00 UTC the day before) to 23:59:59 JST on B (14:59:59 UTC).
/// Real certificates start at the moment of issue; starting at midnight keeps issued bytes a function of the inputs.
enum JPKIValidity {
    static let jstOffsetSeconds = 9 * 3_600

    static func start(of date: CalendarDate) -> Date {
        Date(
            timeIntervalSince1970: Double(
                date.secondsSince1970(hour: 0, minute: 0, second: 0, utcOffsetSeconds: jstOffsetSeconds)
            )
        )
    }

    static func end(of date: CalendarDate) -> Date {
        Date(
            timeIntervalSince1970: Double(
                date.secondsSince1970(hour: 23, minute: 59, second: 59, utcOffsetSeconds: jstOffsetSeconds)
            )
        )
    }

    /// The JST calendar date of an instant.
    static func calendarDate(of instant: Date) -> CalendarDate {
        CalendarDate(secondsSince1970: instant.timeIntervalSince1970, utcOffsetSeconds: jstOffsetSeconds)
    }
}
