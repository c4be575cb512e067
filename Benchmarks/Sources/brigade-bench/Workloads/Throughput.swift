import Brigade
import BrigadeJS
import Foundation

/// W1: `n` workflows of `k` steps with `concurrency` creations in flight, throughput until all
/// have finished; and the same with the workflow in tenant JavaScript (`w1-js`).
enum Throughput {
    struct Result: BenchmarkResult {
        var workflows: Int
        var stepsPerWorkflow: Int
        var wallS: Double
        var startPhaseS: Double
        var workflowsPerS: Double
        var stepsPerS: Double
        var failed: Int
        var engineCpuS: Double
        var engineCpuMsPerStep: Double
        /// For `w1-js`: of the engine's CPU time per step, the time inside tenant code.
        var inJsMsPerStep: Double?
        /// For `w1-js`: VM contexts booted during the run.
        var vmsBooted: Int?

        var summary: String {
            if let inJsMsPerStep {
                return
                    "w1-js: \(workflows) JavaScript workflows × \(stepsPerWorkflow) steps in \(wallS) s: \(stepsPerS) steps/s, engine CPU \(engineCpuMsPerStep) ms/step of which in JavaScript \(inJsMsPerStep) ms, failed \(failed)"
            }
            return
                "w1: \(workflows) workflows × \(stepsPerWorkflow) steps in \(wallS) s: \(stepsPerS) steps/s, \(workflowsPerS) workflows/s, engine CPU \(engineCpuMsPerStep) ms/step, failed \(failed)"
        }
    }

    static func w1(_ runtime: BrigadeRuntime, n: Int, k: Int, concurrency: Int) async throws -> Result {
        let client = runtime.workflow(BenchSteps.self)
        return try await measure(
            n: n, k: k, concurrency: concurrency,
            create: { index in _ = try await client.create(id: "w1-\(index)", params: .init(k: k)) },
            counts: { try await client.counts() })
    }

    /// W1 with the workflow in JavaScript: `n` instances of one tenant workflow of `k` steps.
    static func w1JavaScript(_ runtime: BrigadeRuntime, sandbox: JavaScriptSandbox, n: Int, k: Int, concurrency: Int) async throws -> Result
    {
        try await runtime.deployWorkflow(name: "bench-js", source: BenchScripts.steps, language: .javascript, sandbox: sandbox)
        let before = SandboxStatistics.current
        var result = try await measure(
            n: n, k: k, concurrency: concurrency,
            create: { index in
                _ = try await runtime.createInstance(workflow: "bench-js", id: "w1js-\(index)", params: Data("{\"k\":\(k)}".utf8))
            },
            counts: { try await runtime.instanceCounts(workflow: "bench-js") })
        let used = SandboxStatistics.current - before
        result.inJsMsPerStep = ProcessMetrics.round3(Double(used.entryNanoseconds) / 1e6 / Double(n * k))
        result.vmsBooted = used.boots
        return result
    }

    /// W1's measure, for any workflow of `k` steps: creates `n` instances (`concurrency` in
    /// flight) and polls the per-status counts until all have finished.
    static func measure(
        n: Int, k: Int, concurrency: Int, create: @escaping @Sendable (Int) async throws -> Void,
        counts: () async throws -> [InstanceStatus: Int]
    ) async throws -> Result {
        let cpu = ProcessMetrics.cpuSeconds()
        let start = ContinuousClock.now
        try await createAll(n, concurrency: concurrency, create)
        let startPhase = ContinuousClock.now - start
        var current = try await counts()
        while finished(current) < n {
            try await Task.sleep(for: .milliseconds(2))
            current = try await counts()
        }
        let wall = ProcessMetrics.milliseconds(ContinuousClock.now - start) / 1_000
        let cpuUsed = ProcessMetrics.cpuSeconds() - cpu
        return Result(
            workflows: n, stepsPerWorkflow: k, wallS: ProcessMetrics.round3(wall),
            startPhaseS: ProcessMetrics.round3(ProcessMetrics.milliseconds(startPhase) / 1_000),
            workflowsPerS: ProcessMetrics.round3(Double(n) / wall), stepsPerS: ProcessMetrics.round3(Double(n * k) / wall),
            failed: current[.errored, default: 0] + current[.terminated, default: 0],
            engineCpuS: ProcessMetrics.round3(cpuUsed),
            engineCpuMsPerStep: ProcessMetrics.round3(cpuUsed * 1_000 / Double(n * k)))
    }

    /// Starts `n` instances with at most `concurrency` creations in flight.
    static func createAll(_ n: Int, concurrency: Int, _ create: @escaping @Sendable (Int) async throws -> Void) async throws {
        let counter = BenchCounter()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<min(concurrency, n) {
                group.addTask {
                    while true {
                        let index = counter.next()
                        if index >= n { return }
                        try await create(index)
                    }
                }
            }
            try await group.waitForAll()
        }
    }

    /// Instances that have ended, however they ended.
    static func finished(_ counts: [InstanceStatus: Int]) -> Int {
        counts[.complete, default: 0] + counts[.errored, default: 0] + counts[.terminated, default: 0]
    }
}
