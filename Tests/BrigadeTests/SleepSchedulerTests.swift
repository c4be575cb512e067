import Foundation
import Synchronization
import Testing

@_spi(Stores) @testable import Brigade

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
        let scheduler = SleepScheduler()
        let sleepers = (0..<2_000).map { _ in
            Task { try await scheduler.sleep(nanoseconds: 600_000_000_000) }
        }
        try await eventuallyTrue { scheduler.sleeperCount >= 2_000 }
        for sleeper in sleepers { sleeper.cancel() }
        for sleeper in sleepers {
            await #expect(throws: CancellationError.self) { try await sleeper.value }
        }
        #expect(scheduler.sleeperCount == 0)
    }

    @Test func aSleepCancelledBeforeItStartsThrowsAtOnce() async throws {
        let task = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            try await SleepScheduler.shared.sleep(nanoseconds: 600_000_000_000)
        }
        await #expect(throws: CancellationError.self) { try await task.value }
    }

    @Test func scheduledActionsRunAtTheirDeadlinesAndCancelledOnesNever() async throws {
        let clock = SystemClock()
        let ran = Mutex<[Int: Date]>([:])
        let start = Date()
        let deadlines = [25, 1, 12, 0, 30, 7].map { start.addingTimeInterval(Double($0) / 1_000) }
        let timers = deadlines.enumerated().map { index, deadline in
            clock.schedule(at: deadline) { ran.withLock { $0[index] = Date() } }
        }
        // Cancelled before their deadlines: these must never run.
        let cancelled = (0..<3).map { index in clock.schedule(at: start.addingTimeInterval(0.02)) { ran.withLock { $0[100 + index] = Date() } } }
        for timer in cancelled { timer.cancel() }
        try await eventuallyTrue { ran.withLock { $0.count } >= deadlines.count }
        try await Task.sleep(for: .milliseconds(40))
        let fired = ran.withLock { $0 }
        #expect(Set(fired.keys) == Set(deadlines.indices))
        for (index, at) in fired where index < deadlines.count { #expect(at >= deadlines[index]) }
        #expect(timers.allSatisfy { !$0.isCancelled } && cancelled.allSatisfy(\.isCancelled))
    }

    @Test func aCancelledTimerHoldsNothingAndADelayCannotTrap() async throws {
        let scheduler = SleepScheduler()
        let timers = (0..<1_000).map { _ in scheduler.schedule(after: .seconds(600)) { Issue.record("a cancelled timer ran") } }
        #expect(scheduler.sleeperCount == 1_000)
        for timer in timers { timer.cancel() }
        #expect(scheduler.sleeperCount == 0)
        // Deadlines past any clock's reach, or already gone, are clamped, not trapped on.
        let far = SystemClock().schedule(at: Date(millisecondsSince1970: Int64(1) << 61)) { Issue.record("ran") }
        far.cancel()
        #expect(SleepScheduler.nanoseconds(roundingUp: .seconds(Int64.max)) == .max)
        #expect(SleepScheduler.nanoseconds(roundingUp: .milliseconds(-5)) == 0)
        #expect(SleepScheduler.nanoseconds(roundingUp: Duration(secondsComponent: 1, attosecondsComponent: 1)) == 1_000_000_001)
        let past = Mutex(false)
        _ = scheduler.schedule(after: .seconds(-1)) { past.withLock { $0 = true } }
        try await eventuallyTrue { past.withLock { $0 } }
    }

    private func eventuallyTrue(_ condition: () -> Bool) async throws {
        for _ in 0..<5_000 where !condition() { try await Task.sleep(for: .milliseconds(1)) }
        #expect(condition())
    }
}
