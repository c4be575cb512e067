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

extension HistoryEvent {
    /// A history row as the stores keep it — its type's name and its data as JSON text — read
    /// back; nil for a type this version does not know (a row a newer version wrote).
    @_spi(Stores) public init?(id: Int64, instanceId: String, at: Int64, type: String, step: String?, dataText: String?) {
        guard let type = HistoryEventType(rawValue: type) else { return nil }
        let data = dataText.flatMap { try? JSONDecoder().decode([String: JSONValue].self, from: Data($0.utf8)) } ?? [:]
        self.init(id: id, instanceId: instanceId, entry: HistoryEntry(type, at: at, step: step, data: data))
    }
}
