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
        let milliseconds = (number * factor).rounded()
        guard milliseconds < Double(Int64.max / 2) else {
            throw invalid(text, "the duration is too long")
        }
        return .milliseconds(Int64(milliseconds))
    }

    private static func invalid(_ text: String, _ reason: String) -> BrigadeError {
        BrigadeError(.invalidDuration, "Invalid duration \"\(text)\": \(reason).")
    }
}
