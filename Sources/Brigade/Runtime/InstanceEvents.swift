import Foundation

/// The history of one instance as it is committed: first what is stored after the cursor, then
/// each new event, ending after the terminal event (`workflow_completed`, `workflow_errored`,
/// `workflow_terminated`). Each event's `id` is the cursor to resume from.
///
/// It reads the store's append-only history by instance and id, and is pushed, not polled:
/// between reads it waits for the instance's signal (`InstanceSignals`: its engine wrote
/// history, or an operator changed it; in a cluster, a wake-up from the node that runs it). A
/// lazy write commits a few milliseconds after its signal, so a read after a signal that finds
/// nothing is tried again `recheckDelay` later, a few times. `pollInterval` is only the fallback:
/// the longest wait without a signal, after which it reads anyway (a lost wake-up, a shard that
/// moved), and when the instance's row is looked at to end the stream of a finished instance.
/// Events are never skipped or repeated because ids only grow.
public struct InstanceEvents: AsyncSequence, Sendable {
    public typealias Element = HistoryEvent

    let runtime: BrigadeRuntime
    let key: InstanceKey
    let cursor: Int64
    let pollInterval: Duration

    public func makeAsyncIterator() -> Iterator {
        Iterator(runtime: runtime, key: key, cursor: cursor, pollInterval: pollInterval)
    }

    public struct Iterator: AsyncIteratorProtocol {
        let runtime: BrigadeRuntime
        let key: InstanceKey
        var cursor: Int64
        let pollInterval: Duration
        var pending: [HistoryEvent] = []
        var finished = false
        /// Made on the first read; unsubscribes when the iterator is dropped.
        var subscription: SignalLease?
        /// Reads left to try `recheckDelay` apart after a signal that found nothing.
        var rechecks = 0
        /// When the node that runs the instance was last asked to signal this one (a cluster).
        var watchedAt: ContinuousClock.Instant?

        /// A lazy write's commit follows its signal by the store's flush delay (5 ms by default).
        static let recheckDelay: Duration = .milliseconds(10)
        static let rechecksAfterSignal = 5
        /// How often a stream in a cluster renews its watch (``InstanceSignals/remoteWatchTime``).
        static let watchRenewal: Duration = .seconds(10)

        init(runtime: BrigadeRuntime, key: InstanceKey, cursor: Int64, pollInterval: Duration) {
            self.runtime = runtime
            self.key = key
            self.cursor = cursor
            self.pollInterval = pollInterval
        }

        public mutating func next() async throws -> HistoryEvent? {
            if subscription == nil { subscription = SignalLease(runtime.signals, runtime.signals.subscribe(key, .history)) }
            var lookAtRow = true
            while pending.isEmpty {
                if finished { return nil }
                try Task.checkCancellation()
                pending = try await runtime.history(key, afterId: cursor, limit: 500)
                if !pending.isEmpty { break }
                // A cursor at or past the terminal event (a client resuming after the end, or
                // with an id from the future) finds nothing more, ever: the row says so. Looked
                // at on the first empty read and after each fallback wait, not after signals.
                if lookAtRow {
                    if try await hasEnded() { return nil }
                    if !pending.isEmpty { break }
                }
                let timeout = rechecks > 0 ? Self.recheckDelay : pollInterval
                let signalled = await subscription!.wait(for: timeout)
                if signalled {
                    rechecks = Self.rechecksAfterSignal
                    lookAtRow = false
                } else if rechecks > 0 {
                    rechecks -= 1
                    lookAtRow = false
                } else {
                    lookAtRow = true
                }
            }
            let event = pending.removeFirst()
            cursor = event.id
            if event.entry.type.isTerminal { finished = true }
            return event
        }

        /// Whether the instance has ended (or is gone) with nothing stored after the cursor. The
        /// history is read again after the row: the terminal event commits with the status, so
        /// one that landed between the two reads is still delivered. In a cluster, (re)news the
        /// watch on the node that runs the instance.
        private mutating func hasEnded() async throws -> Bool {
            let row: InstanceRow
            do {
                row = try await runtime.instanceRow(key)
            } catch let error as BrigadeError where error.code == .instanceNotFound {
                finished = true
                return true
            }
            guard row.status.isTerminal else {
                if watchedAt.map({ ContinuousClock.now - $0 >= Self.watchRenewal }) ?? true {
                    watchedAt = .now
                    await runtime.watchFromHere(row)
                }
                return false
            }
            pending = try await runtime.history(key, afterId: cursor, limit: 500)
            if pending.isEmpty { finished = true }
            return pending.isEmpty
        }
    }

}

extension HistoryEventType {
    /// `workflow_completed`, `workflow_errored` and `workflow_terminated`: nothing follows them
    /// unless the instance is restarted.
    public var isTerminal: Bool {
        self == .workflowCompleted || self == .workflowErrored || self == .workflowTerminated
    }
}

extension BrigadeRuntime {
    /// The instance's history from after `cursor` (0: from the start), then live, ending after
    /// its terminal event. Throws `instance.not_found` on the first read for an unknown instance.
    /// New events are pushed; `pollInterval` is the longest wait without a signal before it reads
    /// anyway (see ``InstanceEvents``).
    public func subscribe(_ key: InstanceKey, cursor: Int64 = 0, pollInterval: Duration = .seconds(1)) -> InstanceEvents {
        InstanceEvents(runtime: self, key: key, cursor: cursor, pollInterval: pollInterval)
    }
}

extension WorkflowInstance {
    /// This instance's history as it is committed; see ``InstanceEvents``.
    public func subscribe(cursor: Int64 = 0) -> InstanceEvents {
        runtime.subscribe(key, cursor: cursor)
    }
}
