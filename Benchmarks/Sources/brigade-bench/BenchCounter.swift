import Synchronization

/// A count the tasks of a workload share (a class, so that escaping closures can hold it).
final class BenchCounter: Sendable {
    let value = Atomic<Int>(0)

    /// Adds one and returns the count before it.
    @discardableResult
    func next() -> Int { value.add(1, ordering: .relaxed).oldValue }
}
