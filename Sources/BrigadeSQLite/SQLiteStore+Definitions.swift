import Brigade
import Foundation
import GRDB

extension SQLiteStore {
    public func putWorkflowDefinition(_ definition: WorkflowDefinition) async throws -> WorkflowDefinition {
        try await committer.submit { db in try Self.upsert(definition, in: db) }
    }

    private static func upsert(_ definition: WorkflowDefinition, in db: Database) throws -> WorkflowDefinition {
            try db.execute(
                sql: """
                    INSERT INTO workflow_definitions (tenant, name, class_name, script_name, success_retention_ms,
                        error_retention_ms, step_limit, code_version, created_at, modified_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT (tenant, name) DO UPDATE SET class_name = excluded.class_name,
                        script_name = excluded.script_name, success_retention_ms = excluded.success_retention_ms,
                        error_retention_ms = excluded.error_retention_ms, step_limit = excluded.step_limit,
                        code_version = excluded.code_version, modified_at = excluded.modified_at
                    """,
                arguments: [
                    definition.tenant, definition.name, definition.className, definition.scriptName,
                    definition.retention?.success?.wholeMilliseconds, definition.retention?.error?.wholeMilliseconds,
                    definition.stepLimit, definition.codeVersion, definition.createdAt, definition.modifiedAt,
                ])
            let row = try Row.fetchOne(
                db, sql: "SELECT * FROM workflow_definitions WHERE tenant = ? AND name = ?", arguments: [definition.tenant, definition.name])
            return Self.definition(from: row!)
    }

    public func workflowDefinitions() async throws -> [WorkflowDefinition] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM workflow_definitions ORDER BY tenant, name").map(Self.definition(from:))
        }
    }

    public func deleteWorkflowDefinition(tenant: String, name: String) async throws -> Bool {
        try await committer.submit { db in
            try db.execute(sql: "DELETE FROM workflow_definitions WHERE tenant = ? AND name = ?", arguments: [tenant, name])
            let deleted = db.changesCount > 0
            try db.execute(sql: "DELETE FROM workflow_code WHERE tenant = ? AND workflow = ?", arguments: [tenant, name])
            try db.execute(sql: "DELETE FROM workflow_schedules WHERE tenant = ? AND workflow = ?", arguments: [tenant, name])
            return deleted
        }
    }

    private static func definition(from row: Row) -> WorkflowDefinition {
        WorkflowDefinition(
            tenant: row["tenant"], name: row["name"], className: row["class_name"], scriptName: row["script_name"],
            retention: Retention(columnsOf: row), stepLimit: row["step_limit"], codeVersion: row["code_version"],
            createdAt: row["created_at"], modifiedAt: row["modified_at"])
    }

    // MARK: Tenant code

    public func deployCode(_ code: TenantCode, definition: WorkflowDefinition) async throws -> (TenantCode, WorkflowDefinition) {
        try await committer.submit { db in
            let highest = try Int.fetchOne(
                db, sql: "SELECT MAX(version) FROM workflow_code WHERE tenant = ? AND workflow = ?",
                arguments: [code.tenant, code.workflow]) ?? 0
            var stored = code
            stored.version = highest + 1
            let env = String(decoding: try JSONEncoder().encode(JSONValue.object(code.env)), as: UTF8.self)
            try db.execute(
                sql: """
                    INSERT INTO workflow_code (tenant, workflow, version, version_id, language, source, script, env, created_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    stored.tenant, stored.workflow, stored.version, stored.versionId, stored.language.rawValue, stored.source, stored.script,
                    env, stored.createdAt,
                ])
            var pointed = definition
            pointed.codeVersion = stored.version
            return (stored, try Self.upsert(pointed, in: db))
        }
    }

    public func tenantCode(tenant: String, workflow: String, version: Int) async throws -> TenantCode? {
        try await pool.read { db in
            guard
                let row = try Row.fetchOne(
                    db, sql: "SELECT * FROM workflow_code WHERE tenant = ? AND workflow = ? AND version = ?",
                    arguments: [tenant, workflow, version])
            else { return nil }
            let env = (try? JSONDecoder().decode(JSONValue.self, from: Data((row["env"] as String).utf8))) ?? .object([:])
            guard case .object(let fields) = env else { return nil }
            return TenantCode(
                tenant: row["tenant"], workflow: row["workflow"], version: row["version"], versionId: row["version_id"],
                language: CodeLanguage(rawValue: row["language"]) ?? .javascript, source: row["source"], script: row["script"], env: fields,
                createdAt: row["created_at"])
        }
    }

    public func tenantCodeVersions(tenant: String, workflow: String) async throws -> [TenantCodeVersion] {
        try await pool.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT version, version_id, language, length(CAST(source AS BLOB)) AS size, created_at FROM workflow_code
                    WHERE tenant = ? AND workflow = ? ORDER BY version DESC
                    """,
                arguments: [tenant, workflow]
            ).map { row in
                TenantCodeVersion(
                    version: row["version"], versionId: row["version_id"], language: CodeLanguage(rawValue: row["language"]) ?? .javascript,
                    size: row["size"], createdAt: row["created_at"])
            }
        }
    }
}
