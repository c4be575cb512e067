import Foundation

/// A change of an instance row's status by its Engine.
@_spi(Stores) public struct InstanceUpdate: Sendable {
    public var status: InstanceStatus
    public var dueAt: Int64?
    public var output: Data?
    public var error: ErrorInfo?
    public var pausedAt: Int64?
    public var endedAt: Int64?
    public var expiresAt: Int64?

    public init(
        status: InstanceStatus, dueAt: Int64? = nil, output: Data? = nil, error: ErrorInfo? = nil,
        pausedAt: Int64? = nil, endedAt: Int64? = nil, expiresAt: Int64? = nil
    ) {
        self.status = status
        self.dueAt = dueAt
        self.output = output
        self.error = error
        self.pausedAt = pausedAt
        self.endedAt = endedAt
        self.expiresAt = expiresAt
    }
}
