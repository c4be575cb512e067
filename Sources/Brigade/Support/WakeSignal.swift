import Foundation
import Synchronization

/// A level-triggered wake-up for one waiting loop: `signal()` before `wait()` is not lost, and
/// several signals before a wait collapse into one.
final class WakeSignal: Sendable {
    private struct State {
        var pending = false
        var waiter: CheckedContinuation<Void, Never>?
    }

    private let state = Mutex(State())

    init() {}

    func signal() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            if let waiter = state.waiter {
                state.waiter = nil
                return waiter
            }
            state.pending = true
            return nil
        }
        waiter?.resume()
    }

    /// Returns after a signal, or at once when the task is cancelled.
    func wait() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state -> Bool in
                    if state.pending || Task.isCancelled {
                        state.pending = false
                        return true
                    }
                    state.waiter = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            self.signal()
        }
    }

    /// Waits for a signal or until `deadline` on `clock`, whichever comes first; true when the
    /// signal came first (or the task was cancelled), false when the deadline did.
    ///
    /// The deadline is a timer that signals (``WorkflowClock/schedule(at:_:)``), not a task
    /// racing the wait: a loop that waits once per event (a SousChef's) makes no task for it.
    /// A timer that fires just after a real signal leaves one spurious wake for the next wait,
    /// which a level-triggered loop re-checks anyway.
    @discardableResult
    func wait(until deadline: Date?, clock: any WorkflowClock) async -> Bool {
        guard let deadline else {
            await wait()
            return true
        }
        let deadlinePassed = Atomic(false)
        let timer = clock.schedule(at: deadline) {
            deadlinePassed.store(true, ordering: .relaxed)
            self.signal()
        }
        await wait()
        timer.cancel()
        return !deadlinePassed.load(ordering: .relaxed)
    }
}
