/// The history a `step.do` writes, or a rollback: the same life under other event types
/// (contract §2.6), so one code path writes both.
struct StepEvents: Sendable {
    var kind: StepKind
    var started: HistoryEventType
    var attemptStarted: HistoryEventType
    var attemptCompleted: HistoryEventType
    var attemptErrored: HistoryEventType
    var completed: HistoryEventType
    var errored: HistoryEventType

    static let forward = StepEvents(
        kind: .do, started: .stepStarted, attemptStarted: .attemptStarted, attemptCompleted: .attemptCompleted,
        attemptErrored: .attemptErrored, completed: .stepCompleted, errored: .stepErrored)

    static let rollback = StepEvents(
        kind: .rollback, started: .rollbackStepStarted, attemptStarted: .rollbackAttemptStarted,
        attemptCompleted: .rollbackAttemptCompleted, attemptErrored: .rollbackAttemptErrored, completed: .rollbackStepCompleted,
        errored: .rollbackStepErrored)
}
