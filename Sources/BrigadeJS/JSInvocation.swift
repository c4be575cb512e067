@_spi(Sandbox) import Brigade
import CJavaScriptCore
import Foundation
import Synchronization

/// One call of the tenant's `run(event, step)` — one engine lifetime of one instance — or of its
/// `fetch` handler (no step then: only `env.WORKFLOWS` and `console` reach the host).
///
/// Every mutable field is touched only on the runner's queue (``Confined``, checked); ``outcome``
/// is read off it too.
final class JSInvocation: @unchecked Sendable {
    let id: Int
    /// The engine's step of a `run`; nil for a `fetch`.
    let step: WorkflowStep?
    /// What `env.WORKFLOWS` calls: the instance's binding in a `run`, the request's in a `fetch`.
    let binding: WorkflowsBinding
    let requests: AsyncStream<HostRequest>.Continuation

    /// Set once, on the queue: how `run` ended (JSON of its value), or why it was abandoned.
    /// Under a lock, the one field not confined to the queue: `run` reads it once the request
    /// stream has ended (it is set before the stream ends), without a trip to the queue.
    let outcome = Mutex<Result<Data, any Error>?>(nil)
    var result: Result<Data, any Error>? { outcome.withLock { $0 } }
    /// A step call's promise in flight: its resolve and reject functions and, for `step.do`, the
    /// step's function — all protected from the collector until the step is answered.
    struct Pending {
        var resolve: JSObjectRef
        var reject: JSObjectRef
        var function: JSObjectRef?
        /// A dynamic retry delay (`retries.delay` as a function) of a `step.do`.
        var delay: JSObjectRef? = nil
    }
    /// What only the VM's thread touches, checked there at every access.
    struct Confined {
        /// Step calls in flight, by promise number.
        var pending: [Int: Pending] = [:]
        var nextPromise = 0
        /// Step calls started and not yet answered.
        var opsInFlight = 0
        /// Step calls ever started (to see whether an entry started any).
        var opsStarted = 0
        /// `step.do` functions being called, waiting for their promise to settle.
        var fnCalls: [Int: CheckedContinuation<Data, any Error>] = [:]
        var nextCall = 0
        /// Log lines the tenant wrote in this invocation (see the `log` host function).
        var logLines = 0
        /// Its `setTimeout`s still to fire: the promise of each, by timer id.
        var timers: [Int: Int] = [:]
        /// The prelude's saga of this run (its registered rollbacks), protected from the
        /// collector until the invocation ends: a terminate with rollback hands it back.
        var saga: JSObjectRef?
    }
    let confined: VMBound<Confined>
    var pending: [Int: Pending] {
        get { confined.value.pending }
        _modify { yield &confined.value.pending }
    }
    var nextPromise: Int {
        get { confined.value.nextPromise }
        _modify { yield &confined.value.nextPromise }
    }
    var opsInFlight: Int {
        get { confined.value.opsInFlight }
        _modify { yield &confined.value.opsInFlight }
    }
    var opsStarted: Int {
        get { confined.value.opsStarted }
        _modify { yield &confined.value.opsStarted }
    }
    var fnCalls: [Int: CheckedContinuation<Data, any Error>] {
        get { confined.value.fnCalls }
        _modify { yield &confined.value.fnCalls }
    }
    var nextCall: Int {
        get { confined.value.nextCall }
        _modify { yield &confined.value.nextCall }
    }
    var saga: JSObjectRef? {
        get { confined.value.saga }
        _modify { yield &confined.value.saga }
    }
    var logLines: Int {
        get { confined.value.logLines }
        _modify { yield &confined.value.logLines }
    }
    var timers: [Int: Int] {
        get { confined.value.timers }
        _modify { yield &confined.value.timers }
    }

    init(id: Int, step: WorkflowStep?, binding: WorkflowsBinding, requests: AsyncStream<HostRequest>.Continuation, on thread: VMThread) {
        self.id = id
        confined = VMBound(Confined(), on: thread)
        self.step = step
        self.binding = binding
        self.requests = requests
    }
}
