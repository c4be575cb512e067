@_spi(Stores) import Brigade
import Testing

/// The group committer's batching rule, as the state machine it is.
@Suite struct CommitQueueTests {
    @Test func anIdleQueueCommitsAnAwaitedItemAtOnce() {
        var queue = CommitQueue<Int>()
        let enqueued1 = queue.enqueue(1, awaited: true)
        #expect(enqueued1 == .commit)
        guard case .commit(let batch) = queue.next(includeLazy: false) else {
            Issue.record("no batch")
            return
        }
        #expect(batch == [1])
        guard case .stop(flush: false) = queue.next(includeLazy: false) else {
            Issue.record("did not stop")
            return
        }
    }

    @Test func whatArrivesDuringACommitGoesInTheNextBatchInOrder() {
        var queue = CommitQueue<Int>()
        let enqueued1 = queue.enqueue(1, awaited: true)
        #expect(enqueued1 == .commit)
        guard case .commit = queue.next(includeLazy: false) else {
            Issue.record("no first batch")
            return
        }
        // While 1 commits: a lazy item and two awaited ones start nothing of their own.
        let enqueued2 = queue.enqueue(2, awaited: false)
        #expect(enqueued2 == .none)
        let enqueued3 = queue.enqueue(3, awaited: true)
        #expect(enqueued3 == .none)
        let enqueued4 = queue.enqueue(4, awaited: true)
        #expect(enqueued4 == .none)
        guard case .commit(let batch) = queue.next(includeLazy: false) else {
            Issue.record("no second batch")
            return
        }
        #expect(batch == [2, 3, 4])
        #expect(queue.count == 0)
    }

    @Test func aLazyItemAloneWaitsForAFlush() {
        var queue = CommitQueue<Int>()
        let enqueued1 = queue.enqueue(1, awaited: false)
        #expect(enqueued1 == .scheduleFlush)
        // One flush is scheduled for any number of lazy items.
        let enqueued2 = queue.enqueue(2, awaited: false)
        #expect(enqueued2 == .none)
        let due = queue.flushIsDue()
        #expect(due)
        guard case .commit(let batch) = queue.next(includeLazy: true) else {
            Issue.record("the flush took nothing")
            return
        }
        #expect(batch == [1, 2])
        guard case .stop(flush: false) = queue.next(includeLazy: false) else {
            Issue.record("the flush did not stop")
            return
        }
        // A flush whose items an awaited commit already took does nothing.
        let lazy = queue.enqueue(3, awaited: false)
        #expect(lazy == .scheduleFlush)
        let awaited = queue.enqueue(4, awaited: true)
        #expect(awaited == .commit)
        guard case .commit(let next) = queue.next(includeLazy: false) else {
            Issue.record("no batch for the awaited item")
            return
        }
        #expect(next == [3, 4])
        guard case .stop(flush: false) = queue.next(includeLazy: false) else {
            Issue.record("did not stop")
            return
        }
        let dueAgain = queue.flushIsDue()
        #expect(!dueAgain)
    }

    @Test func lazyItemsLeftWhenACommitStopsGetAFlush() {
        var queue = CommitQueue<Int>()
        let enqueued1 = queue.enqueue(1, awaited: true)
        #expect(enqueued1 == .commit)
        guard case .commit = queue.next(includeLazy: false) else {
            Issue.record("no batch")
            return
        }
        let enqueued2 = queue.enqueue(2, awaited: false)
        #expect(enqueued2 == .none)
        guard case .stop(flush: true) = queue.next(includeLazy: false) else {
            Issue.record("no flush scheduled")
            return
        }
        let due = queue.flushIsDue()
        #expect(due)
        guard case .commit(let batch) = queue.next(includeLazy: true) else {
            Issue.record("the flush took nothing")
            return
        }
        #expect(batch == [2])
    }
}
