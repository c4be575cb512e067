/// The status of a workflow instance (contract §2.4).
public enum InstanceStatus: String, Codable, Sendable, CaseIterable {
    /// Created, waiting for a concurrency slot.
    case queued
    /// Executing: holds a concurrency slot.
    case running
    /// Paused by a user; resumes with `resume()`.
    case paused
    /// A pause was requested; in-flight steps are finishing.
    case waitingForPause
    /// Hibernated on a sleep, a retry back-off or an event; holds no slot and no memory.
    case waiting
    /// `run` failed and the rollbacks its steps registered are running (contract §1.12); holds a
    /// slot as `running` does. Cloudflare's REST API reports it; its Workers API says `running`.
    case rollingBack
    /// `run` returned. Terminal.
    case complete
    /// `run` threw, or the engine hit a fatal condition. Terminal.
    case errored
    /// Terminated by a user. Terminal.
    case terminated

    /// Whether the status is final: `complete`, `errored` or `terminated`.
    public var isTerminal: Bool {
        switch self {
        case .complete, .errored, .terminated: true
        default: false
        }
    }
}
