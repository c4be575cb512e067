import ArgumentParser
import Brigade
import BrigadeJS
import Foundation

/// The dynamic-workflow benchmarks: tenant JavaScript on JavaScriptCore.
extension BenchCommand {
    /// Cold and warm replay of a ten-step tenant workflow, beside its Swift twin.
    ///
    /// Each of `tenants` tenants has distinct code (ten steps, then a wait for `go`). One instance
    /// per tenant runs to the wait and hibernates; then, one at a time, `go` is sent and the
    /// instance's wake is measured until it completes: the engine claims it, `run` replays the
    /// ten journaled steps and receives the event. Cold: the loader's cache was emptied, so the
    /// wake boots a context and loads the code first. Warm: the tenant's context is cached; the
    /// first warm round is the context's second run ever (its code still cold in the
    /// interpreter), later rounds show a runner in steady use. Between two wakes of one tenant
    /// the engine wakes every other tenant, so a warm wake finds the processor's caches holding
    /// the engine's data, not that tenant's context. One tenant: `tenants` instances of a single
    /// tenant woken back to back, its context touched on every wake. The Swift twin does the same
    /// with a registered workflow. The sandbox's own counters split each wake into booting, time
    /// inside tenant code (wall and thread CPU time), and the part of it spent in host functions.
    static func jsReplay(
        _ runtime: BrigadeRuntime, loader: TenantCodeLoader, sandbox: JavaScriptSandbox, tenants: Int, warmRounds: Int = 4
    ) async throws
        -> [String: Any]
    {
        precondition(warmRounds >= 1, "js-replay needs at least one warm round")
        let atStart = SandboxStatistics.current
        for index in 0..<tenants {
            try await runtime.deployWorkflow(
                tenant: "t\(index)", name: "waiter", source: BenchScripts.waiter(salt: index), language: .javascript, sandbox: sandbox)
        }
        func park(_ keys: [InstanceKey]) async throws {
            for key in keys {
                while try await runtime.instanceRow(key).status != .waiting { try await Task.sleep(for: .milliseconds(1)) }
            }
        }
        /// One wake, in milliseconds.
        struct Wake {
            var wall: Double
            var boot: Double
            var inJS: Double
            var inJSCPU: Double
            /// Of `inJS`, in host functions.
            var inHost: Double
            /// Of `inJS`, the entry that started `run`: the replay of the ten journaled steps, up
            /// to the wait (wall and CPU time). The rest is the event's entry, where `run` returns.
            var replay: Double
            var replayCPU: Double
        }
        var entries = 0
        var standbyBoots = 0
        var journalAnswers = 0
        func wakeEach(_ keys: [InstanceKey]) async throws -> [Wake] {
            var samples: [Wake] = []
            for key in keys {
                let before = SandboxStatistics.current
                let start = ContinuousClock.now
                try await runtime.sendEvent(key, type: "go", payload: Data("{}".utf8))
                let row = try await runtime.waitForCompletion(key)
                let wall = ProcessMetrics.milliseconds(ContinuousClock.now - start)
                guard row.status == .complete else { throw ValidationError("\(key) ended \(row.status.rawValue): \(String(describing: row.error))") }
                let used = SandboxStatistics.current - before
                samples.append(
                    Wake(
                        wall: wall, boot: Double(used.bootNanoseconds) / 1e6, inJS: Double(used.entryNanoseconds) / 1e6,
                        inJSCPU: Double(used.entryCPUNanoseconds) / 1e6, inHost: Double(used.hostNanoseconds) / 1e6,
                        replay: Double(used.startEntryNanoseconds) / 1e6, replayCPU: Double(used.startEntryCPUNanoseconds) / 1e6))
                entries += used.entries
                standbyBoots += used.standbyBoots
                journalAnswers += used.journalAnswers
            }
            return samples
        }
        /// One instance per tenant, or `tenants` instances of `tenant`.
        func create(_ round: String, tenant: String? = nil) async throws -> [InstanceKey] {
            try await (0..<tenants).asyncMap { index in
                let name = tenant ?? "t\(index)"
                let id = try await runtime.createInstance(tenant: name, workflow: "waiter", id: "\(round)-\(index)", params: Data("{}".utf8))
                return InstanceKey(tenant: name, workflow: "waiter", id: id)
            }
        }
        // Cold: every runner evicted before the wakes.
        let coldKeys = try await create("cold")
        try await park(coldKeys)
        loader.evictAll()
        let cold = try await wakeEach(coldKeys)
        let coldStandbyBoots = standbyBoots
        // Warm: the same tenants, runners cached (the first run of each instance booted nothing),
        // round after round.
        var rounds: [[Wake]] = []
        for round in 0..<warmRounds {
            let warmKeys = try await create("warm\(round)")
            try await park(warmKeys)
            entries = 0
            journalAnswers = 0
            rounds.append(try await wakeEach(warmKeys))
        }
        // Of the last round (the counts are reset before each).
        let warmEntries = Double(entries) / Double(tenants)
        let warmJournalAnswers = Double(journalAnswers) / Double(tenants)
        let warm = rounds[0]
        let steady = rounds[rounds.count - 1]
        // One tenant's instances, back to back.
        let oneTenantKeys = try await create("one", tenant: "t0")
        try await park(oneTenantKeys)
        let oneTenant = try await wakeEach(oneTenantKeys)
        // The Swift twin.
        let swiftKeys = try await (0..<tenants).asyncMap { index in
            InstanceKey(
                tenant: BrigadeRuntime.defaultTenant, workflow: BenchWaiter.name,
                id: try await runtime.createInstance(workflow: BenchWaiter.name, id: "swift-\(index)", params: Data("{}".utf8)))
        }
        try await park(swiftKeys)
        let swift = try await wakeEach(swiftKeys).map(\.wall)

        // A sandbox-only measure, engine excluded: boots of fresh tenants' code back to back. None
        // of these runners runs or is released (both make a VM prepare its next standby context),
        // so each boot makes its context and evaluates the prelude: a cold start without a standby.
        var boots: [Double] = []
        var booted: [any WorkflowRunner] = []
        defer { withExtendedLifetime(booted) {} }
        for index in 0..<tenants {
            let code = TenantCode(
                tenant: "boot\(index)", workflow: "w", version: 1, versionId: "", language: .javascript, source: "",
                script: BenchScripts.compiledWaiter(salt: index), env: [:], createdAt: 0)
            let start = ContinuousClock.now
            booted.append(try await sandbox.boot(code))
            boots.append(ProcessMetrics.milliseconds(ContinuousClock.now - start))
        }
        func p(_ values: [Double], _ q: Double) -> Double { ProcessMetrics.round3(ProcessMetrics.percentile(values, q)) }
        return [
            "tenants": tenants,
            "cold_wake_p50_ms": p(cold.map(\.wall), 50), "cold_wake_p99_ms": p(cold.map(\.wall), 99),
            "cold_boot_p50_ms": p(cold.map(\.boot), 50), "cold_boot_p99_ms": p(cold.map(\.boot), 99),
            "cold_boots_from_standby": coldStandbyBoots,
            "cold_in_js_p50_ms": p(cold.map(\.inJS), 50), "cold_in_js_p99_ms": p(cold.map(\.inJS), 99),
            "cold_boot_plus_js_p50_ms": p(cold.map { $0.boot + $0.inJS }, 50), "cold_in_js_cpu_p50_ms": p(cold.map(\.inJSCPU), 50),
            "warm_wake_p50_ms": p(warm.map(\.wall), 50), "warm_wake_p99_ms": p(warm.map(\.wall), 99),
            "warm_in_js_p50_ms": p(warm.map(\.inJS), 50), "warm_in_js_p99_ms": p(warm.map(\.inJS), 99),
            "warm_in_js_cpu_p50_ms": p(warm.map(\.inJSCPU), 50), "warm_in_host_p50_ms": p(warm.map(\.inHost), 50),
            "warm_replay_p50_ms": p(warm.map(\.replay), 50), "warm_replay_p99_ms": p(warm.map(\.replay), 99),
            "warm_replay_cpu_p50_ms": p(warm.map(\.replayCPU), 50), "warm_replay_p50_ms_by_round": rounds.map { p($0.map(\.replay), 50) },
            "cold_replay_p50_ms": p(cold.map(\.replay), 50),
            "warm_rounds": rounds.count, "warm_in_js_p50_ms_by_round": rounds.map { p($0.map(\.inJS), 50) },
            "warm_in_js_cpu_p50_ms_by_round": rounds.map { p($0.map(\.inJSCPU), 50) },
            "steady_wake_p50_ms": p(steady.map(\.wall), 50), "steady_in_js_p50_ms": p(steady.map(\.inJS), 50),
            "steady_in_js_p99_ms": p(steady.map(\.inJS), 99), "steady_in_js_cpu_p50_ms": p(steady.map(\.inJSCPU), 50),
            "steady_in_host_p50_ms": p(steady.map(\.inHost), 50),
            "one_tenant_wake_p50_ms": p(oneTenant.map(\.wall), 50), "one_tenant_in_js_p50_ms": p(oneTenant.map(\.inJS), 50),
            "one_tenant_in_js_p99_ms": p(oneTenant.map(\.inJS), 99), "one_tenant_in_js_cpu_p50_ms": p(oneTenant.map(\.inJSCPU), 50),
            "one_tenant_in_host_p50_ms": p(oneTenant.map(\.inHost), 50),
            "one_tenant_replay_p50_ms": p(oneTenant.map(\.replay), 50), "one_tenant_replay_cpu_p50_ms": p(oneTenant.map(\.replayCPU), 50),
            "warm_entries_per_wake": ProcessMetrics.round3(warmEntries), "warm_journal_answers_per_wake": ProcessMetrics.round3(warmJournalAnswers),
            "swift_wake_p50_ms": p(swift, 50), "swift_wake_p99_ms": p(swift, 99),
            "boot_only_p50_ms": p(boots, 50), "boot_only_p99_ms": p(boots, 99),
            "heap_surveys": (SandboxStatistics.current - atStart).heapSurveys,
        ]
    }

    /// Boots `tenants` runners with distinct code through a loader capped at `cache`, and samples the
    /// process's memory as it goes: what the loader holds is bounded by its cache, not by tenants.
    static func jsTenants(sandbox: JavaScriptSandbox, tenants: Int, cache: Int) async throws -> [String: Any] {
        let loader = TenantCodeLoader(sandbox: sandbox, settings: .init(idleTime: .seconds(3_600), maxCached: cache)) { tenant, workflow, version in
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
        return [
            "tenants": tenants, "cache": cache, "cached_after": loader.cachedCount, "boots": loader.bootCount,
            "boot_mean_ms": ProcessMetrics.round3(wall / Double(tenants)), "rss_mib_by_tenants_booted": samples,
        ]
    }

    /// W1 with the workflow in JavaScript: `n` instances of one tenant workflow of `k` steps.
    static func w1JavaScript(_ runtime: BrigadeRuntime, sandbox: JavaScriptSandbox, n: Int, k: Int, concurrency: Int) async throws
        -> [String: Any]
    {
        try await runtime.deployWorkflow(name: "bench-js", source: BenchScripts.steps, language: .javascript, sandbox: sandbox)
        let before = SandboxStatistics.current
        var metrics = try await throughput(
            n: n, k: k, concurrency: concurrency,
            create: { index in
                _ = try await runtime.createInstance(workflow: "bench-js", id: "w1js-\(index)", params: Data("{\"k\":\(k)}".utf8))
            },
            counts: { try await runtime.instanceCounts(workflow: "bench-js") })
        let used = SandboxStatistics.current - before
        metrics["in_js_ms_per_step"] = ProcessMetrics.round3(Double(used.entryNanoseconds) / 1e6 / Double(n * k))
        metrics["vms_booted"] = used.boots
        return metrics
    }
}

extension Sequence {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var results: [T] = []
        for element in self { results.append(try await transform(element)) }
        return results
    }
}
