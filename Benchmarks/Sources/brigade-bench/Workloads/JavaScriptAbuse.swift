import ArgumentParser
import Brigade
import BrigadeJS
import Foundation

/// A hostile tenant beside a well-behaved one: what the abuse costs the neighbour.
enum JavaScriptAbuse {
    struct Result: BenchmarkResult {
        var neighbourInstances: Int
        var abuses: [String]
        var idleP50Ms: Double
        var idleP99Ms: Double
        var abusedP50Ms: Double
        var abusedP99Ms: Double
        var p99Ratio: Double
        var p50Ratio: Double
        /// Abusive instances stopped while the neighbour was measured.
        var abusiveInstancesStopped: Int
        var limitStops: Int
        var backoffWaits: Int
        var abuseLeadS: Double
        var limitStopsInAll: Int

        var summary: String {
            "js-abuse: the neighbour's \(neighbourInstances) instances (3 steps each, create to completion) alone p50 \(idleP50Ms) ms, p99 \(idleP99Ms) ms; while \(abuses.joined(separator: ", ")) ran: p50 \(abusedP50Ms) ms, p99 \(abusedP99Ms) ms (p99 ×\(p99Ratio), p50 ×\(p50Ratio)); \(abusiveInstancesStopped) abusive instances stopped, \(limitStops) entries stopped by a limit, \(backoffWaits) runs held back by the back-off (measured \(abuseLeadS) s into the abuse)"
        }
    }

    /// The abuses: each a tenant whose every instance runs into a limit of the sandbox.
    static let abuses: [(name: String, source: String)] = [
        ("busy-loop", "export class TenantWorkflow { async run(event, step) { for (;;) {} } }"),
        (
            "microtask-chain",
            "export class TenantWorkflow { async run(event, step) { const loop = () => Promise.resolve().then(loop); loop(); await step.sleep('nap', 10); } }"
        ),
        (
            "memory-bomb",
            "export class TenantWorkflow { async run(event, step) { const all = []; for (;;) all.push(new Array(100000).fill(all.length)); } }"
        ),
        (
            "tojson-loop",
            "export class TenantWorkflow { async run(event, step) { return step.do('x', { retries: { limit: 0 } }, async () => ({ toJSON() { for (;;) {} } })); } }"
        ),
        (
            "log-storm",
            "export class TenantWorkflow { async run(event, step) { const line = 'x'.repeat(1 << 20); for (;;) console.log(line); } }"
        ),
    ]

    /// The neighbour: three small steps, as an ordinary tenant writes them.
    static let neighbour = """
        export class TenantWorkflow {
          async run(event, step) {
            const a = await step.do('a', async () => event.payload.n + 1);
            const b = await step.do('b', async () => a * 2);
            return step.do('c', async () => ({ n: event.payload.n, result: b }));
          }
        }
        """

    /// `n` neighbour instances one after another, create to completion, with no abuse and then
    /// while every abuse runs without pause (a new instance of each as soon as the last ended).
    /// Reports the neighbour's p50 and p99 in both and their ratio, and how many abusive
    /// instances were stopped meanwhile.
    static func measure(
        _ runtime: BrigadeRuntime, sandbox: JavaScriptSandbox, n: Int, abuses: [(name: String, source: String)], lead: Duration
    ) async throws -> Result {
        try await runtime.deployWorkflow(tenant: "nice", name: "neighbour", source: neighbour, language: .javascript, sandbox: sandbox)
        for abuse in abuses {
            try await runtime.deployWorkflow(
                tenant: "evil-\(abuse.name)", name: "abuse", source: abuse.source, language: .javascript, sandbox: sandbox)
        }
        func neighbourLatencies(_ round: String) async throws -> [Double] {
            var samples: [Double] = []
            for index in 0..<n {
                let start = ContinuousClock.now
                let id = try await runtime.createInstance(
                    tenant: "nice", workflow: "neighbour", id: "\(round)-\(index)", params: Data(#"{"n": \#(index)}"#.utf8))
                let row = try await runtime.waitForCompletion(InstanceKey(tenant: "nice", workflow: "neighbour", id: id))
                guard row.status == .complete else { throw ValidationError("the neighbour's \(id) ended \(row.status.rawValue)") }
                samples.append(ProcessMetrics.milliseconds(ContinuousClock.now - start))
            }
            return samples
        }
        // Warm the neighbour's runner, then measure it alone.
        _ = try await neighbourLatencies("warmup")
        let idle = try await neighbourLatencies("idle")

        let stopped = BenchCounter()
        let stopsBefore = SandboxStatistics.current
        let abuse = Task {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for abuse in abuses {
                    group.addTask {
                        var round = 0
                        while !Task.isCancelled {
                            round += 1
                            let tenant = "evil-\(abuse.name)"
                            let id = try await runtime.createInstance(
                                tenant: tenant, workflow: "abuse", id: "a\(round)", params: Data("{}".utf8))
                            let row = try await runtime.waitForCompletion(InstanceKey(tenant: tenant, workflow: "abuse", id: id))
                            if row.status == .errored { stopped.next() }
                        }
                    }
                }
                try await group.waitForAll()
            }
        }
        // Let every abuse get going (or, with a long lead, the back-off catch up with them)
        // before the neighbour is measured again; only what happens while it is measured counts.
        try await Task.sleep(for: lead)
        let stoppedInLead = stopped.value.load(ordering: .relaxed)
        let stats = SandboxStatistics.current
        let abused = try await neighbourLatencies("abused")
        let stoppedWhileMeasured = stopped.value.load(ordering: .relaxed) - stoppedInLead
        abuse.cancel()
        _ = try? await abuse.value
        let used = SandboxStatistics.current - stats
        let lifetime = SandboxStatistics.current - stopsBefore
        func p(_ values: [Double], _ q: Double) -> Double { ProcessMetrics.round3(ProcessMetrics.percentile(values, q)) }
        return Result(
            neighbourInstances: n, abuses: abuses.map(\.name),
            idleP50Ms: p(idle, 50), idleP99Ms: p(idle, 99),
            abusedP50Ms: p(abused, 50), abusedP99Ms: p(abused, 99),
            p99Ratio: ProcessMetrics.round3(ProcessMetrics.percentile(abused, 99) / max(0.001, ProcessMetrics.percentile(idle, 99))),
            p50Ratio: ProcessMetrics.round3(ProcessMetrics.percentile(abused, 50) / max(0.001, ProcessMetrics.percentile(idle, 50))),
            abusiveInstancesStopped: stoppedWhileMeasured, limitStops: used.limitStops, backoffWaits: used.backoffWaits,
            abuseLeadS: Double(lead.components.seconds), limitStopsInAll: lifetime.limitStops)
    }
}
