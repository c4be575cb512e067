import Brigade
import Foundation
import Synchronization

/// Cloudflare's test modifiers for Brigade: make an instance (or every instance of a workflow)
/// skip its sleeps and retry delays, take a mocked result or error for a step, time a step out,
/// or receive a mocked event — without touching the workflow's code. ``TestBrigade`` installs
/// one; change it with ``TestBrigade/modify(_:workflow:id:_:)`` before creating the instance.
///
/// What a modifier makes a step do is recorded as the step doing it (a mocked result is the
/// step's committed result), so replays, history and describe show it.
public final class WorkflowModifier: StepHooks {
    /// Which instances a set of modifications applies to.
    public enum Scope: Hashable, Sendable {
        case instance(InstanceKey)
        /// Every instance of the workflow (of the tenant).
        case workflow(tenant: String, name: String)
    }

    /// A step: its name and its count (the 2 of `fetch-2`, default 1).
    public struct Step: Hashable, Sendable {
        public var name: String
        public var count: Int
        public init(_ name: String, count: Int = 1) {
            self.name = name
            self.count = count
        }
    }

    /// The modifications of one scope, changed in ``TestBrigade/modify(_:workflow:id:_:)``.
    public struct Modifications: Sendable {
        var sleepsDisabled = false
        var retryDelaysDisabled = false
        var results: [Step: Data] = [:]
        var errors: [Step: (error: ErrorInfo, nonRetryable: Bool, times: Int?)] = [:]
        var timeouts: [Step: Int?] = [:]
        var events: [String: Data] = [:]
        var eventTimeouts: Set<Step> = []

        /// Every sleep ends as soon as it starts.
        public mutating func disableSleeps() { sleepsDisabled = true }

        /// A failed attempt is retried at once.
        public mutating func disableRetryDelays() { retryDelaysDisabled = true }

        /// The step's body is not run: its result is `value`.
        public mutating func mockStepResult<T: Encodable>(_ step: Step, _ value: T) throws {
            results[step] = try JSONValue.storedForm(of: value)
        }

        /// The step's first `times` attempts (every one when nil) fail with `error` instead of
        /// running its body; `nonRetryable` stops the retries at the first.
        public mutating func mockStepError(_ step: Step, _ error: ErrorInfo, nonRetryable: Bool = false, times: Int? = nil) {
            errors[step] = (error, nonRetryable, times)
        }

        /// The step's first `times` attempts (every one when nil) time out without running.
        public mutating func forceStepTimeout(_ step: Step, times: Int? = nil) { timeouts[step] = times }

        /// Every wait for an event of `type` receives `payload` at once.
        public mutating func mockEvent<T: Encodable>(type: String, payload: T) throws {
            events[type] = try JSONValue.storedForm(of: payload)
        }

        /// The wait times out as soon as it starts.
        public mutating func forceEventTimeout(_ step: Step) { eventTimeouts.insert(step) }
    }

    private let scopes = Mutex<[Scope: Modifications]>([:])

    public init() {}

    /// Changes the modifications of `scope`.
    public func modify(_ scope: Scope, _ change: (inout Modifications) throws -> Void) rethrows {
        try scopes.withLock { scopes in
            var modifications = scopes[scope] ?? Modifications()
            try change(&modifications)
            scopes[scope] = modifications
        }
    }

    /// Drops every modification.
    public func reset() { scopes.withLock { $0 = [:] } }

    private func applicable(_ key: InstanceKey) -> [Modifications] {
        scopes.withLock { scopes in
            [scopes[.instance(key)], scopes[.workflow(tenant: key.tenant, name: key.workflow)]].compactMap { $0 }
        }
    }

    // MARK: StepHooks

    public func attempt(_ name: String, count: Int, attempt: Int, of key: InstanceKey) -> StepAttemptOverride? {
        let step = Step(name, count: count)
        for modifications in applicable(key) {
            if let value = modifications.results[step] { return .result(value) }
            if let (error, nonRetryable, times) = modifications.errors[step], times.map({ attempt <= $0 }) ?? true {
                if nonRetryable { return .error(NonRetryableError(error.message, name: error.name)) }
                return .error(MockedStepError(name: error.name, message: error.message))
            }
            if let times = modifications.timeouts[step], times.map({ attempt <= $0 }) ?? true { return .timeout }
        }
        return nil
    }

    public func skipsRetryDelay(of key: InstanceKey) -> Bool {
        applicable(key).contains { $0.retryDelaysDisabled }
    }

    public func skipsSleep(_ name: String, count: Int, of key: InstanceKey) -> Bool {
        applicable(key).contains { $0.sleepsDisabled }
    }

    public func event(_ name: String, count: Int, type: String, of key: InstanceKey) -> StepEventOverride? {
        for modifications in applicable(key) {
            if modifications.eventTimeouts.contains(Step(name, count: count)) { return .timeout }
            if let payload = modifications.events[type] { return .payload(payload) }
        }
        return nil
    }
}

/// The error a mocked step attempt throws: its name and message as given.
struct MockedStepError: NamedError, CustomStringConvertible {
    var name: String
    var message: String
    var errorName: String { name }
    var errorMessage: String { message }
    var description: String { "\(name): \(message)" }
}
