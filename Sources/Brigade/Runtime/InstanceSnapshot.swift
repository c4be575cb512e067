import Foundation

/// What `status()` reports (contract §2.4).
public struct InstanceSnapshot<Output: Sendable>: Sendable {
    /// The instance's status.
    public var status: InstanceStatus
    /// The decoded output, once `complete`.
    public var output: Output?
    /// The error, once `errored`.
    public var error: ErrorInfo?
    /// When the instance was created.
    public var createdAt: Date
    /// When it first started running.
    public var startedAt: Date?
    /// When it finished.
    public var endedAt: Date?
    /// How its rollbacks went, once it has finished; nil when none ran (contract §2.4).
    public var rollback: RollbackOutcome?
}
