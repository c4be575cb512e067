import Foundation

/// A tenant (a Cloudflare "account" on the wire) and the hash of its bearer token.
public struct TenantRecord: Sendable, Hashable {
    /// The account id in API paths: 1–64 of `[a-zA-Z0-9_-]`.
    public var id: String
    /// Hex SHA-256 of the token; the token itself is never stored.
    public var tokenHash: String
    public var createdAt: Int64
    public var tokenRotatedAt: Int64?

    public init(id: String, tokenHash: String, createdAt: Int64, tokenRotatedAt: Int64? = nil) {
        self.id = id
        self.tokenHash = tokenHash
        self.createdAt = createdAt
        self.tokenRotatedAt = tokenRotatedAt
    }

    /// Throws `tenant.invalid_id` unless `id` is 1–64 of `[a-zA-Z0-9_-]`.
    public static func validate(id: String) throws {
        guard (1...64).contains(id.count), id.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") }) else {
            throw BrigadeError(
                .invalidTenantId, "A tenant id is 1–64 characters of a-z, A-Z, 0-9, _ and -; \"\(id.prefix(80))\" is not.")
        }
    }
}
