@_spi(Sandbox) import Brigade
import CJavaScriptCore
import Foundation

/// Running: `run` started on the VM's queue, every entry into tenant code bounded and accounted,
/// and an invocation settled once.
extension JSRunner {

    func run(_ event: WorkflowEvent<JSONValue>, step: WorkflowStep) async throws -> JSONValue {
        // A tenant whose code keeps hitting its limits waits here, off every VM's thread; a
        // terminate or pause ends the wait (the sleep throws on cancellation).
        if let wait = pool?.backoff(for: code.tenant) {
            Counters.backoffWaits.add(1, ordering: .relaxed)
            try await Task.sleep(for: wait)
        }
        var eventFields: [String: JSONValue] = [
            "payload": event.payload, "timestamp": .number(event.timestamp.timeIntervalSince1970 * 1_000),
            "instanceId": .string(event.instanceId), "workflowName": .string(event.workflowName),
        ]
        // Only an instance a cron schedule created has one, as on Cloudflare.
        if let schedule = event.trigger.scheduleJSON { eventFields["schedule"] = schedule }
        let eventObject = JSONValue.object(eventFields)
        // `jsonData()`, not `JSONEncoder`: this is on every wake, and the encoder's generic
        // machinery cost a warm wake 45–80 µs on the bench host.
        let eventText = String(decoding: eventObject.jsonData(), as: UTF8.self)
        let data = try await invoke(step: step, binding: step.workflowsBinding) { invocation in
            self.start(invocation, eventText: eventText)
        }
        return try JSONDecoder().decode(JSONValue.self, from: data)
    }

    /// Serves `request` with the module's `export default { fetch(request, env, ctx) }`, its
    /// `env.WORKFLOWS` being `binding`. Bodies cross as text when they are UTF-8 and as base64
    /// when not, so binary bodies arrive and leave byte for byte.
    func fetch(_ request: TenantFetchRequest, binding: WorkflowsBinding) async throws -> TenantFetchResponse {
        if let wait = pool?.backoff(for: code.tenant) {
            Counters.backoffWaits.add(1, ordering: .relaxed)
            try await Task.sleep(for: wait)
        }
        var fields: [String: JSONValue] = [
            "method": .string(request.method), "url": .string(request.url),
            "headers": .array(request.headers.map { .array([.string($0.name), .string($0.value)]) }),
        ]
        if !request.body.isEmpty {
            let (key, value) = OutboundFetcher.bodyField(request.body)
            fields[key] = value
        }
        let requestText = String(decoding: JSONValue.object(fields).jsonData(), as: UTF8.self)
        let data: Data
        do {
            data = try await invoke(step: nil, binding: binding) { invocation in self.startFetch(invocation, requestText: requestText) }
        } catch let error as JavaScriptError where error.errorName == "NoFetchHandler" {
            throw BrigadeError(.noFetchHandler, error.errorMessage)
        } catch let error as BrigadeError {
            throw error
        } catch {
            // What the handler threw stays in the server's log; the caller learns only that it failed.
            throw BrigadeError(.fetchHandlerFailed, "\(ErrorInfo(error).name): \(ErrorInfo(error).message)")
        }
        let answer = try JSONDecoder().decode(JSONValue.self, from: data)
        guard case .number(let status)? = answer["status"], case .array(let headers)? = answer["headers"] else {
            throw BrigadeError(.fetchHandlerFailed, "The fetch handler's response did not read back.")
        }
        var body = Data()
        if case .string(let text)? = answer["body"] { body = Data(text.utf8) }
        if case .string(let text)? = answer["bodyBase64"] {
            guard let bytes = Data(base64Encoded: text) else {
                throw BrigadeError(.fetchHandlerFailed, "The fetch handler's body did not read back.")
            }
            body = bytes
        }
        return TenantFetchResponse(
            status: Int(status),
            headers: headers.compactMap { pair in
                guard case .string(let name)? = pair[0], case .string(let value)? = pair[1] else { return nil }
                return HTTPHeaderField(name, value)
            },
            body: body)
    }

    /// One invocation from its start (`begin`, on the queue) to its end: performs the requests
    /// its code makes until it settles, and returns how it settled (JSON) or throws why not.
    private func invoke(step: WorkflowStep?, binding: WorkflowsBinding, _ begin: @escaping @Sendable (JSInvocation) -> Void) async throws
        -> Data
    {
        let (requests, continuation) = AsyncStream.makeStream(of: HostRequest.self)
        let invocation = JSInvocation(
            id: Self.invocationIds.add(1, ordering: .relaxed).newValue, step: step, binding: binding, requests: continuation, on: queue)
        queue.async { begin(invocation) }
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
        return try (invocation.result ?? .failure(CancellationError())).get()
    }

    func start(_ invocation: JSInvocation, eventText: String) {
        invocations[invocation.id] = invocation
        enter(invocation, starts: true) { context in
            let (saga, exception) = JS.call(
                control, "start",
                [
                    JSValueMakeNumber(context, Double(invocation.id)), JS.value(eventText, in: context), JS.value(envText, in: context),
                    JS.value(bindingNamesText, in: context),
                ],
                in: context
            )
            if exception == nil, let saga, JSValueIsObject(context, saga), let object = JSValueToObject(context, saga, nil) {
                JSValueProtect(context, object)
                invocation.saga = object
            }
            return exception
        }
    }

    func startFetch(_ invocation: JSInvocation, requestText: String) {
        invocations[invocation.id] = invocation
        enter(invocation, starts: true) { context in
            JS.call(
                control, "fetch",
                [
                    JSValueMakeNumber(context, Double(invocation.id)), JS.value(requestText, in: context), JS.value(envText, in: context),
                    JS.value(bindingNamesText, in: context),
                ],
                in: context
            ).exception
        }
    }

    /// Runs the invocation's rollbacks and ends it with the termination (see
    /// ``TerminationRequest``); once per invocation, however many of its step calls were stopped.
    func terminate(_ invocation: JSInvocation) {
        guard invocation.result == nil, let saga = invocation.saga else { return }
        let request = TerminationRequest()
        enter(invocation) { context in
            JS.call(
                control, "terminate",
                [
                    saga, JSValueMakeNumber(context, Double(invocation.id)), JS.value(request.errorName, in: context),
                    JS.value(request.errorMessage, in: context),
                ],
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
                instanceId: invocation.step?.instanceId)
            settle(invocation, .failure(invocation.step?.fail(error) ?? error))
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
                            invocation.step == nil
                            ? "the fetch handler is awaiting a promise that nothing will settle (no fetch, timer or binding call is in flight)"
                            : "run(event, step) is awaiting a promise that nothing will settle (no step, fetch, timer or binding call is in flight)"
                    )))
        }
    }

    /// After an entry or a load that used `cpu` of CPU time: measures the VM's heap if it is
    /// due, and returns the limit that stopped the code, if one did. A heavy or stopped entry
    /// isolates its tenant (see ``JSMachinePool``); what a tenant stopped for memory allocated is
    /// garbage in the shared heap, so its VM is retired, to be freed once its other runners have
    /// moved on.
    func closeEntry(cpu: UInt64) -> Watchdog.Stop? {
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
    func handOff(_ handoff: @escaping () -> Void) {
        if entryDepth > 0 { handoffs.append(handoff) } else { handoff() }
    }

    func flushHandoffs() {
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
        if let saga = invocation.saga {
            JSValueUnprotect(context, saga)
            invocation.saga = nil
        }
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
}
