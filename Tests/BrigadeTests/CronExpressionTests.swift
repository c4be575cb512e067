import Brigade
import Foundation
import Testing

/// Cron expressions: what parses, what is refused and why, and the firings found by jumping
/// over fields checked against a plain minute-by-minute walk.
@Suite struct CronExpressionTests {
    /// Milliseconds of a UTC date.
    static func utc(_ year: Int, _ month: Int, _ day: Int, _ hour: Int = 0, _ minute: Int = 0) -> Int64 {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let date = calendar.date(from: DateComponents(year: year, month: month, day: day, hour: hour, minute: minute))!
        return date.millisecondsSince1970
    }

    @Test func firingsOfCommonExpressions() throws {
        // Saturday 2027-01-16 10:07 UTC.
        let saturday = Self.utc(2027, 1, 16, 10, 7)
        #expect(try CronExpression("*/15 * * * *").nextMilliseconds(after: saturday) == Self.utc(2027, 1, 16, 10, 15))
        #expect(try CronExpression("0 9 * * mon-fri").nextMilliseconds(after: saturday) == Self.utc(2027, 1, 18, 9, 0))
        #expect(try CronExpression("30 8 1 * *").nextMilliseconds(after: saturday) == Self.utc(2027, 2, 1, 8, 30))
        #expect(try CronExpression("@yearly").nextMilliseconds(after: saturday) == Self.utc(2028, 1, 1))
        #expect(try CronExpression("@hourly").nextMilliseconds(after: saturday) == Self.utc(2027, 1, 16, 11))
        #expect(try CronExpression("@weekly").nextMilliseconds(after: saturday) == Self.utc(2027, 1, 17))
        // Strictly after: a firing at the given minute is not the next one.
        #expect(try CronExpression("7 10 * * *").nextMilliseconds(after: saturday) == Self.utc(2027, 1, 17, 10, 7))
        #expect(try CronExpression("7 10 * * *").previousMilliseconds(atOrBefore: saturday) == saturday)
        // Sunday is 0 and 7, and names are case-blind.
        #expect(try CronExpression("0 0 * * 7").nextMilliseconds(after: saturday) == Self.utc(2027, 1, 17))
        #expect(try CronExpression("0 0 * JAN,Mar SUN").nextMilliseconds(after: saturday) == Self.utc(2027, 1, 17))
        // Only on 29 February: 2028 is the next leap year.
        #expect(try CronExpression("0 12 29 2 *").nextMilliseconds(after: saturday) == Self.utc(2028, 2, 29, 12))
        // Both day fields restricted: either matches (the 1st, or a Monday).
        #expect(try CronExpression("0 0 1 * mon").nextMilliseconds(after: saturday) == Self.utc(2027, 1, 18))
        #expect(try CronExpression("0 0 1 * mon").nextMilliseconds(after: Self.utc(2027, 1, 25, 1)) == Self.utc(2027, 2, 1))
        // One starts with '*': both must match (an odd day that is a Monday; the 18th is even).
        #expect(try CronExpression("0 0 */2 * mon").nextMilliseconds(after: saturday) == Self.utc(2027, 1, 25))
        #expect(try CronExpression("0 0 10-12/2 * *").nextMilliseconds(after: saturday) == Self.utc(2027, 2, 10))
        #expect(try CronExpression("5/20 * * * *").nextMilliseconds(after: saturday) == Self.utc(2027, 1, 16, 10, 25))
        // A year's end rolls into the next.
        #expect(try CronExpression("59 23 31 12 *").previousMilliseconds(atOrBefore: saturday) == Self.utc(2026, 12, 31, 23, 59))
        // Seconds and milliseconds within the minute count as that minute.
        #expect(try CronExpression("* * * * *").nextMilliseconds(after: saturday + 59_999) == saturday + 60_000)
    }

    @Test(arguments: [
        ("", "0 fields"), ("* * * *", "4 fields"), ("* * * * * *", "6 fields"), ("60 * * * *", "minute field: 60 is out of range 0–59"),
        ("* 24 * * *", "hour field"), ("* * 0 * *", "day-of-month field"), ("* * * 13 *", "month field"),
        ("* * * * 8", "day-of-week field"),
        ("5-1 * * * *", "runs backwards"), ("*/0 * * * *", "step"), ("*/x * * * *", "step"), ("1,,2 * * * *", "missing"),
        ("* * L * *", "L, W, # or ?"), ("* * * * mon#2", "L, W, # or ?"), ("@reboot", "@reboot is not a shortcut"),
        ("0 0 30 2 *", "would never fire"), ("0 0 31 4,6,9,11 *", "would never fire"), ("* * * foo *", "jan–dec"),
        ("1/2/3 * * * *", "more than one '/'"), ("99999999999999999999 * * * *", "is not a number"),
        ("*/99999999999999999999 * * * *", "step"), ("1-2-3 * * * *", "not a value or a range"), ("٣ * * * *", "is not a number"),
    ])
    func badExpressionsSayWhatIsWrong(text: String, says: String) {
        #expect {
            _ = try CronExpression(text)
        } throws: { error in
            guard let error = error as? BrigadeError, error.code == .invalidSchedule else { return false }
            return error.message.contains(says) && error.message.contains("five fields")
        }
    }

    @Test func anExpressionLongerThanTheLimitIsRefused() {
        let long = "0 0 * * " + String(repeating: "1,", count: 130) + "1"
        #expect { _ = try CronExpression(long) } throws: { ($0 as? BrigadeError)?.message.contains("the limit is 256") == true }
    }

    /// Random expressions: the jumping search finds exactly what a minute-by-minute walk finds,
    /// forwards and backwards, around month, year and leap-day boundaries.
    @Test func searchAgreesWithAMinuteByMinuteWalk() throws {
        var generator = SplitMix(seed: 0x5EED_C0DE)
        let fieldShapes: [(ClosedRange<Int>) -> (inout SplitMix) -> String] = [
            { _ in { _ in "*" } },
            { range in { g in "\(Int.random(in: range, using: &g))" } },
            { range in
                { g in
                    let a = Int.random(in: range, using: &g)
                    return "\(a)-\(Int.random(in: a...range.upperBound, using: &g))"
                }
            },
            { range in { g in "*/\(Int.random(in: 2...max(2, range.upperBound / 2), using: &g))" } },
            { range in { g in "\(Int.random(in: range, using: &g)),\(Int.random(in: range, using: &g))" } },
        ]
        let ranges = [0...59, 0...23, 1...28, 1...12, 0...7]
        let starts = [
            Self.utc(2027, 12, 31, 23, 50), Self.utc(2028, 2, 28, 22, 0), Self.utc(2027, 6, 15, 12, 34), Self.utc(1999, 12, 31, 23, 59),
        ]
        var checked = 0
        for _ in 0..<200 {
            let fields = ranges.map { range in fieldShapes.randomElement(using: &generator)!(range)(&generator) }
            let cron = try CronExpression(fields.joined(separator: " "))
            let oracle = Oracle(fields)
            let start = starts.randomElement(using: &generator)!
            // Walk at most 40 days each way.
            let window: Int64 = 40 * 1_440
            let walkedNext = (1...window).lazy.map { start + $0 * 60_000 }.first { oracle.matches($0) }
            let walkedPrevious = (0..<window).lazy.map { start - $0 * 60_000 }.first { oracle.matches($0) }
            if let walkedNext { #expect(cron.nextMilliseconds(after: start) == walkedNext, "\(cron) after \(start)") }
            if let walkedPrevious { #expect(cron.previousMilliseconds(atOrBefore: start) == walkedPrevious, "\(cron) before \(start)") }
            if walkedNext != nil || walkedPrevious != nil { checked += 1 }
        }
        #expect(checked > 100)
    }

    /// The definition, field by field, with Foundation's calendar: the oracle of the walk.
    final class Oracle {
        let minutes: Set<Int>
        let hours: Set<Int>
        let daysOfMonth: Set<Int>
        let months: Set<Int>
        let weekdays: Set<Int>
        let either: Bool
        var calendar = Calendar(identifier: .gregorian)
        /// Day number → (day of month, month, weekday 0–6): one calendar call per day walked.
        var days: [Int64: (Int, Int, Int)] = [:]

        init(_ fields: [String]) {
            minutes = Self.values(fields[0], 0...59)
            hours = Self.values(fields[1], 0...23)
            daysOfMonth = Self.values(fields[2], 1...31)
            months = Self.values(fields[3], 1...12)
            weekdays = Set(Self.values(fields[4], 0...7).map { $0 % 7 })
            either = !fields[2].hasPrefix("*") && !fields[4].hasPrefix("*")
            calendar.timeZone = TimeZone(identifier: "UTC")!
        }

        func matches(_ milliseconds: Int64) -> Bool {
            let minute = milliseconds / 60_000
            let dayNumber = minute / 1_440
            let minuteOfDay = Int(minute % 1_440)
            guard minutes.contains(minuteOfDay % 60), hours.contains(minuteOfDay / 60) else { return false }
            let day: (Int, Int, Int)
            if let known = days[dayNumber] {
                day = known
            } else {
                let parts = calendar.dateComponents([.day, .month, .weekday], from: Date(millisecondsSince1970: dayNumber * 86_400_000))
                day = (parts.day!, parts.month!, parts.weekday! - 1)
                days[dayNumber] = day
            }
            guard months.contains(day.1) else { return false }
            let dayOfMonth = daysOfMonth.contains(day.0)
            let dayOfWeek = weekdays.contains(day.2)
            return either ? dayOfMonth || dayOfWeek : dayOfMonth && dayOfWeek
        }

        static func values(_ field: String, _ range: ClosedRange<Int>) -> Set<Int> {
            var set = Set<Int>()
            for item in field.split(separator: ",") {
                let pieces = item.split(separator: "/")
                let step = pieces.count == 2 ? Int(pieces[1])! : 1
                let bounds: (Int, Int)
                if pieces[0] == "*" {
                    bounds = (range.lowerBound, range.upperBound)
                } else if pieces[0].contains("-") {
                    let ends = pieces[0].split(separator: "-")
                    bounds = (Int(ends[0])!, Int(ends[1])!)
                } else {
                    bounds = (Int(pieces[0])!, pieces.count == 2 ? range.upperBound : Int(pieces[0])!)
                }
                set.formUnion(stride(from: bounds.0, through: bounds.1, by: step))
            }
            return set
        }
    }
}

/// The property tests' generator, as the standard library's random APIs take one.
extension SplitMix: RandomNumberGenerator {}
