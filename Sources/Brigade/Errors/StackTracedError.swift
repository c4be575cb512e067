/// An error that says where it was thrown: a stack trace in the workflow's own source, such as a
/// JavaScript tenant's error with its frames mapped back to the uploaded module.
///
/// The engine records the trace with the failure's history event (`data.stack` of
/// `attempt_errored` and `workflow_errored`), where the live stream and `brigade instances watch`
/// show it. The stored `{name, message}` of the step or the instance — the API's error shape —
/// does not carry it.
public protocol StackTracedError: Error {
    /// The frames, one per line; nil when there are none to show.
    var stackTrace: String? { get }
}
