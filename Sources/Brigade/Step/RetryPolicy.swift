/// Retry policy of a `step.do`: `limit` retries after the first attempt, waiting
/// `delay` shaped by `backoff` between attempts.
public struct RetryPolicy: Sendable, Hashable, Codable {
    /// Retries after the first attempt (so `limit + 1` attempts in all). Default 5.
    public var limit: Int
    /// The base delay. Default 10 s.
    public var delay: Duration
    /// How the delay grows. Default exponential.
    public var backoff: Backoff

    public init(limit: Int = 5, delay: Duration = .seconds(10), backoff: Backoff = .exponential) {
        self.limit = limit
        self.delay = delay
        self.backoff = backoff
    }

    /// No retries: one attempt only.
    public static let none = RetryPolicy(limit: 0)

    /// The wait before the next attempt after `attempt` attempts have failed (contract §1.4):
    /// constant `base`, linear `base × n`, exponential `base × 2^(n−1)`.
    public func delay(afterAttempt attempt: Int) -> Duration {
        let n = max(1, attempt)
        let base = delay.wholeMilliseconds
        let milliseconds: Int64
        switch backoff {
        case .constant:
            milliseconds = base
        case .linear:
            milliseconds = base.multipliedReportingOverflow(by: Int64(n)).overflow ? .max / 4 : base * Int64(n)
        case .exponential:
            let shift = min(n - 1, 62)
            let factor = Int64(1) << shift
            let (product, overflow) = base.multipliedReportingOverflow(by: factor)
            milliseconds = overflow ? .max / 4 : product
        }
        return .milliseconds(min(milliseconds, Int64.max / 4))
    }

    enum CodingKeys: String, CodingKey { case limit, delay, backoff }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        limit = try container.decode(Int.self, forKey: .limit)
        delay = .milliseconds(try container.decode(Int64.self, forKey: .delay))
        backoff = try container.decode(Backoff.self, forKey: .backoff)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(limit, forKey: .limit)
        try container.encode(delay.wholeMilliseconds, forKey: .delay)
        try container.encode(backoff, forKey: .backoff)
    }
}
