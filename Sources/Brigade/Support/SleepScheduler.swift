import Dispatch
import HeapModule
import Synchronization

/// Sleeps for the real clock that give their memory back when cancelled.
///
/// `Task.sleep` on Linux leaves its dispatch timer (and the sleeping task's context, about
/// 260 bytes) alive until the original deadline even when the sleep is cancelled. The engine
/// cancels most of its sleeps — an attempt's 10-minute timeout when the step returns, a parked
/// branch's deadline when the instance hibernates — so a million hibernated instances would keep
/// two million dead timers for minutes. Here every sleeper is an entry in one heap served by one
/// dispatch timer; cancelling removes the entry at once.
final class SleepScheduler: Sendable {
    static let shared = SleepScheduler()

    private struct Entry: Comparable {
        var deadline: UInt64
        var id: UInt64
        static func < (lhs: Entry, rhs: Entry) -> Bool { (lhs.deadline, lhs.id) < (rhs.deadline, rhs.id) }
    }

    private struct State: ~Copyable {
        var nextId: UInt64 = 0
        var heap = Heap<Entry>()
        /// The live sleepers; a heap entry without one here was cancelled and is skipped.
        var waiters: [UInt64: CheckedContinuation<Void, any Error>] = [:]
        /// The one timer, touched only under the lock.
        let timer: any DispatchSourceTimer
        /// The deadline the timer is set for (`UInt64.max` when disarmed).
        var armed = UInt64.max
    }

    private let state: Mutex<State>

    private init() {
        state = Mutex(State(timer: DispatchSource.makeTimerSource(queue: DispatchQueue(label: "brigade.sleep-scheduler"))))
        state.withLock { state in
            state.timer.setEventHandler { [unowned self] in self.fire() }
            state.timer.activate()
        }
    }

    /// Suspends for `nanoseconds` of monotonic time. Throws `CancellationError` when the task is
    /// cancelled, and then holds nothing.
    func sleep(nanoseconds: UInt64) async throws {
        let now = DispatchTime.now().uptimeNanoseconds
        let deadline = now.addingReportingOverflow(nanoseconds).overflow ? UInt64.max - 1 : now + nanoseconds
        let id = state.withLock { state -> UInt64 in
            state.nextId += 1
            return state.nextId
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let registered = state.withLock { state -> Bool in
                    // Checked under the lock: a cancellation either finds the waiter in
                    // `onCancel` or is seen here, never neither.
                    if Task.isCancelled { return false }
                    state.waiters[id] = continuation
                    state.heap.insert(Entry(deadline: deadline, id: id))
                    compactIfMostlyCancelled(&state)
                    if deadline < state.armed { arm(&state, at: deadline) }
                    return true
                }
                if !registered { continuation.resume(throwing: CancellationError()) }
            }
        } onCancel: {
            let waiter = state.withLock { $0.waiters.removeValue(forKey: id) }
            waiter?.resume(throwing: CancellationError())
        }
    }

    /// Live sleepers (for tests and diagnostics).
    var sleeperCount: Int { state.withLock { $0.waiters.count } }

    /// Sets the one timer; done under the lock so that two sleepers arming at once cannot leave
    /// it at the later of their deadlines.
    private func arm(_ state: inout State, at deadline: UInt64) {
        state.armed = deadline
        state.timer.schedule(deadline: DispatchTime(uptimeNanoseconds: deadline), leeway: .microseconds(200))
    }

    private func fire() {
        let now = DispatchTime.now().uptimeNanoseconds
        let due = state.withLock { state -> [CheckedContinuation<Void, any Error>] in
            var due: [CheckedContinuation<Void, any Error>] = []
            while let first = state.heap.min, first.deadline <= now {
                state.heap.removeMin()
                if let waiter = state.waiters.removeValue(forKey: first.id) { due.append(waiter) }
            }
            if let next = state.heap.min?.deadline {
                arm(&state, at: next)
            } else {
                state.armed = .max
            }
            return due
        }
        for waiter in due { waiter.resume() }
    }

    /// Cancelled entries stay in the heap until popped; when they outnumber the live ones the
    /// heap is rebuilt, so memory follows the live sleepers, not the cancelled ones.
    private func compactIfMostlyCancelled(_ state: inout State) {
        guard state.heap.count > 1_024, state.heap.count > 2 * state.waiters.count else { return }
        let live = state.heap.unordered.filter { state.waiters[$0.id] != nil }
        state.heap = Heap(live)
    }
}
