@_spi(Stores) import Brigade
import Foundation
import PostgresNIO

/// The operator's per-tenant limits.
extension PostgresStore {
    @_spi(Stores) public func putTenantLimits(_ limits: TenantLimits, tenant: String, now: Int64) async throws {
        let logger = self.logger
        try await lane(tenant: tenant, workflow: "").submit { connection in
            guard limits != .defaults else {
                try await connection.query("DELETE FROM tenant_limits WHERE tenant = \(tenant)", logger: logger)
                return
            }
            let maxRunning = limits.maxRunning.map(Int64.init)
            let perWorkflow = limits.maxRunningPerWorkflow.map(Int64.init)
            let queued = limits.maxQueuedPerWorkflow.map(Int64.init)
            let hosts = TenantLimits.hostsText(limits.fetchHosts)
            let privateHosts = TenantLimits.hostsText(limits.fetchPrivateHosts)
            try await connection.query(
                """
                INSERT INTO tenant_limits (tenant, max_running, max_running_per_workflow, max_queued_per_workflow, creation_rate,
                    workflow_creation_rate, fetch_hosts, fetch_private_hosts, modified_at)
                VALUES (\(tenant), \(maxRunning), \(perWorkflow), \(queued), \(limits.creationRate), \(limits.workflowCreationRate),
                    \(hosts), \(privateHosts), \(now))
                ON CONFLICT (tenant) DO UPDATE SET max_running = excluded.max_running,
                    max_running_per_workflow = excluded.max_running_per_workflow, max_queued_per_workflow = excluded.max_queued_per_workflow,
                    creation_rate = excluded.creation_rate, workflow_creation_rate = excluded.workflow_creation_rate,
                    fetch_hosts = excluded.fetch_hosts, fetch_private_hosts = excluded.fetch_private_hosts, modified_at = excluded.modified_at
                """, logger: logger)
        }
    }

    @_spi(Stores) public func tenantLimits() async throws -> [String: TenantLimits] {
        try await read { connection, logger in
            var limits: [String: TenantLimits] = [:]
            for try await (tenant, maxRunning, perWorkflow, queued, rate, workflowRate, hosts, privateHosts) in try await connection.query(
                """
                SELECT tenant, max_running, max_running_per_workflow, max_queued_per_workflow, creation_rate, workflow_creation_rate,
                    fetch_hosts, fetch_private_hosts
                FROM tenant_limits
                """, logger: logger
            ).decode((String, Int64?, Int64?, Int64?, Double?, Double?, String?, String?).self) {
                limits[tenant] = TenantLimits(
                    maxRunning: maxRunning.map(Int.init), maxRunningPerWorkflow: perWorkflow.map(Int.init),
                    maxQueuedPerWorkflow: queued.map(Int.init), creationRate: rate, workflowCreationRate: workflowRate,
                    fetchHosts: TenantLimits.hosts(hosts), fetchPrivateHosts: TenantLimits.hosts(privateHosts))
            }
            return limits
        }
    }
}
