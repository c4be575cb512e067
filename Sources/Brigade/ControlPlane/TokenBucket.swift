/// A token bucket: `rate` tokens per second, holding at most `capacity`. Time is the engine
/// clock's, in milliseconds, so tests drive it with the manual clock.
struct TokenBucket: Sendable {
    let rate: Double
    let capacity: Double
    private(set) var tokens: Double
    private var updatedAt: Int64

    init(rate: Double, capacity: Double, now: Int64) {
        self.rate = rate
        self.capacity = max(1, capacity)
        self.tokens = max(1, capacity)
        self.updatedAt = now
    }

    private mutating func refill(now: Int64) {
        if now > updatedAt {
            tokens = min(capacity, tokens + Double(now - updatedAt) / 1_000 * rate)
            updatedAt = now
        }
    }

    /// Whether `count` tokens are available now; if not, how long until they are (nil when
    /// `count` exceeds the capacity and never will be).
    mutating func check(_ count: Int, now: Int64) -> (allowed: Bool, retryAfterMilliseconds: Int64?) {
        refill(now: now)
        let needed = Double(count)
        if tokens >= needed { return (true, 0) }
        guard needed <= capacity else { return (false, nil) }
        return (false, Int64(((needed - tokens) / rate * 1_000).rounded(.up)))
    }

    /// Takes `count` tokens; call after a successful ``check(_:now:)``.
    mutating func take(_ count: Int) {
        tokens -= Double(count)
    }
}
