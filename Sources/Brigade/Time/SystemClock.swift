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
            try await SleepScheduler.shared.sleep(nanoseconds: UInt64((remaining * 1e9).rounded(.up)))
        }
    }
}
