@_spi(Sandbox) import Brigade
import CJavaScriptCore

/// Booting a runner: a context with the prelude and the tenant's module loaded and bound.
extension JSRunner {
    /// A context with the prelude and `code` loaded, in the pool's least loaded VM: its standby
    /// context if it has one (see ``PreparedContext``), a new one otherwise. Throws `code.invalid`
    /// when the code does not evaluate or has no `TenantWorkflow` class.
    static func boot(
        _ code: TenantCode, pool: JSMachinePool, bindings: [String: HostBindings.Function] = [:],
        egress: Egress? = nil
    ) async throws -> JSRunner {
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
                    let runner = JSRunner(code: code, machine: machine, pool: pool, prepared: prepared, bindings: bindings, egress: egress)
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

    func load() throws {
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
}
