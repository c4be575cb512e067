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
    @discardableResult
    func wait(until deadline: Date?, clock: any WorkflowClock) async -> Bool {
        guard let deadline else {
            await wait()
            return true
        }
        return await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                await self.wait()
                return true
            }
            group.addTask {
                try? await clock.sleep(until: deadline)
                return false
            }
            let first = await group.next() ?? true
            group.cancelAll()
            return first
        }
    }
}
