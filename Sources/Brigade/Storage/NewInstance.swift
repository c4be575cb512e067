import Foundation

/// A new instance, as written by the creation path.
@_spi(Stores) public struct NewInstance: Sendable {
    public var key: InstanceKey
    public var params: Data
    public var shard: Int
    public var retention: Retention?
    public var createdAt: Int64
    /// Its own step limit, or nil for the setting.
    public var stepLimit: Int?
    /// What created it (`api` unless a schedule or a binding did).
    public var trigger: InstanceTrigger

    public init(
        key: InstanceKey, params: Data, shard: Int, retention: Retention?, createdAt: Int64, stepLimit: Int? = nil,
        trigger: InstanceTrigger = .api
    ) {
        self.stepLimit = stepLimit
        self.trigger = trigger
        self.key = key
        self.params = params
        self.shard = shard
        self.retention = retention
        self.createdAt = createdAt
    }
}
