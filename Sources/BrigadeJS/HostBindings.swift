@_spi(Sandbox) import Brigade

/// Named bindings an embedder gives tenant code in `env`, beside the values deployed with it:
/// each a Swift function the code calls as `env.NAME.method(...arguments)`, which answers a
/// promise of its JSON result — how a platform hands its tenants the "platform-provided glue"
/// the seed's CI example uses (`env.ARTIFACTS.fork(repo, {sha})`, `env.GITHUB.commentOnPR(…)`).
///
/// ```swift
/// let bindings = HostBindings { tenant in
///     ["ARTIFACTS": { call in try await artifacts.handle(call) }]
/// }
/// let sandbox = JavaScriptSandbox(bindings: bindings)
/// ```
///
/// Bindings are chosen per tenant when its code is booted, and a call carries the tenant, the
/// workflow and the instance it comes from, never from anything the code passes. A binding
/// that throws rejects the promise with the error's name and message. Where a binding of the
/// same name as an `env` value exists, the binding is what the code sees.
public struct HostBindings: Sendable {
    /// One call from tenant code.
    public struct Call: Sendable {
        /// Whose code called: from the deployment, not from the call.
        public let tenant: String
        public let workflow: String
        /// The instance whose `run` called, or nil from a `fetch` handler.
        public let instanceId: String?
        /// The binding's name (`ARTIFACTS`) and the method called on it (`fork`).
        public let binding: String
        public let method: String
        public let arguments: [JSONValue]
        /// Writes a line to the calling step's log (its history's `log` events and live
        /// streams) while the call runs — a command's output as it comes, say. From a fetch
        /// handler, lines go nowhere.
        public let log: @Sendable (String) -> Void
    }

    public typealias Function = @Sendable (Call) async throws -> JSONValue

    let forTenant: @Sendable (_ tenant: String) -> [String: Function]

    /// `forTenant` answers the bindings one tenant's code gets, by name.
    public init(_ forTenant: @escaping @Sendable (_ tenant: String) -> [String: Function]) {
        self.forTenant = forTenant
    }

    /// No bindings: `env` holds the deployed values only.
    public static let none = HostBindings { _ in [:] }
}
