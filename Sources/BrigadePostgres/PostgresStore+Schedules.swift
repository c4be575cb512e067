@_spi(Stores) import Brigade
import Foundation
import Logging
import PostgresNIO

/// The cron schedules of tenants' workflows.
extension PostgresStore {
    @_spi(Stores) public func replaceSchedules(tenant: String, workflow: String, _ schedules: [WorkflowSchedule], maxPerTenant: Int)
        async throws
        -> [WorkflowSchedule]
    {
        let logger = self.logger
        return try await lane(tenant: tenant, workflow: workflow).submit { connection in
            // Two nodes replacing two workflows' schedules at once must not both pass the
            // account's count: the count and the change are serialized per tenant.
            let lockKey = "brigade.schedules:\(tenant)"
            try await connection.query("SELECT pg_advisory_xact_lock(hashtext(\(lockKey)))", logger: logger)
            let others =
                try await connection.query(
                    "SELECT count(*)::bigint FROM workflow_schedules WHERE tenant = \(tenant) AND workflow <> \(workflow)", logger: logger
                ).collect().first?.decode(Int64.self) ?? 0
            if Int(others) + schedules.count > maxPerTenant {
                throw BrigadeError.scheduleLimit(tenant: tenant, others: Int(others), asked: schedules.count, limit: maxPerTenant)
            }
            let kept = schedules.map(\.cron)
            try await connection.query(
                "DELETE FROM workflow_schedules WHERE tenant = \(tenant) AND workflow = \(workflow) AND NOT (cron = ANY(\(kept)))",
                logger: logger)
            for schedule in schedules {
                try await connection.query(
                    """
                    INSERT INTO workflow_schedules (tenant, workflow, cron, next_at, created_at)
                    VALUES (\(tenant), \(workflow), \(schedule.cron), \(schedule.nextAt), \(schedule.createdAt))
                    ON CONFLICT (tenant, workflow, cron) DO NOTHING
                    """, logger: logger)
            }
            return try await connection.query(
                "SELECT * FROM workflow_schedules WHERE tenant = \(tenant) AND workflow = \(workflow) ORDER BY cron COLLATE \"C\"",
                logger: logger
            ).collect().map(Self.schedule)
        }
    }

    @_spi(Stores) public func schedules(tenant: String, workflow: String) async throws -> [WorkflowSchedule] {
        try await read { connection, logger in
            try await connection.query(
                "SELECT * FROM workflow_schedules WHERE tenant = \(tenant) AND workflow = \(workflow) ORDER BY cron COLLATE \"C\"",
                logger: logger
            ).collect().map(Self.schedule)
        }
    }

    @_spi(Stores) public func dueSchedules(now: Int64, limit: Int) async throws -> [WorkflowSchedule] {
        try await read { connection, logger in
            try await connection.query(
                "SELECT * FROM workflow_schedules WHERE next_at <= \(now) ORDER BY next_at LIMIT \(Int64(limit))", logger: logger
            ).collect().map(Self.schedule)
        }
    }

    @_spi(Stores) public func earliestScheduleTime() async throws -> Int64? {
        try await read { connection, logger in
            try await connection.query("SELECT min(next_at) FROM workflow_schedules", logger: logger).collect().first?.decode(Int64?.self)
        }
    }

    @_spi(Stores) public func advanceSchedule(_ schedule: WorkflowSchedule, to next: Int64) async throws -> Bool {
        let logger = self.logger
        return try await lane(tenant: schedule.tenant, workflow: schedule.workflow).submit { connection in
            let rows = try await connection.query(
                """
                UPDATE workflow_schedules SET next_at = \(next)
                WHERE tenant = \(schedule.tenant) AND workflow = \(schedule.workflow) AND cron = \(schedule.cron) AND next_at = \(schedule.nextAt)
                RETURNING next_at
                """, logger: logger
            ).collect()
            return rows.count == 1
        }
    }

    private static func schedule(_ row: PostgresRow) throws -> WorkflowSchedule {
        let cells = row.makeRandomAccess()
        return WorkflowSchedule(
            tenant: try cells["tenant"].decode(String.self), workflow: try cells["workflow"].decode(String.self),
            cron: try cells["cron"].decode(String.self), nextAt: try cells["next_at"].decode(Int64.self),
            createdAt: try cells["created_at"].decode(Int64.self))
    }
}
