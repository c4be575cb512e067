import Foundation

/// Thrown by `step.child` when the child workflow did not complete: it errored, was terminated
/// (or deleted), or the wait for it timed out.
///
/// Catch it in `run` to carry on without the child's output. The outcome is stored with the
/// step, so replays throw it again at the same point.
public struct ChildWorkflowError: NamedError, Sendable, Hashable, CustomStringConvertible {
    /// The parent's step, with its count (`build-1`).
    public var stepName: String
    /// The child's workflow and instance id.
    public var workflow: String
    public var instanceId: String
    /// How the child ended: `errored` or `terminated`; `timedOut` when the parent stopped
    /// waiting first (the child runs on).
    public var status: String
    /// The child's own error, when it errored.
    public var error: ErrorInfo?

    public init(stepName: String, workflow: String, instanceId: String, status: String, error: ErrorInfo? = nil) {
        self.stepName = stepName
        self.workflow = workflow
        self.instanceId = instanceId
        self.status = status
        self.error = error
    }

    public static let errorName = "ChildWorkflowError"
    public var errorName: String { Self.errorName }

    public var errorMessage: String {
        let child = "child workflow \(workflow) instance \(instanceId) of step \"\(stepName)\""
        switch status {
        case "timedOut": return "The wait for \(child) timed out; the child runs on."
        case "errored": return "The \(child) errored: \(error.map { "\($0.name): \($0.message)" } ?? "no error recorded")."
        default: return "The \(child) ended \(status)\(error.map { " (\($0.name): \($0.message))" } ?? "")."
        }
    }

    public var description: String { "\(errorName): \(errorMessage)" }
}

/// The rules of child workflows, in one place: the child's id and the event that tells its parent.
public enum ChildWorkflow {
    /// The id of the child a parent's step starts: the same on every replay of that step,
    /// and distinct per parent instance, step and count. `child-<FNV-1a, hex>`.
    public static func instanceId(parent: InstanceKey, step: String, count: Int) -> String {
        var hash = FNV1a()
        for part in [parent.tenant, parent.workflow, parent.id, step, String(count)] {
            hash.add(part)
            hash.add(0)
        }
        return "child-" + hash.hex
    }

    /// What `step.child` returns for the stored outcome `{status, output, error}` of `child`:
    /// its output as JSON when it completed, otherwise the error it ended with.
    static func result(of outcome: Data?, stepName: String, child: ChildReference) -> Result<Data, ChildWorkflowError> {
        let value = outcome.flatMap { try? JSONCoding.decode(JSONValue.self, from: $0) } ?? .null
        func text(_ field: JSONValue?) -> String? {
            if case .string(let text)? = field { return text }
            return nil
        }
        let status = text(value["status"]) ?? "unknown"
        if status == InstanceStatus.complete.rawValue { return .success((value["output"] ?? .null).jsonData()) }
        let error = value["error"].flatMap { error -> ErrorInfo? in
            guard case .object = error else { return nil }
            return ErrorInfo(name: text(error["name"]) ?? "Error", message: text(error["message"]) ?? "")
        }
        return .failure(
            ChildWorkflowError(stepName: stepName, workflow: child.workflow, instanceId: child.id, status: status, error: error))
    }

    /// The event type of a child's outcome, sent to its parent.
    public static func eventType(childId: String) -> String {
        var hash = FNV1a()
        hash.add(childId)
        return "brigade-child-" + hash.hex
    }
}
