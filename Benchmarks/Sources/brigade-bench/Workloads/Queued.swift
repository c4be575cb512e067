import Brigade
import BrigadeSQLite
import Foundation
import Synchronization

/// N instances of one workflow capped at 10 running: all but ten stay queued. Creates them in
/// batches of 100 (the batch API), records the creation rate over the first and the last 5 % of
/// them, then times list pages (first, deep through a cursor, filtered by status, both
/// directions) and the per-status counts with all N in the store.
enum Queued {
    struct Timing: Encodable, Sendable {
        var p50Ms: Double
        /// The slowest of the 25 samples.
        var p99Ms: Double
    }

    struct Result: BenchmarkResult {
        var workflows: Int
        var createS: Double
        var creationsPerS: Double
        var creationsPerSFirst5pct: Double
        var creationsPerSLast5pct: Double
        var queued: Int
        var running: Int
        var listLatency: [String: Timing]
        var databaseMib: Double
        var rssMib: Double
        var liveEngines: Int

        enum CodingKeys: String, CodingKey {
            case workflows, createS, creationsPerS, queued, running, listLatency, databaseMib, rssMib, liveEngines
            // Snake case would write `first5pct`; the recorded results say `first_5pct`.
            case creationsPerSFirst5pct = "creations_per_s_first_5pct"
            case creationsPerSLast5pct = "creations_per_s_last_5pct"
        }

        var summary: String {
            func p50(_ key: String) -> String { listLatency[key].map { "\($0.p50Ms)" } ?? "-" }
            return
                "queued: \(workflows) created in \(createS) s (\(creationsPerS)/s; first 5 % \(creationsPerSFirst5pct)/s, last 5 % \(creationsPerSLast5pct)/s); \(queued) queued, \(running) running; list page p50: first \(p50("first_page_50")) ms, deep cursor \(p50("deep_cursor_page_50")) ms, status=queued \(p50("status_queued_page_50")) ms, status=running \(p50("status_running_page_50")) ms; counts \(p50("counts_by_status")) ms; RSS \(rssMib) MiB, database \(databaseMib) MiB"
        }
    }

    static func measure(_ runtime: BrigadeRuntime, store: SQLiteStore, n: Int, dataDirectory: String) async throws -> Result {
        let client = runtime.workflow(BenchHolder.self)
        let batch = 100
        let batches = (n + batch - 1) / batch
        final class Progress: Sendable { let created = Atomic<Int>(0) }
        let progress = Progress()
        let window = max(1, n / 20)
        let start = ContinuousClock.now
        let (startRate, endRate): (Double, Double) = try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                try await Throughput.createAll(batches, concurrency: 4) { index in
                    let ids = (index * batch)..<min(n, (index + 1) * batch)
                    _ = try await client.createBatch(ids.map { CreateOptions(id: "q-\($0)", params: .init(k: 1)) })
                    progress.created.add(ids.count, ordering: .relaxed)
                }
            }
            // Sample progress every 100 ms to time the first and the last 5 %.
            var firstWindowAt: ContinuousClock.Instant?
            var lastWindowFrom: ContinuousClock.Instant?
            while true {
                let created = progress.created.load(ordering: .relaxed)
                let now = ContinuousClock.now
                if firstWindowAt == nil && created >= window { firstWindowAt = now }
                if lastWindowFrom == nil && created >= n - window { lastWindowFrom = now }
                if created >= n { break }
                try await Task.sleep(for: .milliseconds(100))
            }
            try await group.waitForAll()
            let end = ContinuousClock.now
            let first = ProcessMetrics.milliseconds(firstWindowAt! - start) / 1_000
            let last = ProcessMetrics.milliseconds(end - lastWindowFrom!) / 1_000
            return (Double(window) / first, Double(window) / max(last, 0.001))
        }
        let create = ProcessMetrics.milliseconds(ContinuousClock.now - start) / 1_000
        var counts = try await client.counts()
        try await Task.sleep(for: .seconds(1))
        counts = try await client.counts()

        func timed(_ body: () async throws -> Void) async throws -> Timing {
            var samples: [Double] = []
            for _ in 0..<25 {
                let began = ContinuousClock.now
                try await body()
                samples.append(ProcessMetrics.milliseconds(ContinuousClock.now - began))
            }
            return Timing(
                p50Ms: ProcessMetrics.round3(ProcessMetrics.percentile(samples, 50)), p99Ms: ProcessMetrics.round3(samples.max() ?? .nan))
        }
        var deepCursor: String?
        var page = try await client.list(InstanceQuery(limit: 100))
        for _ in 0..<100 {  // 10,000 rows in: a cursor from deep in the listing
            guard let next = page.nextCursor else { break }
            deepCursor = next
            page = try await client.list(InstanceQuery(cursor: next, limit: 100))
        }
        let latencies: [String: Timing] = [
            "first_page_50": try await timed { _ = try await client.list(InstanceQuery(limit: 50)) },
            "first_page_50_ascending": try await timed { _ = try await client.list(InstanceQuery(direction: .ascending, limit: 50)) },
            "deep_cursor_page_50": try await timed { _ = try await client.list(InstanceQuery(cursor: deepCursor, limit: 50)) },
            "status_queued_page_50": try await timed { _ = try await client.list(InstanceQuery(status: .queued, limit: 50)) },
            "status_running_page_50": try await timed { _ = try await client.list(InstanceQuery(status: .running, limit: 50)) },
            "counts_by_status": try await timed { _ = try await client.counts() },
        ]
        let databaseBytes = (try? FileManager.default.attributesOfItem(atPath: dataDirectory + "/brigade.sqlite")[.size] as? Int) ?? -1
        return Result(
            workflows: n, createS: ProcessMetrics.round3(create), creationsPerS: ProcessMetrics.round3(Double(n) / create),
            creationsPerSFirst5pct: ProcessMetrics.round3(startRate), creationsPerSLast5pct: ProcessMetrics.round3(endRate),
            queued: counts[.queued, default: 0], running: counts[.running, default: 0],
            listLatency: latencies, databaseMib: ProcessMetrics.round3(Double(databaseBytes) / 1_048_576),
            rssMib: ProcessMetrics.round3(ProcessMetrics.memoryMiB().rss), liveEngines: runtime.liveInstanceCount)
    }
}
