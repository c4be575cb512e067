import Brigade
import CJavaScriptCore
import Foundation

/// A global context in a shared VM with everything but a tenant's code in it: the host
/// functions installed and the prelude evaluated. A ``JSRunner`` adopts one and loads the
/// tenant's code into it.
///
/// Why a separate stage: creating the global object and evaluating the prelude are two thirds of
/// a boot, and neither depends on the tenant. A ``JSMachine`` keeps one prepared context on
/// standby, made when a run in it ends or a runner in it is released (see
/// ``JSMachine/replenish()``), so that a tenant's cold start pays only for its own code
/// (measured in BENCHMARKS.md).
///
/// Made, adopted and released on the machine's queue.
struct PreparedContext: @unchecked Sendable {
    let context: JSGlobalContextRef
    /// The prelude's control object (`start`, `callFn`, `makeError`, `bind`), protected.
    let control: JSObjectRef
    /// Whom the host functions answer to: the runner that adopts the context.
    let binding: HostBinding

    /// The runner the host functions of a context call into. They cannot capture the runner
    /// itself, which does not exist yet when they are installed; they hold this box, and the box
    /// holds the runner weakly (the runner owns the context the functions live in).
    final class HostBinding: @unchecked Sendable {
        weak var runner: JSRunner?
    }

    /// On the machine's queue: a new context in `machine`'s VM, prepared.
    init(machine: JSMachine) throws {
        let context = JSGlobalContextCreateInGroup(machine.group, nil)!
        let binding = HostBinding()
        let global = JSContextGetGlobalObject(context)!
        let host = JSObjectMake(context, nil, nil)!
        JSRunner.installHostFunctions(on: host, in: context, binding: binding)
        JS.setProperty(global, "__brigadeHost", host, in: context)

        machine.watchdog.begin()
        let (value, exception) = machine.entry(in: context) { JS.evaluate(Prelude.source, url: SourceMap.preludeURL, in: context) }
        let stop = machine.watchdog.end()
        guard stop == nil, exception == nil, let value, let control = JSValueToObject(context, value, nil) else {
            let reason = stop?.reason ?? exception.map { JS.describe(exception: $0, in: context).message } ?? "it returned no control object"
            JSGlobalContextRelease(context)
            throw BrigadeError(.codeInvalid, "The sandbox prelude failed: \(reason).")
        }
        JSValueProtect(context, control)
        self.context = context
        self.control = control
        self.binding = binding
    }

    /// On the machine's queue: lets go of the context (a standby no runner adopted, or a
    /// runner's when the runner goes).
    func release() {
        JSValueUnprotect(context, control)
        JSGlobalContextRelease(context)
    }
}
