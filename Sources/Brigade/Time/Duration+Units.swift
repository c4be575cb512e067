extension Duration {
    /// A duration of `minutes` minutes.
    public static func minutes(_ minutes: Int) -> Duration { .seconds(Int64(minutes) * 60) }
    /// A duration of `hours` hours.
    public static func hours(_ hours: Int) -> Duration { .seconds(Int64(hours) * 3_600) }
    /// A duration of `days` days.
    public static func days(_ days: Int) -> Duration { .seconds(Int64(days) * 86_400) }
    /// A duration of `weeks` weeks.
    public static func weeks(_ weeks: Int) -> Duration { .seconds(Int64(weeks) * 604_800) }

    /// The duration in whole milliseconds, rounded down. Brigade stores every duration and
    /// deadline in milliseconds.
    ///
    /// Saturates at `Int64.min` / `Int64.max` instead of trapping: every limit Brigade checks a
    /// duration against is far below either.
    public var wholeMilliseconds: Int64 {
        let (seconds, attoseconds) = components
        let (milliseconds, overflow) = seconds.multipliedReportingOverflow(by: 1_000)
        if overflow { return seconds < 0 ? .min : .max }
        // `components` gives a negative duration negative attoseconds, and `/` truncates toward
        // zero; a remainder below zero takes one more millisecond off so that negative durations
        // round down like positive ones do.
        let (whole, remainder) = attoseconds.quotientAndRemainder(dividingBy: 1_000_000_000_000_000)
        let (total, overflowAgain) = milliseconds.addingReportingOverflow(remainder < 0 ? whole - 1 : whole)
        if overflowAgain { return seconds < 0 ? .min : .max }
        return total
    }
}
