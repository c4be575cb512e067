import Brigade
import Foundation
import GRDB

extension SQLiteStore: TenantStore {
    public func createTenant(_ tenant: TenantRecord) async throws {
        try await pool.write { db in
            if try Bool.fetchOne(db, sql: "SELECT 1 FROM tenants WHERE id = ?", arguments: [tenant.id]) == true {
                throw BrigadeError.tenantAlreadyExists(tenant.id)
            }
            try db.execute(
                sql: "INSERT INTO tenants (id, token_hash, created_at, token_rotated_at) VALUES (?, ?, ?, ?)",
                arguments: [tenant.id, tenant.tokenHash, tenant.createdAt, tenant.tokenRotatedAt])
        }
    }

    public func tenants() async throws -> [TenantRecord] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM tenants ORDER BY id").map(Self.tenant(from:))
        }
    }

    public func tenant(id: String) async throws -> TenantRecord? {
        try await pool.read { db in
            try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM tenants WHERE id = ?"), arguments: [id]).map(Self.tenant(from:))
        }
    }

    public func tenant(tokenHash: String) async throws -> TenantRecord? {
        try await pool.read { db in
            try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM tenants WHERE token_hash = ?"), arguments: [tokenHash])
                .map(Self.tenant(from:))
        }
    }

    public func rotateToken(tenant: String, tokenHash: String, now: Int64) async throws {
        try await pool.write { db in
            try db.execute(
                sql: "UPDATE tenants SET token_hash = ?, token_rotated_at = ? WHERE id = ?", arguments: [tokenHash, now, tenant])
            if db.changesCount == 0 {
                throw BrigadeError.tenantNotFound(tenant)
            }
        }
    }

    private static func tenant(from row: Row) -> TenantRecord {
        TenantRecord(id: row["id"], tokenHash: row["token_hash"], createdAt: row["created_at"], tokenRotatedAt: row["token_rotated_at"])
    }
}
