import Foundation

/// The durable step API handed to ``Workflow/run(_:step:)``.
///
/// Each call is a step identified by its kind, its name, and the count of that name in the
/// run (the second `step.do("fetch")` is `fetch-2`, with a record of its own). On replay a
/// recorded step returns its stored outcome without running again. Steps may run in parallel with
/// `async let` or task groups, as long as parallel steps have distinct names.
public struct WorkflowStep: Sendable {
    let engine: Engine

    // MARK: step.do

    /// Runs `body` as a durable step and returns its result, committed before this returns.
    ///
    /// Failed attempts are retried per `config` (default: 5 retries, 10 s, exponential, 10 minutes
    /// per attempt). When the step fails for good this throws ``StepFailedError``, now and on
    /// every replay. Throw ``NonRetryableError`` from the body to stop retrying at once.
    @discardableResult
    public func `do`<T: Codable & Sendable>(
        _ name: String,
        _ config: StepConfig? = nil,
        _ body: @escaping @Sendable (StepContext) async throws -> T
    ) async throws -> T {
        try await typedDo(name, config, body)
    }

    /// Runs `body` as a durable step, returning its committed result.
    @discardableResult
    public func `do`<T: Codable & Sendable>(
        _ name: String,
        _ config: StepConfig? = nil,
        _ body: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        try await self.do(name, config) { (_: StepContext) in try await body() }
    }

    /// Runs `body` as a durable step that returns nothing.
    public func `do`(
        _ name: String,
        _ config: StepConfig? = nil,
        _ body: @escaping @Sendable (StepContext) async throws -> Void
    ) async throws {
        _ = try await engine.runDo(name, config: config) { context in
            try await body(context)
            return Data("null".utf8)
        }
    }

    /// Runs `body` as a durable step that returns nothing.
    public func `do`(
        _ name: String,
        _ config: StepConfig? = nil,
        _ body: @escaping @Sendable () async throws -> Void
    ) async throws {
        try await self.do(name, config) { (_: StepContext) in try await body() }
    }

    /// Runs `body` as a durable step whose retries wait what `retryDelay` says (Cloudflare's
    /// dynamic delay): it is asked once per failed attempt, with that attempt's context and error,
    /// and its answer is fed into the config's back-off — a rate limit's Retry-After, say. A
    /// `retryDelay` that throws fails the step without further retries.
    @discardableResult
    public func `do`<T: Codable & Sendable>(
        _ name: String,
        _ config: StepConfig? = nil,
        retryDelay: @escaping @Sendable (StepContext, ErrorInfo) async throws -> Duration,
        _ body: @escaping @Sendable (StepContext) async throws -> T
    ) async throws -> T {
        try await typedDo(name, config, retryDelay: retryDelay, body)
    }

    // MARK: step.do with a rollback

    /// Runs `body` as a durable step, and registers `rollback` to compensate it should `run` fail
    /// (a saga): when an error escapes `run`, the rollbacks of the steps that started run last
    /// first, each a durable step of its own retried per `rollbackConfig`, while the instance is
    /// `rollingBack`; the chain stops at the first rollback that fails for good. The instance
    /// then ends `errored` with `run`'s error, and `status()` reports how the rollback went.
    ///
    /// ```swift
    /// let charge = try await step.do("charge") { try await payments.charge(order) } rollback: { rollback in
    ///     try await payments.refund(rollback.output!.id)
    /// }
    /// ```
    ///
    /// `rollbackConfig` sets the rollback's retries and timeout (the contract's defaults when nil).
    /// A rollback runs for a step that failed too (its `output` is then nil). It may not call
    /// steps (``BrigadeError/Code/stepDuringRollback``); a terminate or a delete runs none.
    @discardableResult
    public func `do`<T: Codable & Sendable>(
        _ name: String,
        _ config: StepConfig? = nil,
        rollbackConfig: StepConfig? = nil,
        _ body: @escaping @Sendable (StepContext) async throws -> T,
        rollback: @escaping @Sendable (RollbackContext<T>) async throws -> Void
    ) async throws -> T {
        let handler: RegisteredRollback.Handler = { context, error, output in
            let decoded = try output.map { try JSONCoding.decode(T.self, from: $0) }
            try await rollback(RollbackContext(step: context, error: error, output: decoded))
        }
        return try await typedDo(name, config, rollback: handler, rollbackConfig: rollbackConfig, body)
    }

    /// Runs `body` as a durable step with a rollback (see the variant whose body takes a
    /// ``StepContext``).
    @discardableResult
    public func `do`<T: Codable & Sendable>(
        _ name: String,
        _ config: StepConfig? = nil,
        rollbackConfig: StepConfig? = nil,
        _ body: @escaping @Sendable () async throws -> T,
        rollback: @escaping @Sendable (RollbackContext<T>) async throws -> Void
    ) async throws -> T {
        try await self.do(name, config, rollbackConfig: rollbackConfig, { (_: StepContext) in try await body() }, rollback: rollback)
    }

    // MARK: step.sleep

    /// Sleeps durably for `duration` (at most 365 days). The absolute wake-up time is stored at
    /// the first execution, so a crash or a hibernation resumes the remainder, never more.
    public func sleep(_ name: String, for duration: Duration) async throws {
        try await engine.runSleep(name, duration: duration, until: nil)
    }

    /// Sleeps durably for a contract duration string such as `"10 seconds"` or `"2 hours"`.
    public func sleep(_ name: String, for duration: String) async throws {
        let parsed: Duration
        do {
            parsed = try DurationParser.parse(duration)
        } catch let error as BrigadeError {
            throw engine.fail(error)
        }
        try await sleep(name, for: parsed)
    }

    /// Sleeps durably until `date` (at most 365 days ahead). A date already past completes at once.
    public func sleepUntil(_ name: String, _ date: Date) async throws {
        try await engine.runSleep(name, duration: nil, until: date)
    }

    // MARK: step.waitForEvent

    /// Waits durably for an event of `type` sent with `sendEvent`, for at most `timeout`
    /// (1 second to 365 days, default 24 hours).
    ///
    /// Events sent before the wait is reached are kept and delivered in order. On timeout this
    /// throws ``WaitForEventTimeoutError``, which `run` may catch; the timeout is stored and
    /// re-thrown on replay.
    public func waitForEvent<Payload: Codable & Sendable>(
        _ name: String,
        type: String,
        timeout: Duration = .hours(24),
        as payloadType: Payload.Type = JSONValue.self
    ) async throws -> ReceivedEvent<Payload> {
        let stored = try await engine.runWaitForEvent(name, type: type, timeout: timeout)
        let decoded = try decodeStored(StoredEvent<Payload>.self, from: stored, step: name)
        return ReceivedEvent(
            type: decoded.type,
            payload: decoded.payload,
            timestamp: Date(millisecondsSince1970: decoded.timestamp)
        )
    }

    // MARK: step.child

    /// Starts an instance of the workflow `W` (registered with the runtime, in this instance's
    /// tenant) with `params`, and waits durably for it to end, for at most `timeout` (1 second to
    /// 365 days, default 365 days). Returns its output.
    ///
    /// The child's id is derived from this instance, the step's name and its count
    /// (``ChildWorkflow/instanceId(parent:step:count:)``), so no replay starts a second one. While
    /// it runs, this instance hibernates; the child's end is committed together with a notice
    /// to this instance, which wakes it, on any node and across crashes. Throws
    /// ``ChildWorkflowError`` when the child errored, was terminated or deleted, or the wait
    /// timed out (the child runs on); `run` may catch it. Describe shows the link both ways:
    /// the step's `child`, and the child's `parent`.
    ///
    /// ```swift
    /// let report = try await step.child("build report", BuildReport.self, params: .init(month: 11))
    /// ```
    public func child<W: Workflow>(
        _ name: String, _ workflow: W.Type, params: W.Params, timeout: Duration = .days(365)
    ) async throws -> W.Output {
        let encoded: Data
        do {
            encoded = try JSONCoding.encode(params)
        } catch {
            throw BrigadeError(
                .notSerializable, "The params of child workflow \(W.name) of step \"\(name)\" do not encode as JSON: \(JSONCoding.describe(error)).",
                instanceId: instanceId, stepName: name)
        }
        let output = try await engine.runChild(name, workflow: W.name, params: encoded, timeout: timeout)
        return try decodeStored(W.Output.self, from: output, step: name)
    }

    /// `step.child` with JSON params and output, and the workflow by name (a tenant's own, for
    /// a sandbox). `count`: the one ``reserveCount(of:)`` gave.
    @_spi(Sandbox)
    public func childJSON(_ name: String, workflow: String, params: Data, timeout: Duration, count: Int? = nil) async throws -> Data {
        try await engine.runChild(name, workflow: workflow, params: params, timeout: timeout, count: count)
    }

    // MARK: Logging

    /// Logs a line into the instance's history and live stream (type `log`, with `level` and
    /// `message`). Pass the step's context when logging from inside a `step.do` body, so the
    /// line is attributed to it.
    ///
    /// `run` is re-executed from the top when an instance resumes; lines logged outside steps
    /// while it re-reaches steps it already finished are not stored a second time.
    public func log(_ message: String, level: LogLevel = .info, in context: StepContext? = nil) async {
        await engine.appendLog(level, message, step: context.map { "\($0.name)-\($0.count)" })
    }

    // MARK: For sandboxes

    /// `step.do` with the result as JSON bytes, for runners that speak JSON already (a
    /// JavaScript sandbox): no decoding into Swift values and back. `count`: the one
    /// ``reserveCount(of:)`` gave when the code made the call (nil: the next one now).
    @_spi(Sandbox)
    public func doJSON(
        _ name: String, _ config: StepConfig?, count: Int? = nil,
        retryDelay: (@Sendable (StepContext, ErrorInfo) async throws -> Duration)? = nil,
        _ body: @escaping @Sendable (StepContext) async throws -> Data
    ) async throws -> Data {
        try await engine.runDo(name, config: config, count: count, retryDelay: retryDelay, body: body)
    }

    /// The rollback of the `step.do` `name`-`count`, for a runner that keeps its own chain (a
    /// JavaScript sandbox runs its registered rollbacks last first when `run` rejects): a
    /// durable pseudo-step whose `body` runs the handler. Throws ``StepFailedError`` when it
    /// failed for good — the chain halts there.
    @_spi(Sandbox)
    public func rollbackJSON(_ name: String, count: Int, _ config: StepConfig?, _ body: @escaping @Sendable (StepContext) async throws -> Data)
        async throws
    {
        try await engine.runRollback(of: name, count: count, config: config, body: body)
    }

    /// The instance's `env.WORKFLOWS`: its tenant's binding to its own workflow, for a sandbox
    /// to hand its code. A create with an id is idempotent (replays repeat the call).
    @_spi(Sandbox)
    public var workflowsBinding: WorkflowsBinding { engine.host.binding(engine.key) }

    /// `step.waitForEvent` returning the stored `{type, payload, timestamp}` as JSON bytes.
    @_spi(Sandbox)
    public func waitForEventJSON(_ name: String, type: String, timeout: Duration, count: Int? = nil) async throws -> Data {
        try await engine.runWaitForEvent(name, type: type, timeout: timeout, count: count)
    }

    /// `step.sleep` (a `duration`) or `step.sleepUntil` (a `date`) as the count the code
    /// reserved (see ``reserveCount(of:)``).
    @_spi(Sandbox)
    public func sleep(_ name: String, for duration: Duration?, until date: Date?, count: Int?) async throws {
        try await engine.runSleep(name, duration: duration, until: date, count: count)
    }

    /// Takes the next count of `name` (the 2 of `fetch-2`) for a step call made now and
    /// performed later. A runner whose step calls are made in order but reach the engine side by
    /// side — tenant JavaScript's `Promise.all([step.do("fetch", …), step.do("fetch", …)])` —
    /// reserves each call's count as it is made, so that two calls of one name are told
    /// apart in the order the code made them, in the first lifetime and on every replay alike.
    /// A call that reaches a step no earlier lifetime finished ends the replay (``isReplaying``)
    /// then too.
    @_spi(Sandbox)
    public func reserveCount(of name: String) -> Int {
        engine.reserveCount(name)
    }

    /// Whether `run` is still only re-reaching steps that finished in an earlier lifetime: a
    /// log line written outside a step now repeats one an earlier lifetime stored. A sandbox
    /// whose log lines reach the engine after the step calls that followed them asks this when
    /// the line is written, and drops the line then. (What it passes on is stored: the replay
    /// only ever ends, so the engine, asked again later, agrees.)
    @_spi(Sandbox)
    public var isReplaying: Bool { engine.isReplaying }

    /// The answer of a step call that finished in an earlier lifetime, taken from the journal
    /// without suspending — nil when the call must go the normal way (`doJSON`, `sleep`,
    /// `waitForEventJSON`). A sandbox replays a resumed instance's finished steps inside one
    /// entry into its VM this way, instead of one round trip per step.
    @_spi(Sandbox)
    public func journaled(_ kind: StepKind, _ name: String) -> JournaledOutcome? {
        engine.answerFromJournal(kind, name)
    }

    /// Ends the instance `errored` with `error`, whatever `run` does next (as an invalid step
    /// name or a non-deterministic replay do). Returns the error to throw.
    @_spi(Sandbox)
    public func fail(_ error: BrigadeError) -> BrigadeError {
        engine.fail(error)
    }

    /// The instance this step API belongs to.
    @_spi(Sandbox)
    public var instanceId: String { engine.instanceId }

    /// The most log lines one lifetime stores and the longest line, in UTF-8 bytes
    /// (``BrigadeSettings/maxLogLinesPerRun``, ``BrigadeSettings/maxLogLineBytes``): a sandbox
    /// drops and cuts past them where tenant code writes, before a line is even copied out.
    @_spi(Sandbox)
    public var logLimits: (lines: Int, bytes: Int) { (engine.settings.maxLogLinesPerRun, engine.settings.maxLogLineBytes) }

    /// Every typed `step.do`: the body's value encoded as it is stored, and the stored form
    /// returned, so the first run and every replay see the same value.
    private func typedDo<T: Codable & Sendable>(
        _ name: String, _ config: StepConfig?, rollback: RegisteredRollback.Handler? = nil, rollbackConfig: StepConfig? = nil,
        retryDelay: (@Sendable (StepContext, ErrorInfo) async throws -> Duration)? = nil,
        _ body: @escaping @Sendable (StepContext) async throws -> T
    ) async throws -> T {
        let data = try await engine.runDo(
            name, config: config, rollback: rollback, rollbackConfig: rollbackConfig, retryDelay: retryDelay
        ) { context in
            try JSONCoding.encode(try await body(context))
        }
        return try decodeStored(T.self, from: data, step: name)
    }

    private func decodeStored<T: Decodable>(_ type: T.Type, from data: Data, step: String) throws -> T {
        do {
            return try JSONCoding.decode(type, from: data)
        } catch {
            throw BrigadeError(
                .notSerializable,
                "The stored result of step \"\(step)\" does not decode as \(T.self): \(JSONCoding.describe(error)). Did the step's result type change while instances were running?",
                instanceId: engine.instanceId,
                stepName: step
            )
        }
    }
}
