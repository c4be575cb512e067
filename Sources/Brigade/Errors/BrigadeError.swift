/// An error raised by Brigade itself: bad input, a missing instance, a limit, a rule of the contract.
///
/// The ``code`` is stable and machine-readable (it follows the contract's codes where one exists,
/// such as `instance.already_exists`); the ``message`` says what was wrong and what to do.
public struct BrigadeError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A stable, extensible error code.
    public struct Code: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        public static let invalidInstanceId = Code(rawValue: "instance.invalid_id")
        public static let instanceAlreadyExists = Code(rawValue: "instance.already_exists")
        public static let instanceNotFound = Code(rawValue: "instance.not_found")
        public static let cannotTerminate = Code(rawValue: "instance.cannot_terminate")
        public static let cannotRestart = Code(rawValue: "instance.cannot_restart")
        public static let instanceFinished = Code(rawValue: "instance.finished")
        public static let invalidWorkflowName = Code(rawValue: "workflow.invalid_name")
        /// No workflow of that name: not registered in Swift, and no definition for it.
        public static let workflowNotRegistered = Code(rawValue: "workflow.not_found")
        public static let invalidEventType = Code(rawValue: "workflow.invalid_event_type")
        public static let invalidStepName = Code(rawValue: "step.invalid_name")
        public static let invalidStepConfig = Code(rawValue: "step.invalid_config")
        public static let invalidDuration = Code(rawValue: "duration.invalid")
        public static let payloadTooLarge = Code(rawValue: "payload.too_large")
        public static let stepOutputTooLarge = Code(rawValue: "step.output_too_large")
        public static let stepLimitExceeded = Code(rawValue: "step.limit_exceeded")
        public static let nonDeterminism = Code(rawValue: "workflow.non_determinism")
        /// A step called from a rollback handler: the contract allows none there.
        public static let stepDuringRollback = Code(rawValue: "step.during_rollback")
        /// A step the journal shows with a rollback under way no longer registers one.
        public static let rollbackMissing = Code(rawValue: "step.rollback_missing")
        public static let invalidBatch = Code(rawValue: "batch.invalid")
        public static let notSerializable = Code(rawValue: "value.not_serializable")
        public static let invalidCursor = Code(rawValue: "listing.invalid_cursor")
        public static let invalidQuery = Code(rawValue: "listing.invalid_query")
        public static let queueFull = Code(rawValue: "workflow.queue_full")
        public static let rateLimited = Code(rawValue: "rate_limited")
        /// The store's disk is full: nothing could be written, and nothing written before is lost.
        public static let storageFull = Code(rawValue: "storage.full")
        /// The store could not write for another reason of its own (an I/O error, a lock held
        /// too long): not the request's fault, and worth retrying.
        public static let storageUnavailable = Code(rawValue: "storage.unavailable")
    }

    /// What kind of error this is.
    public var code: Code
    /// What was wrong and what to do.
    public var message: String
    /// The instance concerned, when there is one.
    public var instanceId: String?
    /// The step concerned, when there is one (with its `-N` count suffix).
    public var stepName: String?
    /// For `rate_limited`: how long to wait before trying again.
    public var retryAfter: Duration?

    public init(_ code: Code, _ message: String, instanceId: String? = nil, stepName: String? = nil, retryAfter: Duration? = nil) {
        self.code = code
        self.message = message
        self.instanceId = instanceId
        self.stepName = stepName
        self.retryAfter = retryAfter
    }

    public var description: String { "(\(code)) \(message)" }
}

extension BrigadeError {
    /// Whether this is the store failing to write (``Code/storageFull``,
    /// ``Code/storageUnavailable``): the infrastructure's failure, never the workflow's. An
    /// engine stops its lifetime on one and the instance runs again once the store writes.
    public var isStorageFailure: Bool { code == .storageFull || code == .storageUnavailable }
}
