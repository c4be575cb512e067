import Foundation

/// Several history entries of one write kept as one row: a store's choice of layout (the SQLite
/// store packs every write of two or more entries), invisible above the store. An attempt's start
/// and outcome, a claim's `workflow_started` and `workflow_running`, a sleep's start and the
/// parking each cost one row and one index entry instead of two to four — the rows that were most
/// of a step's cost to SQLite (`brigade-bench sqlite-floor`).
///
/// A packed row holds entries whose events have consecutive ids ending at the row's own id: the
/// store reserves the ids before it (the row is inserted at the id the last entry gets), so ids stay
/// unique and in commit order, and a read "after id n" still starts at the first row whose id is
/// above n, the one that may hold n's later neighbours.
extension HistoryEntry {
    /// The `type` of a packed row.
    @_spi(Stores) public static let packedType = "packed"

    /// `entries` as a packed row's data: a JSON array of `[type, at, step or null, data or null]`.
    @_spi(Stores) public static func packed(_ entries: [HistoryEntry]) -> String {
        let items = entries.map { entry -> JSONValue in
            .array([
                .string(entry.type.rawValue), .number(Double(entry.at)), entry.step.map(JSONValue.string) ?? .null,
                entry.data.isEmpty ? .null : .object(entry.data),
            ])
        }
        return String(decoding: JSONValue.array(items).jsonData(), as: UTF8.self)
    }
}

extension HistoryEvent {
    /// The events of one stored history row: the row's own for a plain row; for a packed row
    /// (``HistoryEntry/packedType``) its entries, with ids that end at the row's. Types this
    /// version does not know (rows a newer version wrote) are left out.
    @_spi(Stores) public static func events(
        ofRow id: Int64, instanceId: String, at: Int64, type: String, step: String?, dataText: String?
    ) -> [HistoryEvent] {
        guard type == HistoryEntry.packedType else {
            return HistoryEvent(id: id, instanceId: instanceId, at: at, type: type, step: step, dataText: dataText).map { [$0] } ?? []
        }
        guard let dataText, let items = try? JSONDecoder().decode([[JSONValue]].self, from: Data(dataText.utf8)) else { return [] }
        var events: [HistoryEvent] = []
        events.reserveCapacity(items.count)
        for (offset, item) in items.enumerated() {
            // A time that is no whole number of milliseconds (a row not of this store's writing)
            // leaves its entry out rather than trapping in the conversion.
            guard item.count == 4, case .string(let name) = item[0], let type = HistoryEventType(rawValue: name),
                case .number(let time) = item[1], let at = Int64(exactly: time)
            else { continue }
            var entryStep: String?
            if case .string(let name) = item[2] { entryStep = name }
            var data: [String: JSONValue] = [:]
            if case .object(let object) = item[3] { data = object }
            events.append(
                HistoryEvent(
                    id: id - Int64(items.count - 1 - offset), instanceId: instanceId,
                    entry: HistoryEntry(type, at: at, step: entryStep, data: data)))
        }
        return events
    }

    /// The events of `rows` (as ``events(ofRow:instanceId:at:type:step:dataText:)`` reads each)
    /// whose ids are above `afterId`, at most `limit`: a read of rows from "id > afterId" may
    /// begin with a packed row that also holds events at or below it.
    @_spi(Stores) public static func page(_ events: [HistoryEvent], after afterId: Int64, limit: Int) -> [HistoryEvent] {
        Array(events.lazy.filter { $0.id > afterId }.prefix(max(0, limit)))
    }
}
