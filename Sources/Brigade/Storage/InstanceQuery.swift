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

/// A page of instances and the cursor of the next one (nil on the last page).
public struct InstancePage: Sendable {
    public var instances: [InstanceRow]
    public var nextCursor: String?

    public init(instances: [InstanceRow], nextCursor: String?) {
        self.instances = instances
        self.nextCursor = nextCursor
    }
}

/// A position in a listing: the (creation time, id) of the last instance seen. Opaque to callers.
public struct ListingPosition: Sendable, Hashable {
    public var createdAt: Int64
    public var id: String

    public init(createdAt: Int64, id: String) {
        self.createdAt = createdAt
        self.id = id
    }

    /// The opaque cursor string: base64url of `v1:<createdAt>:<id>`.
    public var cursor: String {
        Data("v1:\(createdAt):\(id)".utf8).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// Decodes a cursor, or throws `listing.invalid_cursor`.
    public init(cursor: String) throws {
        var base64 = cursor.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        guard cursor.count <= 512, let data = Data(base64Encoded: base64) else { throw Self.invalid(cursor) }
        let parts = String(decoding: data, as: UTF8.self).split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == "v1", let createdAt = Int64(parts[1]), !parts[2].isEmpty else {
            throw Self.invalid(cursor)
        }
        self.init(createdAt: createdAt, id: String(parts[2]))
    }

    private static func invalid(_ cursor: String) -> BrigadeError {
        BrigadeError(
            .invalidCursor,
            "The cursor \"\(cursor.prefix(60))\" is not one this server issued; pass the nextCursor of the previous page, or none for the first page."
        )
    }
}
