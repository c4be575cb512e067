import ArgumentParser
import Brigade
import BrigadeJS
import Foundation

/// The dynamic-workflow benchmarks: tenant JavaScript on JavaScriptCore.
enum JavaScriptReplay {
    /// Wall time of the wakes (cold, warm by round, steady, one tenant, the Swift twin), and the
    /// sandbox's split of them, in milliseconds.
    struct Result: BenchmarkResult {
        var tenants: Int
        var coldWakeP50Ms: Double
        var coldWakeP99Ms: Double
        var coldBootP50Ms: Double
        var coldBootP99Ms: Double
        var coldBootsFromStandby: Int
        var coldInJsP50Ms: Double
        var coldInJsP99Ms: Double
        var coldBootPlusJsP50Ms: Double
        var coldInJsCpuP50Ms: Double
        var warmWakeP50Ms: Double
        var warmWakeP99Ms: Double
        var warmInJsP50Ms: Double
        var warmInJsP99Ms: Double
        var warmInJsCpuP50Ms: Double
        var warmInHostP50Ms: Double
        var warmReplayP50Ms: Double
        var warmReplayP99Ms: Double
        var warmReplayCpuP50Ms: Double
        var warmReplayP50MsByRound: [Double]
        var coldReplayP50Ms: Double
        var warmRounds: Int
        var warmInJsP50MsByRound: [Double]
        var warmInJsCpuP50MsByRound: [Double]
        var steadyWakeP50Ms: Double
        var steadyInJsP50Ms: Double
        var steadyInJsP99Ms: Double
        var steadyInJsCpuP50Ms: Double
        var steadyInHostP50Ms: Double
        var oneTenantWakeP50Ms: Double
        var oneTenantInJsP50Ms: Double
        var oneTenantInJsP99Ms: Double
        var oneTenantInJsCpuP50Ms: Double
        var oneTenantInHostP50Ms: Double
        var oneTenantReplayP50Ms: Double
        var oneTenantReplayCpuP50Ms: Double
        var warmEntriesPerWake: Double
        var warmJournalAnswersPerWake: Double
        var swiftWakeP50Ms: Double
        var swiftWakeP99Ms: Double
        var bootOnlyP50Ms: Double
        var bootOnlyP99Ms: Double
        var heapSurveys: Int

        var summary: String {
            "js-replay, \(tenants) tenants, 10 steps: cold wake p50 \(coldWakeP50Ms) ms (boot + 10-step replay \(coldBootPlusJsP50Ms) ms: boot \(coldBootP50Ms), \(coldBootsFromStandby) of \(tenants) from a standby context, + in JS \(coldInJsP50Ms) ms), warm wake p50 \(warmWakeP50Ms) ms (replay: the entry that starts run and replays 10 steps \(warmReplayP50Ms) ms, CPU \(warmReplayCpuP50Ms) ms, by round \(warmReplayP50MsByRound); in JS in all \(warmInJsP50Ms) ms, CPU \(warmInJsCpuP50Ms) ms, p99 \(warmInJsP99Ms); by round \(warmInJsP50MsByRound), CPU \(warmInJsCpuP50MsByRound); of it in host functions \(warmInHostP50Ms) ms; \(warmEntriesPerWake) entries, \(warmJournalAnswersPerWake) steps from the journal per wake), one tenant's instances back to back: replay p50 \(oneTenantReplayP50Ms) ms (CPU \(oneTenantReplayCpuP50Ms)), in JS in all \(oneTenantInJsP50Ms) ms (host \(oneTenantInHostP50Ms) ms, p99 \(oneTenantInJsP99Ms)), Swift wake p50 \(swiftWakeP50Ms) ms; boot alone, no standby p50 \(bootOnlyP50Ms) ms; VM heaps measured \(heapSurveys) times"
        }
    }

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
    static func measure(
        _ runtime: BrigadeRuntime, loader: TenantCodeLoader, sandbox: JavaScriptSandbox, tenants: Int, warmRounds: Int = 4
    ) async throws -> Result {
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
                guard row.status == .complete else {
                    throw ValidationError("\(key) ended \(row.status.rawValue): \(String(describing: row.error))")
                }
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
                let id = try await runtime.createInstance(
                    tenant: name, workflow: "waiter", id: "\(round)-\(index)", params: Data("{}".utf8))
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
        return Result(
            tenants: tenants,
            coldWakeP50Ms: p(cold.map(\.wall), 50),
            coldWakeP99Ms: p(cold.map(\.wall), 99),
            coldBootP50Ms: p(cold.map(\.boot), 50),
            coldBootP99Ms: p(cold.map(\.boot), 99),
            coldBootsFromStandby: coldStandbyBoots,
            coldInJsP50Ms: p(cold.map(\.inJS), 50),
            coldInJsP99Ms: p(cold.map(\.inJS), 99),
            coldBootPlusJsP50Ms: p(cold.map { $0.boot + $0.inJS }, 50),
            coldInJsCpuP50Ms: p(cold.map(\.inJSCPU), 50),
            warmWakeP50Ms: p(warm.map(\.wall), 50),
            warmWakeP99Ms: p(warm.map(\.wall), 99),
            warmInJsP50Ms: p(warm.map(\.inJS), 50),
            warmInJsP99Ms: p(warm.map(\.inJS), 99),
            warmInJsCpuP50Ms: p(warm.map(\.inJSCPU), 50),
            warmInHostP50Ms: p(warm.map(\.inHost), 50),
            warmReplayP50Ms: p(warm.map(\.replay), 50),
            warmReplayP99Ms: p(warm.map(\.replay), 99),
            warmReplayCpuP50Ms: p(warm.map(\.replayCPU), 50),
            warmReplayP50MsByRound: rounds.map { p($0.map(\.replay), 50) },
            coldReplayP50Ms: p(cold.map(\.replay), 50),
            warmRounds: rounds.count,
            warmInJsP50MsByRound: rounds.map { p($0.map(\.inJS), 50) },
            warmInJsCpuP50MsByRound: rounds.map { p($0.map(\.inJSCPU), 50) },
            steadyWakeP50Ms: p(steady.map(\.wall), 50),
            steadyInJsP50Ms: p(steady.map(\.inJS), 50),
            steadyInJsP99Ms: p(steady.map(\.inJS), 99),
            steadyInJsCpuP50Ms: p(steady.map(\.inJSCPU), 50),
            steadyInHostP50Ms: p(steady.map(\.inHost), 50),
            oneTenantWakeP50Ms: p(oneTenant.map(\.wall), 50),
            oneTenantInJsP50Ms: p(oneTenant.map(\.inJS), 50),
            oneTenantInJsP99Ms: p(oneTenant.map(\.inJS), 99),
            oneTenantInJsCpuP50Ms: p(oneTenant.map(\.inJSCPU), 50),
            oneTenantInHostP50Ms: p(oneTenant.map(\.inHost), 50),
            oneTenantReplayP50Ms: p(oneTenant.map(\.replay), 50),
            oneTenantReplayCpuP50Ms: p(oneTenant.map(\.replayCPU), 50),
            warmEntriesPerWake: ProcessMetrics.round3(warmEntries),
            warmJournalAnswersPerWake: ProcessMetrics.round3(warmJournalAnswers),
            swiftWakeP50Ms: p(swift, 50),
            swiftWakeP99Ms: p(swift, 99),
            bootOnlyP50Ms: p(boots, 50),
            bootOnlyP99Ms: p(boots, 99),
            heapSurveys: (SandboxStatistics.current - atStart).heapSurveys)
    }
}

extension Sequence {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var results: [T] = []
        for element in self { results.append(try await transform(element)) }
        return results
    }
}
