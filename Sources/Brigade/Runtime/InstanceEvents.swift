import Foundation

/// The history of one instance as it is committed: first what is stored after the cursor, then
/// each new event, ending after the terminal event (`workflow_completed`, `workflow_errored`,
/// `workflow_terminated`). Each event's `id` is the cursor to resume from.
///
/// It reads the store's append-only history by instance and id, every `pollInterval` while
/// nothing new is there, so a subscriber costs one indexed query per interval and no engine
/// state; events are never skipped or repeated because ids only grow.
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
        /// Reads in a row that found nothing new (see ``next()``).
        var emptyReads = 0

        init(runtime: BrigadeRuntime, key: InstanceKey, cursor: Int64, pollInterval: Duration) {
            self.runtime = runtime
            self.key = key
            self.cursor = cursor
            self.pollInterval = pollInterval
        }

        public mutating func next() async throws -> HistoryEvent? {
            while pending.isEmpty {
                if finished { return nil }
                try Task.checkCancellation()
                pending = try await runtime.history(key, afterId: cursor, limit: 500)
                guard pending.isEmpty else {
                    emptyReads = 0
                    break
                }
                // A cursor at or past the terminal event (a client resuming after the end, or
                // with an id from the future) finds nothing more, ever: the row says so. Read on
                // the first empty read and about once a second after it, not on every poll.
                if emptyReads % Self.rowCheckEvery == 0 {
                    if try await hasEnded() { return nil }
                    if !pending.isEmpty { break }
                }
                emptyReads += 1
                try await Task.sleep(for: pollInterval)
            }
            let event = pending.removeFirst()
            cursor = event.id
            if event.entry.type.isTerminal { finished = true }
            return event
        }

        static let rowCheckEvery = 20

        /// Whether the instance has ended (or is gone) with nothing stored after the cursor. The
        /// history is read again after the row: the terminal event commits with the status, so
        /// one that landed between the two reads is still delivered.
        private mutating func hasEnded() async throws -> Bool {
            let row: InstanceRow
            do {
                row = try await runtime.instanceRow(key)
            } catch let error as BrigadeError where error.code == .instanceNotFound {
                finished = true
                return true
            }
            guard row.status.isTerminal else { return false }
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
    public func subscribe(_ key: InstanceKey, cursor: Int64 = 0, pollInterval: Duration = .milliseconds(100)) -> InstanceEvents {
        InstanceEvents(runtime: self, key: key, cursor: cursor, pollInterval: pollInterval)
    }
}

extension WorkflowInstance {
    /// This instance's history as it is committed; see ``InstanceEvents``.
    public func subscribe(cursor: Int64 = 0) -> InstanceEvents {
        runtime.subscribe(key, cursor: cursor)
    }
}
