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
    /// Brigade's own: a line the workflow logged (`step.log`, a JavaScript tenant's `console`),
    /// with `level` and `message`.
    case log = "log"
}

/// An entry to append to an instance's history.
public struct HistoryEntry: Sendable, Hashable {
    public var type: HistoryEventType
    public var at: Int64
    /// The step (`name-count`) for step events.
    public var step: String?
    /// Event details as a JSON object.
    public var data: [String: JSONValue]

    /// The longest stack trace kept with a failure's event (see ``StackTracedError``): a deep
    /// recursion's trace is cut, not stored whole with every attempt.
    public static let maxStackCharacters = 4_096

    /// The `stack` of a failure's event data for `error`: its trace, cut at
    /// ``maxStackCharacters``; nil when it carries none.
    static func stack(of error: any Error) -> JSONValue? {
        guard let trace = (error as? any StackTracedError)?.stackTrace else { return nil }
        return .string(String(trace.prefix(maxStackCharacters)))
    }

    public init(_ type: HistoryEventType, at: Int64, step: String? = nil, data: [String: JSONValue] = [:]) {
        self.type = type
        self.at = at
        self.step = step
        self.data = data
    }
}

/// A stored history event, with its monotonic id (the cursor for subscriptions).
public struct HistoryEvent: Sendable, Hashable {
    public var id: Int64
    public var instanceId: String
    public var entry: HistoryEntry

    public init(id: Int64, instanceId: String, entry: HistoryEntry) {
        self.id = id
        self.instanceId = instanceId
        self.entry = entry
    }
}
