import Foundation

/// One row of the `steps` table. A step is identified by (name, count); its kind is recorded so
/// that a replay meeting another kind at the same identity is detected as non-determinism.
public struct StepRecord: Sendable, Hashable {
    public var name: String
    public var count: Int
    public var kind: StepKind
    /// The order in which steps were first recorded; `restart(from:)` drops this step and later ones.
    public var position: Int
    public var status: StepStatus
    /// Attempts started (for `step.do`).
    public var attempts: Int
    /// The resolved ``StepConfig`` as JSON, stored at first execution.
    public var config: Data?
    /// The result (JSON) of a complete `do`, or the event (JSON) of a complete wait.
    public var value: Data?
    public var error: ErrorInfo?
    public var nonRetryable: Bool
    /// Sleep wake-up, wait timeout, or next retry attempt (ms since 1970).
    public var deadline: Int64?
    public var eventType: String?
    public var startedAt: Int64
    public var endedAt: Int64?

    public init(
        name: String, count: Int, kind: StepKind, position: Int, status: StepStatus, attempts: Int = 0,
        config: Data? = nil, value: Data? = nil, error: ErrorInfo? = nil, nonRetryable: Bool = false,
        deadline: Int64? = nil, eventType: String? = nil, startedAt: Int64, endedAt: Int64? = nil
    ) {
        self.name = name
        self.count = count
        self.kind = kind
        self.position = position
        self.status = status
        self.attempts = attempts
        self.config = config
        self.value = value
        self.error = error
        self.nonRetryable = nonRetryable
        self.deadline = deadline
        self.eventType = eventType
        self.startedAt = startedAt
        self.endedAt = endedAt
    }

    /// `name-count`, the form the contract's logs and REST views use. A rollback shows its
    /// forward step's (its count is stored negated, see ``StepKind/rollback``).
    public var displayName: String { "\(name)-\(abs(count))" }
}
