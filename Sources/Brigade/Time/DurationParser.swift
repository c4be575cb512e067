import Foundation

/// Parses the contract's duration strings: `"10 seconds"`, `"1 minute"`, `"24 hours"`,
/// `"1 week"`, `"30 days"`, or a plain number of milliseconds (`"1500"`).
///
/// Units: millisecond(s)/ms, second(s), minute(s), hour(s), day(s), week(s), month(s) (30 days),
/// year(s) (365.25 days). Unlike the reference emulator, an unknown unit is an error and never
/// silently read as milliseconds.
public enum DurationParser {
    private static let unitMilliseconds: [String: Double] = [
        "ms": 1, "millisecond": 1, "milliseconds": 1,
        "second": 1_000, "seconds": 1_000,
        "minute": 60_000, "minutes": 60_000,
        "hour": 3_600_000, "hours": 3_600_000,
        "day": 86_400_000, "days": 86_400_000,
        "week": 604_800_000, "weeks": 604_800_000,
        "month": 2_592_000_000, "months": 2_592_000_000,
        "year": 31_557_600_000, "years": 31_557_600_000,
    ]

    /// Parses `text` into a duration, or throws ``BrigadeError`` with code `duration.invalid`
    /// saying what was wrong.
    public static func parse(_ text: String) throws -> Duration {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let parts = trimmed.split(separator: " ", omittingEmptySubsequences: true)
        guard !parts.isEmpty, parts.count <= 2 else {
            throw invalid(text, "expected \"<number> <unit>\" such as \"10 seconds\", or a number of milliseconds")
        }
        guard let number = Double(parts[0]), number.isFinite, parts[0].first != "+" else {
            throw invalid(text, "\"\(parts[0])\" is not a number")
        }
        guard number >= 0 else {
            throw invalid(text, "a duration cannot be negative")
        }
        var factor: Double = 1
        if parts.count == 2 {
            let unit = parts[1].lowercased()
            guard let known = unitMilliseconds[unit] else {
                throw invalid(
                    text,
                    "unknown unit \"\(parts[1])\"; use ms, second, minute, hour, day, week, month or year (singular or plural)"
                )
            }
            factor = known
        }
        guard let duration = milliseconds(number * factor) else {
            throw invalid(text, "the duration is too long")
        }
        return duration
    }

    /// The longest duration Brigade reads from outside, about 146,000 years: far past every
    /// limit of the contract, and small enough that adding it to any timestamp cannot overflow.
    public static let longest: Duration = .milliseconds(Int64.max / 2)

    /// `value` milliseconds (rounded to the nearest) as a duration; nil when it is not finite,
    /// negative, or longer than ``longest``. Numbers from requests and tenant code become
    /// durations here and nowhere else, so no conversion can trap.
    public static func milliseconds(_ value: Double) -> Duration? {
        let rounded = value.rounded()
        guard rounded.isFinite, rounded >= 0, rounded <= Double(longest.wholeMilliseconds) else { return nil }
        return .milliseconds(Int64(rounded))
    }

    /// Parses a duration given as a JSON value: a string (``parse(_:)``) or a number of
    /// `unit` milliseconds (1 for milliseconds, 1,000 for seconds). `what` names the field in
    /// the error, such as `instance_retention.success_retention`.
    public static func parse(_ value: JSONValue, unitMilliseconds unit: Double, what: String) throws -> Duration {
        switch value {
        case .string(let text):
            do {
                return try parse(text)
            } catch let error as BrigadeError {
                throw BrigadeError(.invalidDuration, "\(what): \(error.message)")
            }
        case .number(let number):
            guard number.isFinite, number >= 0 else {
                throw BrigadeError(.invalidDuration, "\(what) must be a duration of 0 or more; got \(number).")
            }
            guard let duration = milliseconds(number * unit) else {
                throw BrigadeError(.invalidDuration, "\(what) is too long (\(number)); use a duration within the limits of the contract, such as \"30 days\".")
            }
            return duration
        default:
            throw BrigadeError(.invalidDuration, "\(what) must be a duration such as \"7 days\" or a number.")
        }
    }

    private static func invalid(_ text: String, _ reason: String) -> BrigadeError {
        BrigadeError(.invalidDuration, "Invalid duration \"\(text)\": \(reason).")
    }
}
