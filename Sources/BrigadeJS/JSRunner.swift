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
    weak let pool: JSMachinePool?
    var queue: VMThread { machine.queue }
    /// Set when a limit stopped tenant code: the loader boots a fresh context for the next run.
    let retiredFlag = Atomic<Bool>(false)
    static let invocationIds = Atomic<Int>(0)

    // Queue-confined (the context's C API is used on the queue only).
    /// The adopted context; its global context and the prelude's control object are used on every entry.
    let prepared: PreparedContext
    var context: JSGlobalContextRef {
        queue.preconditionCurrent()
        return prepared.context
    }
    var control: JSObjectRef {
        queue.preconditionCurrent()
        return prepared.control
    }
    var watchdog: Watchdog { machine.watchdog }
    /// What only the VM's thread touches, checked there at every access (the properties below
    /// keep the call sites short).
    struct Confined {
        var invocations: [Int: JSInvocation] = [:]
        var current: JSInvocation?
        var currentStep: StepContext?
        /// Entries into the VM under way on this runner (an entry never starts another, but
        /// nothing depends on that).
        var entryDepth = 0
        /// What the current entry asked to hand to other threads — requests for the task group,
        /// the end of an invocation, a step function's result — done in order once the entry is
        /// over: each is a thread wake-up (a futex call), and a thread woken mid-entry competes
        /// with the tenant's code for the cores.
        var handoffs: [() -> Void] = []
        /// The script's source map, read the first time an error or a log line needs it.
        var sourceMap: SourceMap??
    }
    let confined: VMBound<Confined>
    var invocations: [Int: JSInvocation] {
        get { confined.value.invocations }
        _modify { yield &confined.value.invocations }
    }
    var current: JSInvocation? {
        get { confined.value.current }
        _modify { yield &confined.value.current }
    }
    var currentStep: StepContext? {
        get { confined.value.currentStep }
        _modify { yield &confined.value.currentStep }
    }
    var entryDepth: Int {
        get { confined.value.entryDepth }
        _modify { yield &confined.value.entryDepth }
    }
    var handoffs: [() -> Void] {
        get { confined.value.handoffs }
        _modify { yield &confined.value.handoffs }
    }
    let envText: String
    /// The embedder's bindings for this tenant's code (see ``HostBindings``), and their names as
    /// the prelude reads them (JSON).
    let hostBindings: [String: HostBindings.Function]
    let bindingNamesText: String
    /// The tenant's egress policy (asked at each fetch, so that an operator's change applies at
    /// once) and the fetcher that applies it.
    struct Egress: Sendable {
        /// The policy now; nil: `fetch()` fails.
        var policy: @Sendable () -> EgressPolicy?
        var fetcher: OutboundFetcher
    }
    /// Nil: `fetch()` fails.
    let egress: Egress?
    var sourceMap: SourceMap? {
        if let map = confined.value.sourceMap { return map }
        let map = SourceMap(script: code.script)
        confined.value.sourceMap = .some(map)
        return map
    }

    /// Whether the loader should boot this runner again rather than run it: a limit stopped it,
    /// its VM was retired, or it is on the wrong side of its tenant's isolation (see
    /// ``JSMachinePool``).
    var isRetired: Bool {
        if retiredFlag.load(ordering: .relaxed) || machine.isRetired { return true }
        guard let pool else { return false }
        return pool.isIsolated(code.tenant) != machine.isIsolation
    }

    /// On the machine's queue: adopts `prepared` for `code`.
    init(
        code: TenantCode, machine: JSMachine, pool: JSMachinePool, prepared: PreparedContext,
        bindings: [String: HostBindings.Function] = [:],
        egress: Egress? = nil
    ) {
        self.code = code
        self.egress = egress
        hostBindings = bindings
        bindingNamesText = String(decoding: JSONValue.array(bindings.keys.sorted().map(JSONValue.string)).jsonData(), as: UTF8.self)
        self.machine = machine
        self.pool = pool
        self.prepared = prepared
        confined = VMBound(Confined(), on: machine.queue)
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
}
