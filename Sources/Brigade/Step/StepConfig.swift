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
    /// Cloudflare's `sensitive: "output"`: the step's output is kept out of describe, the step
    /// route and the event stream (shown as `"[REDACTED]"`); `run` and replays still get it.
    public var sensitiveOutput: Bool

    public init(retries: RetryPolicy = .init(), timeout: Duration = .minutes(10), sensitiveOutput: Bool = false) {
        self.retries = retries
        self.timeout = timeout
        self.sensitiveOutput = sensitiveOutput
    }

    /// What a sensitive output is shown as.
    public static let redacted = "[REDACTED]"

    /// The contract's defaults.
    public static let `default` = StepConfig()

    enum CodingKeys: String, CodingKey { case retries, timeout, sensitive }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        retries = try container.decode(RetryPolicy.self, forKey: .retries)
        timeout = .milliseconds(try container.decode(Int64.self, forKey: .timeout))
        // Stored as Cloudflare writes it; configs stored before it existed have none.
        sensitiveOutput = try container.decodeIfPresent(String.self, forKey: .sensitive) == "output"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(retries, forKey: .retries)
        try container.encode(timeout.wholeMilliseconds, forKey: .timeout)
        if sensitiveOutput { try container.encode("output", forKey: .sensitive) }
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
