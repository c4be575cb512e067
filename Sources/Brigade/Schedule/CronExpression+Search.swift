import Foundation

/// Finding the firings: the next after a time and the latest at or before one, in whole UTC
/// minutes, by jumping over months, days and hours that cannot match rather than walking
/// minute by minute.
extension CronExpression {
    /// How far the search looks: past the eight years between two 29ths of February around a
    /// century that is not a leap year (2096 to 2104).
    static let searchHorizonMinutes: Int64 = 9 * 366 * 1_440

    /// The first firing strictly after `date`, or nil if there is none within nine years.
    public func next(after date: Date) -> Date? {
        nextMilliseconds(after: date.millisecondsSince1970).map { Date(millisecondsSince1970: $0) }
    }

    /// The latest firing at or before `date`, or nil if there is none within nine years before it.
    public func previous(atOrBefore date: Date) -> Date? {
        previousMilliseconds(atOrBefore: date.millisecondsSince1970).map { Date(millisecondsSince1970: $0) }
    }

    /// The first firing strictly after `milliseconds` (since 1970), in milliseconds.
    public func nextMilliseconds(after milliseconds: Int64) -> Int64? {
        next(afterMinute: Self.floorDivide(milliseconds, 60_000), limitMinutes: Self.searchHorizonMinutes).map { $0 * 60_000 }
    }

    /// The latest firing at or before `milliseconds` (since 1970), in milliseconds.
    public func previousMilliseconds(atOrBefore milliseconds: Int64) -> Int64? {
        previous(atOrBeforeMinute: Self.floorDivide(milliseconds, 60_000), limitMinutes: Self.searchHorizonMinutes).map { $0 * 60_000 }
    }

    func next(afterMinute start: Int64, limitMinutes: Int64) -> Int64? {
        var minute = start + 1
        let end = minute + limitMinutes
        while minute <= end {
            let day = Self.floorDivide(minute, 1_440)
            let date = CivilDate(daysSince1970: day)
            if months & (1 << UInt16(date.month)) == 0 {
                // The first minute of the next month.
                let (year, month) = date.month == 12 ? (date.year + 1, 1) : (date.year, date.month + 1)
                minute = CivilDate(year: year, month: month, day: 1).daysSince1970 * 1_440
                continue
            }
            if !matchesDay(date, weekday: Self.weekday(day)) {
                minute = (day + 1) * 1_440
                continue
            }
            let minuteOfDay = Int(minute - day * 1_440)
            let hour = minuteOfDay / 60
            if hours & (1 << UInt32(hour)) == 0 {
                minute = day * 1_440 + Int64(hour + 1) * 60
                continue
            }
            // The first matching minute at or after this one within the hour, if any.
            let later = minutes >> UInt64(minuteOfDay % 60)
            if later == 0 || minuteOfDay % 60 + later.trailingZeroBitCount > 59 {
                minute = day * 1_440 + Int64(hour + 1) * 60
                continue
            }
            return minute + Int64(later.trailingZeroBitCount)
        }
        return nil
    }

    func previous(atOrBeforeMinute start: Int64, limitMinutes: Int64) -> Int64? {
        var minute = start
        let end = start - limitMinutes
        while minute >= end {
            let day = Self.floorDivide(minute, 1_440)
            let date = CivilDate(daysSince1970: day)
            if months & (1 << UInt16(date.month)) == 0 {
                // The last minute of the month before.
                minute = CivilDate(year: date.year, month: date.month, day: 1).daysSince1970 * 1_440 - 1
                continue
            }
            if !matchesDay(date, weekday: Self.weekday(day)) {
                minute = day * 1_440 - 1
                continue
            }
            let minuteOfDay = Int(minute - day * 1_440)
            let hour = minuteOfDay / 60
            if hours & (1 << UInt32(hour)) == 0 {
                minute = day * 1_440 + Int64(hour) * 60 - 1
                continue
            }
            // The last matching minute at or before this one within the hour, if any.
            let earlier = minutes & (UInt64.max >> UInt64(63 - minuteOfDay % 60))
            if earlier == 0 {
                minute = day * 1_440 + Int64(hour) * 60 - 1
                continue
            }
            return day * 1_440 + Int64(hour) * 60 + Int64(63 - earlier.leadingZeroBitCount)
        }
        return nil
    }

    /// The day rule: both day fields when both are restricted match if either does; otherwise
    /// the restricted one decides (a `*` field matches every day).
    func matchesDay(_ date: CivilDate, weekday: Int) -> Bool {
        let dayOfMonth = daysOfMonth & (1 << UInt32(date.day)) != 0
        let dayOfWeek = daysOfWeek & (1 << UInt8(weekday)) != 0
        if restrictsDayOfMonth && restrictsDayOfWeek { return dayOfMonth || dayOfWeek }
        return dayOfMonth && dayOfWeek
    }

    /// 0 for Sunday: 1 January 1970 was a Thursday.
    static func weekday(_ daysSince1970: Int64) -> Int {
        Int((daysSince1970 % 7 + 7 + 4) % 7)
    }

    static func floorDivide(_ value: Int64, _ divisor: Int64) -> Int64 {
        let quotient = value / divisor
        return value % divisor < 0 ? quotient - 1 : quotient
    }
}

/// A proleptic Gregorian date in UTC, converted to and from days since 1970 with Howard
/// Hinnant's `days_from_civil` algorithm (no Calendar, no time zone: cron here is UTC).
struct CivilDate: Equatable {
    var year: Int64
    var month: Int
    var day: Int

    init(year: Int64, month: Int, day: Int) {
        self.year = year
        self.month = month
        self.day = day
    }

    init(daysSince1970 days: Int64) {
        let shifted = days + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        day = Int(dayOfYear - (153 * monthIndex + 2) / 5 + 1)
        month = Int(monthIndex < 10 ? monthIndex + 3 : monthIndex - 9)
        year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
    }

    var daysSince1970: Int64 {
        let shiftedYear = month <= 2 ? year - 1 : year
        let era = (shiftedYear >= 0 ? shiftedYear : shiftedYear - 399) / 400
        let yearOfEra = shiftedYear - era * 400
        let monthIndex = Int64(month > 2 ? month - 3 : month + 9)
        let dayOfYear = (153 * monthIndex + 2) / 5 + Int64(day) - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }
}
