import BrigadeTesting
import Foundation
import Synchronization
import Testing

@testable import Brigade

/// The level-triggered wake-up of the runtime's loops, with and without a deadline.
@Suite struct WakeSignalTests {
    @Test func aSignalBeforeTheWaitIsKeptAndSeveralCollapseIntoOne() async {
        let signal = WakeSignal()
        signal.signal()
        signal.signal()
        await signal.wait()
        let clock = SystemClock()
        let start = Date()
        let signalled = await signal.wait(until: start.addingTimeInterval(0.05), clock: clock)
        #expect(!signalled && Date() >= start.addingTimeInterval(0.05), "the two signals were one: this wait ran to its deadline")
    }

    @Test func aSignalBeatsTheDeadlineAndTheDeadlineNeverComesEarly() async throws {
        let signal = WakeSignal()
        let clock = ManualClock()
        let deadline = clock.now().addingTimeInterval(60)
        let waiter = Task { await signal.wait(until: deadline, clock: clock) }
        try await clock.waitForSleeper(at: deadline)
        signal.signal()
        #expect(await waiter.value, "the signal came first")
        #expect(clock.sleeperCount == 0, "its deadline's timer is gone with the wait")

        let returned = Mutex(false)
        let timedOut = Task {
            let signalled = await signal.wait(until: deadline, clock: clock)
            returned.withLock { $0 = true }
            return signalled
        }
        try await clock.waitForSleeper(at: deadline)
        clock.advance(by: .seconds(59))
        try await Task.sleep(for: .milliseconds(50))
        #expect(!returned.withLock { $0 }, "woken before its deadline")
        clock.advance(by: .seconds(1))
        #expect(await timedOut.value == false, "the deadline came first")
    }

    @Test func aCancelledWaitReturnsAtOnce() async {
        let signal = WakeSignal()
        let waiter = Task { await signal.wait(until: Date().addingTimeInterval(600), clock: SystemClock()) }
        waiter.cancel()
        #expect(await waiter.value)
    }
}
