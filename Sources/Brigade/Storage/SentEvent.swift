import Foundation

/// The result of ``WorkflowStore/sendEvent(_:type:payload:now:)``.
@_spi(Stores) public struct SentEvent: Sendable {
    public var event: EventRecord
    public var seq: Int64
    public var shard: Int
    public var status: InstanceStatus

    public init(event: EventRecord, seq: Int64, shard: Int, status: InstanceStatus) {
        self.event = event
        self.seq = seq
        self.shard = shard
        self.status = status
    }
}
