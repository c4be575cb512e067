@_spi(Stores) @testable import Brigade
import BrigadeTesting
import Foundation
import Synchronization
import Testing

/// The hub that tells waiters an instance changed, and the event streams it pushes.
@Suite struct InstanceSignalsTests {
    static let key = InstanceKey(tenant: "t", workflow: "w", id: "i")

    static func after(_ duration: Duration) -> Date { Date().addingTimeInterval(Double(duration.wholeMilliseconds) / 1_000) }

    @Test func aSignalBeforeTheWaitIsKeptAndOneWithoutAWaitTimesOut() async {
        let signals = InstanceSignals()
        let subscription = signals.subscribe(Self.key, .history)
        defer { signals.unsubscribe(subscription) }
        signals.historyGrew(Self.key)
        signals.historyGrew(Self.key)
        #expect(await subscription.signal.wait(until: Self.after(.seconds(5)), clock: SystemClock()), "kept from before the wait")
        #expect(await subscription.signal.wait(until: Self.after(.milliseconds(20)), clock: SystemClock()) == false, "two signals before a wait are one")
        signals.historyGrew(InstanceKey(tenant: "t", workflow: "w", id: "other"))
        #expect(await subscription.signal.wait(until: Self.after(.milliseconds(20)), clock: SystemClock()) == false, "another instance's signal")
    }

    @Test func aWaitIsWokenBySignalAndByCancellation() async throws {
        let signals = InstanceSignals()
        let subscription = signals.subscribe(Self.key, .history)
        let woken = Task { await subscription.signal.wait(until: Self.after(.seconds(60)), clock: SystemClock()) }
        try await Task.sleep(for: .milliseconds(20))
        signals.historyGrew(Self.key)
        #expect(await woken.value)
        // A cancelled wait returns at once, not at its deadline a minute away.
        let started = ContinuousClock.now
        let cancelled = Task { await subscription.signal.wait(until: Self.after(.seconds(60)), clock: SystemClock()) }
        try await Task.sleep(for: .milliseconds(20))
        cancelled.cancel()
        _ = await cancelled.value
        #expect(ContinuousClock.now - started < .seconds(30))
        signals.unsubscribe(subscription)
    }

    @Test func finishWaitersHearOnlyTheFinish() async {
        let signals = InstanceSignals()
        let finish = signals.subscribe(Self.key, .finish)
        let history = signals.subscribe(Self.key, .history)
        signals.historyGrew(Self.key)
        #expect(await finish.signal.wait(until: Self.after(.milliseconds(20)), clock: SystemClock()) == false, "a step is not a finish")
        #expect(await history.signal.wait(until: Self.after(.milliseconds(20)), clock: SystemClock()))
        signals.finished(Self.key)
        #expect(await finish.signal.wait(until: Self.after(.seconds(5)), clock: SystemClock()))
        #expect(await history.signal.wait(until: Self.after(.seconds(5)), clock: SystemClock()), "the end is history too")
        signals.unsubscribe(finish)
        signals.unsubscribe(history)
    }

    /// A node whose stream watches an instance this node runs hears of each change; a signal
    /// that came from another node is not sent back.
    @Test func changesOfAnInstanceWatchedFromAnotherNodeAreForwarded() async throws {
        let signals = InstanceSignals()
        let sent = Mutex<[ShardWakeup]>([])
        signals.forwardToOtherNodes { wakeup in sent.withLock { $0.append(wakeup) } }
        signals.historyGrew(Self.key)
        try await Task.sleep(for: .milliseconds(50))
        #expect(sent.withLock { $0.isEmpty }, "nobody watches it yet")
        let shard = ShardKey(tenant: "t", workflow: "w", shard: 3)
        signals.watchedRemotely(ShardWakeup(kind: .watch, shard: shard, seq: 7, id: "i"))
        #expect(signals.remoteWatchCount == 1)
        signals.historyGrew(Self.key)
        try await eventually("the change to be forwarded") { sent.withLock { $0.count == 1 } }
        let wakeup = try #require(sent.withLock { $0.first })
        #expect(wakeup.kind == .history && wakeup.shardKey == shard && wakeup.seq == 7 && wakeup.id == "i")
        signals.historyGrew(Self.key, fromAnotherNode: true)
        signals.finished(Self.key)
        try await eventually("the finish to be forwarded") { sent.withLock { $0.count == 2 } }
        try await Task.sleep(for: .milliseconds(50))
        #expect(sent.withLock { $0.count } == 2, "what came from another node is not sent back")
    }

    /// A stream whose fallback read is an hour away still delivers every event of a workflow
    /// that waits, hears an event, runs a step and completes: the engine's writes push them,
    /// lazy step writes included.
    @Test func aStreamIsPushedNotPolled() async throws {
        try await TestBrigade.run(register: { try $0.register(WaitsForApproval()) }) { brigade in
            let instance = try await brigade.runtime.workflow(WaitsForApproval.self).create(params: .init(sleepFirst: true))
            let seen = Mutex<[HistoryEventType]>([])
            let stream = brigade.runtime.subscribe(instance.key, pollInterval: .seconds(3_600))
            let reader = Task {
                for try await event in stream { seen.withLock { $0.append(event.entry.type) } }
            }
            defer { reader.cancel() }
            try await eventually("the sleep to start") { seen.withLock { $0.contains(.sleepStarted) } }
            brigade.clock.advance(by: .hours(1))
            try await eventually("the wait to start") { seen.withLock { $0.contains(.waitStarted) } }
            try await instance.sendEvent(type: "approved", payload: Approval(approver: "ada"))
            try await eventually("the stream to end with the instance") { seen.withLock { $0.last == .workflowCompleted } }
            try await reader.value
            let types = seen.withLock { $0 }
            #expect(types.contains(.sleepCompleted), "a lazy write, pushed: \(types)")
            #expect(types.filter { $0 == .workflowCompleted }.count == 1)
        }
    }
}
