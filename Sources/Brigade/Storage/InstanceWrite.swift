import Foundation

/// A change an Engine makes to its instance, applied atomically and only while the engine still
/// owns the instance (its claim epoch is current): the fence that keeps a stale engine's writes out.
public struct InstanceWrite: Sendable {
    public var seq: Int64
    public var epoch: Int64
    /// Step records to insert or replace.
    public var steps: [StepRecord] = []
    /// Buffered events consumed by waits in this write.
    public var consumedEvents: [Int64] = []
    /// A change of the instance row, if any.
    public var update: InstanceUpdate?
    public var history: [HistoryEntry] = []
    public var now: Int64

    public init(seq: Int64, epoch: Int64, now: Int64) {
        self.seq = seq
        self.epoch = epoch
        self.now = now
    }
}

/// A change of an instance row's status by its Engine.
public struct InstanceUpdate: Sendable {
    public var status: InstanceStatus
    public var dueAt: Int64?
    public var output: Data?
    public var error: ErrorInfo?
    public var pausedAt: Int64?
    public var endedAt: Int64?
    public var expiresAt: Int64?

    public init(
        status: InstanceStatus, dueAt: Int64? = nil, output: Data? = nil, error: ErrorInfo? = nil,
        pausedAt: Int64? = nil, endedAt: Int64? = nil, expiresAt: Int64? = nil
    ) {
        self.status = status
        self.dueAt = dueAt
        self.output = output
        self.error = error
        self.pausedAt = pausedAt
        self.endedAt = endedAt
        self.expiresAt = expiresAt
    }
}

/// Raised by a store when a write carries an epoch that is no longer current: the instance was
/// terminated, restarted, deleted, paused or claimed by another engine since.
public struct FencedWriteError: Error, Sendable, CustomStringConvertible {
    public var seq: Int64
    public var epoch: Int64
    public init(seq: Int64, epoch: Int64) {
        self.seq = seq
        self.epoch = epoch
    }
    public var description: String { "write for instance #\(seq) at epoch \(epoch) rejected: ownership lost" }
}
