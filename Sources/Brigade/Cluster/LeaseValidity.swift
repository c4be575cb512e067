import Synchronization

/// Until when this node may still act on its leases, on its own monotonic clock: a heartbeat
/// interval before they may expire, counted from the last heartbeat the database answered (see
/// `ClusterMember`, which moves it).
///
/// An engine of a cluster node looks at it before it starts a step body. A node that was paused
/// or cut off past its leases (SIGSTOP, a long GC pause, a VM migration) resumes with its
/// engines' continuations and its heartbeat loop all runnable at once; whichever runs first, no
/// engine of it starts a body that could run beside the new owner's, even before the heartbeat
/// loop has noticed and retired its shards. The database's fence rejects its writes anyway; this
/// keeps its side effects from happening twice at once.
final class LeaseValidity: Sendable {
    private let origin = ContinuousClock.now
    /// Nanoseconds after `origin`; zero (long past) until the first answered heartbeat.
    private let deadline = Atomic<Int64>(0)

    init() {}

    /// The node may act on its leases until `instant`.
    func hold(until instant: ContinuousClock.Instant) {
        deadline.store(Self.nanoseconds(instant - origin), ordering: .releasing)
    }

    /// The node gave its leases up (or may have lost them): nothing more starts.
    func giveUp() {
        deadline.store(0, ordering: .releasing)
    }

    /// Whether the node may still start work under its leases now.
    var holds: Bool {
        Self.nanoseconds(ContinuousClock.now - origin) < deadline.load(ordering: .acquiring)
    }

    private static func nanoseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
