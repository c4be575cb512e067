import Brigade
import BrigadeJS
import Foundation

/// Boots `tenants` runners with distinct code through a loader capped at `cache`, and samples the
/// process's memory as it goes: what the loader holds is bounded by its cache, not by tenants.
enum JavaScriptTenants {
    struct Result: BenchmarkResult {
        var tenants: Int
        var cache: Int
        var cachedAfter: Int
        var boots: Int
        var bootMeanMs: Double
        /// Resident memory in MiB after so many tenants were booted ("0" before the first).
        var rssMibByTenantsBooted: [String: Double]

        var summary: String {
            "js-tenants: \(tenants) tenants booted through a loader capped at \(cache) (\(bootMeanMs) ms each): RSS MiB by tenants booted \(rssMibByTenantsBooted.sorted { (Int($0.key) ?? 0) < (Int($1.key) ?? 0) }.map { "\($0.key): \($0.value)" }.joined(separator: ", ")), \(cachedAfter) cached at the end"
        }
    }

    static func measure(sandbox: JavaScriptSandbox, tenants: Int, cache: Int) async throws -> Result {
        let loader = TenantCodeLoader(sandbox: sandbox, settings: .init(idleTime: .seconds(3_600), maxCached: cache)) {
            tenant, workflow, version in
            let salt = Int(tenant.dropFirst()) ?? 0
            return TenantCode(
                tenant: tenant, workflow: workflow, version: version, versionId: "", language: .javascript, source: "",
                script: BenchScripts.compiledWaiter(salt: salt), env: [:], createdAt: 0)
        }
        var samples: [String: Double] = ["0": ProcessMetrics.memoryMiB().rss]
        let checkpoints = Set([cache, 1_000, 2_000, 5_000, tenants].filter { $0 <= tenants })
        let start = ContinuousClock.now
        for index in 0..<tenants {
            _ = try await loader.runner(tenant: "t\(index)", workflow: "w", version: 1)
            if checkpoints.contains(index + 1) { samples["\(index + 1)"] = ProcessMetrics.round3(ProcessMetrics.memoryMiB().rss) }
        }
        let wall = ProcessMetrics.milliseconds(ContinuousClock.now - start)
        return Result(
            tenants: tenants, cache: cache, cachedAfter: loader.cachedCount, boots: loader.bootCount,
            bootMeanMs: ProcessMetrics.round3(wall / Double(tenants)), rssMibByTenantsBooted: samples)
    }
}
