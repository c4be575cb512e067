/// How a `step.do` retries and how long each attempt may run. Defaults are the contract's:
/// 5 retries (6 attempts), 10 s delay, exponential back-off, 10 minutes per attempt.
///
/// The resolved config is stored at the step's first execution and reused on every replay, so
/// changing the code of a running step's policy has no effect on that step.
public struct StepConfig: Sendable, Hashable, Codable {
    public var retries: RetryPolicy
    /// The limit for one attempt. An attempt that runs longer fails with ``WorkflowTimeoutError``
    /// (retryable); its body is cancelled.
    public var timeout: Duration

    public init(retries: RetryPolicy = .init(), timeout: Duration = .minutes(10)) {
        self.retries = retries
        self.timeout = timeout
    }

    /// The contract's defaults.
    public static let `default` = StepConfig()

    enum CodingKeys: String, CodingKey { case retries, timeout }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        retries = try container.decode(RetryPolicy.self, forKey: .retries)
        timeout = .milliseconds(try container.decode(Int64.self, forKey: .timeout))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(retries, forKey: .retries)
        try container.encode(timeout.wholeMilliseconds, forKey: .timeout)
    }

    func validate(stepName: String, settings: BrigadeSettings) throws {
        func invalid(_ reason: String) -> BrigadeError {
            BrigadeError(.invalidStepConfig, "Step config for \"\(stepName)\" is invalid: \(reason).", stepName: stepName)
        }
        if retries.limit < 0 { throw invalid("retries.limit must be 0 or more, not \(retries.limit)") }
        if retries.limit > settings.maxRetryLimit {
            throw invalid("retries.limit must be at most \(settings.maxRetryLimit), not \(retries.limit)")
        }
        if retries.delay < .zero { throw invalid("retries.delay cannot be negative") }
        if timeout <= .zero { throw invalid("timeout must be greater than zero") }
    }
}

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

/// How a retry delay grows with the number of failed attempts.
public enum Backoff: String, Sendable, Hashable, Codable, CaseIterable {
    case constant, linear, exponential
}
