import Foundation

/// The history of many instances on one sequence: a tenant's, or one of its workflows', events
/// in commit order, from after a cursor and then live, without end — how a caller that spawned a
/// thousand instances follows them all (``BrigadeRuntime/feed(tenant:workflow:after:statuses:types:pollInterval:)``).
///
/// Each ``FeedEvent`` carries the cursor to resume from: a reader that stops and comes back with
/// the last one it saw gets every later event once (the store's commit order makes it so: see
/// the store's `historyFeed`). It is woken by the tenant's
/// signals on this node, reads again a few times shortly after one (a lazy write commits a few
/// milliseconds after its signal), and otherwise every `pollInterval` (the writes of other nodes
/// of a cluster reach it that way).
public struct HistoryFeed: AsyncSequence, Sendable {
    public typealias Element = FeedEvent

    let runtime: BrigadeRuntime
    let tenant: String
    let workflow: String?
    let cursor: String?
    /// Only events of instances whose status (when read) is one of these; nil for all.
    let statuses: Set<InstanceStatus>?
    /// Only events of these types; nil for all.
    let types: Set<HistoryEventType>?
    let pollInterval: Duration

    public func makeAsyncIterator() -> Iterator {
        Iterator(feed: self, cursor: cursor)
    }

    public struct Iterator: AsyncIteratorProtocol {
        let feed: HistoryFeed
        var cursor: String?
        var pending: [FeedEvent] = []
        var subscription: SignalLease?
        var rechecks = 0

        static let pageSize = 500
        static let recheckDelay: Duration = .milliseconds(10)
        static let rechecksAfterSignal = 5

        init(feed: HistoryFeed, cursor: String?) {
            self.feed = feed
            self.cursor = cursor
        }

        public mutating func next() async throws -> FeedEvent? {
            if subscription == nil { subscription = SignalLease(feed.runtime.signals, feed.runtime.signals.subscribe(tenant: feed.tenant)) }
            while true {
                while !pending.isEmpty {
                    let event = pending.removeFirst()
                    cursor = event.cursor
                    if let statuses = feed.statuses, !statuses.contains(event.status) { continue }
                    if let types = feed.types, !types.contains(event.event.entry.type) { continue }
                    return event
                }
                try Task.checkCancellation()
                pending = try await feed.runtime.feedPage(tenant: feed.tenant, workflow: feed.workflow, after: cursor, limit: Self.pageSize)
                if !pending.isEmpty {
                    rechecks = 0
                    continue
                }
                let timeout = rechecks > 0 ? Self.recheckDelay : feed.pollInterval
                let signalled = await subscription!.wait(for: timeout)
                if signalled {
                    rechecks = Self.rechecksAfterSignal
                } else if rechecks > 0 {
                    rechecks -= 1
                }
            }
        }
    }

}

extension BrigadeRuntime {
    /// The events of `tenant`'s instances — of `workflow`, or of all its workflows — in commit
    /// order from after `cursor` (nil: from the first; ``BrigadeRuntime/feedHead()``: from now), then live;
    /// see ``HistoryFeed``. `statuses` keeps the events of instances in those statuses, `types`
    /// the events of those types. A cursor the store did not write throws `feed.invalid_cursor`
    /// on the first read.
    public func feed(
        tenant: String, workflow: String? = nil, after cursor: String? = nil, statuses: Set<InstanceStatus>? = nil,
        types: Set<HistoryEventType>? = nil, pollInterval: Duration = .seconds(1)
    ) -> HistoryFeed {
        HistoryFeed(
            runtime: self, tenant: tenant, workflow: workflow, cursor: cursor, statuses: statuses, types: types, pollInterval: pollInterval)
    }

    /// The cursor of the present: a feed from it sends only what commits from now on.
    public func feedHead() async throws -> String {
        try await ready()
        return try await store.historyFeedHead()
    }

    /// One read of the feed: up to `limit` events after `cursor`, without waiting (for a caller
    /// that polls; ``feed(tenant:workflow:after:statuses:types:pollInterval:)`` waits for more).
    /// `limit` is held to 1…1000 (SQLite reads a negative LIMIT as none at all).
    public func feedPage(tenant: String, workflow: String? = nil, after cursor: String?, limit: Int = 500) async throws -> [FeedEvent] {
        try await ready()
        return try await store.historyFeed(tenant: tenant, workflow: workflow, after: cursor, limit: min(max(limit, 1), 1_000))
    }
}
