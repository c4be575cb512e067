import BrigadePostgres
import BrigadeTesting
import Foundation
import Logging
import Testing

@_spi(Stores) @testable import Brigade

/// A tenant's own limits set through one node of a cluster are in force on the others after
/// their next read of the store.
@Suite(.enabled(if: PostgresTestServer.isAvailable)) struct ClusterLimitsTests {
    @Test func limitsSetOnOneNodeReachTheOthers() async throws {
        let url = try PostgresTestServer.shared().newDatabase()
        func node(_ id: String) throws -> BrigadeRuntime {
            var settings = BrigadeSettings()
            settings.nodeID = id
            settings.leaseTTL = .milliseconds(1_500)
            settings.heartbeatInterval = .milliseconds(100)
            settings.clusterPollInterval = .milliseconds(100)
            let runtime = BrigadeRuntime(
                store: try PostgresStore(url: url, maxConnections: 4), settings: settings, logger: Logger(label: "brigade.test.\(id)"))
            try runtime.register(Tick())
            return runtime
        }
        let a = try node("a")
        let b = try node("b")
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await a.run() }
            group.addTask { try await b.run() }
            defer { group.cancelAll() }
            // b knows the account before the change: its Account must take the new limits.
            try await b.createInstance(tenant: "acme", workflow: Tick.name, params: Data("{}".utf8))
            try await a.setLimits(tenant: "acme", TenantLimits(creationRate: 0.5))
            try await eventually("node b to read the new limits", timeout: .seconds(10)) {
                b.state.withLock { $0.limits["acme"] } == TenantLimits(creationRate: 0.5)
            }
            // Two nodes share the rate: each admits its share, so b refuses a second creation at once.
            try await eventually("node b to refuse past its share", timeout: .seconds(10)) {
                do {
                    try await b.createInstance(tenant: "acme", workflow: Tick.name, params: Data("{}".utf8))
                    return false
                } catch let error as BrigadeError where error.code == .rateLimited {
                    return true
                }
            }
            try await a.setLimits(tenant: "acme", .defaults)
            try await eventually("node b to drop them", timeout: .seconds(10)) { b.state.withLock { $0.limits["acme"] } == nil }
        }
    }
}
