import Brigade
import Foundation

/// Two workflows with `n` queued instances each share 100 slots. While both still have queued
/// work, the running count of each is sampled every 10 ms: max-min fairness means each holds
/// about half.
enum Fairness {
    struct Result: BenchmarkResult {
        var workflows: Int
        var wallS: Double
        var samplesBothQueued: Int
        var shareFirstMean: Double
        var shareFirstP5: Double
        var shareFirstP95: Double
        var runningTotalMean: Double

        var summary: String {
            "fairness: \(workflows) instances of 2 workflows on 100 slots in \(wallS) s; while both had queued work (\(samplesBothQueued) samples) the first held \(shareFirstMean) of the running slots on average (p5 \(shareFirstP5), p95 \(shareFirstP95)), \(runningTotalMean) running on average"
        }
    }

    static func measure(_ runtime: BrigadeRuntime, n: Int, k: Int) async throws -> Result {
        let first = runtime.workflow(BenchSteps.self)
        let second = runtime.workflow(BenchStepsOther.self)
        let start = ContinuousClock.now
        try await Throughput.createAll(2 * n, concurrency: 64) { index in
            if index % 2 == 0 {
                _ = try await first.create(id: "a-\(index / 2)", params: .init(k: k))
            } else {
                _ = try await second.create(id: "b-\(index / 2)", params: .init(k: k))
            }
        }
        var shares: [Double] = []
        var totals: [Double] = []
        while true {
            let (a, b) = (try await first.counts(), try await second.counts())
            if Throughput.finished(a) == n && Throughput.finished(b) == n { break }
            if a[.queued, default: 0] > 0 && b[.queued, default: 0] > 0 {
                let (runningA, runningB) = (Double(a[.running, default: 0]), Double(b[.running, default: 0]))
                if runningA + runningB > 0 {
                    shares.append(runningA / (runningA + runningB))
                    totals.append(runningA + runningB)
                }
            }
            try await Task.sleep(for: .milliseconds(10))
        }
        let wall = ProcessMetrics.milliseconds(ContinuousClock.now - start) / 1_000
        return Result(
            workflows: 2 * n, wallS: ProcessMetrics.round3(wall), samplesBothQueued: shares.count,
            shareFirstMean: ProcessMetrics.round3(shares.reduce(0, +) / Double(max(1, shares.count))),
            shareFirstP5: ProcessMetrics.round3(ProcessMetrics.percentile(shares, 5)),
            shareFirstP95: ProcessMetrics.round3(ProcessMetrics.percentile(shares, 95)),
            runningTotalMean: ProcessMetrics.round3(totals.reduce(0, +) / Double(max(1, totals.count))))
    }
}
