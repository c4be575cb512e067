@_spi(Sandbox) import Brigade

/// What tenant code asked the host to do; performed by the invocation's task group with the
/// engine's real `WorkflowStep`.
enum HostRequest: Sendable {
    enum DurationArgument: Sendable {
        case milliseconds(Double)
        case text(String)
    }

    // `count`: reserved when the code made the call (see `WorkflowStep.reserveCount`).
    case step(name: String, count: Int, config: String?, promise: Int)
    case sleep(name: String, count: Int, duration: DurationArgument, promise: Int)
    case sleepUntil(name: String, count: Int, milliseconds: Double, promise: Int)
    case waitForEvent(name: String, count: Int, type: String, timeout: DurationArgument?, promise: Int)
    case child(name: String, count: Int, workflow: String, params: String, timeout: DurationArgument?, promise: Int)
    case log(level: LogLevel, message: String, context: StepContext?)
    /// A call of `env.WORKFLOWS` (or of an instance handle it returned).
    case binding(operation: String, arguments: String, promise: Int)
    /// A call of one of the embedder's bindings (``HostBindings``): `env.NAME.method(...)`.
    /// `context`: the step whose function made the call, for the lines the binding logs.
    case hostBinding(name: String, method: String, arguments: String, context: StepContext?, promise: Int)
    /// An outbound `fetch()`: `{method, url, headers, body | bodyBase64}`.
    case outbound(request: String, promise: Int)
    /// A `setTimeout` of the invocation: its promise resolves after `milliseconds`, unless
    /// `clearTimeout` released it first.
    case timer(milliseconds: Int, timer: Int, promise: Int)
    /// The rollback of the `step.do` `name`-`count` (its count is the forward step's, which the
    /// prelude counted as the engine does).
    case rollback(name: String, count: Int, config: String?, promise: Int)
}
