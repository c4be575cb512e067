import Foundation

/// What a step recorded in an earlier lifetime answers when `run` reaches it again: the one
/// decision of replay. `step.do`, `step.sleep`, `step.waitForEvent` and the JavaScript journal
/// (``Engine/answerFromJournal(_:_:)``) all ask it, so a replayed step answers the same in Swift
/// and in tenant JavaScript, and the error it rebuilds is written once.
enum ReplayAnswer {
    /// Finished: its result as JSON (`null` when it stored none), or nil for a sleep.
    case value(Data?)
    /// Finished with an error `run` sees again, as it did the first time: a `StepFailedError`
    /// for a `step.do` that failed for good, a `WaitForEventTimeoutError` for a wait that timed
    /// out.
    case failed(any Error)
    /// Not finished (running, retrying, waiting): the step goes on where it stopped.
    case resume

    /// The answer of `record`, the step `name` (without its count suffix).
    init(_ record: StepRecord, name: String) {
        switch (record.kind, record.status) {
        case (.child, .complete):
            // The child's outcome, stored as it arrived: its output, or the error it ended with.
            let child = ChildReference(config: record.config) ?? ChildReference(workflow: "", id: "")
            switch ChildWorkflow.result(of: record.value, stepName: "\(name)-\(record.count)", child: child) {
            case .success(let output): self = .value(output)
            case .failure(let error): self = .failed(error)
            }
        case (.do, .complete), (.waitForEvent, .complete), (.rollback, .complete):
            self = .value(record.value ?? Data("null".utf8))
        case (.sleep, .complete):
            self = .value(nil)
        case (.do, .failed), (.do, .timedOut), (.rollback, .failed), (.rollback, .timedOut):
            self = .failed(
                StepFailedError(
                    stepName: name, count: abs(record.count), attempts: record.attempts, errorName: record.error?.name ?? "Error",
                    message: record.error?.message ?? "", isNonRetryable: record.nonRetryable))
        case (.waitForEvent, .failed), (.waitForEvent, .timedOut):
            self = .failed(WaitForEventTimeoutError(stepName: name, count: record.count, eventType: record.eventType ?? ""))
        case (.child, .failed), (.child, .timedOut):
            let child = ChildReference(config: record.config)
            self = .failed(
                ChildWorkflowError(
                    stepName: "\(name)-\(record.count)", workflow: child?.workflow ?? "", instanceId: child?.id ?? "", status: "timedOut"))
        default:
            self = .resume
        }
    }
}
