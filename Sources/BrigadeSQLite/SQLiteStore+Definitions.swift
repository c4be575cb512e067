import Brigade
import Foundation
import GRDB

extension SQLiteStore {
    public func putWorkflowDefinition(_ definition: WorkflowDefinition) async throws -> WorkflowDefinition {
        try await committer.submit { db in
            try db.execute(
                sql: """
                    INSERT INTO workflow_definitions (tenant, name, class_name, script_name, success_retention_ms,
                        error_retention_ms, step_limit, created_at, modified_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT (tenant, name) DO UPDATE SET class_name = excluded.class_name,
                        script_name = excluded.script_name, success_retention_ms = excluded.success_retention_ms,
                        error_retention_ms = excluded.error_retention_ms, step_limit = excluded.step_limit,
                        modified_at = excluded.modified_at
                    """,
                arguments: [
                    definition.tenant, definition.name, definition.className, definition.scriptName,
                    definition.retention?.success?.wholeMilliseconds, definition.retention?.error?.wholeMilliseconds,
                    definition.stepLimit, definition.createdAt, definition.modifiedAt,
                ])
            let row = try Row.fetchOne(
                db, sql: "SELECT * FROM workflow_definitions WHERE tenant = ? AND name = ?", arguments: [definition.tenant, definition.name])
            return Self.definition(from: row!)
        }
    }

    public func workflowDefinitions() async throws -> [WorkflowDefinition] {
        try await pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM workflow_definitions ORDER BY tenant, name").map(Self.definition(from:))
        }
    }

    public func deleteWorkflowDefinition(tenant: String, name: String) async throws -> Bool {
        try await committer.submit { db in
            try db.execute(sql: "DELETE FROM workflow_definitions WHERE tenant = ? AND name = ?", arguments: [tenant, name])
            return db.changesCount > 0
        }
    }

    private static func definition(from row: Row) -> WorkflowDefinition {
        WorkflowDefinition(
            tenant: row["tenant"], name: row["name"], className: row["class_name"], scriptName: row["script_name"],
            retention: Retention(columnsOf: row), stepLimit: row["step_limit"], createdAt: row["created_at"], modifiedAt: row["modified_at"])
    }
}
