/// How one Engine lifetime ended.
enum EngineOutcome: Sendable {
    /// `run` returned; the instance is `complete`.
    case completed
    /// `run` threw or hit a fatal condition; the instance is `errored`.
    case errored
    /// A terminate with rollback ran its rollbacks; the instance is `terminated`.
    case terminated
    /// Every branch parked: the instance is `waiting` and due at `dueAt`.
    case hibernated(dueAt: Int64)
    /// The pause took effect.
    case paused
    /// Terminated, restarted, deleted, fenced or shut down.
    case stopped
    /// The claim found the instance paused or finished.
    case notRunnable
    /// The instance no longer exists.
    case gone
    /// The store failed; try again later.
    case failed

    /// Whether the instance reached a terminal status.
    var isTerminal: Bool {
        switch self {
        case .completed, .errored, .terminated: true
        default: false
        }
    }
}
