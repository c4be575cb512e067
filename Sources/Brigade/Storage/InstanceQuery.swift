import Foundation

/// One page of a workflow's instances, ordered by (creation time, id).
public struct InstanceQuery: Sendable, Hashable {
    /// Listing order.
    public enum Direction: String, Sendable, Hashable, CaseIterable {
        /// Oldest first.
        case ascending = "asc"
        /// Newest first.
        case descending = "desc"
    }

    /// Only instances with this status.
    public var status: InstanceStatus?
    /// The `nextCursor` of the previous page; nil for the first page.
    public var cursor: String?
    public var direction: Direction
    /// Page size, 1–1,000.
    public var limit: Int
    /// Only instances created at or after this time.
    public var createdFrom: Date?
    /// Only instances created at or before this time.
    public var createdTo: Date?

    public init(
        status: InstanceStatus? = nil, cursor: String? = nil, direction: Direction = .descending, limit: Int = 50,
        createdFrom: Date? = nil, createdTo: Date? = nil
    ) {
        self.status = status
        self.cursor = cursor
        self.direction = direction
        self.limit = limit
        self.createdFrom = createdFrom
        self.createdTo = createdTo
    }

    /// The creation times asked for, in milliseconds (inclusive), or nil for all.
    var createdRange: ClosedRange<Int64>? {
        if createdFrom == nil && createdTo == nil { return nil }
        let lower = createdFrom?.millisecondsSince1970 ?? .min
        let upper = createdTo?.millisecondsSince1970 ?? .max
        return lower...max(lower, upper)
    }
}
