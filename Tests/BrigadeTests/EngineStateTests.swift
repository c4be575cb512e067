@_spi(Stores) @_spi(Sandbox) @testable import Brigade
import Foundation
import Testing

/// The engine's decisions, tested on its state alone, as postgres-nio tests its pool's state
/// machine: no engine, no task, no store, no clock.
@Suite struct EngineStateTests {
    static func state(steps: [StepRecord] = [], events: [EventRecord] = [], stepLimit: Int? = nil) -> EngineState {
        var row = InstanceTransitionTests.row(.running)
        row.stepLimit = stepLimit
        return EngineState(snapshot: ReplaySnapshot(row: row, steps: steps, events: events))
    }

    static func event(_ seq: Int64, _ type: String, at createdAt: Int64 = 10) -> EventRecord {
        EventRecord(seq: seq, type: type, payload: Data("{}".utf8), createdAt: createdAt)
    }

    static func admit(_ state: inout EngineState, _ kind: StepKind, _ name: String, maxSteps: Int = 10) -> EngineState.Admission {
        state.admit(kind, name, count: nil, maxSteps: maxSteps, instanceId: "i")
    }

    static func entered(_ admission: EngineState.Admission) -> StepEntry? {
        if case .entered(let entry) = admission { return entry }
        return nil
    }

    @Test func aNewStepIsCountedPlacedAndBusy() throws {
        var state = Self.state(steps: [InstanceTransitionTests.step("old", position: 0)])
        #expect(state.replaying)
        let replayed = try #require(Self.entered(Self.admit(&state, .do, "old")))
        #expect(replayed.record != nil && replayed.position == 0)
        #expect(state.replaying, "a finished step keeps the replay going")
        let first = try #require(Self.entered(Self.admit(&state, .do, "fetch")))
        let second = try #require(Self.entered(Self.admit(&state, .do, "fetch")))
        #expect(first.identity == StepIdentity(name: "fetch", count: 1) && first.position == 1 && first.record == nil)
        #expect(second.identity == StepIdentity(name: "fetch", count: 2) && second.position == 2)
        #expect(!state.replaying, "a step no lifetime finished ends the replay")
        #expect(state.busy == 3 && state.doSteps == 3)
    }

    @Test func aStepOfAnotherKindThanRecordedIsFatal() {
        var state = Self.state(steps: [InstanceTransitionTests.step("nap", position: 0, kind: .sleep)])
        guard case .fatal(let error) = state.admit(.do, "nap", count: nil, maxSteps: 10, instanceId: "i") else {
            Issue.record("a step.do where step.sleep was recorded was admitted")
            return
        }
        #expect(error.code == .nonDeterminism && error.message.contains("step.sleep") && error.stepName == "nap-1")
        #expect(state.busy == 0)
    }

    @Test func theStepLimitCountsNewDoStepsOnly() {
        var state = Self.state(steps: [InstanceTransitionTests.step("a", position: 0)], stepLimit: 2)
        for (kind, name) in [(StepKind.do, "a"), (.sleep, "nap"), (.do, "b")] {
            let admission = Self.admit(&state, kind, name, maxSteps: 100)
            #expect(Self.entered(admission) != nil, "\(name) was refused")
        }
        guard case .fatal(let error) = state.admit(.do, "c", count: nil, maxSteps: 100, instanceId: "i") else {
            Issue.record("a third step.do passed a limit of 2")
            return
        }
        #expect(error.code == .stepLimitExceeded && error.message.contains("limit of 2"))
    }

    @Test func aPendingPauseBlocksNewStepsAndItsCancellationReleasesOnlyThem() throws {
        var state = Self.state()
        let accepted = state.requestPause()
        #expect(accepted && state.phase == .pausing)
        let again = state.requestPause()
        #expect(again, "asked again while pending: still accepted")
        guard case .blocked(_, let blockedTicket) = state.admit(.do, "s", count: nil, maxSteps: 10, instanceId: "i") else {
            Issue.record("a step started while a pause was pending")
            return
        }
        let sleeper = ParkTicket()
        guard case .parked = state.park(sleeper, until: 5_000, eventType: nil, short: false) else {
            Issue.record("a sleep did not park")
            return
        }
        let cancelled = state.cancelPause()
        let released = try #require(cancelled)
        #expect(state.phase == .running)
        #expect(released.count == 1 && released[0] === blockedTicket, "only the step the pause blocked is released, not the sleep")
        let cancelledAgain = state.cancelPause()
        #expect(cancelledAgain == nil, "no pause pending any more")
    }

    @Test func anUnwindingEngineRefusesPausesStepsParksAndEvents() {
        var state = Self.state()
        let parked = ParkTicket()
        _ = state.park(parked, until: 5_000, eventType: "approval", short: false)
        let tickets = state.stop()
        #expect(state.phase == .stopping && tickets.count == 1 && tickets[0] === parked)
        let paused = state.requestPause()
        #expect(!paused)
        let delivery = state.receive(Self.event(1, "approval"))
        #expect(delivery == .refused)
        if case .failed(let error) = state.admit(.do, "s", count: nil, maxSteps: 10, instanceId: "i") {
            #expect((error as? EngineUnwind)?.reason == .stop)
        } else {
            Issue.record("a step started on a stopping engine")
        }
        if case .failed = state.park(ParkTicket(), until: 5_000, eventType: nil, short: false) {} else {
            Issue.record("a branch parked on a stopping engine")
        }
    }

    @Test func anEventGoesToTheOldestWaiterOfItsTypeOnceAndIsBufferedOtherwise() async throws {
        var state = Self.state()
        let first = ParkTicket()
        let second = ParkTicket()
        let other = ParkTicket()
        // Three branches side by side, each a step call that entered (busy) and then parks for
        // long (not busy).
        let waits = [(first, "approval"), (second, "approval"), (other, "other")]
        for (_, type) in waits { _ = Self.admit(&state, .waitForEvent, "wait for \(type)") }
        let registrations = waits.map { ticket, type in state.park(ticket, until: 9_000, eventType: type, short: false) }
        guard case .parked(let firstID, quiescent: false) = registrations[0], case .parked(_, quiescent: true) = registrations[2] else {
            Issue.record("the waiters did not park, or the engine was quiescent before the last one: \(registrations)")
            return
        }
        #expect(state.busy == 0 && state.isQuiescent, "nothing runs: the monitor may look at hibernating")

        let delivery = state.receive(Self.event(1, "approval"))
        #expect(delivery == .delivered)
        #expect(state.parked[firstID] == nil && state.busy == 1, "the woken waiter counts busy again at once")
        guard case .success(.event(let delivered)) = await first.wait() else {
            Issue.record("the oldest waiter did not get the event")
            return
        }
        #expect(delivered.seq == 1)
        let deliveries = [1, 2, 3].map { state.receive(Self.event($0, "approval")) }
        #expect(deliveries == [.duplicate, .delivered, .buffered])

        // A later wait takes the buffered event at once, unless it was sent after its deadline.
        if case .immediate(let event) = state.park(ParkTicket(), until: 9_000, eventType: "approval", short: false) {
            #expect(event.seq == 3)
        } else {
            Issue.record("a buffered event did not answer the next wait")
        }
        let late = state.receive(Self.event(4, "late", at: 20_000))
        #expect(late == .buffered)
        if case .immediate = state.park(ParkTicket(), until: 9_000, eventType: "late", short: false) {
            Issue.record("an event sent after the wait's deadline answered it")
        }
    }

    @Test func aFatalErrorIsKeptOnceAndReleasesEveryParkedBranch() {
        var state = Self.state()
        _ = state.park(ParkTicket(), until: 5_000, eventType: nil, short: true)
        let first = BrigadeError(.nonDeterminism, "first")
        let released = state.fail(first)
        #expect(released.count == 1)
        _ = state.fail(BrigadeError(.stepLimitExceeded, "second"))
        #expect(state.fatal?.message == "first")
        if case .failed(let error) = state.admit(.do, "s", count: nil, maxSteps: 10, instanceId: "i") {
            #expect((error as? BrigadeError)?.message == "first")
        } else {
            Issue.record("a step started after a fatal error")
        }
    }

    @Test func beforeItsClaimTheEngineTakesOnlyAStopOrADrain() {
        var fresh = EngineState()
        #expect(fresh.phase == .claiming && fresh.isUnwinding)
        let paused = fresh.requestPause()
        let delivery = fresh.receive(Self.event(1, "approval"))
        #expect(!paused && delivery == .refused, "a pause or an event before the claim goes through the store")
        let snapshot = ReplaySnapshot(row: InstanceTransitionTests.row(.running), steps: [], events: [Self.event(2, "early")])
        let runs = fresh.claimed(snapshot)
        #expect(runs && fresh.phase == .running && fresh.epoch == 4 && fresh.buffered["early"]?.count == 1)

        var stopped = EngineState()
        _ = stopped.stop()
        let stoppedRuns = stopped.claimed(snapshot)
        #expect(!stoppedRuns && stopped.phase == .stopping && stopped.stopRequested)

        var draining = EngineState()
        draining.draining = true
        let drainingRuns = draining.claimed(snapshot)
        #expect(!drainingRuns, "a drain asked during the claim stops the engine at once")
    }

    @Test func theMonitorPausesDrainsAndHibernatesOnlyWhenNothingRuns() throws {
        var state = Self.state()
        _ = Self.admit(&state, .do, "busy")
        _ = state.requestPause()
        #expect(state.nextMonitorAction() == .none, "a step body runs: the pause waits for it")
        state.busy -= 1
        #expect(state.nextMonitorAction() == .pause)
        let began = state.beginPause()
        #expect(began && state.phase == .paused && state.unwindReason == .pause)

        var hibernating = Self.state()
        _ = Self.admit(&hibernating, .sleep, "nap")
        _ = Self.admit(&hibernating, .waitForEvent, "wait")
        _ = hibernating.park(ParkTicket(), until: 7_000, eventType: nil, short: false)
        _ = hibernating.park(ParkTicket(), until: 5_000, eventType: "approval", short: false)
        guard case .considerHibernation(let activity) = hibernating.nextMonitorAction() else {
            Issue.record("every branch is parked but the monitor does not consider hibernating")
            return
        }
        let stale = hibernating.beginHibernation(ifStill: activity - 1)
        #expect(stale == nil, "something moved since: no hibernation")
        let due = hibernating.beginHibernation(ifStill: activity)
        #expect(due == 5_000 && hibernating.phase == .hibernating(dueAt: 5_000), "it wakes at the earliest deadline")
        let (tickets, reason) = hibernating.unwind()
        #expect(tickets.count == 2 && reason == .hibernate)

        var draining = Self.state()
        _ = Self.admit(&draining, .do, "last")
        draining.draining = true
        #expect(draining.nextMonitorAction() == .none, "the running body finishes and commits first")
        draining.busy -= 1
        #expect(draining.nextMonitorAction() == .drain)
        #expect(draining.phase == .stopping)
    }

    @Test func aFailedWriteEndsTheLifetimeFencedOrForTheStore() {
        var fenced = Self.state()
        fenced.stopAfterFailedWrite(fenced: true, storageFailed: false)
        #expect(fenced.phase == .stopping && fenced.fenced && !fenced.storageFailed)
        var failed = Self.state()
        failed.stopAfterFailedWrite(fenced: false, storageFailed: true)
        #expect(failed.isUnwinding && failed.storageFailed)
        let paused = failed.requestPause()
        #expect(!paused)
    }

    @Test func theJournalAnswersFinishedStepsAndLeavesTheRestToTheSlowPath() {
        var done = InstanceTransitionTests.step("fetch", position: 0)
        done.value = Data("42".utf8)
        var failed = StepRecord(name: "fetch", count: 2, kind: .do, position: 1, status: .failed, attempts: 3, startedAt: 1)
        failed.error = ErrorInfo(name: "TypeError", message: "boom")
        failed.nonRetryable = true
        let running = StepRecord(name: "fetch", count: 3, kind: .do, position: 2, status: .running, attempts: 1, startedAt: 1)
        var state = Self.state(steps: [done, failed, running])
        let answers = [state.answerFromJournal(.do, "fetch"), state.answerFromJournal(.do, "fetch")]
        #expect(answers == [.value(Data("42".utf8)), .failed(name: "TypeError", message: "boom", nonRetryable: true)])
        let before = state.activity
        let unfinished = state.answerFromJournal(.do, "fetch")
        #expect(unfinished == nil && state.nextCount(of: "fetch") == 3 && state.activity == before, "not counted: the slow path counts it")
        let otherKind = state.answerFromJournal(.sleep, "fetch")
        #expect(otherKind == nil, "the slow path reports the non-determinism")
        var paused = Self.state(steps: [done])
        _ = paused.requestPause()
        let whilePausing = paused.answerFromJournal(.do, "fetch")
        #expect(whilePausing == nil, "a pending pause blocks even a journaled step")
    }

    @Test func aReservedOccurrenceKeepsTheOrderTheCodeMadeTheCallsIn() throws {
        var state = Self.state(steps: [InstanceTransitionTests.step("old", position: 0)])
        _ = state.answerFromJournal(.do, "old")
        let first = state.reserveCount("a")
        let second = state.reserveCount("a")
        #expect(first == 1 && second == 2)
        // Performed in the other order, each takes the place reserved for it.
        let late = try #require(Self.entered(state.admit(.do, "a", count: 2, maxSteps: 10, instanceId: "i")))
        let early = try #require(Self.entered(state.admit(.do, "a", count: 1, maxSteps: 10, instanceId: "i")))
        #expect(early.position == 1 && late.position == 2)
        let quiescent = [state.exitStep(), state.exitStep()]
        #expect(quiescent == [false, false], "nothing parked and no pause: nothing for the monitor")
        _ = state.requestPause()
        _ = Self.admit(&state, .do, "blocked")
        #expect(state.isQuiescent, "a pending pause with no body running is the monitor's to act on")
    }

    @Test func logLinesAreDroppedWhileReplayingAndPastTheLimitWithOneNotice() {
        var state = Self.state(steps: [InstanceTransitionTests.step("old", position: 0)])
        #expect(state.admitLog(inStep: false, maxLines: 2) == .drop, "a line outside a step during the replay was stored before")
        #expect(state.admitLog(inStep: true, maxLines: 2) == .store)
        _ = Self.admit(&state, .do, "new")
        let lines = (0..<4).map { _ in state.admitLog(inStep: false, maxLines: 2) }
        #expect(lines == [.store, .storeLimitNotice, .drop, .drop])
    }

    // MARK: Non-determinism (R14)

    /// A new step reached while a finished step of an earlier lifetime has not been reached again
    /// is held back; reaching that step lets it go on, counted busy then.
    @Test func aNewStepWaitsUntilEveryFinishedStepIsReachedAgain() throws {
        var state = Self.state(steps: [InstanceTransitionTests.step("a", position: 0), InstanceTransitionTests.step("b", position: 1)])
        _ = try #require(Self.entered(Self.admit(&state, .do, "a")))
        guard case .held(let entry, let id, let ticket) = Self.admit(&state, .do, "new") else {
            Issue.record("not held")
            return
        }
        #expect(entry.record == nil && state.held[id] == StepIdentity(name: "new", count: 1))
        #expect(state.busy == 1, "held, not busy: only the replayed step is")
        _ = try #require(Self.entered(Self.admit(&state, .do, "b")))
        #expect(state.held.isEmpty && state.unreached.isEmpty)
        #expect(state.busy == 3, "released and counted busy in the same step")
        #expect(!ticket.settle(.success(.deadline)), "its ticket was settled already: the branch goes on")
    }

    /// Every branch blocked behind a step that is never reached again: the monitor confirms,
    /// after its grace and only if nothing moved, with an error naming both steps.
    @Test func aStepNeverReachedAgainIsNonDeterminism() throws {
        var state = Self.state(steps: [InstanceTransitionTests.step("renamed", position: 0)])
        guard case .held = Self.admit(&state, .do, "fresh") else {
            Issue.record("not held")
            return
        }
        guard case .considerNonDeterminism(let activity) = state.nextMonitorAction() else {
            Issue.record("the monitor did not look")
            return
        }
        let error = try #require(state.confirmNonDeterminism(ifStill: activity))
        #expect(error.code == .nonDeterminism)
        #expect(error.message.contains("\"renamed-1\"") && error.message.contains("\"fresh-1\""))
        #expect(state.confirmNonDeterminism(ifStill: activity + 1) == nil, "something moved: no verdict")
    }

    /// Once `run` has failed, a branch it cut short may never reach its finished steps again:
    /// the rollbacks that follow are not held behind them.
    @Test func aRollbackIsNeverHeldBehindUnreachedSteps() throws {
        var state = Self.state(steps: [InstanceTransitionTests.step("cut short", position: 0)])
        state.rollingBack = true
        let admission = state.admit(.rollback, "charge", count: -1, maxSteps: 10, instanceId: "i")
        #expect(Self.entered(admission) != nil)
        #expect(state.held.isEmpty)
    }
}
