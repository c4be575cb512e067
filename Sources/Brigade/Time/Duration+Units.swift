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
    public var wholeMilliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000 + attoseconds / 1_000_000_000_000_000
    }
}
