import Brigade

/// What a tenant's code may reach with `fetch()`: the operator's policy, per tenant
/// (``JavaScriptSandbox/init(settings:bindings:egress:)``).
///
/// By default the public internet is reachable and nothing else: a host that resolves to a
/// private, loopback, link-local (cloud metadata services at 169.254.169.254 among them),
/// carrier-grade NAT, multicast or reserved address is refused — checked after DNS resolution
/// and again at every redirect, and the connection goes to the address that was checked (the
/// name is not resolved a second time, so a DNS answer that changes in between cannot slip past).
public struct EgressPolicy: Sendable, Hashable {
    /// The hosts the code may reach: exact names, or `*.example.com` for the subdomains of one;
    /// nil (the default) for any host with a public address.
    public var allowedHosts: [String]?
    /// Hosts reachable even at a non-public address, as `host:port` (tests and on-premise APIs
    /// the operator trusts). Default none.
    public var privateExceptions: Set<String> = []
    /// Time for one request, connection to last byte of the body. Default 30 s.
    public var timeout: Duration = .seconds(30)
    /// Largest response body read; a larger one fails the fetch. Default 10 MiB.
    public var maxResponseBytes: Int = 10 << 20
    /// Largest request body sent. Default 1 MiB.
    public var maxRequestBytes: Int = 1 << 20
    /// Requests of one tenant in flight at once; past it a fetch fails at once. Default 16.
    public var maxConcurrentPerTenant: Int = 16
    /// Redirects followed (each checked like the first request). Default 10.
    public var maxRedirects: Int = 10

    public init(allowedHosts: [String]? = nil) {
        self.allowedHosts = allowedHosts
    }

    /// The policy of a tenant with its own `limits`: its `fetchHosts` in place of the server's
    /// (`*`: any public host; empty: none) and its `fetchPrivateHosts` added to the exceptions.
    /// Nil when its code may reach nothing: the server's `server` is nil and the tenant has no
    /// hosts of its own, or its own list is empty.
    public static func forTenant(_ limits: TenantLimits, server: EgressPolicy?) -> EgressPolicy? {
        var policy: EgressPolicy
        if let hosts = limits.fetchHosts {
            guard !hosts.isEmpty else { return nil }
            policy = server ?? EgressPolicy()
            policy.allowedHosts = hosts.contains("*") ? nil : hosts
        } else {
            guard let server else { return nil }
            policy = server
        }
        if let exceptions = limits.fetchPrivateHosts { policy.privateExceptions.formUnion(exceptions) }
        return policy
    }

    /// Whether `host` (lower-cased) is one `allowedHosts` lets through.
    func allows(host: String) -> Bool {
        guard let allowedHosts else { return true }
        return allowedHosts.contains { pattern in
            let pattern = pattern.lowercased()
            if pattern.hasPrefix("*.") { return host.hasSuffix(String(pattern.dropFirst(1))) }
            return host == pattern
        }
    }
}
