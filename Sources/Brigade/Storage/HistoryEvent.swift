import Foundation

/// A stored history event, with its monotonic id (the cursor for subscriptions).
public struct HistoryEvent: Sendable, Hashable {
    public var id: Int64
    public var instanceId: String
    public var entry: HistoryEntry

    public init(id: Int64, instanceId: String, entry: HistoryEntry) {
        self.id = id
        self.instanceId = instanceId
        self.entry = entry
    }
}
