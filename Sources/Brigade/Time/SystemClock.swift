import Foundation

/// The real clock.
public struct SystemClock: WorkflowClock {
    public init() {}

    public func now() -> Date { Date() }

    public func sleep(until deadline: Date) async throws {
        // Re-check after each nap: wall-clock adjustments must never make a timer fire early.
        while true {
            let remaining = deadline.timeIntervalSinceNow
            if remaining <= 0 { return }
            // Not `Task.sleep`: its timer outlives a cancelled sleep (see `SleepScheduler`).
            try await SleepScheduler.shared.sleep(nanoseconds: Self.nanoseconds(remaining))
        }
    }

    public func schedule(at deadline: Date, _ action: @escaping @Sendable () -> Void) -> ClockTimer {
        let timer = ClockTimer()
        Self.arm(timer, until: deadline, action)
        return timer
    }

    /// Arms `timer` on the scheduler for what remains until `deadline`, and again when it fires
    /// early by the wall clock (the clock was set back meanwhile), as ``sleep(until:)`` re-checks.
    private static func arm(_ timer: ClockTimer, until deadline: Date, _ action: @escaping @Sendable () -> Void) {
        let remaining = deadline.timeIntervalSinceNow
        SleepScheduler.shared.schedule(timer, afterNanoseconds: remaining > 0 ? nanoseconds(remaining) : 0) {
            if Date() < deadline { arm(timer, until: deadline, action) } else { action() }
        }
    }

    private static func nanoseconds(_ seconds: Double) -> UInt64 {
        // Clamped: a deadline a million years away must not trap the conversion.
        UInt64(min((seconds * 1e9).rounded(.up), 1.8e19))
    }
}
