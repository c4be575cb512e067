import Foundation

/// The event types of an instance's history (contract §2.6).
public enum HistoryEventType: String, Sendable, Hashable, Codable, CaseIterable {
    case workflowQueued = "workflow_queued"
    case workflowStarted = "workflow_started"
    case workflowRunning = "workflow_running"
    case workflowPaused = "workflow_paused"
    case workflowWaitingForPause = "workflow_waiting_for_pause"
    case workflowWaiting = "workflow_waiting"
    case workflowCompleted = "workflow_completed"
    case workflowErrored = "workflow_errored"
    case workflowTerminated = "workflow_terminated"
    case stepStarted = "step_started"
    case stepCompleted = "step_completed"
    case stepErrored = "step_errored"
    case attemptStarted = "attempt_started"
    case attemptCompleted = "attempt_completed"
    case attemptErrored = "attempt_errored"
    case sleepStarted = "sleep_started"
    case sleepCompleted = "sleep_completed"
    case waitStarted = "wait_started"
    case waitCompleted = "wait_completed"
    case waitTimedOut = "wait_timed_out"
    /// Brigade's own: a `step.child` started its child (`child: {workflow, id}`), the child's
    /// outcome arrived (`status`), or the wait for it timed out.
    case childStarted = "child_started"
    case childCompleted = "child_completed"
    case childTimedOut = "child_timed_out"
    case rollbackStarted = "rollback_started"
    case rollbackStepStarted = "rollback_step_started"
    case rollbackStepCompleted = "rollback_step_completed"
    case rollbackStepErrored = "rollback_step_errored"
    case rollbackAttemptStarted = "rollback_attempt_started"
    case rollbackAttemptCompleted = "rollback_attempt_completed"
    case rollbackAttemptErrored = "rollback_attempt_errored"
    case rollbackCompleted = "rollback_completed"
    case rollbackErrored = "rollback_errored"
    /// Brigade's own: a line the workflow logged (`step.log`, a JavaScript tenant's `console`),
    /// with `level` and `message`.
    case log = "log"
}
