import Foundation
import Synchronization

/// Who waits to hear that an instance changed, and the one place that tells them: callers waiting
/// for an instance to finish (``BrigadeRuntime/waitForCompletion(_:)``), event streams waiting
/// for its history to grow (``InstanceEvents``), and, in a cluster, other nodes whose streams
/// follow an instance this node runs.
///
/// A signal says "look again", never what changed: a subscriber subscribes before it reads, so a
/// change between its read and its wait is never missed (the signal is kept until the wait), and
/// it reads the store to learn what happened. An engine signals when it has handed a write with
/// history to the store; a lazy write commits a few milliseconds later, so a stream that finds
/// nothing new after a signal reads again shortly (see ``InstanceEvents``).
///
/// Across nodes: a stream on a node that does not run the instance sends a watch to the node
/// that does (``ShardWakeup/Kind/watch``), renewed while the stream lives; that node then sends a
/// ``ShardWakeup/Kind/history`` wake-up after each of the instance's writes, one at a time per
/// instance. A lost one, or a watch the owner lost when the shard moved, costs the stream a
/// fallback read, never an event.
final class InstanceSignals: Sendable {
    /// What a subscriber waits for.
    enum Interest: Sendable {
        /// The instance may have finished (``finished(_:)``).
        case finish
        /// The instance's history may have grown (any signal).
        case history
    }

    /// One subscriber: its signal is set by the hub and taken by its wait (a signal before the
    /// wait is kept; several collapse into one).
    final class Subscription: Sendable {
        let key: InstanceKey
        let interest: Interest
        /// Woken by every instance of `key.tenant` (a tenant's feed, ``HistoryFeed``).
        let wholeTenant: Bool
        let signal = WakeSignal()

        init(key: InstanceKey, interest: Interest, wholeTenant: Bool = false) {
            self.key = key
            self.interest = interest
            self.wholeTenant = wholeTenant
        }

        func notify() { signal.signal() }
    }

    /// A stream on another node that follows an instance this node runs.
    private struct RemoteWatch {
        var wakeup: ShardWakeup
        var until: ContinuousClock.Instant
    }

    private struct State {
        var subscribers: [InstanceKey: [ObjectIdentifier: Subscription]] = [:]
        /// Feeds, by tenant: woken by any of its instances' signals on this node.
        var tenantSubscribers: [String: [ObjectIdentifier: Subscription]] = [:]
        var remote: [InstanceKey: RemoteWatch] = [:]
    }

    private let state = Mutex(State())
    /// Sends a ``ShardWakeup/Kind/history`` wake-up to the other nodes (set in a cluster).
    private let forwarder = Mutex<(@Sendable (ShardWakeup) async -> Void)?>(nil)
    /// How long a watch from another node lasts unless renewed.
    static let remoteWatchTime: Duration = .seconds(30)
    /// Remote watches kept at most; past this the expired go, then the oldest are refused (the
    /// streams behind them fall back to reading every interval).
    static let maxRemoteWatches = 100_000

    func subscribe(_ key: InstanceKey, _ interest: Interest) -> Subscription {
        let subscription = Subscription(key: key, interest: interest)
        state.withLock { $0.subscribers[key, default: [:]][ObjectIdentifier(subscription)] = subscription }
        return subscription
    }

    /// A subscription woken by every signal of `tenant`'s instances on this node.
    func subscribe(tenant: String) -> Subscription {
        let subscription = Subscription(key: InstanceKey(tenant: tenant, workflow: "", id: ""), interest: .history, wholeTenant: true)
        state.withLock { $0.tenantSubscribers[tenant, default: [:]][ObjectIdentifier(subscription)] = subscription }
        return subscription
    }

    func unsubscribe(_ subscription: Subscription) {
        state.withLock { state in
            if subscription.wholeTenant {
                let tenant = subscription.key.tenant
                state.tenantSubscribers[tenant]?[ObjectIdentifier(subscription)] = nil
                if state.tenantSubscribers[tenant]?.isEmpty == true { state.tenantSubscribers[tenant] = nil }
                return
            }
            state.subscribers[subscription.key]?[ObjectIdentifier(subscription)] = nil
            if state.subscribers[subscription.key]?.isEmpty == true { state.subscribers[subscription.key] = nil }
        }
    }

    /// `key`'s history grew (or was handed to the store): wakes its streams here, and tells the
    /// nodes that watch it, unless the signal came from another node.
    func historyGrew(_ key: InstanceKey, fromAnotherNode: Bool = false) {
        signal(key, finished: false, forward: !fromAnotherNode)
    }

    /// `key` finished (or is gone): wakes everyone waiting on it, here and on watching nodes.
    func finished(_ key: InstanceKey) {
        signal(key, finished: true, forward: true)
    }

    private func signal(_ key: InstanceKey, finished: Bool, forward: Bool) {
        let (woken, wakeup) = state.withLock { state -> ([Subscription], ShardWakeup?) in
            var woken = state.subscribers[key].map { $0.values.filter { finished || $0.interest == .history } } ?? []
            if let feeds = state.tenantSubscribers[key.tenant] { woken += feeds.values }
            guard forward, let watch = state.remote[key] else { return (woken, nil) }
            if watch.until < .now {
                state.remote[key] = nil
                return (woken, nil)
            }
            return (woken, watch.wakeup)
        }
        for subscription in woken { subscription.notify() }
        // One wake-up per change of a watched instance; the watching node's stream reads once
        // for however many arrive together.
        guard let wakeup, let send = forwarder.withLock({ $0 }) else { return }
        Task { await send(wakeup) }
    }

    /// Another node's stream follows `wakeup`'s instance, which this node runs.
    func watchedRemotely(_ wakeup: ShardWakeup) {
        let key = InstanceKey(tenant: wakeup.tenant, workflow: wakeup.workflow, id: wakeup.id)
        var forward = wakeup
        forward.kind = .history
        let now = ContinuousClock.now
        state.withLock { state in
            if state.remote.count >= Self.maxRemoteWatches, state.remote[key] == nil {
                state.remote = state.remote.filter { $0.value.until >= now }
                if state.remote.count >= Self.maxRemoteWatches { return }
            }
            state.remote[key] = RemoteWatch(wakeup: forward, until: now + Self.remoteWatchTime)
        }
    }

    /// Sets how this node tells other nodes that an instance they watch changed.
    func forwardToOtherNodes(_ send: @escaping @Sendable (ShardWakeup) async -> Void) {
        forwarder.withLock { $0 = send }
    }

    /// Instances watched from other nodes now (for tests).
    var remoteWatchCount: Int { state.withLock { $0.remote.count } }
}
