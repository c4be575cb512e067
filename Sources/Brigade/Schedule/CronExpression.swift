/// A standard five-field cron expression (`minute hour day-of-month month day-of-week`), read
/// in UTC, as Cloudflare's cron triggers read theirs.
///
/// Each field takes `*`, a number, a range `a-b`, a step `*/n`, `a-b/n` or `a/n` (from `a` to the
/// field's end), and comma-separated lists of those; months and weekdays also take their
/// three-letter English names (`jan`, `mon`), and weekday `7` is Sunday like `0`. The shortcuts
/// `@yearly` (`@annually`), `@monthly`, `@weekly`, `@daily` (`@midnight`) and `@hourly` stand for
/// their usual expansions.
///
/// When both day fields are restricted, a day matches if either does (`0 9 1 * mon` fires on the
/// first of the month and on every Monday), as in Vixie cron and POSIX.
///
/// ```swift
/// let cron = try CronExpression("*/15 9-17 * * mon-fri")
/// let next = cron.next(after: Date())   // the next quarter hour of a working day, UTC
/// ```
public struct CronExpression: Sendable, Hashable, CustomStringConvertible {
    /// The expression as written.
    public let text: String
    // Bit i set: value i matches.
    let minutes: UInt64
    let hours: UInt32
    let daysOfMonth: UInt32
    let months: UInt16
    let daysOfWeek: UInt8
    /// Whether each day field was restricted (does not start with `*`): the day rule depends on it.
    let restrictsDayOfMonth: Bool
    let restrictsDayOfWeek: Bool

    /// The longest expression accepted (Cloudflare's limit).
    public static let maxLength = 256

    /// Parses `text`; throws `workflow.invalid_schedule` saying which field is wrong and how.
    public init(_ text: String) throws {
        self.text = text
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard text.utf8.count <= Self.maxLength else {
            throw Self.invalid(text, "it is \(text.utf8.count) bytes long; the limit is \(Self.maxLength).")
        }
        let expanded: String
        if trimmed.hasPrefix("@") {
            guard let expansion = Self.shortcuts[trimmed.lowercased()] else {
                throw Self.invalid(
                    text,
                    "\(trimmed.prefix(20)) is not a shortcut this engine knows; use @yearly, @annually, @monthly, @weekly, @daily, @midnight or @hourly."
                )
            }
            expanded = expansion
        } else {
            expanded = trimmed
        }
        let fields = expanded.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        guard fields.count == 5 else {
            throw Self.invalid(text, "it has \(fields.count) fields; a cron has five: minute hour day-of-month month day-of-week.")
        }
        let minute = try CronField.minute.parse(fields[0], in: text)
        let hour = try CronField.hour.parse(fields[1], in: text)
        let dayOfMonth = try CronField.dayOfMonth.parse(fields[2], in: text)
        let month = try CronField.month.parse(fields[3], in: text)
        let dayOfWeek = try CronField.dayOfWeek.parse(fields[4], in: text)
        minutes = minute.bits
        hours = UInt32(truncatingIfNeeded: hour.bits)
        daysOfMonth = UInt32(truncatingIfNeeded: dayOfMonth.bits)
        months = UInt16(truncatingIfNeeded: month.bits)
        // Sunday is both 0 and 7.
        daysOfWeek = UInt8(truncatingIfNeeded: (dayOfWeek.bits | (dayOfWeek.bits >> 7)) & 0x7F)
        restrictsDayOfMonth = dayOfMonth.restricted
        restrictsDayOfWeek = dayOfWeek.restricted
        // A day that never comes ("0 0 30 2 *") would never fire: say so now, not never.
        guard next(afterMinute: 0, limitMinutes: Self.searchHorizonMinutes) != nil else {
            throw Self.invalid(text, "no date matches it (a day that does not exist in the months given), so it would never fire.")
        }
    }

    public var description: String { text }

    static let shortcuts: [String: String] = [
        "@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *", "@weekly": "0 0 * * 0",
        "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *",
    ]

    static func invalid(_ text: String, _ reason: String) -> BrigadeError {
        BrigadeError(
            .invalidSchedule,
            "Cron \"\(text.prefix(80))\" is invalid: \(reason) Write five fields (minute hour day-of-month month day-of-week, UTC), e.g. \"*/15 * * * *\" or \"0 9 * * mon-fri\"."
        )
    }
}

extension BrigadeError.Code {
    /// A cron expression that does not parse, or a schedule over a limit.
    public static let invalidSchedule = Self(rawValue: "workflow.invalid_schedule")
}

/// One of the five fields of a cron expression: its range and names.
struct CronField {
    let name: String
    let range: ClosedRange<Int>
    let names: [String]
    /// The value of `names[0]`.
    let firstNamed: Int

    static let minute = CronField(name: "minute", range: 0...59, names: [], firstNamed: 0)
    static let hour = CronField(name: "hour", range: 0...23, names: [], firstNamed: 0)
    static let dayOfMonth = CronField(name: "day-of-month", range: 1...31, names: [], firstNamed: 1)
    static let month = CronField(
        name: "month", range: 1...12, names: ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"],
        firstNamed: 1)
    static let dayOfWeek = CronField(
        name: "day-of-week", range: 0...7, names: ["sun", "mon", "tue", "wed", "thu", "fri", "sat"], firstNamed: 0)

    /// The values a field's text matches, as bits, and whether it restricts anything.
    func parse(_ text: String, in expression: String) throws -> (bits: UInt64, restricted: Bool) {
        var bits: UInt64 = 0
        var restricted = true
        for item in text.split(separator: ",", omittingEmptySubsequences: false) {
            let parts = item.split(separator: "/", omittingEmptySubsequences: false)
            guard parts.count <= 2 else { throw fail(expression, "\"\(item)\" has more than one '/'.") }
            var step = 1
            if parts.count == 2 {
                guard let value = Int(parts[1]), value >= 1, value <= range.upperBound else {
                    throw fail(expression, "the step in \"\(item)\" must be a whole number from 1 to \(range.upperBound).")
                }
                step = value
            }
            let low: Int
            let high: Int
            if parts[0] == "*" {
                (low, high) = (range.lowerBound, name == "day-of-week" ? 6 : range.upperBound)
                // As in Vixie cron: a field that starts with '*' leaves the other day field to
                // decide alone ("*/2" included).
                if item.hasPrefix("*") && item.startIndex == text.startIndex { restricted = false }
            } else {
                let bounds = parts[0].split(separator: "-", omittingEmptySubsequences: false)
                guard bounds.count <= 2 else { throw fail(expression, "\"\(parts[0])\" is not a value or a range a-b.") }
                low = try value(bounds[0], expression)
                // "a/n" runs from a to the field's end.
                high = bounds.count == 2 ? try value(bounds[1], expression) : (parts.count == 2 ? range.upperBound : low)
                guard low <= high else {
                    throw fail(
                        expression, "the range \"\(parts[0])\" runs backwards; write it low-high (wrap-around ranges are not supported).")
                }
            }
            for value in stride(from: low, through: high, by: step) { bits |= 1 << UInt64(value) }
        }
        return (bits, restricted)
    }

    private func value(_ text: Substring, _ expression: String) throws -> Int {
        if let number = Int(text), text.allSatisfy(\.isASCII) {
            guard range.contains(number) else {
                throw fail(expression, "\(number) is out of range \(range.lowerBound)–\(range.upperBound).")
            }
            return number
        }
        if let index = names.firstIndex(of: text.lowercased()) { return firstNamed + index }
        if text.isEmpty { throw fail(expression, "a value is missing (an empty list item or range end).") }
        if text.contains(where: { "LW#?".contains($0) }) {
            throw fail(expression, "\"\(text.prefix(20))\" uses L, W, # or ?, which this engine does not support.")
        }
        let named = names.isEmpty ? "" : " or a name (\(names.first!)–\(names.last!))"
        throw fail(expression, "\"\(text.prefix(20))\" is not a number from \(range.lowerBound) to \(range.upperBound)\(named).")
    }

    private func fail(_ expression: String, _ reason: String) -> BrigadeError {
        CronExpression.invalid(expression, "its \(name) field: \(reason)")
    }
}
