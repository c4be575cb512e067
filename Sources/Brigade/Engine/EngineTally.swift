import Synchronization

/// The number of Engine objects alive for one runtime.
final class EngineTally: Sendable {
    let count = Atomic<Int>(0)
}
