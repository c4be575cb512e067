import Foundation

extension Engine {
    /// `step.do`: replays a recorded outcome, or runs attempts until one succeeds or the retries
    /// are exhausted. Returns the committed result (JSON). A `rollback` is registered as soon as
    /// the step is reached — replayed or new, finished or failed — so a replay that fails again
    /// finds every rollback the first run registered.
    func runDo(
        _ name: String,
        config requested: StepConfig?,
        count: Int? = nil,
        rollback: RegisteredRollback.Handler? = nil,
        rollbackConfig: StepConfig? = nil,
        retryDelay: RetryDelay? = nil,
        body: @escaping @Sendable (StepContext) async throws -> Data
    ) async throws -> Data {
        let entry = try await enterStep(.do, name, count: count)
        defer { exitStep() }
        if let rollback {
            do {
                try rollbackConfig?.validate(stepName: name, settings: settings)
            } catch let error as BrigadeError {
                throw fail(error)
            }
            let registered = RegisteredRollback(step: entry.identity, config: rollbackConfig, handler: rollback)
            state.withLock { $0.rollbacks[entry.position] = registered }
        }
        // A step that was under way registered its rollback above: it started, so it is rolled back.
        if stopsForTermination(entry) { throw TerminationRequest() }
        return try await perform(entry, name: name, requested: requested, events: .forward, retryDelay: retryDelay, body: body)
    }

    /// A dynamic retry delay (Cloudflare's `retries.delay` as a function): called once per failed
    /// attempt with the attempt's context and error; its answer is fed into the step's back-off.
    /// A throw fails the step without further retries.
    typealias RetryDelay = @Sendable (StepContext, ErrorInfo) async throws -> Duration

    /// The rollback of the `step.do` `name`-`count`: a durable pseudo-step with its own retries,
    /// journaled under the forward step's name (see ``StepIdentity``). The first one of a
    /// lifetime marks the instance `rollingBack`. Throws ``StepFailedError`` when it failed for
    /// good: the chain halts there, and the failure is the rollback's outcome.
    func runRollback(
        of name: String, count: Int, config: StepConfig?, body: @escaping @Sendable (StepContext) async throws -> Data
    ) async throws {
        // The chain runs last-started first, so a rollback of a later step still under way here was
        // skipped: this lifetime's code no longer registers it. The chain stops at it, clearly,
        // for a sandbox's chain as for the engine's own.
        if let skipped = state.withLock({ $0.skippedRollback(before: StepIdentity(name: name, count: count)) }) {
            try await failMissingRollback(of: skipped)
            throw StepFailedError(
                stepName: name, count: count, attempts: 0, errorName: "RollbackMissing",
                message: "the rollback of the later step \"\(skipped.name)-\(skipped.count)\" is missing", isNonRetryable: true)
        }
        let entry = try await enterStep(.rollback, name, count: -count)
        defer { exitStep() }
        try await beginRollback()
        do {
            _ = try await perform(entry, name: name, requested: config, events: .rollback, body: body)
        } catch let failure as StepFailedError {
            state.withLock { state in
                if state.rollbackFailure == nil { state.rollbackFailure = ErrorInfo(name: failure.errorName, message: failure.message) }
            }
            throw failure
        }
    }

    /// Runs or resumes the step `entry` admitted: the shared life of a `step.do` and a rollback.
    private func perform(
        _ entry: StepEntry, name: String, requested: StepConfig?, events: StepEvents, retryDelay: RetryDelay? = nil,
        body: @escaping @Sendable (StepContext) async throws -> Data
    ) async throws -> Data {
        // A rollback's count is its forward step's, negated in the journal only.
        let count = abs(entry.identity.count)
        let stepName = "\(name)-\(count)"

        var record: StepRecord
        let config: StepConfig
        if let stored = entry.record {
            switch ReplayAnswer(stored, name: name) {
            case .value(let value):
                return value ?? Data("null".utf8)
            case .failed(let error):
                throw error
            case .resume:
                record = stored
                // The config stored at first execution wins over the code's current one.
                config = (stored.config.flatMap { try? JSONCoding.decode(StepConfig.self, from: $0) }) ?? requested ?? .default
            }
        } else {
            config = requested ?? .default
            do {
                try config.validate(stepName: name, settings: settings)
            } catch let error as BrigadeError {
                throw fail(error)
            }
            record = StepRecord(
                name: name, count: entry.identity.count, kind: events.kind, position: entry.position,
                status: .running, attempts: 0, config: config.jsonValue.jsonData(),
                startedAt: clock.nowMilliseconds()
            )
        }

        // An attempt that was running when an earlier lifetime died counts as a failed attempt,
        // so a step that crashes the process cannot retry forever.
        if record.status == .running && record.attempts > 0 {
            let info = ErrorInfo(
                name: "WorkflowInternalError",
                message: "attempt \(record.attempts) was interrupted: the process running it stopped before it finished")
            // It counts toward the limit but is retried at once: the crash already cost time.
            if let failure = try await recordFailure(
                &record, info: info, nonRetryable: false, config: config, stepName: stepName, events: events, retryAt: clock.nowMilliseconds())
            {
                throw failure
            }
        }
        if record.status == .retrying, let deadline = record.deadline {
            try await wait(until: deadline)
        }

        while true {
            // Before the attempt is counted: one that never started must not use up a retry.
            try checkLeaseHeld()
            record.attempts += 1
            record.status = .running
            record.deadline = nil
            let attempt = record.attempts
            let now = clock.nowMilliseconds()
            var history = [HistoryEntry(events.attemptStarted, at: now, step: stepName, data: ["attempt": .number(Double(attempt))])]
            if attempt == 1 {
                history.insert(HistoryEntry(events.started, at: now, step: stepName, data: ["config": config.jsonValue]), at: 0)
            }
            // Not awaited: losing this record in a crash only loses the attempt count.
            try await commit([record], history: history, awaitCommit: false)

            let context = StepContext(name: name, count: count, attempt: attempt, config: config)
            let result: Result<Data, any Error>
            switch events.kind == .do ? settings.stepHooks?.attempt(name, count: count, attempt: attempt, of: key) : nil {
            case .result(let value)?: result = .success(value)
            case .error(let error)?: result = .failure(error)
            case .timeout?: result = .failure(WorkflowTimeoutError(milliseconds: config.timeout.wholeMilliseconds))
            case nil: result = await runAttempt(body, context: context, timeout: config.timeout)
            }
            // A stop meanwhile left the engine stopping for good: this throws for it too.
            try checkNotUnwinding()

            switch result {
            case .success(let value) where value.count <= settings.maxStepResultBytes:
                let now = clock.nowMilliseconds()
                record.status = .complete
                record.value = value
                record.error = nil
                record.endedAt = now
                try await commit(
                    [record],
                    history: [
                        HistoryEntry(events.attemptCompleted, at: now, step: stepName, data: ["attempt": .number(Double(attempt))]),
                        HistoryEntry(events.completed, at: now, step: stepName),
                    ],
                    awaitCommit: true
                )
                metrics.attemptsSucceeded.increment()
                metrics.stepsSucceeded.increment()
                EngineMetrics.record(metrics.stepDuration, milliseconds: now - record.startedAt)
                return value
            case .success(let value):
                let info = ErrorInfo(
                    name: "WorkflowInternalError",
                    message:
                        "Step \(stepName) output is too large: \(value.count) bytes. Maximum allowed size is \(settings.maxStepResultBytes) bytes."
                )
                if let failure = try await recordFailure(
                    &record, info: info, nonRetryable: false, config: config, stepName: stepName, events: events,
                    retryDelay: retryDelay, context: context)
                {
                    throw failure
                }
            case .failure(let error):
                if error is EngineUnwind { throw error }
                if error is CancellationError && Task.isCancelled { throw error }
                let nonRetryable = error is NonRetryableError
                if let failure = try await recordFailure(
                    &record, info: ErrorInfo(error), stack: HistoryEntry.stack(of: error), nonRetryable: nonRetryable, config: config,
                    stepName: stepName, events: events, retryDelay: retryDelay, context: context)
                {
                    throw failure
                }
            }
            if let deadline = record.deadline {
                try await wait(until: deadline)
            }
        }
    }

    /// Stops this lifetime (``stop()``, as a terminate or the loss of the shard does) when the
    /// node can no longer count on its lease (``LeaseValidity``): a body started now could run
    /// beside the new owner's.
    private func checkLeaseHeld() throws {
        guard let leaseValidity, !leaseValidity.holds else { return }
        logger.warning("this node may have lost its lease: no step body starts; the instance runs again where the lease is held")
        stop()
        throw EngineUnwind(reason: .stop)
    }

    /// Records a failed attempt. Returns the error to throw when the step failed for good, or nil
    /// after scheduling the next attempt (`record.deadline`).
    private func recordFailure(
        _ record: inout StepRecord, info: ErrorInfo, stack: JSONValue? = nil, nonRetryable: Bool, config: StepConfig, stepName: String,
        events: StepEvents, retryAt: Int64? = nil, retryDelay: RetryDelay? = nil, context: StepContext? = nil
    ) async throws -> StepFailedError? {
        let now = clock.nowMilliseconds()
        let attempt = record.attempts
        metrics.attemptsFailed.increment()
        var attemptData: [String: JSONValue] = [
            "attempt": .number(Double(attempt)),
            "error": info.json,
        ]
        if let stack { attemptData["stack"] = stack }
        record.error = info
        // A dynamic delay is asked before anything is recorded: if it fails, the step fails now.
        var dynamicDelay: Duration?
        var info = info
        var nonRetryable = nonRetryable
        if let retryDelay, let context, retryAt == nil, !nonRetryable, attempt <= config.retries.limit {
            do {
                let base = try await retryDelay(context, info)
                guard base >= .zero, base <= settings.maxSleep else {
                    throw BrigadeError(.invalidDuration, "it returned \(base); a delay is from 0 to \(settings.maxSleep)")
                }
                dynamicDelay = RetryPolicy(limit: config.retries.limit, delay: base, backoff: config.retries.backoff).delay(afterAttempt: attempt)
            } catch {
                if error is EngineUnwind || (error is CancellationError && Task.isCancelled) { throw error }
                info = ErrorInfo(
                    name: info.name,
                    message: "\(info.message) (and the step's retries.delay function failed, so it is not retried: \(ErrorInfo(error).message))")
                record.error = info
                nonRetryable = true
            }
        }
        if nonRetryable || attempt > config.retries.limit {
            record.status = .failed
            record.nonRetryable = nonRetryable
            record.endedAt = now
            try await commit(
                [record],
                history: [
                    HistoryEntry(events.attemptErrored, at: now, step: stepName, data: attemptData),
                    HistoryEntry(events.errored, at: now, step: stepName, data: ["error": attemptData["error"]!]),
                ],
                awaitCommit: true
            )
            metrics.stepsFailed.increment()
            EngineMetrics.record(metrics.stepDuration, milliseconds: now - record.startedAt)
            logger.debug("step failed", metadata: ["step.name": "\(stepName)", "step.attempt": "\(attempt)"])
            return StepFailedError(
                stepName: record.name, count: abs(record.count), attempts: attempt,
                errorName: info.name, message: info.message, isNonRetryable: nonRetryable
            )
        }
        var delay = retryAt.map { max(0, $0 - now) } ?? (dynamicDelay ?? config.retries.delay(afterAttempt: attempt)).wholeMilliseconds
        if settings.stepHooks?.skipsRetryDelay(of: key) == true { delay = 0 }
        attemptData["retryDelayMs"] = .number(Double(delay))
        record.status = .retrying
        record.deadline = now + delay
        try await commit([record], history: [HistoryEntry(events.attemptErrored, at: now, step: stepName, data: attemptData)], awaitCommit: true)
        logger.debug(
            "step attempt failed; retrying", metadata: ["step.name": "\(stepName)", "step.attempt": "\(attempt)", "delay.ms": "\(delay)"])
        return nil
    }

    /// Runs one attempt against its timeout.
    ///
    /// The body runs in a task of its own that this function owns and cancels when the attempt
    /// times out or the engine stops, but does not wait for: a body that ignores cancellation
    /// must not hold the engine, its slot, or a terminate hostage. Such a body keeps running until
    /// it returns and its result is discarded (the contract's behaviour: a timed-out attempt is
    /// not killed and may overlap the next one).
    private func runAttempt(
        _ body: @escaping @Sendable (StepContext) async throws -> Data,
        context: StepContext,
        timeout: Duration
    ) async -> Result<Data, any Error> {
        let clock = self.clock
        let deadline = Date(millisecondsSince1970: clock.nowMilliseconds() + timeout.wholeMilliseconds)
        let outcome = OneShot<Result<Data, any Error>>()
        let attempt = Task {
            do {
                outcome.settle(.success(try await body(context)))
            } catch {
                outcome.settle(.failure(error))
            }
        }
        // The timeout is a timer, not a task: one task per attempt, and no thread woken for a
        // timeout that the body beats.
        let timer = clock.schedule(at: deadline) {
            outcome.settle(.failure(WorkflowTimeoutError(milliseconds: timeout.wholeMilliseconds)))
        }
        let result = await withTaskCancellationHandler {
            await outcome.wait()
        } onCancel: {
            attempt.cancel()
            outcome.settle(.failure(CancellationError()))
        }
        timer.cancel()
        attempt.cancel()
        return result
    }
}
