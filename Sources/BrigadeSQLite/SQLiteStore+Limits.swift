@_spi(Stores) import Brigade
import Foundation
import GRDB

extension SQLiteStore {
    @_spi(Stores) public func putTenantLimits(_ limits: TenantLimits, tenant: String, now: Int64) async throws {
        try await committer.submit { db in
            guard limits != .defaults else {
                try db.execute(sql: "DELETE FROM tenant_limits WHERE tenant = ?", arguments: [tenant])
                return
            }
            try db.execute(
                sql: """
                    INSERT OR REPLACE INTO tenant_limits (tenant, max_running, max_running_per_workflow, max_queued_per_workflow,
                        creation_rate, workflow_creation_rate, fetch_hosts, fetch_private_hosts, modified_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    tenant, limits.maxRunning, limits.maxRunningPerWorkflow, limits.maxQueuedPerWorkflow, limits.creationRate,
                    limits.workflowCreationRate, TenantLimits.hostsText(limits.fetchHosts),
                    TenantLimits.hostsText(limits.fetchPrivateHosts), now,
                ])
        }
    }

    @_spi(Stores) public func tenantLimits() async throws -> [String: TenantLimits] {
        try await pool.read { db in
            var limits: [String: TenantLimits] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT * FROM tenant_limits") {
                limits[row["tenant"]] = TenantLimits(
                    maxRunning: row["max_running"], maxRunningPerWorkflow: row["max_running_per_workflow"],
                    maxQueuedPerWorkflow: row["max_queued_per_workflow"], creationRate: row["creation_rate"],
                    workflowCreationRate: row["workflow_creation_rate"], fetchHosts: TenantLimits.hosts(row["fetch_hosts"]),
                    fetchPrivateHosts: TenantLimits.hosts(row["fetch_private_hosts"]))
            }
            return limits
        }
    }
}
