@_spi(Sandbox) import Brigade
import CJavaScriptCore
import Foundation
import Synchronization

/// One version of one tenant's workflow code, loaded in its own global context of a shared
/// JavaScriptCore VM (a ``JSMachine``), serving every instance of that version.
///
/// All JavaScript runs on the machine's own thread (its ``VMThread``, called `queue` here) —
/// never on a Swift concurrency thread, so a tenant at its CPU limit holds the VM's thread and
/// no engine thread. A call of `run` is an invocation: the tenant's `run(event, step)` starts on
/// the queue; each `step.*` it calls becomes a request that the invocation's task group performs
/// with the engine's real `WorkflowStep`, and the answer (the step's stored result, a failure, a
/// delivered event) settles the promise the tenant awaits, back on the queue. Replay, retries, hibernation and
/// the journal are the engine's: an invocation whose instance hibernates is simply abandoned.
final class JSRunner: WorkflowRunner, @unchecked Sendable {
    let code: TenantCode
    let machine: JSMachine
    /// Told when an entry was heavy (see ``JSMachinePool``).
    private weak let pool: JSMachinePool?
    var queue: VMThread { machine.queue }
    /// Set when a limit stopped tenant code: the loader boots a fresh context for the next run.
    private let retiredFlag = Atomic<Bool>(false)
    private static let invocationIds = Atomic<Int>(0)

    // Queue-confined.
    /// The adopted context; its global context and the prelude's control object are used on every entry.
    private let prepared: PreparedContext
    private var context: JSGlobalContextRef { prepared.context }
    private var control: JSObjectRef { prepared.control }
    private var watchdog: Watchdog { machine.watchdog }
    private var invocations: [Int: JSInvocation] = [:]
    private var current: JSInvocation?
    private var currentStep: StepContext?
    /// Entries into the VM under way on this runner (an entry never starts another, but nothing
    /// depends on that).
    private var entryDepth = 0
    /// What the current entry asked to hand to other threads — requests for the task group, the
    /// end of an invocation, a step function's result — done in order once the entry is over:
    /// each is a thread wake-up (a futex call), and a thread woken mid-entry competes with the
    /// tenant's code for the cores.
    private var handoffs: [() -> Void] = []
    private let envText: String
    /// The script's source map, read the first time an error or a log line needs it.
    private lazy var sourceMap: SourceMap? = SourceMap(script: code.script)

    /// Whether the loader should boot this runner again rather than run it: a limit stopped it,
    /// its VM was retired, or it is on the wrong side of its tenant's isolation (see
    /// ``JSMachinePool``).
    var isRetired: Bool {
        if retiredFlag.load(ordering: .relaxed) || machine.isRetired { return true }
        guard let pool else { return false }
        return pool.isIsolated(code.tenant) != machine.isIsolation
    }

    /// On the machine's queue: adopts `prepared` for `code`.
    private init(code: TenantCode, machine: JSMachine, pool: JSMachinePool, prepared: PreparedContext) {
        self.code = code
        self.machine = machine
        self.pool = pool
        self.prepared = prepared
        envText = String(decoding: JSONValue.object(code.env).jsonData(), as: UTF8.self)
        machine.countBoot()
        prepared.binding.runner = self
    }

    deinit {
        // The context is released on the machine's queue, so that no two threads ever use the VM
        // at once; the closure keeps the machine (and its VM) alive until then.
        let release = ContextRelease(prepared: prepared, machine: machine)
        machine.queue.async { release.run() }
    }

    private struct ContextRelease: @unchecked Sendable {
        let prepared: PreparedContext
        let machine: JSMachine

        func run() {
            prepared.release()
            machine.runnerCount.subtract(1, ordering: .relaxed)
            // A runner that never ran (the upload check's, or one evicted before its first run)
            // took the standby context without an invocation's end to replace it.
            machine.replenish()
        }
    }

    /// A context with the prelude and `code` loaded, in the pool's least loaded VM: its standby
    /// context if it has one (see ``PreparedContext``), a new one otherwise. Throws `code.invalid`
    /// when the code does not evaluate or has no `TenantWorkflow` class.
    static func boot(_ code: TenantCode, pool: JSMachinePool) async throws -> JSRunner {
        let machine = pool.machine(for: code.tenant)
        return try await withCheckedThrowingContinuation { continuation in
            machine.queue.async {
                let started = Counters.monotonicNanos()
                let prepared: PreparedContext
                do {
                    prepared = try machine.takePrepared()
                } catch {
                    // No runner will give back the place `pool.machine(for:)` counted for it.
                    machine.runnerCount.subtract(1, ordering: .relaxed)
                    machine.replenish()
                    continuation.resume(throwing: error)
                    return
                }
                do {
                    let runner = JSRunner(code: code, machine: machine, pool: pool, prepared: prepared)
                    try runner.load()
                    Counters.boots.add(1, ordering: .relaxed)
                    Counters.bootNanos.add(Counters.monotonicNanos() - started, ordering: .relaxed)
                    continuation.resume(returning: runner)
                } catch {
                    // The runner that failed to load is released on this queue, which replenishes.
                    continuation.resume(throwing: error)
                }
            }
        }
    }

    private func load() throws {
        /// What loading found, read out inside the entry: an error's `message` and the module's
        /// `TenantWorkflow` are the tenant's code too (getters, `toString`), bounded like the rest.
        enum Outcome {
            case loaded
            case refusedImport(String)
            case threw(message: String, line: Int?, column: Int?)
            case refused(String)
        }
        watchdog.begin()
        // Loading and binding are one entry: the module's top-level code, the microtasks it
        // queues and whatever `TenantWorkflow` is run under the limits.
        let outcome = machine.entry(in: context) { () -> Outcome in
            let (_, scriptError) = JS.evaluate(code.script, url: SourceMap.scriptURL, in: context)
            if let scriptError {
                if let object = JSValueToObject(context, scriptError, nil), let specifier = JS.property(object, "refusedImport", in: context),
                    JSValueIsString(context, specifier)
                {
                    return .refusedImport(JS.text(specifier, in: context))
                }
                let (message, line, column) = JS.describe(exception: scriptError, in: context)
                return .threw(message: message, line: line, column: column)
            }
            let global = JSContextGetGlobalObject(context)!
            let exports = JS.property(global, "__tenant", in: context) ?? JSValueMakeUndefined(context)
            let (bound, bindError) = JS.call(control, "bind", [exports], in: context)
            if let bindError { return .refused(JS.describe(exception: bindError, in: context).message) }
            if let bound, JSValueIsString(context, bound) {
                return .refused("In the code of \"\(code.workflow)\": \(JS.text(bound, in: context)).")
            }
            return .loaded
        }
        // A module can fill the heap and compute as it loads, as well as when it runs (a heavy
        // load isolates its tenant; this runner is then booted again in the isolation VM).
        if let limit = closeEntry(cpu: watchdog.cpuUsed()) {
            throw BrigadeError(.codeInvalid, "Loading the code was stopped: \(limit.reason).")
        }
        switch outcome {
        case .loaded:
            return
        case .refusedImport(let specifier):
            throw ModuleCompiler.refusedImport(specifier, source: code.source)
        case .threw(let message, let line, let column):
            let place: String
            if let line, let column, let map = sourceMap, let original = map.original(line: line, column: column) {
                place = " (line \(original.line), column \(original.column) of \(map.sourceName))"
            } else {
                place = line.map { " (line \($0)\(column.map { ", column \($0)" } ?? "") of the compiled module)" } ?? ""
            }
            throw BrigadeError(.codeInvalid, "The code threw while loading: \(message.cut(toUTF8Bytes: ErrorInfo.maxMessageBytes))\(place).")
        case .refused(let message):
            throw BrigadeError(.codeInvalid, message.cut(toUTF8Bytes: ErrorInfo.maxMessageBytes))
        }
    }

    // MARK: run

    func run(_ event: WorkflowEvent<JSONValue>, step: WorkflowStep) async throws -> JSONValue {
        // A tenant whose code keeps hitting its limits waits here, off every VM's thread; a
        // terminate or pause ends the wait (the sleep throws on cancellation).
        if let wait = pool?.backoff(for: code.tenant) {
            Counters.backoffWaits.add(1, ordering: .relaxed)
            try await Task.sleep(for: wait)
        }
        let (requests, continuation) = AsyncStream.makeStream(of: HostRequest.self)
        let invocation = JSInvocation(id: Self.invocationIds.add(1, ordering: .relaxed).newValue, step: step, requests: continuation)
        let eventObject: JSONValue = .object([
            "payload": event.payload, "timestamp": .number(event.timestamp.timeIntervalSince1970 * 1_000),
            "instanceId": .string(event.instanceId),
        ])
        // `jsonData()`, not `JSONEncoder`: this is on every wake, and the encoder's generic
        // machinery cost a warm wake 45–80 µs on the bench host.
        let eventText = String(decoding: eventObject.jsonData(), as: UTF8.self)
        queue.async { self.start(invocation, eventText: eventText) }
        await withTaskCancellationHandler {
            await withTaskGroup(of: Void.self) { group in
                for await request in requests {
                    if case .log = request {
                        // In the order tenant code wrote them, and before the step calls that
                        // followed them start: a line is only queued for the next commit, so
                        // this holds nothing up.
                        await self.perform(request, for: invocation)
                    } else {
                        group.addTask { await self.perform(request, for: invocation) }
                    }
                }
                // The invocation settled: whatever is still in flight is abandoned.
                group.cancelAll()
            }
        } onCancel: {
            // An entry of this invocation running now is stopped at the watchdog's next check:
            // the queue, where the settling below runs, is busy until it ends.
            self.machine.watchdog.cancel(invocation: invocation.id)
            self.queue.async { self.settle(invocation, .failure(CancellationError())) }
        }
        // Set before the stream ended (see `settle`).
        let result = invocation.result ?? .failure(CancellationError())
        let data = try result.get()
        return try JSONDecoder().decode(JSONValue.self, from: data)
    }

    private func start(_ invocation: JSInvocation, eventText: String) {
        invocations[invocation.id] = invocation
        enter(invocation, starts: true) { context in
            JS.call(
                control, "start",
                [JSValueMakeNumber(context, Double(invocation.id)), JS.value(eventText, in: context), JS.value(envText, in: context)],
                in: context
            ).exception
        }
    }

    // MARK: Entries

    /// Runs `body` — one entry into the VM on behalf of `invocation` — and then looks at what it
    /// left behind: a limit that stopped it, an exception, or an invocation that can no longer
    /// make progress. `starts` marks the entry that starts `run` (counted apart: it is the replay).
    func enter(_ invocation: JSInvocation, step: StepContext? = nil, starts: Bool = false, _ body: (JSContextRef) -> JSValueRef?) {
        entryDepth += 1
        defer {
            entryDepth -= 1
            if entryDepth == 0 { flushHandoffs() }
        }
        current = invocation
        currentStep = step
        let started = Counters.monotonicNanos()
        watchdog.begin(invocation: invocation.id)
        // The exception's message is read inside the entry: it is the tenant's object (a
        // `message` getter, a `toString`), bounded like the rest of its code.
        let exception = machine.entry(in: context) { () -> String? in
            body(context).map { JS.describe(exception: $0, in: context).message }
        }
        let cpu = watchdog.cpuUsed()
        let elapsed = Counters.monotonicNanos() - started
        Counters.entries.add(1, ordering: .relaxed)
        Counters.entryNanos.add(elapsed, ordering: .relaxed)
        Counters.entryCPUNanos.add(cpu, ordering: .relaxed)
        if starts {
            Counters.startEntries.add(1, ordering: .relaxed)
            Counters.startEntryNanos.add(elapsed, ordering: .relaxed)
            Counters.startEntryCPUNanos.add(cpu, ordering: .relaxed)
        }
        current = nil
        currentStep = nil
        if let limit = closeEntry(cpu: cpu) {
            if limit.cancelled {
                settle(invocation, .failure(CancellationError()))
                return
            }
            retiredFlag.store(true, ordering: .relaxed)
            let error = BrigadeError(
                .sandboxLimit,
                "The workflow's JavaScript was stopped: \(limit.reason). The instance ends here; fix the code and deploy a new version.",
                instanceId: invocation.step.instanceId)
            settle(invocation, .failure(invocation.step.fail(error)))
            return
        }
        if let message = exception, invocation.result == nil {
            settle(invocation, .failure(JavaScriptError(errorName: "WorkflowSandboxError", errorMessage: message)))
            return
        }
        if invocation.result == nil && invocation.opsInFlight == 0 {
            settle(
                invocation,
                .failure(
                    JavaScriptError(
                        errorName: "WorkflowNeverSettlesError",
                        errorMessage:
                            "run(event, step) is awaiting a promise that nothing will settle: between steps only step.do, step.sleep, step.sleepUntil and step.waitForEvent can be awaited (there is no setTimeout or fetch outside a step)"
                    )))
        }
    }

    /// After an entry or a load that used `cpu` of CPU time: measures the VM's heap if it is
    /// due, and returns the limit that stopped the code, if one did. A heavy or stopped entry
    /// isolates its tenant (see ``JSMachinePool``); what a tenant stopped for memory allocated is
    /// garbage in the shared heap, so its VM is retired, to be freed once its other runners have
    /// moved on.
    private func closeEntry(cpu: UInt64) -> Watchdog.Stop? {
        machine.survey(in: context)
        let limit = watchdog.end()
        // A cancelled entry (its instance terminated) says nothing about the tenant's code.
        let stoppedByLimit = limit.map { !$0.cancelled } ?? false
        if stoppedByLimit || cpu > machine.isolationThreshold { pool?.isolate(code.tenant) }
        guard let limit else { return nil }
        machine.absorbTermination(in: context)
        if limit.cancelled { return limit }
        Counters.limitStops.add(1, ordering: .relaxed)
        pool?.strike(code.tenant)
        if limit.memory { machine.retire() }
        return limit
    }

    /// Runs `handoff` now, or after the entry under way if there is one (see ``handoffs``).
    private func handOff(_ handoff: @escaping () -> Void) {
        if entryDepth > 0 { handoffs.append(handoff) } else { handoff() }
    }

    private func flushHandoffs() {
        guard !handoffs.isEmpty else { return }
        let pending = handoffs
        handoffs.removeAll(keepingCapacity: true)
        for handoff in pending { handoff() }
    }

    /// Ends an invocation once: records how, releases what its promises held, and ends its
    /// request stream so that `run` returns (after the requests already made, such as the logs
    /// of its last entry).
    func settle(_ invocation: JSInvocation, _ result: Result<Data, any Error>) {
        guard invocation.result == nil else { return }
        invocation.outcome.withLock { $0 = result }
        invocations[invocation.id] = nil
        for (_, pending) in invocation.pending { release(pending) }
        invocation.pending = [:]
        let failure: any Error
        if case .failure(let error) = result { failure = error } else { failure = CancellationError() }
        let calls = invocation.fnCalls.values
        invocation.fnCalls = [:]
        handOff {
            for call in calls { call.resume(throwing: failure) }
            invocation.requests.finish()
        }
        machine.replenish()
    }

    // MARK: Host functions

    /// Installs the functions the prelude calls on `host`. They find their runner through
    /// `binding` (see ``PreparedContext``); the prelude calls none of them while it loads, before a
    /// runner has adopted the context.
    static func installHostFunctions(on host: JSObjectRef, in context: JSContextRef, binding: PreparedContext.HostBinding) {
        func define(_ name: String, _ body: @escaping HostFunction.Body) {
            JS.setProperty(host, name, HostFunction.make(in: context, body), in: context)
        }
        define("log") { [binding] context, arguments in
            guard let runner = binding.runner, let invocation = runner.current, arguments.count >= 2 else { return nil }
            // A line outside a step written while the engine is still replaying repeats one an
            // earlier lifetime stored. Judged now, when the engine has seen exactly the step
            // calls made before the line (each reserves its occurrence as it is made): the
            // request reaches the engine after the calls that follow it, which can have ended
            // the replay by then (the line was stored twice).
            if runner.currentStep == nil, invocation.step.isReplaying { return nil }
            // The engine stores the first lines of a lifetime and one saying the rest were
            // dropped; the lines after that are dropped here, before they are copied or queued,
            // so that a logging loop costs the tenant its CPU time and nothing else.
            let limits = invocation.step.logLimits
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
            return runner.request(arguments[0], in: context, journal: (.do, name), function: JSValueToObject(context, arguments[3], nil)) {
                promise, occurrence in
                .step(
                    name: name, occurrence: occurrence, config: JSValueIsNull(context, arguments[2]) ? nil : JS.text(arguments[2], in: context),
                    promise: promise)
            }
        }
        define("sleep") { [binding] context, arguments in
            guard let runner = binding.runner, arguments.count >= 3 else { throw HostFunction.Failure(message: "sleep: bad arguments") }
            let name = JS.text(arguments[1], in: context)
            return runner.request(arguments[0], in: context, journal: (.sleep, name)) { promise, occurrence in
                .sleep(name: name, occurrence: occurrence, duration: Self.duration(arguments[2], in: context), promise: promise)
            }
        }
        define("sleepUntil") { [binding] context, arguments in
            guard let runner = binding.runner, arguments.count >= 3 else { throw HostFunction.Failure(message: "sleepUntil: bad arguments") }
            let name = JS.text(arguments[1], in: context)
            return runner.request(arguments[0], in: context, journal: (.sleep, name)) { promise, occurrence in
                .sleepUntil(name: name, occurrence: occurrence, milliseconds: JSValueToNumber(context, arguments[2], nil), promise: promise)
            }
        }
        define("waitForEvent") { [binding] context, arguments in
            guard let runner = binding.runner, arguments.count >= 4 else { throw HostFunction.Failure(message: "waitForEvent: bad arguments") }
            let name = JS.text(arguments[1], in: context)
            return runner.request(arguments[0], in: context, journal: (.waitForEvent, name)) { promise, occurrence in
                .waitForEvent(
                    name: name, occurrence: occurrence, type: JS.text(arguments[2], in: context),
                    timeout: JSValueIsNull(context, arguments[3]) ? nil : Self.duration(arguments[3], in: context), promise: promise)
            }
        }
        define("runSettled") { [binding] context, arguments in
            guard let runner = binding.runner, arguments.count >= 3, let invocation = runner.invocation(arguments[0], in: context) else { return nil }
            let outcome: Result<Data, any Error> =
                JSValueToBoolean(context, arguments[1])
                ? .success(JS.data(arguments[2], in: context))
                : .failure(JavaScriptError.from(json: JS.text(arguments[2], in: context), translate: runner.translate))
            runner.settle(invocation, outcome)
            return nil
        }
        define("fnSettled") { [binding] context, arguments in
            guard let runner = binding.runner, arguments.count >= 4, let invocation = runner.invocation(arguments[0], in: context) else { return nil }
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
    private func translate(_ text: String) -> String {
        SourceMap.translate(text) { sourceMap }
    }

    private static func duration(_ value: JSValueRef, in context: JSContextRef) -> HostRequest.DurationArgument {
        JSValueIsNumber(context, value) ? .milliseconds(JSValueToNumber(context, value, nil)) : .text(JS.text(value, in: context))
    }

    private func invocation(_ id: JSValueRef, in context: JSContextRef) -> JSInvocation? {
        invocations[Int(JSValueToNumber(context, id, nil))]
    }

    /// What a step call returns to the prelude: when the step finished in an earlier lifetime, its
    /// outcome from the journal at once — the value itself (the prelude makes it a settled
    /// promise), or a rejected promise — so a resumed instance replays its finished steps within
    /// this one entry into the VM; otherwise a promise, and the request that will settle it.
    private func request(
        _ id: JSValueRef, in context: JSContextRef, journal: (kind: StepKind, name: String),
        function: @autoclosure () -> JSObjectRef? = nil, _ make: (_ promise: Int, _ occurrence: Int) -> HostRequest
    ) -> JSValueRef? {
        // An invocation that has ended (or another runner's id) gets a promise that never settles.
        guard let invocation = invocation(id, in: context), invocation.result == nil else {
            return JSObjectMakeDeferredPromise(context, nil, nil, nil)
        }
        if let outcome = invocation.step.journaled(journal.kind, journal.name) {
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
        let pending = JSInvocation.Pending(resolve: resolve, reject: reject, function: function)
        JSValueProtect(context, resolve)
        JSValueProtect(context, reject)
        if let function { JSValueProtect(context, function) }
        let number = invocation.nextPromise
        invocation.nextPromise += 1
        invocation.pending[number] = pending
        invocation.opsInFlight += 1
        invocation.opsStarted += 1
        // The occurrence is taken now, in the order the code made its calls: the requests are
        // performed side by side, and two calls of one name must not swap places between the
        // first lifetime and a replay (which the journal answers in call order).
        let request = make(number, invocation.step.reserveOccurrence(of: journal.name))
        handOff { invocation.requests.yield(request) }
        return promise
    }

    // MARK: Answers

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
    private func release(_ pending: JSInvocation.Pending) {
        JSValueUnprotect(context, pending.resolve)
        JSValueUnprotect(context, pending.reject)
        if let function = pending.function { JSValueUnprotect(context, function) }
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
        let contextText =
            "{\"attempt\":\(stepContext.attempt),\"name\":\(JSRunner.quoted(stepContext.name)),\"count\":\(stepContext.count)}"
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
                                "the function of step \"\(stepContext.name)\" returned a promise that nothing will settle (there is no setTimeout or fetch in the sandbox)",
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

    static func quoted(_ text: String) -> String {
        String(decoding: (try? JSONEncoder().encode(text)) ?? Data("\"\"".utf8), as: UTF8.self)
    }
}
