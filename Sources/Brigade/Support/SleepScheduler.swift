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
///
/// It also runs actions at a deadline without a task (``schedule(after:_:)``): a race against a
/// time limit (an attempt's timeout, a database call's) then costs an entry in the heap, where a
/// timer task costs a task, a dispatch timer armed and disarmed, and the thread switches of each.
/// For the stores too (`@_spi(Stores)`), not for embedders.
@_spi(Stores) public final class SleepScheduler: Sendable {
    public static let shared = SleepScheduler()

    private struct Entry: Comparable {
        var deadline: UInt64
        var id: UInt64
        static func < (lhs: Entry, rhs: Entry) -> Bool { (lhs.deadline, lhs.id) < (rhs.deadline, rhs.id) }
    }

    private enum Waiter {
        case sleeper(CheckedContinuation<Void, any Error>)
        case action(@Sendable () -> Void)

        func run() {
            switch self {
            case .sleeper(let continuation): continuation.resume()
            case .action(let action): action()
            }
        }
    }

    private struct State: ~Copyable {
        var nextId: UInt64 = 0
        var heap = Heap<Entry>()
        /// The live sleepers and actions; a heap entry without one here was cancelled and is skipped.
        var waiters: [UInt64: Waiter] = [:]
        /// The one timer, touched only under the lock.
        let timer: any DispatchSourceTimer
        /// The deadline the timer is set for (`UInt64.max` when disarmed).
        var armed = UInt64.max
    }

    private let state: Mutex<State>

    /// A scheduler of its own (tests count its entries); the engine and the stores use ``shared``.
    init() {
        state = Mutex(State(timer: DispatchSource.makeTimerSource(queue: DispatchQueue(label: "brigade.sleep-scheduler"))))
        state.withLock { state in
            state.timer.setEventHandler { [unowned self] in self.fire() }
            state.timer.activate()
        }
    }

    /// Suspends for `nanoseconds` of monotonic time. Throws `CancellationError` when the task is
    /// cancelled, and then holds nothing.
    func sleep(nanoseconds: UInt64) async throws {
        let deadline = Self.deadline(afterNanoseconds: nanoseconds)
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
                    insert(&state, .sleeper(continuation), id: id, deadline: deadline)
                    return true
                }
                if !registered { continuation.resume(throwing: CancellationError()) }
            }
        } onCancel: {
            if case .sleeper(let continuation) = state.withLock({ $0.waiters.removeValue(forKey: id) }) {
                continuation.resume(throwing: CancellationError())
            }
        }
    }

    /// Runs `action` once `delay` of monotonic time has passed, on the scheduler's queue, unless
    /// the returned timer is cancelled first. The action must be short and must not block: every
    /// other deadline due at that moment waits for it.
    public func schedule(after delay: Duration, _ action: @escaping @Sendable () -> Void) -> ClockTimer {
        let timer = ClockTimer()
        schedule(timer, afterNanoseconds: Self.nanoseconds(roundingUp: delay), action)
        return timer
    }

    /// Arms `timer` (again): cancelling it from now on removes this entry.
    func schedule(_ timer: ClockTimer, afterNanoseconds nanoseconds: UInt64, _ action: @escaping @Sendable () -> Void) {
        let deadline = Self.deadline(afterNanoseconds: nanoseconds)
        let id = state.withLock { state -> UInt64 in
            state.nextId += 1
            insert(&state, .action(action), id: state.nextId, deadline: deadline)
            return state.nextId
        }
        timer.onCancel { [self] in _ = state.withLock { $0.waiters.removeValue(forKey: id) } }
    }

    private func insert(_ state: inout State, _ waiter: Waiter, id: UInt64, deadline: UInt64) {
        state.waiters[id] = waiter
        state.heap.insert(Entry(deadline: deadline, id: id))
        compactIfMostlyCancelled(&state)
        if deadline < state.armed { arm(&state, at: deadline) }
    }

    /// `duration` in whole nanoseconds, rounded up (a timer never fires early), 0 when negative.
    public static func nanoseconds(roundingUp duration: Duration) -> UInt64 {
        let (seconds, attoseconds) = duration.components
        guard seconds >= 0, attoseconds >= 0 else { return 0 }
        let (whole, overflow) = UInt64(seconds).multipliedReportingOverflow(by: 1_000_000_000)
        let fraction = UInt64(attoseconds / 1_000_000_000) + (attoseconds % 1_000_000_000 == 0 ? 0 : 1)
        return overflow ? .max : whole.addingReportingOverflow(fraction).overflow ? .max : whole + fraction
    }

    private static func deadline(afterNanoseconds nanoseconds: UInt64) -> UInt64 {
        let now = DispatchTime.now().uptimeNanoseconds
        return now.addingReportingOverflow(nanoseconds).overflow ? UInt64.max - 1 : now + nanoseconds
    }

    /// Live sleepers and scheduled actions (for tests and diagnostics).
    var sleeperCount: Int { state.withLock { $0.waiters.count } }

    /// Sets the one timer; done under the lock so that two sleepers arming at once cannot leave
    /// it at the later of their deadlines.
    private func arm(_ state: inout State, at deadline: UInt64) {
        state.armed = deadline
        state.timer.schedule(deadline: DispatchTime(uptimeNanoseconds: deadline), leeway: .microseconds(200))
    }

    private func fire() {
        let now = DispatchTime.now().uptimeNanoseconds
        let due = state.withLock { state -> [Waiter] in
            var due: [Waiter] = []
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
        for waiter in due { waiter.run() }
    }

    /// Cancelled entries stay in the heap until popped; when they outnumber the live ones the
    /// heap is rebuilt, so memory follows the live sleepers, not the cancelled ones.
    private func compactIfMostlyCancelled(_ state: inout State) {
        guard state.heap.count > 1_024, state.heap.count > 2 * state.waiters.count else { return }
        let live = state.heap.unordered.filter { state.waiters[$0.id] != nil }
        state.heap = Heap(live)
    }
}
