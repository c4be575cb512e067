/// How much of the server one client, one tenant and everyone together can hold open, and for
/// how long a connection may sit idle or dribble a body. Every limit is a setting with a default.
public struct ConnectionLimits: Sendable, Hashable {
    /// Open connections in all. Default 4,096 (a process has 1,024–1,048,576 descriptors; the
    /// database and the VMs need some). Past it a new connection is answered 503 and closed.
    public var maxConnections: Int = 4_096
    /// Open connections from one client address. Default 256.
    public var maxConnectionsPerClient: Int = 256
    /// Open event streams (`GET …/instances/{id}/subscribe`) of one tenant. Default 64; past it a
    /// new stream answers 429.
    public var maxStreamsPerTenant: Int = 64
    /// How long a connection may send nothing — no request, or no part of its headers — before
    /// it is closed. Default 30 s. A response being written (an event stream) is not idle.
    public var idleTimeout: Duration = .seconds(30)
    /// How long reading one request body may take in all, however slowly it arrives. Default
    /// 30 s; past it the request answers 408.
    public var bodyTimeout: Duration = .seconds(30)
    /// How often an event stream with nothing to send writes a comment line: proxies keep it
    /// open, and a client that went away is noticed (the write fails) and its place given back.
    /// Default 15 s.
    public var streamHeartbeat: Duration = .seconds(15)

    public init() {}
}
