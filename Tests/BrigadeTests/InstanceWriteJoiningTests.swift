@_spi(Stores) import Brigade
import Foundation
import Testing

/// When two writes of one instance may be applied as one (``InstanceWrite/joined(with:)``), and
/// what the one write holds: exactly what applying them one after the other gives.
@Suite struct InstanceWriteJoiningTests {
    static func write(seq: Int64 = 7, epoch: Int64 = 2, now: Int64, step: StepStatus? = nil, history: [HistoryEventType] = [])
        -> InstanceWrite
    {
        var write = InstanceWrite(seq: seq, epoch: epoch, now: now)
        if let step {
            write.steps = [StepRecord(name: "s", count: 1, kind: .do, position: 0, status: step, startedAt: 10)]
        }
        write.history = history.map { HistoryEntry($0, at: now, step: "s") }
        return write
    }

    @Test func anAttemptsStartAndOutcomeJoinInOrder() throws {
        let start = Self.write(now: 10, step: .running, history: [.stepStarted, .attemptStarted])
        var outcome = Self.write(now: 12, step: .complete, history: [.attemptCompleted, .stepCompleted])
        outcome.consumedEvents = [3]
        let joined = try #require(start.joined(with: outcome))
        #expect(joined.history.map(\.type) == [.stepStarted, .attemptStarted, .attemptCompleted, .stepCompleted])
        #expect(joined.steps.map(\.status) == [.complete], "one row per step: the later record, as applying both in turn leaves")
        #expect(joined.consumedEvents == [3])
        #expect(joined.now == 12)
        #expect(joined.update == nil)
    }

    @Test func aStepsLaterRecordTakesTheEarliersPlace() throws {
        var start = Self.write(now: 10, step: .running)
        start.steps.append(StepRecord(name: "t", count: 1, kind: .sleep, position: 1, status: .waiting, startedAt: 10))
        var outcome = Self.write(now: 12, step: .complete)
        outcome.steps.append(StepRecord(name: "u", count: 2, kind: .do, position: 2, status: .running, startedAt: 12))
        let joined = try #require(start.joined(with: outcome))
        #expect(joined.steps.map { "\($0.name)-\($0.count) \($0.status)" } == ["s-1 complete", "t-1 waiting", "u-2 running"])
    }

    /// A batch as a committer holds it: an engine's write, or anything else.
    struct Item: JoinableCommitItem {
        var write: InstanceWrite?
        var waiters: [String]

        mutating func absorb(_ later: Item, joined: InstanceWrite) {
            write = joined
            waiters += later.waiters
        }
    }

    @Test func aBatchJoinsAnInstancesWritesAcrossOtherInstancesWritesOnly() {
        let batch = [
            Item(write: Self.write(seq: 1, now: 10, step: .running, history: [.attemptStarted]), waiters: []),
            Item(write: Self.write(seq: 2, now: 10, step: .running), waiters: []),
            Item(write: Self.write(seq: 1, now: 11, step: .complete, history: [.attemptCompleted]), waiters: ["a"]),
            Item(write: nil, waiters: ["claim"]),
            Item(write: Self.write(seq: 2, now: 12, step: .complete), waiters: ["b"]),
            Item(write: Self.write(seq: 2, now: 13, history: [.log]), waiters: []),
        ]
        let joined = CommitQueue<Item>.joiningWrites(batch)
        #expect(joined.count == 4)
        #expect(joined.map(\.write?.seq) == [1, 2, nil, 2])
        #expect(joined[0].write?.history.map(\.type) == [.attemptStarted, .attemptCompleted], "1's outcome joined its start, in its place")
        #expect(joined[0].waiters == ["a"])
        #expect(joined[1].write?.steps.map(\.status) == [.running], "nothing joins across another kind of item")
        #expect(joined[3].write?.history.map(\.type) == [.log] && joined[3].waiters == ["b"], "after it, 2's writes join again")
        #expect(joined[3].write?.steps.map(\.status) == [.complete])
        #expect(CommitQueue<Item>.joiningWrites(Array(batch.prefix(1))).count == 1)
    }

    @Test func oneChangeOfTheRowJoinsAndAPausesTimeIsItsOwn() throws {
        var pause = Self.write(now: 10, history: [.workflowPaused])
        pause.update = InstanceUpdate(status: .paused)
        let joined = try #require(pause.joined(with: Self.write(now: 15, history: [.stepStarted])))
        #expect(joined.update?.status == .paused)
        #expect(joined.update?.pausedAt == 10, "the pause's own time, as applying it alone gives")
        #expect(joined.now == 15)
        var finish = Self.write(now: 20, history: [.workflowCompleted])
        finish.update = InstanceUpdate(status: .complete, output: Data("1".utf8), endedAt: 20)
        #expect(Self.write(now: 19, step: .complete).joined(with: finish)?.update?.status == .complete)
    }

    @Test func writesThatAreNotOneFenceOrWouldConflictDoNotJoin() {
        let first = Self.write(now: 10, step: .running)
        #expect(first.joined(with: Self.write(seq: 8, now: 11)) == nil, "another instance")
        #expect(first.joined(with: Self.write(epoch: 3, now: 11)) == nil, "another epoch")
        var leased = Self.write(now: 11)
        leased.lease = LeaseFence(slot: 1, node: "a", epoch: 1)
        #expect(first.joined(with: leased) == nil, "another lease")
        var a = Self.write(now: 10)
        a.update = InstanceUpdate(status: .waiting, dueAt: 50)
        var b = Self.write(now: 11)
        b.update = InstanceUpdate(status: .running)
        #expect(a.joined(with: b) == nil, "two changes of the row")
        var c = Self.write(now: 10)
        c.consumedEvents = [4]
        var d = Self.write(now: 11)
        d.consumedEvents = [4, 5]
        #expect(c.joined(with: d) == nil, "an event consumed twice: the second write fails alone")
    }
}
