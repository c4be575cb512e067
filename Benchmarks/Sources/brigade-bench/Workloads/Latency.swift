import ArgumentParser
import Brigade
import Foundation

/// W2: `n` workflows of `k` steps one after another (after `warmup` unmeasured), each timed from
/// its creation to its completion.
enum Latency {
    struct Result: BenchmarkResult {
        var n: Int
        var p50Ms: Double
        var p99Ms: Double
        var meanMs: Double
        var minMs: Double
        var maxMs: Double
        var stepsPerWorkflow: Int
        var perStepP50Ms: Double
        var perStepP99Ms: Double
        var engineCpuS: Double
        var engineCpuMsPerStep: Double
        var samplesMs: [Double]

        var summary: String {
            "w2: \(n) sequential workflows × \(stepsPerWorkflow) steps: p50 \(p50Ms) ms, p99 \(p99Ms) ms (per step p50 \(perStepP50Ms) ms), engine CPU \(engineCpuMsPerStep) ms/step"
        }
    }

    static func w2(_ runtime: BrigadeRuntime, n: Int, k: Int, warmup: Int) async throws -> Result {
        let client = runtime.workflow(BenchSteps.self)
        var samples: [Double] = []
        var cpu = ProcessMetrics.cpuSeconds()
        for index in 0..<(warmup + n) {
            if index == warmup { cpu = ProcessMetrics.cpuSeconds() }
            let start = ContinuousClock.now
            let instance = try await client.create(id: "w2-\(index)", params: .init(k: k))
            let row = try await runtime.waitForCompletion(instance.key)
            let elapsed = ProcessMetrics.milliseconds(ContinuousClock.now - start)
            guard row.status == .complete else { throw ValidationError("w2 instance \(instance.id) ended \(row.status.rawValue)") }
            if index >= warmup { samples.append(elapsed) }
        }
        let cpuUsed = ProcessMetrics.cpuSeconds() - cpu
        let p50 = ProcessMetrics.percentile(samples, 50)
        let p99 = ProcessMetrics.percentile(samples, 99)
        return Result(
            n: n, p50Ms: ProcessMetrics.round3(p50), p99Ms: ProcessMetrics.round3(p99),
            meanMs: ProcessMetrics.round3(samples.reduce(0, +) / Double(samples.count)),
            minMs: ProcessMetrics.round3(samples.min() ?? 0), maxMs: ProcessMetrics.round3(samples.max() ?? 0),
            stepsPerWorkflow: k, perStepP50Ms: ProcessMetrics.round3(p50 / Double(k)),
            perStepP99Ms: ProcessMetrics.round3(p99 / Double(k)), engineCpuS: ProcessMetrics.round3(cpuUsed),
            engineCpuMsPerStep: ProcessMetrics.round3(cpuUsed * 1_000 / Double(n * k)),
            samplesMs: samples.map(ProcessMetrics.round3))
    }
}
