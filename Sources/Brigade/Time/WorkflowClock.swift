import Foundation

/// The source of wall-clock time for deadlines, timers and timestamps.
///
/// Every durable deadline is an absolute wall-clock time, so the engine asks this clock for
/// "now" and sleeps on it. Tests inject `ManualClock` from BrigadeTesting to run a 24-hour sleep
/// or a five-retry exponential back-off in milliseconds.
public protocol WorkflowClock: Sendable {
    /// The current time.
    func now() -> Date
    /// Suspends until `deadline` (or later). Throws `CancellationError` when cancelled.
    func sleep(until deadline: Date) async throws
    /// Runs `action` once `deadline` has passed (never before), unless the returned timer is
    /// cancelled first. The action must be short and must not block.
    ///
    /// The default runs a task that sleeps with ``sleep(until:)``; a clock can do it without a
    /// task (``SystemClock`` does: the engine races every step attempt against a timer).
    func schedule(at deadline: Date, _ action: @escaping @Sendable () -> Void) -> ClockTimer
}

extension WorkflowClock {
    public func schedule(at deadline: Date, _ action: @escaping @Sendable () -> Void) -> ClockTimer {
        let timer = ClockTimer()
        let sleeper = Task {
            do { try await sleep(until: deadline) } catch { return }
            if !timer.isCancelled { action() }
        }
        timer.onCancel { sleeper.cancel() }
        return timer
    }
}

extension WorkflowClock {
    /// The current time in milliseconds since 1970, the unit of every stored timestamp.
    public func nowMilliseconds() -> Int64 { now().millisecondsSince1970 }
}

extension Date {
    /// Milliseconds since 1970, rounded down, and held within ±2^61 (about 73 million years)
    /// so that a date from tenant code (`new Date(1e300)`, NaN) cannot trap the conversion or
    /// overflow the arithmetic on it: such a date is then refused by the rule it breaks (a sleep
    /// past 365 days), not by a crash.
    public var millisecondsSince1970: Int64 {
        let milliseconds = (timeIntervalSince1970 * 1_000).rounded(.down)
        let bound = Double(Int64(1) << 61)
        // Infinities clamp to the bound; NaN counts as the distant past (a sleep that is over).
        return milliseconds.isNaN ? -(Int64(1) << 61) : Int64(min(bound, max(-bound, milliseconds)))
    }

    /// The date `milliseconds` after 1970.
    public init(millisecondsSince1970 milliseconds: Int64) {
        self.init(timeIntervalSince1970: Double(milliseconds) / 1_000)
    }
}
