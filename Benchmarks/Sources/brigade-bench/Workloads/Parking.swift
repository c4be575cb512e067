import ArgumentParser
import Brigade
import Foundation

/// W3: `n` workflows created (`concurrency` in flight) that park in a durable sleep of
/// `sleepSeconds`: the creation rate, the time until all are parked, and the memory then.
enum Parking {
    struct Result: BenchmarkResult {
        var workflows: Int
        var createS: Double
        var creationsPerS: Double
        var parkedS: Double
        var parkedPerS: Double
        var parkedVerified: Int
        var rssMib: Double
        var pssMib: Double
        var engineProcesses = 1
        var engineCpuS: Double
        var parkedDetection = "instance_counts status=waiting (written after the sleep record, in the hibernation commit)"
        var liveEnginesAfter: Int

        var summary: String {
            "w3: \(workflows) created in \(createS) s (\(creationsPerS)/s), all parked after \(parkedS) s, RSS \(rssMib) MiB, PSS \(pssMib) MiB"
        }
    }

    static func w3(_ runtime: BrigadeRuntime, n: Int, sleepSeconds: Int, concurrency: Int, timeout: Int) async throws -> Result {
        let client = runtime.workflow(BenchSleeper.self)
        let cpu = ProcessMetrics.cpuSeconds()
        let start = ContinuousClock.now
        try await Throughput.createAll(n, concurrency: concurrency) { index in
            _ = try await client.create(id: "w3-\(index)", params: .init(sleepSeconds: sleepSeconds))
        }
        let create = ProcessMetrics.milliseconds(ContinuousClock.now - start) / 1_000
        // Parked = hibernated: status `waiting` is written after the sleep's record, durably.
        var counts = try await client.counts()
        while counts[.waiting, default: 0] < n {
            if ProcessMetrics.milliseconds(ContinuousClock.now - start) > Double(timeout) * 1_000 {
                throw ValidationError("w3: only \(counts[.waiting, default: 0]) of \(n) parked after \(timeout) s")
            }
            try await Task.sleep(for: .milliseconds(5))
            counts = try await client.counts()
        }
        let parked = ProcessMetrics.milliseconds(ContinuousClock.now - start) / 1_000
        let cpuUsed = ProcessMetrics.cpuSeconds() - cpu
        try await Task.sleep(for: .seconds(1))
        let memory = ProcessMetrics.memoryMiB()
        return Result(
            workflows: n, createS: ProcessMetrics.round3(create), creationsPerS: ProcessMetrics.round3(Double(n) / create),
            parkedS: ProcessMetrics.round3(parked), parkedPerS: ProcessMetrics.round3(Double(n) / parked),
            parkedVerified: counts[.waiting, default: 0], rssMib: ProcessMetrics.round3(memory.rss),
            pssMib: ProcessMetrics.round3(memory.pss), engineCpuS: ProcessMetrics.round3(cpuUsed),
            liveEnginesAfter: runtime.liveInstanceCount)
    }
}
