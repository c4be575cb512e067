import Foundation

/// An event accepted by `sendEvent` and not yet consumed by a wait.
@_spi(Stores) public struct EventRecord: Sendable, Hashable {
    public var seq: Int64
    public var type: String
    public var payload: Data
    public var createdAt: Int64

    public init(seq: Int64, type: String, payload: Data, createdAt: Int64) {
        self.seq = seq
        self.type = type
        self.payload = payload
        self.createdAt = createdAt
    }
}
