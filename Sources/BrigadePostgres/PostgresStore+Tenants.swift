import Brigade
import PostgresNIO

extension PostgresStore: TenantStore {
    public func createTenant(_ tenant: TenantRecord) async throws {
        let created = try await read { client, logger in
            try await client.query(
                """
                INSERT INTO tenants (id, token_hash, created_at, token_rotated_at)
                VALUES (\(tenant.id), \(tenant.tokenHash), \(tenant.createdAt), \(tenant.tokenRotatedAt))
                ON CONFLICT (id) DO NOTHING RETURNING id
                """, logger: logger
            ).collect()
        }
        if created.isEmpty {
            throw BrigadeError.tenantAlreadyExists(tenant.id)
        }
    }

    public func tenants() async throws -> [TenantRecord] {
        try await read { client, logger in
            try await client.query("SELECT * FROM tenants ORDER BY id", logger: logger).collect().map(Self.tenant)
        }
    }

    public func tenant(id: String) async throws -> TenantRecord? {
        try await read { client, logger in
            try await client.query("SELECT * FROM tenants WHERE id = \(id)", logger: logger).collect().first.map(Self.tenant)
        }
    }

    public func tenant(tokenHash: String) async throws -> TenantRecord? {
        try await read { client, logger in
            try await client.query("SELECT * FROM tenants WHERE token_hash = \(tokenHash)", logger: logger).collect().first.map(Self.tenant)
        }
    }

    public func rotateToken(tenant: String, tokenHash: String, now: Int64) async throws {
        let rotated = try await read { client, logger in
            try await client.query(
                "UPDATE tenants SET token_hash = \(tokenHash), token_rotated_at = \(now) WHERE id = \(tenant) RETURNING id", logger: logger
            ).collect()
        }
        if rotated.isEmpty {
            throw BrigadeError.tenantNotFound(tenant)
        }
    }

    private static func tenant(_ row: PostgresRow) throws -> TenantRecord {
        let cells = row.makeRandomAccess()
        return TenantRecord(
            id: try cells["id"].decode(String.self), tokenHash: try cells["token_hash"].decode(String.self),
            createdAt: try cells["created_at"].decode(Int64.self), tokenRotatedAt: try cells["token_rotated_at"].decode(Int64?.self))
    }
}
