import Brigade
import Foundation
import Logging
import PostgresNIO

/// Tenants' workflow definitions and the versions of their code.
extension PostgresStore {
    public func putWorkflowDefinition(_ definition: WorkflowDefinition) async throws -> WorkflowDefinition {
        let logger = self.logger
        return try await lane(tenant: definition.tenant, workflow: definition.name).submit { connection in try await Self.upsert(definition, on: connection, logger: logger) }
    }

    private static func upsert(_ definition: WorkflowDefinition, on connection: PostgresConnection, logger: Logger) async throws
        -> WorkflowDefinition
    {
        let success = definition.retention?.success?.wholeMilliseconds
        let error = definition.retention?.error?.wholeMilliseconds
        let stepLimit = definition.stepLimit.map(Int64.init)
        let codeVersion = definition.codeVersion.map(Int64.init)
        let rows = try await connection.query(
            """
            INSERT INTO workflow_definitions (tenant, name, class_name, script_name, success_retention_ms, error_retention_ms,
                step_limit, code_version, created_at, modified_at)
            VALUES (\(definition.tenant), \(definition.name), \(definition.className), \(definition.scriptName), \(success), \(error),
                \(stepLimit), \(codeVersion), \(definition.createdAt), \(definition.modifiedAt))
            ON CONFLICT (tenant, name) DO UPDATE SET class_name = excluded.class_name, script_name = excluded.script_name,
                success_retention_ms = excluded.success_retention_ms, error_retention_ms = excluded.error_retention_ms,
                step_limit = excluded.step_limit, code_version = excluded.code_version, modified_at = excluded.modified_at
            RETURNING *
            """, logger: logger
        ).collect()
        return try Self.definition(rows[0])
    }

    public func workflowDefinitions() async throws -> [WorkflowDefinition] {
        try await read { client, logger in
            try await client.query("SELECT * FROM workflow_definitions ORDER BY tenant, name", logger: logger).collect().map(Self.definition)
        }
    }

    public func deleteWorkflowDefinition(tenant: String, name: String) async throws -> Bool {
        let logger = self.logger
        return try await lane(tenant: tenant, workflow: name).submit { connection in
            let deleted = try await connection.query(
                "DELETE FROM workflow_definitions WHERE tenant = \(tenant) AND name = \(name) RETURNING name", logger: logger
            ).collect()
            try await connection.query("DELETE FROM workflow_code WHERE tenant = \(tenant) AND workflow = \(name)", logger: logger)
            try await connection.query("DELETE FROM workflow_schedules WHERE tenant = \(tenant) AND workflow = \(name)", logger: logger)
            return !deleted.isEmpty
        }
    }

    private static func definition(_ row: PostgresRow) throws -> WorkflowDefinition {
        let cells = row.makeRandomAccess()
        return WorkflowDefinition(
            tenant: try cells["tenant"].decode(String.self), name: try cells["name"].decode(String.self),
            className: try cells["class_name"].decode(String.self), scriptName: try cells["script_name"].decode(String.self),
            retention: try retention(cells), stepLimit: try cells["step_limit"].decode(Int64?.self).map(Int.init),
            codeVersion: try cells["code_version"].decode(Int64?.self).map(Int.init),
            createdAt: try cells["created_at"].decode(Int64.self), modifiedAt: try cells["modified_at"].decode(Int64.self))
    }

    // MARK: Tenant code

    public func deployCode(_ code: TenantCode, definition: WorkflowDefinition) async throws -> (TenantCode, WorkflowDefinition) {
        let logger = self.logger
        return try await lane(tenant: code.tenant, workflow: code.workflow).submit { connection in
            // Two deploys of one workflow at once (from two nodes) take versions one after the
            // other: the first holds this lock until it commits.
            // Rows read to their end: a row-returning statement's error (a deadlock) arrives with its rows.
            _ = try await connection.query(
                "SELECT pg_advisory_xact_lock(hashtextextended(\(code.tenant + "/" + code.workflow), 0))", logger: logger
            ).collect()
            var highest: Int64 = 0
            for try await version in try await connection.query(
                "SELECT coalesce(max(version), 0) FROM workflow_code WHERE tenant = \(code.tenant) AND workflow = \(code.workflow)",
                logger: logger
            ).decode(Int64.self) {
                highest = version
            }
            var stored = code
            stored.version = Int(highest) + 1
            let env = String(decoding: try JSONEncoder().encode(JSONValue.object(code.env)), as: UTF8.self)
            let language = stored.language.rawValue
            try await connection.query(
                """
                INSERT INTO workflow_code (tenant, workflow, version, version_id, language, source, script, env, created_at)
                VALUES (\(stored.tenant), \(stored.workflow), \(Int64(stored.version)), \(stored.versionId), \(language),
                    \(stored.source), \(stored.script), \(env), \(stored.createdAt))
                """, logger: logger)
            var pointed = definition
            pointed.codeVersion = stored.version
            return (stored, try await Self.upsert(pointed, on: connection, logger: logger))
        }
    }

    public func tenantCode(tenant: String, workflow: String, version: Int) async throws -> TenantCode? {
        try await read { client, logger in
            guard
                let row = try await client.query(
                    """
                    SELECT * FROM workflow_code WHERE tenant = \(tenant) AND workflow = \(workflow) AND version = \(Int64(version))
                    """, logger: logger
                ).collect().first
            else { return nil }
            let cells = row.makeRandomAccess()
            let env = (try? JSONDecoder().decode(JSONValue.self, from: Data(try cells["env"].decode(String.self).utf8))) ?? .object([:])
            guard case .object(let fields) = env else { return nil }
            return TenantCode(
                tenant: tenant, workflow: workflow, version: version, versionId: try cells["version_id"].decode(String.self),
                language: CodeLanguage(rawValue: try cells["language"].decode(String.self)) ?? .javascript,
                source: try cells["source"].decode(String.self), script: try cells["script"].decode(String.self), env: fields,
                createdAt: try cells["created_at"].decode(Int64.self))
        }
    }

    public func tenantCodeVersions(tenant: String, workflow: String) async throws -> [TenantCodeVersion] {
        try await read { client, logger in
            var versions: [TenantCodeVersion] = []
            for try await (version, versionId, language, size, createdAt) in try await client.query(
                """
                SELECT version, version_id, language, octet_length(source)::bigint, created_at FROM workflow_code
                WHERE tenant = \(tenant) AND workflow = \(workflow) ORDER BY version DESC
                """, logger: logger
            ).decode((Int64, String, String, Int64, Int64).self) {
                versions.append(
                    TenantCodeVersion(
                        version: Int(version), versionId: versionId, language: CodeLanguage(rawValue: language) ?? .javascript,
                        size: Int(size), createdAt: createdAt))
            }
            return versions
        }
    }
}
