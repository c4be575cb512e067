@_spi(Stores) import Brigade
import Foundation
import GRDB

extension SQLiteStore {
    @_spi(Stores) public func replaceSchedules(tenant: String, workflow: String, _ schedules: [WorkflowSchedule], maxPerTenant: Int)
        async throws
        -> [WorkflowSchedule]
    {
        try await committer.submit { db in
            let others =
                try Int.fetchOne(
                    db, sql: "SELECT COUNT(*) FROM workflow_schedules WHERE tenant = ? AND workflow <> ?", arguments: [tenant, workflow])
                ?? 0
            if others + schedules.count > maxPerTenant {
                throw BrigadeError.scheduleLimit(tenant: tenant, others: others, asked: schedules.count, limit: maxPerTenant)
            }
            let kept = Set(schedules.map(\.cron))
            for stored in try String.fetchAll(
                db, sql: "SELECT cron FROM workflow_schedules WHERE tenant = ? AND workflow = ?", arguments: [tenant, workflow])
            where !kept.contains(stored) {
                try db.execute(
                    sql: "DELETE FROM workflow_schedules WHERE tenant = ? AND workflow = ? AND cron = ?",
                    arguments: [tenant, workflow, stored])
            }
            for schedule in schedules {
                try db.execute(
                    sql: """
                        INSERT INTO workflow_schedules (tenant, workflow, cron, next_at, created_at) VALUES (?, ?, ?, ?, ?)
                        ON CONFLICT (tenant, workflow, cron) DO NOTHING
                        """,
                    arguments: [tenant, workflow, schedule.cron, schedule.nextAt, schedule.createdAt])
            }
            return try Self.schedules(tenant: tenant, workflow: workflow, in: db)
        }
    }

    @_spi(Stores) public func schedules(tenant: String, workflow: String) async throws -> [WorkflowSchedule] {
        try await pool.read { db in try Self.schedules(tenant: tenant, workflow: workflow, in: db) }
    }

    private static func schedules(tenant: String, workflow: String, in db: Database) throws -> [WorkflowSchedule] {
        try Row.fetchAll(
            db, sql: "SELECT * FROM workflow_schedules WHERE tenant = ? AND workflow = ? ORDER BY cron", arguments: [tenant, workflow]
        ).map(Self.schedule(from:))
    }

    @_spi(Stores) public func dueSchedules(now: Int64, limit: Int) async throws -> [WorkflowSchedule] {
        try await pool.read { db in
            try Row.fetchAll(
                db, sql: "SELECT * FROM workflow_schedules WHERE next_at <= ? ORDER BY next_at LIMIT ?", arguments: [now, limit]
            ).map(Self.schedule(from:))
        }
    }

    @_spi(Stores) public func earliestScheduleTime() async throws -> Int64? {
        try await pool.read { db in try Int64.fetchOne(db, sql: "SELECT MIN(next_at) FROM workflow_schedules") }
    }

    @_spi(Stores) public func advanceSchedule(_ schedule: WorkflowSchedule, to next: Int64) async throws -> Bool {
        try await committer.submit { db in
            try db.execute(
                sql: "UPDATE workflow_schedules SET next_at = ? WHERE tenant = ? AND workflow = ? AND cron = ? AND next_at = ?",
                arguments: [next, schedule.tenant, schedule.workflow, schedule.cron, schedule.nextAt])
            return db.changesCount == 1
        }
    }

    private static func schedule(from row: Row) -> WorkflowSchedule {
        WorkflowSchedule(
            tenant: row["tenant"], workflow: row["workflow"], cron: row["cron"], nextAt: row["next_at"], createdAt: row["created_at"])
    }
}
