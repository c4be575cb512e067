@_spi(Sandbox) import Brigade
import CJavaScriptCore
import Foundation
import Synchronization

/// Answers to tenant code's promises: step results resolved, failures rejected, and a step's
/// function called back in the VM.
extension JSRunner {

    /// What a step call's promise resolves to: its JSON value (nil: `undefined`), or for an
    /// event the seed's `{ type, payload, timestamp }` with the timestamp as a `Date`.
    static func answer(_ json: Data?, event: Bool, in context: JSContextRef) -> JSValueRef {
        guard let json, let value = JS.parse(json, in: context) else { return JSValueMakeUndefined(context) }
        guard event, let stored = JSValueToObject(context, value, nil) else { return value }
        let object = JSObjectMake(context, nil, nil)!
        for key in ["type", "payload"] {
            JS.setProperty(object, key, JS.property(stored, key, in: context) ?? JSValueMakeUndefined(context), in: context)
        }
        let milliseconds: JSValueRef? = JS.property(stored, "timestamp", in: context) ?? JSValueMakeNumber(context, 0)
        let date: JSValueRef? = JSObjectMakeDate(context, 1, [milliseconds], nil) ?? milliseconds
        JS.setProperty(object, "timestamp", date ?? JSValueMakeUndefined(context), in: context)
        return object
    }

    /// Lets go of what a step call's promise held once it is answered (or its invocation ended).
    func release(_ pending: JSInvocation.Pending) {
        JSValueUnprotect(context, pending.resolve)
        JSValueUnprotect(context, pending.reject)
        if let function = pending.function { JSValueUnprotect(context, function) }
        if let delay = pending.delay { JSValueUnprotect(context, delay) }
    }

    /// Settles a step call's promise with a JSON value (nil: `undefined`; `event`: see ``answer(_:event:in:)``).
    func resolve(_ invocation: JSInvocation, promise: Int, json: Data?, event: Bool = false) {
        guard invocation.result == nil, let answered = invocation.pending.removeValue(forKey: promise) else { return }
        invocation.opsInFlight -= 1
        enter(invocation) { context in
            let value = Self.answer(json, event: event, in: context)
            var exception: JSValueRef?
            JSObjectCallAsFunction(context, answered.resolve, nil, 1, [value], &exception)
            return exception
        }
        release(answered)
    }

    /// Rejects a step call's promise with an error of that name (a `NonRetryableError` if it was one).
    func reject(_ invocation: JSInvocation, promise: Int, name: String, message: String, nonRetryable: Bool) {
        guard invocation.result == nil, let answered = invocation.pending.removeValue(forKey: promise) else { return }
        invocation.opsInFlight -= 1
        enter(invocation) { context in
            let (error, failure) = JS.call(
                control, "makeError", [JS.value(name, in: context), JS.value(message, in: context), JSValueMakeBoolean(context, nonRetryable)],
                in: context)
            if let failure { return failure }
            var exception: JSValueRef?
            JSObjectCallAsFunction(context, answered.reject, nil, 1, [error], &exception)
            return exception
        }
        release(answered)
    }

    /// Calls the function of a `step.do` for one attempt and waits for its promise.
    func callFunction(_ invocation: JSInvocation, promise: Int, context stepContext: StepContext) async throws -> Data {
        // Cloudflare's WorkflowStepContext: `{step: {name, count}, attempt, config}`, the config
        // resolved with its defaults.
        let contextText = String(
            decoding: JSONValue.object([
                "step": .object(["name": .string(stepContext.name), "count": .number(Double(stepContext.count))]),
                "attempt": .number(Double(stepContext.attempt)),
                "config": stepContext.config.jsonValue,
            ]).jsonData(), as: UTF8.self)
        let callId = Mutex<Int?>(nil)
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Data, any Error>) in
                queue.async {
                    guard invocation.result == nil else {
                        continuation.resume(throwing: CancellationError())
                        return
                    }
                    let id = invocation.nextCall
                    invocation.nextCall += 1
                    callId.withLock { $0 = id }
                    invocation.fnCalls[id] = continuation
                    let started = invocation.opsStarted
                    self.enter(invocation, step: stepContext) { context in
                        JS.call(
                            self.control, "callFn",
                            [
                                JSValueMakeNumber(context, Double(invocation.id)), invocation.pending[promise]?.function ?? JSValueMakeUndefined(context),
                                JSValueMakeNumber(context, Double(id)), JS.value(contextText, in: context),
                            ], in: context
                        ).exception
                    }
                    // Still pending, and it started no step it could be waiting for: nothing can
                    // ever settle it.
                    if invocation.opsStarted == started, let pending = invocation.fnCalls.removeValue(forKey: id) {
                        pending.resume(
                            throwing: NonRetryableError(
                                "the function of step \"\(stepContext.name)\" returned a promise that nothing will settle (no fetch, timer or binding call is in flight)",
                                name: "StepNeverSettlesError"))
                    }
                }
            }
        } onCancel: {
            queue.async {
                guard let id = callId.withLock({ $0 }), let pending = invocation.fnCalls.removeValue(forKey: id) else { return }
                pending.resume(throwing: CancellationError())
            }
        }
    }

    /// Rejects a step call's promise with the error of a step (or rollback) that failed for good.
    func reject(_ invocation: JSInvocation, promise: Int, _ failure: StepFailedError) {
        reject(invocation, promise: promise, name: failure.errorName, message: failure.message, nonRetryable: failure.isNonRetryable)
    }

    /// Calls a step's `retries.delay` function in the VM after a failed attempt: its answer as a
    /// duration, or a throw (the step then fails without further retries).
    func callDelay(_ invocation: JSInvocation, promise: Int, context stepContext: StepContext, error: ErrorInfo) async throws -> Duration {
        let contextText = String(
            decoding: JSONValue.object([
                "step": .object(["name": .string(stepContext.name), "count": .number(Double(stepContext.count))]),
                "attempt": .number(Double(stepContext.attempt)), "config": stepContext.config.jsonValue,
            ]).jsonData(), as: UTF8.self)
        let answer: Result<JSONValue, any Error> = await withCheckedContinuation { continuation in
            queue.async {
                guard invocation.result == nil, let delay = invocation.pending[promise]?.delay else {
                    continuation.resume(returning: .failure(CancellationError()))
                    return
                }
                var value: JSONValue = .null
                self.enter(invocation, step: stepContext) { context in
                    let (result, exception) = JS.call(
                        self.control, "callDelay",
                        [delay, JS.value(contextText, in: context), JS.value(error.name, in: context), JS.value(error.message, in: context)],
                        in: context)
                    if let result, exception == nil {
                        if JSValueIsNumber(context, result) {
                            value = .number(JSValueToNumber(context, result, nil))
                        } else if JSValueIsString(context, result) {
                            value = .string(JS.text(result, in: context))
                        } else if let object = JSValueToObject(context, result, nil), let thrown = JS.property(object, "thrown", in: context) {
                            value = .object(["thrown": .string(JS.text(thrown, in: context))])
                        }
                    }
                    return exception
                }
                continuation.resume(returning: .success(value))
            }
        }
        let value = try answer.get()
        if case .string(let thrown)? = value["thrown"] {
            throw JavaScriptError(errorName: "RetryDelayError", errorMessage: thrown)
        }
        return try DurationParser.parse(value, unitMilliseconds: 1, what: "what retries.delay returned")
    }
}
