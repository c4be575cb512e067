/// One history event in a tenant's feed (``HistoryFeed``, ``BrigadeRuntime/feed(tenant:workflow:after:statuses:types:pollInterval:)``):
/// the event, the instance it belongs to and that instance's status now, and the cursor that
/// resumes the feed after it.
public struct FeedEvent: Sendable, Hashable {
    /// Where the feed goes on after this event: opaque, the store's own spelling of its commit
    /// order (SQLite: the history row's id; PostgreSQL: the writing transaction's id, then the
    /// instance and the event).
    public var cursor: String
    public var workflow: String
    /// The instance's status when the feed was read (not when the event happened).
    public var status: InstanceStatus
    public var event: HistoryEvent

    public init(cursor: String, workflow: String, status: InstanceStatus, event: HistoryEvent) {
        self.cursor = cursor
        self.workflow = workflow
        self.status = status
        self.event = event
    }
}

extension BrigadeError.Code {
    /// A feed cursor this store did not write.
    public static let invalidFeedCursor = Self(rawValue: "feed.invalid_cursor")
}

extension BrigadeError {
    @_spi(Stores) public static func invalidFeedCursor(_ cursor: String) -> BrigadeError {
        BrigadeError(
            .invalidFeedCursor,
            "\"\(cursor.prefix(80))\" is not a cursor of this feed; resume from the id of an event it sent, or start without one.")
    }
}
