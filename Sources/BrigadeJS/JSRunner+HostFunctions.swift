@_spi(Sandbox) import Brigade
import CJavaScriptCore
import Crypto
import Foundation

/// The functions the prelude calls into the host: step calls, logs, and the requests they
/// become.
extension JSRunner {

    /// Installs the functions the prelude calls on `host`. They find their runner through
    /// `binding` (see ``PreparedContext``); the prelude calls none of them while it loads, before a
    /// runner has adopted the context.
    static func installHostFunctions(on host: JSObjectRef, in context: JSContextRef, binding: PreparedContext.HostBinding) {
        func define(_ name: String, _ body: @escaping HostFunction.Body) {
            JS.setProperty(host, name, HostFunction.make(in: context, body), in: context)
        }
        define("log") { [binding] context, arguments in
            // A fetch handler's lines have no instance to go to.
            guard let runner = binding.runner, let invocation = runner.current, let step = invocation.step, arguments.count >= 2 else {
                return nil
            }
            // A line outside a step written while the engine is still replaying repeats one an
            // earlier lifetime stored. Judged now, when the engine has seen exactly the step
            // calls made before the line (each reserves its count as it is made): the
            // request reaches the engine after the calls that follow it, which can have ended
            // the replay by then (the line was stored twice).
            if runner.currentStep == nil, step.isReplaying { return nil }
            // The engine stores the first lines of a lifetime and one saying the rest were
            // dropped; the lines after that are dropped here, before they are copied or queued,
            // so that a logging loop costs the tenant its CPU time and nothing else.
            let limits = step.logLimits
            invocation.logLines += 1
            if invocation.logLines > limits.lines + 1 { return nil }
            let level = LogLevel(rawValue: JS.text(arguments[0], in: context)) ?? .log
            // An error logged with its stack names the tenant's lines, not the compiled script's.
            let message = runner.translate(JS.text(arguments[1], in: context, maxBytes: limits.bytes))
            let request = HostRequest.log(level: level, message: message, context: runner.currentStep)
            runner.handOff { invocation.requests.yield(request) }
            return nil
        }
        // The step calls read only the invocation and the name before the journal is asked: a step
        // it answers (every step of a replay) converts nothing else, and each conversion is a
        // round of JavaScriptCore's lock.
        define("stepDo") { [binding] context, arguments in
            guard let runner = binding.runner, arguments.count >= 4 else { throw HostFunction.Failure(message: "stepDo: bad arguments") }
            let name = JS.text(arguments[1], in: context)
            let delay = arguments.count >= 5 && JSValueIsObject(context, arguments[4]) ? JSValueToObject(context, arguments[4], nil) : nil
            return runner.request(
                arguments[0], in: context, journal: (.do, name), function: JSValueToObject(context, arguments[3], nil), delay: delay
            ) {
                promise, count in
                .step(
                    name: name, count: count, config: JSValueIsNull(context, arguments[2]) ? nil : JS.text(arguments[2], in: context),
                    promise: promise)
            }
        }
        define("rollback") { [binding] context, arguments in
            guard let runner = binding.runner, arguments.count >= 5 else { throw HostFunction.Failure(message: "rollback: bad arguments") }
            let name = JS.text(arguments[1], in: context)
            let count = JSValueToNumber(context, arguments[2], nil)
            guard count >= 1, count <= Double(Int32.max), count == count.rounded() else {
                throw HostFunction.Failure(message: "rollback: bad step count")
            }
            return runner.request(arguments[0], in: context, journal: nil, function: JSValueToObject(context, arguments[4], nil)) {
                promise, _ in
                .rollback(
                    name: name, count: Int(count), config: JSValueIsNull(context, arguments[3]) ? nil : JS.text(arguments[3], in: context),
                    promise: promise)
            }
        }
        define("sleep") { [binding] context, arguments in
            guard let runner = binding.runner, arguments.count >= 3 else { throw HostFunction.Failure(message: "sleep: bad arguments") }
            let name = JS.text(arguments[1], in: context)
            return runner.request(arguments[0], in: context, journal: (.sleep, name)) { promise, count in
                .sleep(name: name, count: count, duration: Self.duration(arguments[2], in: context), promise: promise)
            }
        }
        define("sleepUntil") { [binding] context, arguments in
            guard let runner = binding.runner, arguments.count >= 3 else {
                throw HostFunction.Failure(message: "sleepUntil: bad arguments")
            }
            let name = JS.text(arguments[1], in: context)
            return runner.request(arguments[0], in: context, journal: (.sleep, name)) { promise, count in
                .sleepUntil(name: name, count: count, milliseconds: JSValueToNumber(context, arguments[2], nil), promise: promise)
            }
        }
        define("waitForEvent") { [binding] context, arguments in
            guard let runner = binding.runner, arguments.count >= 4 else {
                throw HostFunction.Failure(message: "waitForEvent: bad arguments")
            }
            let name = JS.text(arguments[1], in: context)
            return runner.request(arguments[0], in: context, journal: (.waitForEvent, name)) { promise, count in
                .waitForEvent(
                    name: name, count: count, type: JS.text(arguments[2], in: context),
                    timeout: JSValueIsNull(context, arguments[3]) ? nil : Self.duration(arguments[3], in: context), promise: promise)
            }
        }
        define("child") { [binding] context, arguments in
            guard let runner = binding.runner, arguments.count >= 5 else { throw HostFunction.Failure(message: "child: bad arguments") }
            let name = JS.text(arguments[1], in: context)
            return runner.request(arguments[0], in: context, journal: (.child, name)) { promise, count in
                .child(
                    name: name, count: count, workflow: JS.text(arguments[2], in: context), params: JS.text(arguments[3], in: context),
                    timeout: JSValueIsNull(context, arguments[4]) ? nil : Self.duration(arguments[4], in: context), promise: promise)
            }
        }
        define("binding") { [binding] context, arguments in
            guard let runner = binding.runner, arguments.count >= 3 else { throw HostFunction.Failure(message: "binding: bad arguments") }
            return runner.request(arguments[0], in: context, journal: nil) { promise, _ in
                .binding(operation: JS.text(arguments[1], in: context), arguments: JS.text(arguments[2], in: context), promise: promise)
            }
        }
        define("hostBinding") { [binding] context, arguments in
            guard let runner = binding.runner, arguments.count >= 4 else {
                throw HostFunction.Failure(message: "hostBinding: bad arguments")
            }
            return runner.request(arguments[0], in: context, journal: nil) { promise, _ in
                .hostBinding(
                    name: JS.text(arguments[1], in: context), method: JS.text(arguments[2], in: context),
                    arguments: JS.text(arguments[3], in: context), context: runner.currentStep, promise: promise)
            }
        }
        // fetch() is global: the invocation is the one whose entry is running.
        define("fetch") { [binding] context, arguments in
            guard let runner = binding.runner, let invocation = runner.current, arguments.count >= 1,
                let id = JSValueMakeNumber(context, Double(invocation.id))
            else { throw HostFunction.Failure(message: "fetch: bad arguments") }
            return runner.request(id, in: context, journal: nil) { promise, _ in
                .outbound(request: JS.text(arguments[0], in: context), promise: promise)
            }
        }
        // setTimeout: a promise the host resolves after the delay (the wait is not CPU time).
        define("timer") { [binding] context, arguments in
            guard let runner = binding.runner, let invocation = runner.current, arguments.count >= 2,
                let id = JSValueMakeNumber(context, Double(invocation.id))
            else { throw HostFunction.Failure(message: "setTimeout works only while the workflow or a fetch handler runs") }
            guard invocation.timers.count < Self.maxTimers else {
                throw HostFunction.Failure(message: "setTimeout: this invocation already has \(Self.maxTimers) timers pending")
            }
            let milliseconds = Int(max(0, min(Double(Int32.max), Self.number(arguments[0], in: context))))
            let timer = Self.integer(arguments[1], in: context)
            let promise = invocation.nextPromise
            let made = runner.request(id, in: context, journal: nil) { promise, _ in
                .timer(milliseconds: milliseconds, timer: timer, promise: promise)
            }
            invocation.timers[timer] = promise
            return made
        }
        // clearTimeout: the timer's promise is released unsettled, so its callback never runs.
        define("clearTimer") { [binding] context, arguments in
            guard let runner = binding.runner, let invocation = runner.current, arguments.count >= 1 else { return nil }
            let timer = Self.integer(arguments[0], in: context)
            if let promise = invocation.timers.removeValue(forKey: timer), let pending = invocation.pending.removeValue(forKey: promise) {
                invocation.opsInFlight -= 1
                runner.release(pending)
            }
            return nil
        }
        // crypto.subtle.digest: base64 in, base64 out.
        define("digest") { context, arguments in
            guard arguments.count >= 2, let data = Data(base64Encoded: JS.text(arguments[1], in: context)) else {
                throw HostFunction.Failure(message: "crypto.subtle.digest: bad arguments")
            }
            let digest: Data
            switch JS.text(arguments[0], in: context) {
            case "SHA-1": digest = Data(Insecure.SHA1.hash(data: data))
            case "SHA-256": digest = Data(SHA256.hash(data: data))
            case "SHA-384": digest = Data(SHA384.hash(data: data))
            case "SHA-512": digest = Data(SHA512.hash(data: data))
            default: throw HostFunction.Failure(message: "crypto.subtle.digest: unknown hash")
            }
            return JS.value(digest.base64EncodedString(), in: context)
        }
        // crypto.subtle.sign and verify with an HMAC key: (hash, key, data), base64 in and out.
        define("hmac") { context, arguments in
            guard arguments.count >= 3, let key = Data(base64Encoded: JS.text(arguments[1], in: context)),
                let data = Data(base64Encoded: JS.text(arguments[2], in: context))
            else { throw HostFunction.Failure(message: "crypto.subtle: bad HMAC arguments") }
            let symmetric = SymmetricKey(data: key)
            let code: Data
            switch JS.text(arguments[0], in: context) {
            case "SHA-1": code = Data(HMAC<Insecure.SHA1>.authenticationCode(for: data, using: symmetric))
            case "SHA-256": code = Data(HMAC<SHA256>.authenticationCode(for: data, using: symmetric))
            case "SHA-384": code = Data(HMAC<SHA384>.authenticationCode(for: data, using: symmetric))
            case "SHA-512": code = Data(HMAC<SHA512>.authenticationCode(for: data, using: symmetric))
            default: throw HostFunction.Failure(message: "crypto.subtle: unknown hash")
            }
            return JS.value(code.base64EncodedString(), in: context)
        }
        // Random bytes for crypto.getRandomValues, as hex (at most 65536, which the prelude checks).
        define("randomBytes") { context, arguments in
            let asked = arguments.count >= 1 ? JSValueToNumber(context, arguments[0], nil) : 0
            let count = asked.isFinite ? Int(max(0, min(65_536, asked))) : 0
            var generator = SystemRandomNumberGenerator()
            var hex = ""
            hex.reserveCapacity(count * 2)
            for _ in 0..<count {
                let byte = UInt8.random(in: 0...255, using: &generator)
                hex += byte < 16 ? "0" + String(byte, radix: 16) : String(byte, radix: 16)
            }
            return JS.value(hex, in: context)
        }
        define("runSettled") { [binding] context, arguments in
            guard let runner = binding.runner, arguments.count >= 3, let invocation = runner.invocation(arguments[0], in: context) else {
                return nil
            }
            let outcome: Result<Data, any Error> =
                JSValueToBoolean(context, arguments[1])
                ? .success(JS.data(arguments[2], in: context))
                : .failure(JavaScriptError.from(json: JS.text(arguments[2], in: context), translate: runner.translate))
            runner.settle(invocation, outcome)
            return nil
        }
        define("fnSettled") { [binding] context, arguments in
            guard let runner = binding.runner, arguments.count >= 4, let invocation = runner.invocation(arguments[0], in: context) else {
                return nil
            }
            let callId = Int(JSValueToNumber(context, arguments[1], nil))
            guard let call = invocation.fnCalls.removeValue(forKey: callId) else { return nil }
            let outcome: Result<Data, any Error> =
                JSValueToBoolean(context, arguments[2])
                ? .success(JS.data(arguments[3], in: context))
                : .failure(JavaScriptError.from(json: JS.text(arguments[3], in: context), translate: runner.translate))
            runner.handOff { call.resume(with: outcome) }
            return nil
        }
    }

    /// `text` with the compiled script's positions replaced by the uploaded module's (see ``SourceMap``).
    func translate(_ text: String) -> String {
        SourceMap.translate(text) { sourceMap }
    }

    static func duration(_ value: JSValueRef, in context: JSContextRef) -> HostRequest.DurationArgument {
        JSValueIsNumber(context, value) ? .milliseconds(JSValueToNumber(context, value, nil)) : .text(JS.text(value, in: context))
    }

    /// `setTimeout`s one invocation may have pending (each is a task waiting on the host).
    static let maxTimers = 1_000

    /// A number argument, 0 for NaN.
    static func number(_ value: JSValueRef, in context: JSContextRef) -> Double {
        let number = JSValueToNumber(context, value, nil)
        return number.isNaN ? 0 : number
    }

    /// A whole-number argument held to ±2⁵³ (tenant code's 1e300 must not trap a conversion).
    static func integer(_ value: JSValueRef, in context: JSContextRef) -> Int {
        Int(max(-9_007_199_254_740_992, min(9_007_199_254_740_992, number(value, in: context).rounded(.towardZero))))
    }

    func invocation(_ id: JSValueRef, in context: JSContextRef) -> JSInvocation? {
        invocations[Int(JSValueToNumber(context, id, nil))]
    }

    /// What a step call returns to the prelude: when the step finished in an earlier lifetime, its
    /// outcome from the journal at once — the value itself (the prelude makes it a settled
    /// promise), or a rejected promise — so a resumed instance replays its finished steps within
    /// this one entry into the VM; otherwise a promise, and the request that will settle it.
    func request(
        _ id: JSValueRef, in context: JSContextRef, journal: (kind: StepKind, name: String)?,
        function: @autoclosure () -> JSObjectRef? = nil, delay: @autoclosure () -> JSObjectRef? = nil,
        _ make: (_ promise: Int, _ count: Int) -> HostRequest
    ) -> JSValueRef? {
        // An invocation that has ended (or another runner's id) gets a promise that never settles.
        guard let invocation = invocation(id, in: context), invocation.result == nil else {
            return JSObjectMakeDeferredPromise(context, nil, nil, nil)
        }
        // A rollback (no journal entry here) is answered by the engine, as a step still to run.
        if let journal, let outcome = invocation.step?.journaled(journal.kind, journal.name) {
            Counters.journalAnswers.add(1, ordering: .relaxed)
            switch outcome {
            case .value(let json):
                return Self.answer(json, event: journal.kind == .waitForEvent, in: context)
            case .failed(let name, let message, let nonRetryable):
                var reject: JSObjectRef?
                guard let promise = JSObjectMakeDeferredPromise(context, nil, &reject, nil), let reject else { return nil }
                let (error, _) = JS.call(
                    control, "makeError",
                    [JS.value(name, in: context), JS.value(message, in: context), JSValueMakeBoolean(context, nonRetryable)], in: context)
                JSObjectCallAsFunction(context, reject, nil, 1, [error ?? JSValueMakeUndefined(context)], nil)
                return promise
            }
        }
        var resolve: JSObjectRef?
        var reject: JSObjectRef?
        guard let promise = JSObjectMakeDeferredPromise(context, &resolve, &reject, nil), let resolve, let reject else { return nil }
        // Held until the step is answered; a step the journal answers (above) never holds its function.
        let function = function()
        let delay = delay()
        let pending = JSInvocation.Pending(resolve: resolve, reject: reject, function: function, delay: delay)
        JSValueProtect(context, resolve)
        JSValueProtect(context, reject)
        if let function { JSValueProtect(context, function) }
        if let delay { JSValueProtect(context, delay) }
        let number = invocation.nextPromise
        invocation.nextPromise += 1
        invocation.pending[number] = pending
        invocation.opsInFlight += 1
        invocation.opsStarted += 1
        // The count is taken now, in the order the code made its calls: the requests are
        // performed side by side, and two calls of one name must not swap places between the
        // first lifetime and a replay (which the journal answers in call order).
        let request = make(number, journal.flatMap { invocation.step?.reserveCount(of: $0.name) } ?? 0)
        handOff { invocation.requests.yield(request) }
        return promise
    }
}
