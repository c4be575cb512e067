import Foundation

/// A handle to one instance.
public struct WorkflowInstance<W: Workflow>: Sendable {
    let runtime: BrigadeRuntime
    /// Tenant, workflow and id.
    public let key: InstanceKey

    /// The instance id.
    public var id: String { key.id }

    /// The instance's status, output and error.
    public func status() async throws -> InstanceSnapshot<W.Output> {
        let row = try await runtime.instanceRow(key)
        var output: W.Output?
        if let data = row.output {
            output = try JSONCoding.decode(W.Output.self, from: data)
        }
        // Only an instance that may have rolled back has its steps read for it.
        let rollback =
            RollbackOutcome.mayHaveRun(for: row.status) ? RollbackOutcome(status: row.status, steps: try await runtime.steps(key)) : nil
        return InstanceSnapshot(
            status: row.status, output: output, error: row.error,
            createdAt: Date(millisecondsSince1970: row.createdAt),
            startedAt: row.startedAt.map(Date.init(millisecondsSince1970:)),
            endedAt: row.endedAt.map(Date.init(millisecondsSince1970:)),
            rollback: rollback
        )
    }

    /// See ``BrigadeRuntime/pause(_:)``.
    public func pause() async throws { try await runtime.pause(key) }
    /// See ``BrigadeRuntime/resume(_:)``.
    public func resume() async throws { try await runtime.resume(key) }
    /// See ``BrigadeRuntime/terminate(_:rollback:children:)``.
    public func terminate(rollback: Bool = false, children: Bool = false) async throws {
        try await runtime.terminate(key, rollback: rollback, children: children)
    }
    /// See ``BrigadeRuntime/restart(_:from:)``.
    public func restart(from step: StepSelector? = nil) async throws { try await runtime.restart(key, from: step) }
    /// See ``BrigadeRuntime/delete(_:)``.
    public func delete() async throws { try await runtime.delete(key) }

    /// Sends an event; the first `waitForEvent` of that `type` receives it.
    public func sendEvent<Payload: Encodable & Sendable>(type: String, payload: Payload) async throws {
        try await runtime.sendEvent(key, type: type, payload: try JSONCoding.encode(payload))
    }

    /// The step records, in recording order.
    public func steps() async throws -> [StepRecord] { try await runtime.steps(key) }

    /// The instance's history (contract §2.6 event types), oldest first.
    public func history(afterId: Int64 = 0) async throws -> [HistoryEvent] { try await runtime.history(key, afterId: afterId) }
}
