import Synchronization

/// Counts the open connections by client address, and the open event streams by tenant, and
/// admits new ones within ``ConnectionLimits``. One per server, shared by its connections.
///
/// A plain counting state machine in a `Mutex`: admitting and releasing are decisions on the
/// counts alone, tested directly.
final class ConnectionGate: Sendable {
    struct State: Sendable {
        var limits: ConnectionLimits
        var connections = 0
        var byClient: [String: Int] = [:]
        var streamsByTenant: [String: Int] = [:]

        /// Admits a connection from `client` (and counts it), or says which limit refuses it.
        mutating func admitConnection(from client: String) -> Refusal? {
            if connections >= limits.maxConnections { return .server }
            if byClient[client, default: 0] >= limits.maxConnectionsPerClient { return .client }
            connections += 1
            byClient[client, default: 0] += 1
            return nil
        }

        mutating func releaseConnection(from client: String) {
            connections -= 1
            let left = byClient[client, default: 1] - 1
            byClient[client] = left > 0 ? left : nil
        }

        mutating func admitStream(of tenant: String) -> Bool {
            guard streamsByTenant[tenant, default: 0] < limits.maxStreamsPerTenant else { return false }
            streamsByTenant[tenant, default: 0] += 1
            return true
        }

        mutating func releaseStream(of tenant: String) {
            let left = streamsByTenant[tenant, default: 1] - 1
            streamsByTenant[tenant] = left > 0 ? left : nil
        }
    }

    enum Refusal: Equatable, Sendable {
        /// The server holds ``ConnectionLimits/maxConnections``.
        case server
        /// This client holds ``ConnectionLimits/maxConnectionsPerClient``.
        case client
    }

    let limits: ConnectionLimits
    private let state: Mutex<State>

    init(limits: ConnectionLimits) {
        self.limits = limits
        state = Mutex(State(limits: limits))
    }

    func admitConnection(from client: String) -> Refusal? { state.withLock { $0.admitConnection(from: client) } }
    func releaseConnection(from client: String) { state.withLock { $0.releaseConnection(from: client) } }
    func admitStream(of tenant: String) -> Bool { state.withLock { $0.admitStream(of: tenant) } }
    func releaseStream(of tenant: String) { state.withLock { $0.releaseStream(of: tenant) } }

    /// Open connections and streams now (for tests and metrics).
    var counts: (connections: Int, streams: Int) {
        state.withLock { ($0.connections, $0.streamsByTenant.values.reduce(0, +)) }
    }
}
