import Brigade
import Foundation

extension WorkflowInstance {
    /// Waits until the instance reaches `status` and returns its snapshot. Throws ``TestTimeout``
    /// naming the last status seen.
    @discardableResult
    public func waitForStatus(_ status: InstanceStatus, timeout: Duration = .seconds(10)) async throws -> InstanceSnapshot<W.Output> {
        var last: InstanceSnapshot<W.Output>?
        do {
            try await eventually("instance \(id) to be \(status)", timeout: timeout) {
                last = try await self.status()
                return last?.status == status
            }
        } catch is TestTimeout {
            throw TestTimeout(
                description:
                    "instance \(id) did not become \(status) in \(timeout); last status: \(last.map { "\($0.status)" } ?? "none")\(last?.error.map { ", error: \($0)" } ?? "")"
            )
        }
        return last!
    }

    /// The stored record of a step, if it was recorded.
    public func stepRecord(_ name: String, count: Int = 1) async throws -> StepRecord? {
        try await steps().first { $0.name == name && $0.count == count }
    }

    /// The committed result of a `step.do`, decoded; nil while the step has not completed.
    public func stepResult<T: Decodable>(_ name: String, count: Int = 1, as type: T.Type) async throws -> T? {
        guard let record = try await stepRecord(name, count: count), record.status == .complete, let value = record.value else {
            return nil
        }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .millisecondsSince1970
        return try decoder.decode(type, from: value)
    }

    /// Waits until a step's record reaches `status`.
    @discardableResult
    public func waitForStep(_ name: String, count: Int = 1, status: StepStatus, timeout: Duration = .seconds(10)) async throws -> StepRecord
    {
        var found: StepRecord?
        try await eventually("step \(name)-\(count) of \(id) to be \(status)", timeout: timeout) {
            found = try await self.stepRecord(name, count: count)
            return found?.status == status
        }
        return found!
    }

    /// The instance's history event types, in order.
    public func historyTypes() async throws -> [HistoryEventType] {
        try await history().map(\.entry.type)
    }
}
