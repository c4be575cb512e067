@_spi(Sandbox) import Brigade
import Foundation

extension JSRunner {
    /// Performs one step call of the tenant's code with the engine's `WorkflowStep` and settles
    /// its promise with the outcome. Errors the workflow can see (a step that failed for good, a
    /// wait that timed out) reject the promise; anything else — the engine hibernating, pausing
    /// or stopping the instance, a fatal error — abandons the invocation, as it unwinds a Swift
    /// workflow.
    ///
    /// The answer is handed to the queue without waiting for it: nothing here needs it done, and
    /// awaiting it kept the task group (and so `run`'s return) waiting for one more thread
    /// wake-up after the tenant's last entry.
    func perform(_ request: HostRequest, for invocation: JSInvocation) async {
        if case .binding(let operation, let arguments, let promise) = request {
            await performBinding(operation, arguments, promise, for: invocation)
            return
        }
        if case .hostBinding(let name, let method, let arguments, let context, let promise) = request {
            await performHostBinding(name, method, arguments, context, promise, for: invocation)
            return
        }
        if case .outbound(let text, let promise) = request {
            await performFetch(text, promise, for: invocation)
            return
        }
        if case .timer(let milliseconds, let timer, let promise) = request {
            // Cancelled with the invocation's task group when it settles.
            guard (try? await Task.sleep(for: .milliseconds(milliseconds))) != nil else { return }
            queue.async {
                invocation.timers[timer] = nil
                self.resolve(invocation, promise: promise, json: nil)
            }
            return
        }
        // Only a run makes step calls (a fetch handler has no step object to call).
        guard let step = invocation.step else { return }
        do {
            switch request {
            case .binding, .hostBinding, .outbound, .timer:
                // Answered above, with or without a step.
                break

            case .log(let level, let message, let context):
                // A repeat of an earlier lifetime's was dropped when it was written (see the log
                // host function).
                await step.log(message, level: level, in: context)

            case .step(let name, let count, let configText, let promise):
                let reading = try configText.map { try Self.stepConfig($0, step: name) }
                let config = reading?.config
                let dynamicDelay = reading?.dynamicDelay ?? false
                do {
                    var retryDelay: (@Sendable (StepContext, ErrorInfo) async throws -> Duration)?
                    if dynamicDelay {
                        retryDelay = { @Sendable context, error in
                            try await self.callDelay(invocation, promise: promise, context: context, error: error)
                        }
                    }
                    let data = try await step.doJSON(name, config, count: count, retryDelay: retryDelay) { context in
                        try await self.callFunction(invocation, promise: promise, context: context)
                    }
                    queue.async { self.resolve(invocation, promise: promise, json: data) }
                } catch let failure as StepFailedError {
                    queue.async { self.reject(invocation, promise: promise, failure) }
                }

            case .rollback(let name, let count, let configText, let promise):
                let config = try configText.map { try Self.stepConfig($0, step: name).config }
                do {
                    try await step.rollbackJSON(name, count: count, config) { context in
                        try await self.callFunction(invocation, promise: promise, context: context)
                    }
                    queue.async { self.resolve(invocation, promise: promise, json: nil) }
                } catch let failure as StepFailedError {
                    queue.async { self.reject(invocation, promise: promise, failure) }
                }

            case .sleep(let name, let count, let duration, let promise):
                let length = try Self.duration(duration, what: "the duration of step.sleep(\"\(name)\")")
                try await step.sleep(name, for: length, until: nil, count: count)
                queue.async { self.resolve(invocation, promise: promise, json: nil) }

            case .sleepUntil(let name, let count, let milliseconds, let promise):
                guard milliseconds.isFinite else {
                    throw BrigadeError(.invalidDuration, "step.sleepUntil(\"\(name)\") needs a Date, a timestamp in milliseconds or an ISO 8601 string.")
                }
                try await step.sleep(name, for: nil, until: Date(timeIntervalSince1970: milliseconds / 1_000), count: count)
                queue.async { self.resolve(invocation, promise: promise, json: nil) }

            case .waitForEvent(let name, let count, let type, let timeout, let promise):
                let limit = try timeout.map { try Self.duration($0, what: "the timeout of step.waitForEvent(\"\(name)\")") } ?? .hours(24)
                do {
                    let data = try await step.waitForEventJSON(name, type: type, timeout: limit, count: count)
                    queue.async { self.resolve(invocation, promise: promise, json: data, event: true) }
                } catch let timedOut as WaitForEventTimeoutError {
                    queue.async {
                        self.reject(invocation, promise: promise, name: WaitForEventTimeoutError.errorName, message: timedOut.description, nonRetryable: false)
                    }
                }

            case .child(let name, let count, let workflow, let params, let timeout, let promise):
                let limit = try timeout.map { try Self.duration($0, what: "the timeout of step.child(\"\(name)\")") } ?? .days(365)
                do {
                    let data = try await step.childJSON(name, workflow: workflow, params: Data(params.utf8), timeout: limit, count: count)
                    queue.async { self.resolve(invocation, promise: promise, json: data) }
                } catch let failed as ChildWorkflowError {
                    queue.async {
                        self.reject(invocation, promise: promise, name: failed.errorName, message: failed.errorMessage, nonRetryable: false)
                    }
                }
            }
        } catch is TerminationRequest {
            // A terminate with rollback stopped `run` at this step: the prelude runs the chain
            // it keeps, then ends `run` with the termination, out of the tenant's reach.
            queue.async { self.terminate(invocation) }
        } catch let error as BrigadeError where error.code == .invalidDuration || error.code == .invalidStepConfig {
            // Bad arguments are fatal for the instance, as they are for a Swift workflow.
            let fatal = step.fail(error)
            queue.async { self.settle(invocation, .failure(fatal)) }
        } catch {
            queue.async { self.settle(invocation, .failure(error)) }
        }
    }

    /// A call of `env.WORKFLOWS`: its answer resolves the promise; its failure (an id taken, an
    /// instance not found, a limit) rejects it, for the tenant's code to catch — it is an API's
    /// answer, not the end of the run.
    func performBinding(_ operation: String, _ arguments: String, _ promise: Int, for invocation: JSInvocation) async {
        do {
            guard let known = WorkflowsBinding.Operation(rawValue: operation) else {
                throw BrigadeError(.invalidBatch, "env.WORKFLOWS has no \(operation.prefix(40)).")
            }
            let value = try JSONDecoder().decode(JSONValue.self, from: Data(arguments.utf8))
            let answer = try await invocation.binding.call(known, value).jsonData()
            queue.async { self.resolve(invocation, promise: promise, json: answer) }
        } catch {
            let info = ErrorInfo(error)
            let message = (error as? BrigadeError).map { "(\($0.code.rawValue)) \($0.message)" } ?? info.message
            queue.async { self.reject(invocation, promise: promise, name: "Error", message: message, nonRetryable: false) }
        }
    }

    /// A call of one of the embedder's bindings: its answer resolves the promise, what it throws
    /// rejects it with the error's name and message.
    func performHostBinding(
        _ name: String, _ method: String, _ arguments: String, _ context: StepContext?, _ promise: Int, for invocation: JSInvocation
    ) async {
        do {
            guard let function = hostBindings[name] else {
                throw BrigadeError(.invalidBatch, "env.\(name.prefix(40)) is not a binding of this code.")
            }
            guard case .array(let values) = try JSONDecoder().decode(JSONValue.self, from: Data(arguments.utf8)) else {
                throw BrigadeError(.invalidBatch, "env.\(name.prefix(40)).\(method.prefix(40)): its arguments did not read back.")
            }
            // A line the binding logs joins the calling step's lines, as its console.log would
            // (the engine keeps to the step's log limits); after the invocation ended it is dropped.
            let requests = invocation.requests
            let call = HostBindings.Call(
                tenant: code.tenant, workflow: code.workflow, instanceId: invocation.step?.instanceId, binding: name, method: method,
                arguments: values,
                log: { line in
                    guard invocation.step != nil else { return }
                    requests.yield(.log(level: .log, message: line, context: context))
                })
            let answer = try await function(call).jsonData()
            queue.async { self.resolve(invocation, promise: promise, json: answer) }
        } catch {
            let info = ErrorInfo(error)
            queue.async { self.reject(invocation, promise: promise, name: info.name, message: info.message, nonRetryable: false) }
        }
    }

    /// An outbound `fetch()` under the tenant's egress policy: the response resolves the promise
    /// (`{status, statusText, headers, body, url, redirected}`), a failure rejects it with a
    /// `TypeError`, as Workers' fetch does.
    func performFetch(_ text: String, _ promise: Int, for invocation: JSInvocation) async {
        do {
            guard let egress, let policy = egress.policy() else {
                throw OutboundFetchError("fetch: this tenant's code may not reach the network")
            }
            let request = try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
            let answer = try await egress.fetcher.fetch(request, tenant: code.tenant, policy: policy).jsonData()
            queue.async { self.resolve(invocation, promise: promise, json: answer) }
        } catch {
            let message = (error as? OutboundFetchError)?.message ?? "fetch: \(OutboundFetcher.describe(error))"
            queue.async { self.reject(invocation, promise: promise, name: "TypeError", message: message, nonRetryable: false) }
        }
    }

    /// How the prelude writes a function in a config's JSON.
    static func isFunctionMarker(_ value: JSONValue) -> Bool {
        if case .object(let marker) = value, marker["$function"] != nil { return true }
        return false
    }

    /// A duration tenant code gave, as milliseconds or a string: the contract's one reading of
    /// durations (``DurationParser``), with `what` naming the argument in its error.
    static func duration(_ argument: HostRequest.DurationArgument, what: String) throws -> Duration {
        switch argument {
        case .milliseconds(let value): try DurationParser.parse(.number(value), unitMilliseconds: 1, what: what)
        case .text(let text): try DurationParser.parse(.string(text), unitMilliseconds: 1, what: what)
        }
    }

    /// A `step.do` config as JavaScript gives it: `{retries: {limit, delay, backoff}, timeout}`,
    /// durations as milliseconds or strings; what is missing takes the contract's default.
    /// `dynamicDelay`: `retries.delay` is a function, which the prelude keeps and the host calls
    /// after each failed attempt.
    static func stepConfig(_ text: String, step: String) throws -> (config: StepConfig, dynamicDelay: Bool) {
        func invalid(_ reason: String) -> BrigadeError {
            BrigadeError(.invalidStepConfig, "The config of step.do(\"\(step)\") is invalid: \(reason).", stepName: step)
        }
        guard case .object(let fields)? = try? JSONDecoder().decode(JSONValue.self, from: Data(text.utf8)) else {
            throw invalid("it must be an object like { retries: { limit: 3, delay: \"5 seconds\", backoff: \"exponential\" }, timeout: \"1 minute\" }")
        }
        func duration(_ value: JSONValue, _ what: String) throws -> Duration {
            switch value {
            case .number, .string: return try DurationParser.parse(value, unitMilliseconds: 1, what: "\(what) of step.do(\"\(step)\")")
            default: throw invalid("\(what) must be a number of milliseconds or a string such as \"10 seconds\"")
            }
        }
        // Strict, as Cloudflare's validator is: an option Brigade does not know or cannot honour
        // is an error at the call, never silently ignored.
        if let unknown = fields.keys.sorted().first(where: { !["retries", "timeout", "sensitive"].contains($0) }) {
            throw invalid("unknown option \"\(unknown.prefix(40))\"; a step's config takes retries, timeout and sensitive")
        }
        var config = StepConfig()
        var dynamicDelay = false
        if let sensitive = fields["sensitive"], sensitive != .null {
            guard sensitive == .string("output") else { throw invalid("sensitive takes \"output\" (the step's output is kept out of describe and streams)") }
            config.sensitiveOutput = true
        }
        if let timeout = fields["timeout"], timeout != .null { config.timeout = try duration(timeout, "timeout") }
        if let retries = fields["retries"], retries != .null {
            guard case .object(let policy) = retries else { throw invalid("retries must be an object") }
            if let unknown = policy.keys.sorted().first(where: { !["limit", "delay", "backoff"].contains($0) }) {
                throw invalid("unknown option retries.\(unknown.prefix(40)); retries takes limit, delay and backoff")
            }
            if let limit = policy["limit"] {
                if limit == .string("Infinity") {
                    // Unlimited retries, bounded by the contract's platform limit per step.
                    config.retries.limit = 10_000
                } else {
                    // 10,000 retries is the contract's platform limit per step.
                    guard let number = limit.wholeNumber(in: 0...10_000) else {
                        throw invalid("retries.limit must be a whole number from 0 to 10000, or Infinity; got \(limit.jsonText(limit: 40))")
                    }
                    config.retries.limit = number
                }
            }
            // A function (a dynamic delay) keeps the default as the stored delay; the function
            // answers each failure.
            if let delay = policy["delay"] {
                if Self.isFunctionMarker(delay) {
                    dynamicDelay = true
                } else {
                    config.retries.delay = try duration(delay, "retries.delay")
                }
            }
            if let backoff = policy["backoff"] {
                guard case .string(let name) = backoff, let parsed = Backoff(rawValue: name) else {
                    throw invalid("retries.backoff must be \"constant\", \"linear\" or \"exponential\"")
                }
                config.retries.backoff = parsed
            }
        }
        return (config, dynamicDelay)
    }
}
