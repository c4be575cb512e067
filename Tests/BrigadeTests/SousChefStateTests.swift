import Foundation
import Testing

@_spi(Stores) @testable import Brigade

/// The SousChef's bookkeeping of creations that claimed their instance, tested on its state
/// alone: which snapshot an engine may start from, and when it must claim instead.
@Suite struct SousChefStateTests {
    static func snapshot(_ seq: Int64) -> ReplaySnapshot {
        var new = NewInstance(
            key: InstanceKey(tenant: "t", workflow: "w", id: "i\(seq)"), params: Data("{}".utf8), shard: 0, retention: nil, createdAt: 5)
        new.claimed = true
        return new.claimedSnapshot(seq: seq)
    }

    @Test func creationsClaimOnlyWhatStartsAtOnce() {
        var state = SousChefState()
        let first = state.claimCreations(3, freeSlots: 5)
        #expect(first.granted == 3)
        let second = state.claimCreations(3, freeSlots: 5)
        #expect(second.granted == 2, "two slots left once three creations under way hold theirs")
        let more = state.claimCreations(1, freeSlots: 5).granted
        #expect(more == 0)
        // Written and queued: the queue holds them now, not the pending count.
        let queued = state.created(seq: 1, id: "a", claimed: Self.snapshot(1), mark: first.mark)
        #expect(queued)
        state.releaseClaims(5)
        #expect(state.pendingClaims == 0)
        let left = state.claimCreations(9, freeSlots: 5).granted
        #expect(left == 4, "the queued instance takes a free slot first")
        state.releaseClaims(4)
        let noSlot = state.claimCreations(1, freeSlots: 0).granted
        #expect(noSlot == 0, "no free slot: the instance is created queued")
    }

    @Test func noCreationClaimsWhileNewInstancesAreHeldBackInTheStore() {
        var state = SousChefState()
        state.heldBack = true
        let held = state.claimCreations(3, freeSlots: 9)
        #expect(held.granted == 0 && state.pendingClaims == 0, "the held-back ones, older, start first")
    }

    @Test func aSnapshotIsKeptOnlyWhenNothingWasHeardOfAnUnknownInstanceSinceTheMark() {
        var state = SousChefState()
        let mark = state.claimCreations(4, freeSlots: 4).mark
        let queuedA = state.created(seq: 1, id: "a", claimed: Self.snapshot(1), mark: mark)
        #expect(queuedA)
        #expect(state.creationClaims[1] != nil, "no news since the mark: the engine starts from the snapshot")
        // An event or an operation for an instance the SousChef does not hold (perhaps one whose
        // creation is under way): later creations under the old mark claim instead.
        state.heard(of: 2)
        let queuedB = state.created(seq: 2, id: "b", claimed: Self.snapshot(2), mark: mark)
        #expect(queuedB)
        #expect(state.creationClaims[2] == nil)
        // So does a sweep that read an instance the SousChef does not hold (it may run it).
        let next = state.claimCreations(1, freeSlots: 9).mark
        state.swept(3)
        let queuedC = state.created(seq: 3, id: "c", claimed: Self.snapshot(3), mark: next)
        #expect(queuedC)
        #expect(state.creationClaims[3] == nil)
        // A sweep of an instance it holds is no news.
        let held = state.claimCreations(1, freeSlots: 9).mark
        state.swept(1)
        #expect(state.unknownNotices == held)
    }

    @Test func anInstanceTheSweepAlreadyScheduledStartsWithAClaimOfItsOwn() {
        var state = SousChefState()
        let mark = state.unknownNotices
        // The sweep read the new row first (and the mark moved then, but take the worst case of
        // the same mark): the SousChef holds it as a timer, so its creation's snapshot is not used.
        state.schedule(seq: 4, id: "d", dueAt: 5, woken: true)
        let queuedD = state.created(seq: 4, id: "d", claimed: Self.snapshot(4), mark: mark)
        #expect(queuedD)
        #expect(state.creationClaims[4] == nil)
    }

    @Test func newsOfAQueuedInstanceDropsItsSnapshot() {
        var state = SousChefState()
        let mark = state.unknownNotices
        let queued1 = state.created(seq: 1, id: "a", claimed: Self.snapshot(1), mark: mark)
        #expect(queued1)
        let queued2 = state.created(seq: 2, id: "b", claimed: Self.snapshot(2), mark: mark)
        #expect(queued2)
        state.heard(of: 1)
        #expect(state.creationClaims[1] == nil, "an event or an operation reached it: its engine claims and reads it")
        #expect(state.unknownNotices == mark, "it was held: creations under way are not concerned")
        state.forget(seq: 2)
        #expect(state.creationClaims[2] == nil && state.entries[2] == nil)
    }

    @Test func aStaleOrMissingMarkKeepsNoSnapshot() {
        var state = SousChefState()
        let unmarked = state.created(seq: 1, id: "a", claimed: Self.snapshot(1), mark: nil)
        #expect(unmarked)
        state.heard(of: 9)
        let stale = state.created(seq: 2, id: "b", claimed: Self.snapshot(2), mark: 0)
        #expect(stale)
        #expect(state.creationClaims.isEmpty)
        let again = state.created(seq: 2, id: "b", claimed: Self.snapshot(2), mark: state.unknownNotices)
        #expect(!again, "already queued")
    }
}
