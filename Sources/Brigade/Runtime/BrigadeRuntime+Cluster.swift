import Foundation
import Logging

/// The runtime as one node of a cluster: it runs the shards of the lease slots it holds, and
/// tells the owner of any other shard what it committed there.
extension BrigadeRuntime {
    /// Makes this node run exactly the shards of `held`: SousChefs of slots it no longer holds
    /// (or holds at another epoch) are retired and awaited, then the shards of new slots start.
    func hold(_ held: [Int: LeaseFence]) async {
        let slots = settings.leaseSlots
        let (retiring, gained) = state.withLock { state -> ([SousChef], Bool) in
            let before = state.owned ?? [:]
            state.owned = held
            var retiring: [SousChef] = []
            for (shard, chef) in state.chefs where held[shard.leaseSlot(slots: slots)] != chef.lease {
                retiring.append(chef)
                state.chefs[shard] = nil
            }
            return (retiring, held.contains { before[$0.key] != $0.value })
        }
        await withDiscardingTaskGroup { group in
            for chef in retiring { group.addTask { await chef.retire() } }
        }
        guard gained else { return }
        // Every shard that may hold work: the registered workflows' and the store's active ones.
        let names = workflowNames
        for name in names {
            for shard in 0..<settings.shardsPerWorkflow {
                _ = chef(for: ShardKey(tenant: Self.defaultTenant, workflow: name, shard: shard))
            }
        }
        do {
            for shard in try await store.activeShards() { _ = chef(for: shard) }
        } catch {
            // The sweep of the next gain, or the wake-ups, bring them; log and go on.
            logger.error("listing active shards after taking leases failed: \(error)")
        }
    }

    /// Hands the wake-ups other nodes send to this node's SousChefs, until cancelled.
    func receiveWakeups(from leases: any LeaseStore) async {
        for await wakeup in leases.wakeups() {
            guard let chef = chef(for: wakeup.shardKey) else { continue }
            switch wakeup.kind {
            case .created:
                chef.created(seq: wakeup.seq, id: wakeup.id)
            case .event:
                if chef.liveEngine(seq: wakeup.seq) != nil, let eventSeq = wakeup.event {
                    do {
                        if let event = try await leases.pendingEvent(eventSeq, instance: wakeup.seq) {
                            chef.eventArrived(seq: wakeup.seq, id: wakeup.id, event: event, status: wakeup.status ?? .running)
                        }
                    } catch {
                        // Run it again: the replay reads every pending event.
                        chef.stop(seq: wakeup.seq)
                        chef.wake(seq: wakeup.seq, id: wakeup.id)
                    }
                } else {
                    chef.wake(seq: wakeup.seq, id: wakeup.id)
                }
            case .changed:
                // The change bumped the instance's epoch: an engine here is fenced already.
                chef.stop(seq: wakeup.seq)
                chef.wake(seq: wakeup.seq, id: wakeup.id)
            }
        }
    }

    /// The SousChef of `shard` when it runs on this node; otherwise, in a cluster, sends
    /// `wakeup` to the node that runs it and answers nil. A lost wake-up is caught by that
    /// node's sweep.
    func localChef(for shard: ShardKey, else wakeup: @autoclosure () -> ShardWakeup) async -> SousChef? {
        if let chef = chef(for: shard) { return chef }
        guard let leases = store as? any LeaseStore else { return nil }
        do {
            try await leases.wake(wakeup())
        } catch {
            logger.warning("waking the node that runs \(shard) failed; its sweep finds the change: \(error)")
        }
        return nil
    }
}
