import Foundation

/// What ``WorkflowStore/claim(seq:now:)`` found.
@_spi(Stores) public enum ClaimResult: Sendable {
    /// The engine owns the instance at `snapshot.row.epoch`.
    case claimed(ReplaySnapshot)
    /// The instance is not runnable (paused, finished); nothing changed except that an instance
    /// left `waitingForPause` by a crash is now `paused`.
    case notRunnable(InstanceStatus)
    /// The instance no longer exists.
    case gone
}
