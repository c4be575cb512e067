import Brigade
import BrigadeSQLite
import Foundation

/// N instances park in a durable sleep and wake when it ends. Reports the process's memory once
/// all are parked, and how late each woke (from the stored sleep records).
enum Hibernation {
    struct Result: BenchmarkResult {
        var workflows: Int
        var createS: Double
        var creationsPerS: Double
        var allParkedAtOnce: Bool
        /// -1 when they never were all parked at once.
        var rssParkedMib: Double
        var pssParkedMib: Double
        var liveEnginesWhenParked: Int
        var memoryParked: [String: Double]
        var wakeLatenessP50Ms: Double
        var wakeLatenessP99Ms: Double
        var wakeLatenessMaxMs: Double
        var woken: Int
        var early: Int
        var wallS: Double
        var rssEndMib: Double

        var summary: String {
            "hibernated: \(workflows) created in \(createS) s (\(creationsPerS)/s); all parked at once: \(allParkedAtOnce), RSS then \(rssParkedMib) MiB (PSS \(pssParkedMib)), live engines \(liveEnginesWhenParked); \(woken) woke, lateness p50 \(wakeLatenessP50Ms) ms, p99 \(wakeLatenessP99Ms) ms, max \(wakeLatenessMaxMs) ms, early \(early)"
        }
    }

    static func measure(_ runtime: BrigadeRuntime, store: SQLiteStore, n: Int, sleepSeconds: Int) async throws -> Result {
        let client = runtime.workflow(BenchSleeper.self)
        let start = ContinuousClock.now
        try await Throughput.createAll(n, concurrency: 64) { index in
            _ = try await client.create(id: "h-\(index)", params: .init(sleepSeconds: sleepSeconds))
        }
        let create = ProcessMetrics.milliseconds(ContinuousClock.now - start) / 1_000
        var counts = try await client.counts()
        var parkedMemory: (rss: Double, pss: Double)?
        var parkedBreakdown: [String: Double] = [:]
        var liveWhenParked = -1
        while Throughput.finished(counts) < n {
            if parkedMemory == nil && counts[.waiting, default: 0] == n {
                try await Task.sleep(for: .seconds(1))
                parkedMemory = ProcessMetrics.memoryMiB()
                parkedBreakdown = ProcessMetrics.memoryBreakdownMiB()
                liveWhenParked = runtime.liveInstanceCount
            }
            try await Task.sleep(for: .milliseconds(50))
            counts = try await client.counts()
        }
        let wall = ProcessMetrics.milliseconds(ContinuousClock.now - start) / 1_000
        let lateness = try await store.sleepLateness(tenant: BrigadeRuntime.defaultTenant, workflow: BenchSleeper.name).map(Double.init)
        return Result(
            workflows: n, createS: ProcessMetrics.round3(create), creationsPerS: ProcessMetrics.round3(Double(n) / create),
            allParkedAtOnce: parkedMemory != nil,
            rssParkedMib: parkedMemory.map { ProcessMetrics.round3($0.rss) } ?? -1,
            pssParkedMib: parkedMemory.map { ProcessMetrics.round3($0.pss) } ?? -1,
            liveEnginesWhenParked: liveWhenParked, memoryParked: parkedBreakdown,
            wakeLatenessP50Ms: ProcessMetrics.round3(ProcessMetrics.percentile(lateness, 50)),
            wakeLatenessP99Ms: ProcessMetrics.round3(ProcessMetrics.percentile(lateness, 99)),
            wakeLatenessMaxMs: ProcessMetrics.round3(lateness.max() ?? .nan),
            woken: lateness.count, early: lateness.filter { $0 < 0 }.count, wallS: ProcessMetrics.round3(wall),
            rssEndMib: ProcessMetrics.round3(ProcessMetrics.memoryMiB().rss))
    }
}
