import Synchronization

/// The Engine objects of one runtime: alive now, and freed since it started.
final class EngineTally: Sendable {
    let count = Atomic<Int>(0)
    /// Engines freed so far (hibernated or finished instances): what ``HeapTrim`` watches.
    let freed = Atomic<Int>(0)
}
