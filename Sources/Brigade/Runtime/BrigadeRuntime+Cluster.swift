import Foundation
import Logging

/// The runtime as one node of a cluster: it runs the shards of the lease slots it holds, and
/// tells the owner of any other shard what it committed there.
extension BrigadeRuntime {
    /// Makes this node run exactly the shards of `held`: SousChefs of slots it no longer holds
    /// (or holds at another epoch) are retired and awaited, then the shards of new slots start.
    func hold(_ held: [Int: LeaseFence], liveNodes: Int) async {
        let slots = settings.leaseSlots
        let (retiring, gained, accounts) = state.withLock { state -> ([SousChef], Bool, [Account]) in
            let before = state.owned ?? [:]
            state.owned = held
            state.liveNodes = liveNodes
            var retiring: [SousChef] = []
            for (shard, chef) in state.chefs where held[shard.leaseSlot(slots: slots)] != chef.lease {
                retiring.append(chef)
                state.chefs[shard] = nil
            }
            return (retiring, held.contains { before[$0.key] != $0.value }, Array(state.accounts.values))
        }
        for account in accounts { account.shareRates(among: liveNodes) }
        // Waited for, but no longer than a heartbeat: the heartbeats of the slots still held must
        // go on, and an engine stuck in a database call is fenced by the lease anyway.
        if !retiring.isEmpty {
            let retired = await OneShot<Bool>.first(
                of: {
                    await withDiscardingTaskGroup { group in
                        for chef in retiring { group.addTask { await chef.retire() } }
                    }
                    return true
                }, before: .now + settings.heartbeatInterval, otherwise: false)
            if !retired {
                logger.warning("shards given up are still stopping their engines", metadata: ["shards": "\(retiring.map(\.shard))"])
            }
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

    /// Keeps this node's share of every active account's concurrency slots (``SlotShare``), until
    /// cancelled: each account with instances running, waiting or slots held asks once per
    /// `slotShareInterval`, and at once (every 50 ms) while it has instances waiting for a slot
    /// it does not have.
    func shareSlots(through leases: any LeaseStore) async {
        let node = settings.nodeID
        var lastTurn: [String: ContinuousClock.Instant] = [:]
        while !Task.isCancelled {
            let accounts = state.withLock { Array($0.accounts.values) }
            let now = ContinuousClock.now
            for account in accounts {
                let gatekeeper = account.gatekeeper
                let totals = gatekeeper.totals
                let capacity = gatekeeper.capacity
                let waiting = totals.woken + totals.fresh
                if capacity == 0 && totals.inUse == 0 && waiting == 0 { continue }
                let starved = waiting > 0 && totals.inUse + waiting > capacity
                if !starved, let last = lastTurn[account.tenant], now - last < settings.slotShareInterval { continue }
                lastTurn[account.tenant] = now
                do {
                    let share = try await leases.shareSlots(
                        tenant: account.tenant, node: node, limit: account.settings.maxRunningPerAccount,
                        report: SlotShare.Holder(node: node, held: capacity, inUse: totals.inUse, woken: totals.woken, fresh: totals.fresh)
                    ) { lower in gatekeeper.setCapacity(lower) }
                    if share > gatekeeper.capacity { gatekeeper.setCapacity(share) }
                } catch {
                    // Keep what is held (the row still counts it); ask again next turn.
                    logger.warning("asking for the slots of account \(account.tenant) failed: \(error)")
                }
            }
            try? await Task.sleep(for: .milliseconds(50))
        }
    }

    /// Hands the wake-ups other nodes send to this node's SousChefs, until cancelled.
    func receiveWakeups(from leases: any LeaseStore) async {
        signals.forwardToOtherNodes { [weak self] wakeup in await self?.wakeOwner(wakeup) }
        for await wakeup in leases.wakeups() {
            if wakeup.kind == .history {
                signals.historyGrew(InstanceKey(tenant: wakeup.tenant, workflow: wakeup.workflow, id: wakeup.id), fromAnotherNode: true)
                continue
            }
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
            case .watch:
                signals.watchedRemotely(wakeup)
            case .history:
                break
            }
        }
    }

    /// The SousChef of `shard` when it runs on this node; otherwise, in a cluster, sends
    /// `wakeup` to the node that runs it and answers nil. A lost wake-up is caught by that
    /// node's sweep.
    func localChef(for shard: ShardKey, else wakeup: @autoclosure () -> ShardWakeup) async -> SousChef? {
        if let chef = chef(for: shard) { return chef }
        await wakeOwner(wakeup())
        return nil
    }

    /// In a cluster, asks the node that runs `row`'s instance to signal this node's streams of it
    /// (see ``InstanceSignals``); nothing when it runs here or there is one node.
    func watchFromHere(_ row: InstanceRow) async {
        guard store is any LeaseStore, chef(for: row.shardKey) == nil else { return }
        await wakeOwner(ShardWakeup(kind: .watch, shard: row.shardKey, seq: row.seq, id: row.key.id))
    }

    /// Sends `wakeup` to the node that runs its shard (in a cluster; nothing otherwise). A lost
    /// wake-up is caught by that node's sweep.
    func wakeOwner(_ wakeup: ShardWakeup) async {
        guard let leases = store as? any LeaseStore else { return }
        do {
            try await leases.wake(wakeup)
        } catch {
            logger.warning("waking the node that runs \(wakeup.shardKey) failed; its sweep finds the change: \(error)")
        }
    }
}
