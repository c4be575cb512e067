@_spi(Stores) import Brigade
import Foundation
import Testing

/// The rules of an instance's life outside its engine, tested as the pure decisions they are:
/// no store, no clock, no task.
@Suite struct InstanceTransitionTests {
    static let key = InstanceKey(tenant: "t", workflow: "w", id: "i")

    static func row(_ status: InstanceStatus, epoch: Int64 = 4, startedAt: Int64? = 100, pausedAt: Int64? = nil) -> InstanceRow {
        InstanceRow(
            seq: 7, key: key, status: status, params: Data("{}".utf8), output: status == .complete ? Data("1".utf8) : nil,
            error: status == .errored ? ErrorInfo(name: "Error", message: "boom") : nil, createdAt: 50, modifiedAt: 60,
            startedAt: startedAt, endedAt: status.isTerminal ? 90 : nil, pausedAt: pausedAt, dueAt: 70, shard: 3, epoch: epoch,
            retention: Retention(success: nil, error: .seconds(9)), expiresAt: status.isTerminal ? 9_000 : nil)
    }

    static func step(_ name: String, position: Int, kind: StepKind = .do) -> StepRecord {
        StepRecord(name: name, count: 1, kind: kind, position: position, status: .complete, startedAt: 1)
    }

    @Test(arguments: [InstanceStatus.running, .waiting, .waitingForPause])
    func pauseTakesTheInstanceFromItsEngine(_ status: InstanceStatus) throws {
        let change = try #require(try InstanceTransition.pause.decide(Self.row(status), steps: [], now: 1_000))
        #expect(change.decidedAtEpoch == 4)
        #expect(change.row.epoch == 5)
        #expect(change.row.status == .paused)
        #expect(change.row.pausedAt == 1_000)
        #expect(change.row.dueAt == nil)
        #expect(change.steps == .keep)
        #expect(change.history.map(\.type) == [.workflowPaused])
    }

    @Test(arguments: [InstanceStatus.queued, .paused, .complete, .errored, .terminated])
    func pauseLeavesOtherStatusesAlone(_ status: InstanceStatus) throws {
        #expect(try InstanceTransition.pause.decide(Self.row(status), steps: [], now: 1_000) == nil)
        #expect(try InstanceTransition.resume.decide(Self.row(status == .paused ? .queued : status), steps: [], now: 1_000) == nil)
    }

    @Test func resumeShiftsPendingDeadlinesByThePausedTime() throws {
        let change = try #require(try InstanceTransition.resume.decide(Self.row(.paused, pausedAt: 400), steps: [], now: 1_000))
        #expect(change.row.status == .queued)
        #expect(change.row.dueAt == 1_000)
        #expect(change.row.pausedAt == nil)
        #expect(change.row.epoch == 5)
        #expect(change.steps == .shiftDeadlines(by: 600))
        #expect(change.history == [HistoryEntry(.workflowQueued, at: 1_000, data: ["resumed": .bool(true)])])
        // A clock that went back shifts nothing.
        let back = try #require(try InstanceTransition.resume.decide(Self.row(.paused, pausedAt: 2_000), steps: [], now: 1_000))
        #expect(back.steps == .keep)
    }

    @Test func terminateUsesTheInstancesOwnErrorRetention() throws {
        let change = try #require(
            try InstanceTransition.terminate(defaultRetention: .days(3)).decide(Self.row(.waiting), steps: [], now: 1_000))
        #expect(change.row.status == .terminated)
        #expect(change.row.endedAt == 1_000)
        #expect(change.row.expiresAt == Int64(10_000))
        #expect(change.row.dueAt == nil)
        #expect(change.history.first?.type == .workflowTerminated)
        var plain = Self.row(.queued)
        plain.retention = nil
        let fallback = try #require(try InstanceTransition.terminate(defaultRetention: .seconds(3)).decide(plain, steps: [], now: 1_000))
        #expect(fallback.row.expiresAt == 4_000)
    }

    @Test(arguments: [InstanceStatus.complete, .errored, .terminated])
    func aFinishedInstanceCannotBeTerminated(_ status: InstanceStatus) {
        #expect(throws: BrigadeError.self) {
            try InstanceTransition.terminate(defaultRetention: .days(1)).decide(Self.row(status), steps: [], now: 1_000)
        }
        do {
            _ = try InstanceTransition.terminate(defaultRetention: .days(1)).decide(Self.row(status), steps: [], now: 1_000)
        } catch let error as BrigadeError {
            #expect(error.code == .cannotTerminate)
            #expect(error.message.contains(status.rawValue))
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test(arguments: [InstanceStatus.queued, .running, .waiting, .paused, .waitingForPause, .rollingBack])
    func aTerminateWithRollbackMarksTheInstanceRollingBackDueNow(_ status: InstanceStatus) throws {
        let change = try #require(try InstanceTransition.terminateWithRollback.decide(Self.row(status), steps: [], now: 1_000))
        #expect(change.row.status == .rollingBack && change.row.terminating)
        #expect(change.row.dueAt == 1_000 && change.row.pausedAt == nil)
        #expect(change.row.epoch == Self.row(status).epoch + 1, "the engine running it is fenced out")
        // Asked twice: the second changes nothing.
        #expect(try InstanceTransition.terminateWithRollback.decide(change.row, steps: [], now: 2_000) == nil)
        // Claimed next, it stays rolling back.
        guard case .run(let claim) = InstanceTransition.claim(change.row, now: 3_000) else {
            Issue.record("not runnable")
            return
        }
        #expect(claim.row.status == .rollingBack && claim.row.terminating)
    }

    @Test(arguments: [InstanceStatus.complete, .errored, .terminated])
    func aFinishedInstanceCannotBeTerminatedWithRollback(_ status: InstanceStatus) {
        #expect(throws: BrigadeError.self) {
            try InstanceTransition.terminateWithRollback.decide(Self.row(status), steps: [], now: 1_000)
        }
    }

    @Test(arguments: InstanceStatus.allCases)
    func restartStartsOverFromAnyStatus(_ status: InstanceStatus) throws {
        var row = Self.row(status)
        row.terminating = status == .rollingBack
        let change = try #require(try InstanceTransition.restart(from: nil).decide(row, steps: [], now: 1_000))
        #expect(change.row.status == .queued)
        #expect(!change.row.terminating, "a restart forgets a terminate with rollback")
        #expect(change.row.output == nil && change.row.error == nil)
        #expect(change.row.endedAt == nil && change.row.expiresAt == nil && change.row.pausedAt == nil)
        #expect(change.row.dueAt == 1_000)
        #expect(change.row.epoch == 5)
        #expect(change.steps == .dropAll)
    }

    @Test func restartFromAStepDropsItAndWhatCameAfter() throws {
        let steps = [Self.step("a", position: 0), Self.step("nap", position: 1, kind: .sleep), Self.step("b", position: 2)]
        let transition = InstanceTransition.restart(from: StepSelector(name: "nap", kind: .sleep))
        #expect(transition.needsSteps)
        let change = try #require(try transition.decide(Self.row(.complete), steps: steps, now: 1_000))
        #expect(change.steps == .drop(fromPosition: 1))
        #expect(change.history.first?.data["from"] == .object(["name": .string("nap"), "count": .number(1), "type": .string("sleep")]))
        // The same name with another kind is another step.
        do {
            _ = try InstanceTransition.restart(from: StepSelector(name: "nap", kind: .do)).decide(Self.row(.complete), steps: steps, now: 1)
            Issue.record("restarted from a step that is not there")
        } catch let error as BrigadeError {
            #expect(error.code == .cannotRestart)
            #expect(error.message.contains("\"nap-1\" of type do"))
        }
    }

    @Test func aClaimRunsQueuedRunningAndWaitingInstances() {
        guard case .run(let first) = InstanceTransition.claim(Self.row(.queued, startedAt: nil), now: 1_000) else {
            Issue.record("a queued instance was not claimed")
            return
        }
        #expect(first.row.status == .running && first.row.startedAt == 1_000 && first.row.dueAt == 1_000 && first.row.epoch == 5)
        #expect(first.history.map(\.type) == [.workflowStarted, .workflowRunning])
        guard case .run(let again) = InstanceTransition.claim(Self.row(.waiting, startedAt: 100), now: 1_000) else {
            Issue.record("a waiting instance was not claimed")
            return
        }
        #expect(again.row.startedAt == 100)
        #expect(again.history.map(\.type) == [.workflowRunning])
    }

    @Test func aClaimCompletesAPauseThatACrashLeftPending() {
        guard case .notRunnable(let status, let change?) = InstanceTransition.claim(Self.row(.waitingForPause), now: 1_000) else {
            Issue.record("a pending pause was not completed")
            return
        }
        #expect(status == .paused)
        #expect(change.row.status == .paused && change.row.pausedAt == 1_000 && change.row.dueAt == nil && change.row.epoch == 5)
    }

    @Test(arguments: [InstanceStatus.paused, .complete, .errored, .terminated])
    func aClaimLeavesStoppedInstancesAlone(_ status: InstanceStatus) {
        #expect(InstanceTransition.claim(Self.row(status), now: 1_000) == .notRunnable(status, nil))
    }

    @Test func anEventWakesOnlyAHibernatingInstanceAndKeepsItsEpoch() throws {
        let wake = try #require(try InstanceTransition.deliverEvent(to: Self.row(.waiting), now: 1_000))
        #expect(wake.row.dueAt == 1_000 && wake.row.epoch == 4 && wake.decidedAtEpoch == 4 && wake.history.isEmpty)
        #expect(try InstanceTransition.deliverEvent(to: Self.row(.running), now: 1_000) == nil)
        #expect(try InstanceTransition.deliverEvent(to: Self.row(.paused), now: 1_000) == nil)
        #expect(throws: BrigadeError.self) { try InstanceTransition.deliverEvent(to: Self.row(.complete), now: 1_000) }
    }

    @Test func theQueueCapCountsWhatIsAdded() throws {
        try InstanceTransition.checkQueueRoom(workflow: "w", queued: 8, adding: 2, maxQueued: 10)
        #expect(throws: BrigadeError.self) {
            try InstanceTransition.checkQueueRoom(workflow: "w", queued: 9, adding: 2, maxQueued: 10)
        }
    }
}
