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
                if pending.isEmpty { try await Task.sleep(for: pollInterval) }
            }
            let event = pending.removeFirst()
            cursor = event.id
            if event.entry.type.isTerminal { finished = true }
            return event
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
