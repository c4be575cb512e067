import Foundation

/// One tenant's own limits, set by the operator (`PUT /admin/v1/tenants/{id}/limits`,
/// `brigade tenants limits`, ``BrigadeRuntime/setLimits(tenant:_:)``). Each field left nil is
/// the setting every account has (``BrigadeSettings``, `brigade serve`'s flags).
public struct TenantLimits: Sendable, Hashable {
    /// Running instances of the account (``BrigadeSettings/maxRunningPerAccount``).
    public var maxRunning: Int?
    /// Running instances per workflow of the account (``BrigadeSettings/maxRunningPerWorkflow``).
    public var maxRunningPerWorkflow: Int?
    /// Queued instances per workflow of the account (``BrigadeSettings/maxQueuedPerWorkflow``).
    public var maxQueuedPerWorkflow: Int?
    /// Creations per second of the account (``BrigadeSettings/creationRatePerAccount``).
    public var creationRate: Double?
    /// Creations per second per workflow of the account (``BrigadeSettings/creationRatePerWorkflow``).
    public var workflowCreationRate: Double?
    /// The hosts the tenant's code may reach with `fetch()`, in place of the server's: exact
    /// names, `*.example.com` for the subdomains of one, `*` for any host with a public address;
    /// an empty list: no outbound fetch at all. Private addresses stay refused (see
    /// ``fetchPrivateHosts``).
    public var fetchHosts: [String]?
    /// `host:port`s the tenant's code may reach even at a private address (an internal API the
    /// operator trusts this tenant with).
    public var fetchPrivateHosts: [String]?

    public init(
        maxRunning: Int? = nil, maxRunningPerWorkflow: Int? = nil, maxQueuedPerWorkflow: Int? = nil, creationRate: Double? = nil,
        workflowCreationRate: Double? = nil, fetchHosts: [String]? = nil, fetchPrivateHosts: [String]? = nil
    ) {
        self.maxRunning = maxRunning
        self.maxRunningPerWorkflow = maxRunningPerWorkflow
        self.maxQueuedPerWorkflow = maxQueuedPerWorkflow
        self.creationRate = creationRate
        self.workflowCreationRate = workflowCreationRate
        self.fetchHosts = fetchHosts
        self.fetchPrivateHosts = fetchPrivateHosts
    }

    /// No limit of its own: every field is the setting's.
    public static let defaults = TenantLimits()

    /// `settings` with these limits in place of the account-wide ones.
    public func applied(to settings: BrigadeSettings) -> BrigadeSettings {
        var effective = settings
        if let maxRunning { effective.maxRunningPerAccount = maxRunning }
        if let maxRunningPerWorkflow { effective.maxRunningPerWorkflow = maxRunningPerWorkflow }
        if let maxQueuedPerWorkflow { effective.maxQueuedPerWorkflow = maxQueuedPerWorkflow }
        if let creationRate { effective.creationRatePerAccount = creationRate }
        if let workflowCreationRate { effective.creationRatePerWorkflow = workflowCreationRate }
        return effective
    }

    /// These limits with each field `other` sets in place of this one's.
    public func overriding(with other: TenantLimits) -> TenantLimits {
        TenantLimits(
            maxRunning: other.maxRunning ?? maxRunning, maxRunningPerWorkflow: other.maxRunningPerWorkflow ?? maxRunningPerWorkflow,
            maxQueuedPerWorkflow: other.maxQueuedPerWorkflow ?? maxQueuedPerWorkflow, creationRate: other.creationRate ?? creationRate,
            workflowCreationRate: other.workflowCreationRate ?? workflowCreationRate, fetchHosts: other.fetchHosts ?? fetchHosts,
            fetchPrivateHosts: other.fetchPrivateHosts ?? fetchPrivateHosts)
    }

    /// Throws `tenant.invalid_limits` naming the first field out of range.
    public func validate() throws {
        func count(_ value: Int?, _ name: String, _ range: ClosedRange<Int>) throws {
            guard let value, !range.contains(value) else { return }
            throw BrigadeError(
                .invalidLimits, "\(name) must be a whole number from \(range.lowerBound) to \(range.upperBound); got \(value).")
        }
        func rate(_ value: Double?, _ name: String) throws {
            guard let value, !(value.isFinite && value > 0 && value <= 1_000_000) else { return }
            throw BrigadeError(
                .invalidLimits, "\(name) must be a number of creations per second above 0 and at most 1000000; got \(value).")
        }
        try count(maxRunning, "max_running", 1...10_000_000)
        try count(maxRunningPerWorkflow, "max_running_per_workflow", 1...10_000_000)
        try count(maxQueuedPerWorkflow, "max_queued_per_workflow", 1...1_000_000_000)
        try rate(creationRate, "creation_rate")
        try rate(workflowCreationRate, "workflow_creation_rate")
        try Self.validate(hosts: fetchHosts, "fetch_hosts", withPort: false)
        try Self.validate(hosts: fetchPrivateHosts, "fetch_private_hosts", withPort: true)
    }

    /// At most 100 hosts, each a lower-case name (or `*.` and one; or `*` alone, for
    /// `fetch_hosts`) or an IPv4 address — with `:port` for `fetch_private_hosts`.
    private static func validate(hosts: [String]?, _ field: String, withPort: Bool) throws {
        guard let hosts else { return }
        guard hosts.count <= 100 else { throw BrigadeError(.invalidLimits, "\(field) holds at most 100 hosts; got \(hosts.count).") }
        for host in hosts {
            let shown = host.prefix(80)
            var hostName = Substring(host)
            if withPort {
                guard let colon = host.lastIndex(of: ":"), let port = Int(host[host.index(after: colon)...]), (1...65_535).contains(port)
                else {
                    throw BrigadeError(.invalidLimits, "\(field): \"\(shown)\" is not host:port (such as api.internal:8443).")
                }
                hostName = host[..<colon]
            } else if host == "*" {
                continue
            }
            if !withPort, hostName.hasPrefix("*.") { hostName = hostName.dropFirst(2) }
            let labels = hostName.split(separator: ".", omittingEmptySubsequences: false)
            let valid =
                !hostName.isEmpty && hostName.utf8.count <= 253
                && labels.allSatisfy { label in
                    !label.isEmpty && label.utf8.count <= 63 && label.first != "-" && label.last != "-"
                        && label.utf8.allSatisfy { (0x61...0x7a).contains($0) || (0x30...0x39).contains($0) || $0 == 0x2d }
                }
            guard valid else {
                throw BrigadeError(
                    .invalidLimits,
                    "\(field): \"\(shown)\" is not a lower-case host name\(withPort ? " with its port" : ", *.domain or *").")
            }
        }
    }
}

extension TenantLimits {
    /// A host list as the stores keep it: a JSON array, nil for none.
    @_spi(Stores) public static func hostsText(_ hosts: [String]?) -> String? {
        hosts.map { String(decoding: JSONValue.array($0.map(JSONValue.string)).jsonData(), as: UTF8.self) }
    }

    /// A host list read back from a store (text that is not a JSON array of strings reads as none).
    @_spi(Stores) public static func hosts(_ text: String?) -> [String]? {
        guard let text, case .array(let values)? = try? JSONDecoder().decode(JSONValue.self, from: Data(text.utf8)) else { return nil }
        return values.compactMap { if case .string(let host) = $0 { host } else { nil } }
    }
}

extension BrigadeError.Code {
    /// A tenant limit out of its range.
    public static let invalidLimits = Self(rawValue: "tenant.invalid_limits")
}
