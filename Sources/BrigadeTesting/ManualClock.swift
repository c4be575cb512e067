import Brigade
import Foundation
import Synchronization

/// A clock that moves only when told to, so a test of a 24-hour sleep or a five-retry exponential
/// back-off runs in milliseconds.
///
/// Sleepers wake, in deadline order, when ``advance(by:)`` moves time past their deadline; never
/// before. ``waitForSleepers(atLeast:timeout:)`` lets a test wait until the engine is actually
/// sleeping before it moves time.
public final class ManualClock: WorkflowClock {
    private struct Sleeper {
        var deadline: Int64
        var continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var now: Int64
        var sleepers: [UInt64: Sleeper] = [:]
        var nextID: UInt64 = 0
    }

    private let state: Mutex<State>

    /// - Parameter start: the initial time (default: 2027-01-15T08:00:00Z, a fixed instant).
    public init(start: Date = Date(timeIntervalSince1970: 1_800_000_000)) {
        state = Mutex(State(now: start.millisecondsSince1970))
    }

    public func now() -> Date {
        Date(millisecondsSince1970: state.withLock { $0.now })
    }

    public func sleep(until deadline: Date) async throws {
        let target = deadline.millisecondsSince1970
        let id = state.withLock { state -> UInt64 in
            state.nextID += 1
            return state.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let ready = state.withLock { state -> Result<Void, any Error>? in
                    if Task.isCancelled { return .failure(CancellationError()) }
                    if target <= state.now { return .success(()) }
                    state.sleepers[id] = Sleeper(deadline: target, continuation: continuation)
                    return nil
                }
                if let ready { continuation.resume(with: ready) }
            }
        } onCancel: {
            let sleeper = state.withLock { $0.sleepers.removeValue(forKey: id) }
            sleeper?.continuation.resume(throwing: CancellationError())
        }
    }

    /// Moves time forward by `duration` and wakes every sleeper whose deadline has come.
    public func advance(by duration: Duration) {
        let target = state.withLock { $0.now } + duration.wholeMilliseconds
        advance(toMilliseconds: target)
    }

    /// Moves time forward to `date` (never backward).
    public func advance(to date: Date) {
        advance(toMilliseconds: date.millisecondsSince1970)
    }

    private func advance(toMilliseconds target: Int64) {
        let due = state.withLock { state -> [Sleeper] in
            state.now = max(state.now, target)
            let now = state.now
            let ready = state.sleepers.filter { $0.value.deadline <= now }
            for id in ready.keys { state.sleepers[id] = nil }
            return ready.values.sorted { $0.deadline < $1.deadline }
        }
        for sleeper in due { sleeper.continuation.resume() }
    }

    /// Tasks currently sleeping on this clock.
    public var sleeperCount: Int { state.withLock { $0.sleepers.count } }

    /// The earliest deadline anyone sleeps until.
    public var nextDeadline: Date? {
        state.withLock { $0.sleepers.values.map(\.deadline).min() }.map(Date.init(millisecondsSince1970:))
    }

    /// Waits (in real time) until a sleeper's deadline is at or before `date`: the engine has
    /// reached the sleep the test wants to skip. The runtime's own loops sleep on the clock too
    /// (the purge sweep, every `sweepInterval`), so only a `date` closer than those tells the
    /// sleep apart; otherwise use ``waitForSleeper(at:timeout:)``.
    public func waitForSleeper(until date: Date, timeout: Duration = .seconds(10)) async throws {
        let target = date.millisecondsSince1970
        try await eventually("a task sleeping on the clock until \(date)", timeout: timeout) {
            self.state.withLock { $0.sleepers.values.contains { $0.deadline <= target } }
        }
    }

    /// Waits (in real time) until something sleeps until exactly `date` (to the millisecond): the
    /// engine has reached the sleep, timeout or back-off that ends then.
    public func waitForSleeper(at date: Date, timeout: Duration = .seconds(10)) async throws {
        let target = date.millisecondsSince1970
        try await eventually("a task sleeping on the clock until exactly \(date)", timeout: timeout) {
            self.state.withLock { $0.sleepers.values.contains { $0.deadline == target } }
        }
    }
}
