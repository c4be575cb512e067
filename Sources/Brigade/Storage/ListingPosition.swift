import Foundation

/// A position in a listing: the (creation time, id) of the last instance seen. Opaque to callers.
@_spi(Stores) public struct ListingPosition: Sendable, Hashable {
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
