import Foundation
import Testing

@testable import Brigade

/// The real clock's sleeps: never early, and a cancelled sleep holds nothing afterwards (the
/// reason `SleepScheduler` exists — `Task.sleep` keeps its timer until the old deadline).
@Suite struct SleepSchedulerTests {
    @Test func sleepsNeverEndEarly() async throws {
        let clock = SystemClock()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for delay in [30, 1, 17, 5, 40, 12, 3, 25, 8, 0] {
                group.addTask {
                    let deadline = Date().addingTimeInterval(Double(delay) / 1_000)
                    try await clock.sleep(until: deadline)
                    #expect(Date() >= deadline)
                }
            }
            try await group.waitForAll()
        }
    }

    @Test func aShorterSleepRearmsTheTimerEarlier() async throws {
        let long = Task { try await SleepScheduler.shared.sleep(nanoseconds: 30_000_000_000) }
        try await Task.sleep(for: .milliseconds(5))
        let start = ContinuousClock.now
        try await SleepScheduler.shared.sleep(nanoseconds: 10_000_000)
        // Woken by its own deadline, not the 30-second one armed before it.
        #expect(ContinuousClock.now - start < .seconds(10))
        long.cancel()
        await #expect(throws: CancellationError.self) { try await long.value }
    }

    @Test func cancelledSleepsAreReleasedAtOnce() async throws {
        let scheduler = SleepScheduler.shared
        let sleepers = (0..<2_000).map { _ in
            Task { try await scheduler.sleep(nanoseconds: 600_000_000_000) }
        }
        try await eventuallyTrue { scheduler.sleeperCount >= 2_000 }
        for sleeper in sleepers { sleeper.cancel() }
        for sleeper in sleepers {
            await #expect(throws: CancellationError.self) { try await sleeper.value }
        }
        try await eventuallyTrue { scheduler.sleeperCount < 2_000 }
        // Other suites may sleep concurrently, but none of these 10-minute sleeps is left.
        #expect(scheduler.sleeperCount < 100)
    }

    @Test func aSleepCancelledBeforeItStartsThrowsAtOnce() async throws {
        let task = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            try await SleepScheduler.shared.sleep(nanoseconds: 600_000_000_000)
        }
        await #expect(throws: CancellationError.self) { try await task.value }
    }

    private func eventuallyTrue(_ condition: () -> Bool) async throws {
        for _ in 0..<5_000 where !condition() { try await Task.sleep(for: .milliseconds(1)) }
        #expect(condition())
    }
}
