import ArgumentParser
import Brigade
import BrigadeJS
import Foundation

/// A tenant module's `fetch` handler, through the runtime (the path `/dispatch/…` takes, without
/// the HTTP server): the handler's latency warm, and requests per second with several in flight.
enum FetchHandler {
    struct Result: BenchmarkResult {
        var requests: Int
        var warmP50Ms: Double
        var warmP99Ms: Double
        var concurrency: Int
        var requestsPerSecond: Double

        var summary: String {
            "fetch-handler: a trivial handler (new Response('ok')), warm: p50 \(warmP50Ms) ms, p99 \(warmP99Ms) ms over \(requests) requests one at a time; \(requestsPerSecond) requests/s with \(concurrency) in flight"
        }
    }

    static let module = """
        export class TenantWorkflow { async run(event, step) { return null; } }
        export default { async fetch(request, env) { return new Response('ok'); } };
        """

    static func measure(_ runtime: BrigadeRuntime, loader: TenantCodeLoader, sandbox: JavaScriptSandbox, n: Int, concurrency: Int) async throws
        -> Result
    {
        try await runtime.deployWorkflow(tenant: "t", name: "handler", source: module, language: .javascript, sandbox: sandbox)
        let request = TenantFetchRequest(method: "GET", url: "http://bench/x", headers: [HTTPHeaderField("accept", "*/*")], body: Data())
        func one() async throws {
            let answer = try await runtime.fetch(tenant: "t", workflow: "handler", request, loader: loader)
            guard answer.status == 200 else { throw ValidationError("the handler answered \(answer.status)") }
        }
        // Warm the runner and the code paths first.
        for _ in 0..<200 { try await one() }
        var samples: [Double] = []
        samples.reserveCapacity(n)
        for _ in 0..<n {
            let start = ContinuousClock.now
            try await one()
            samples.append(ProcessMetrics.milliseconds(ContinuousClock.now - start))
        }
        let start = ContinuousClock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for worker in 0..<concurrency {
                group.addTask {
                    for _ in stride(from: worker, to: n, by: concurrency) { try await one() }
                }
            }
            try await group.waitForAll()
        }
        let seconds = ProcessMetrics.milliseconds(ContinuousClock.now - start) / 1_000
        return Result(
            requests: n, warmP50Ms: ProcessMetrics.round3(ProcessMetrics.percentile(samples, 50)),
            warmP99Ms: ProcessMetrics.round3(ProcessMetrics.percentile(samples, 99)), concurrency: concurrency,
            requestsPerSecond: (Double(n) / seconds).rounded())
    }
}
