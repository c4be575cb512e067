import Foundation
import Logging

/// One node's membership of a cluster: heartbeats, and the lease slots it holds.
///
/// Each heartbeat (every `heartbeatInterval`, real time) records the node as alive, extends its
/// leases and reads the cluster; ``LeasePlan`` says which slots to take or give up. Slots given up
/// have their SousChefs retired (engines stopped) before the lease is released, so that a slot
/// never runs on two nodes that both know it. The runtime is told the slots it holds after every
/// change and runs exactly their shards.
///
/// A node that cannot reach the database stops running everything once its leases may have
/// expired, measured on its own monotonic clock from the moment it sent its last successful
/// heartbeat: the database set the expiry no earlier than that, so by then another node may
/// hold them. The database's fence rejects its writes anyway; stopping is what keeps its step
/// bodies from running beside the new owner's.
final class ClusterMember: Sendable {
    let node: String
    let leases: any LeaseStore
    let settings: BrigadeSettings
    let logger: Logger
    /// Runs the shards of the slots held (and retires the others) before it returns; told too how
    /// many nodes are live (they share the creation rates).
    let holding: @Sendable (_ held: [Int: LeaseFence], _ liveNodes: Int) async -> Void
    /// Moved after every answered heartbeat; the node's engines look at it before a step body.
    let validity: LeaseValidity

    init(
        node: String, leases: any LeaseStore, settings: BrigadeSettings, logger: Logger, validity: LeaseValidity,
        holding: @escaping @Sendable (_ held: [Int: LeaseFence], _ liveNodes: Int) async -> Void
    ) {
        self.validity = validity
        self.node = node
        self.leases = leases
        self.settings = settings
        var logger = logger
        logger[metadataKey: "node"] = "\(node)"
        self.logger = logger
        self.holding = holding
    }

    /// Heartbeats until cancelled.
    func run() async {
        var held: [Int: LeaseFence] = [:]
        var live = 1
        var validUntil = ContinuousClock.now
        let ttl = settings.leaseTTL
        while !Task.isCancelled {
            let sentAt = ContinuousClock.now
            do {
                // A heartbeat that hangs (a connection the server dropped) must not keep this
                // node running shards past its leases: it is raced against their expiry.
                let stopAt = held.isEmpty ? nil : validUntil - settings.heartbeatInterval
                guard let view = try await heartbeat(ttl: ttl, giveUpAt: stopAt) else {
                    throw HeartbeatOverdue()
                }
                validUntil = sentAt + ttl
                // The same margin as below: bodies stop starting a heartbeat before the leases may
                // expire, whether or not this loop runs again in time to retire the shards.
                validity.hold(until: validUntil - settings.heartbeatInterval)
                let nowLive = max(1, Set(view.nodes.filter(\.live).map(\.id) + [node]).count)
                var now: [Int: LeaseFence] = [:]
                for lease in view.leases where lease.node == node && !lease.expired {
                    now[lease.slot] = LeaseFence(slot: lease.slot, node: node, epoch: lease.epoch)
                }
                let plan = LeasePlan.decide(node: node, view: view, slots: settings.leaseSlots)
                if !plan.release.isEmpty {
                    for slot in plan.release { now[slot] = nil }
                    // Retire the shards first: nothing of ours runs once another node can take them.
                    await holding(now, nowLive)
                    held = now
                    live = nowLive
                    try await leases.release(slots: plan.release, node: node)
                    logger.info("released lease slots for other nodes", metadata: ["slots": "\(plan.release.sorted())"])
                }
                if !plan.acquire.isEmpty {
                    let taken = try await leases.acquire(slots: plan.acquire, node: node, ttl: ttl)
                    for fence in taken { now[fence.slot] = fence }
                    if !taken.isEmpty {
                        logger.info("took lease slots", metadata: ["slots": "\(taken.map(\.slot).sorted())"])
                    }
                }
                let lost = held.filter { now[$0.key] != $0.value }.map(\.key)
                if !lost.isEmpty { logger.warning("lost lease slots to another node", metadata: ["slots": "\(lost.sorted())"]) }
                if now != held || nowLive != live {
                    held = now
                    live = nowLive
                    await holding(held, live)
                }
            } catch is CancellationError {
                break
            } catch {
                logger.error("heartbeat failed: \(error)")
                // Give everything up a margin before the leases may expire, not after.
                if !held.isEmpty, ContinuousClock.now >= validUntil - settings.heartbeatInterval {
                    logger.warning("leases may have expired without a heartbeat: stopping every shard of this node")
                    validity.giveUp()
                    held = [:]
                    await holding(held, live)
                }
            }
            try? await Task.sleep(for: settings.heartbeatInterval)
        }
    }

    /// The heartbeat's answer, or nil once `giveUpAt` has passed without one (the call that lost
    /// runs on, and its answer is dropped).
    private func heartbeat(ttl: Duration, giveUpAt: ContinuousClock.Instant?) async throws -> ClusterView? {
        guard let giveUpAt else { return try await leases.heartbeat(node: node, ttl: ttl) }
        let (leases, node) = (self.leases, self.node)
        let answer = await OneShot<Result<ClusterView?, any Error>>.first(
            of: {
                do {
                    return .success(try await leases.heartbeat(node: node, ttl: ttl))
                } catch {
                    return .failure(error)
                }
            }, before: giveUpAt, otherwise: .success(nil))
        return try answer.get()
    }

    private struct HeartbeatOverdue: Error, CustomStringConvertible {
        var description: String { "no answer from the database before this node's leases may expire" }
    }

    /// Leaves the cluster after a graceful shutdown: the other nodes take the slots at their next
    /// heartbeat instead of after the expiry.
    func leave() async {
        do {
            try await leases.leave(node: node)
        } catch {
            logger.warning("leaving the cluster failed; its leases expire instead: \(error)")
        }
    }
}
