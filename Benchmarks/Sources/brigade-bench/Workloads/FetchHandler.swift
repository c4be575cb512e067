import ArgumentParser
import AsyncHTTPClient
import Brigade
import BrigadeJS
import BrigadeServer
import Foundation
import NIOCore
import ServiceLifecycle

/// A tenant module's `fetch` handler, through the runtime (the path `/dispatch/…` takes, without
/// the HTTP server) or, with `--http`, through `brigade serve`'s HTTP server on loopback: the
/// handler's latency warm, and requests per second with several in flight.
enum FetchHandler {
    struct Result: BenchmarkResult {
        var requests: Int
        var warmP50Ms: Double
        var warmP99Ms: Double
        var concurrency: Int
        var requestsPerSecond: Double
        var overHTTP: Bool
        /// Over HTTP: the same server and client on `GET /healthz` (no tenant, no handler): what
        /// HTTP alone costs here.
        var floorP50Ms: Double?
        var floorRequestsPerSecond: Double?

        var summary: String {
            let floor = floorP50Ms.map { "; the HTTP floor (GET /healthz, same server and client): p50 \($0) ms, \(floorRequestsPerSecond ?? 0) requests/s" } ?? ""
            return "fetch-handler\(overHTTP ? " over HTTP (loopback, keep-alive)" : ""): a trivial handler (new Response('ok')), warm: p50 \(warmP50Ms) ms, p99 \(warmP99Ms) ms over \(requests) requests one at a time; \(requestsPerSecond) requests/s with \(concurrency) in flight\(floor)"
        }
    }

    static let module = """
        export class TenantWorkflow { async run(event, step) { return null; } }
        export default { async fetch(request, env) { return new Response('ok'); } };
        """

    static func measure(
        _ runtime: BrigadeRuntime, loader: TenantCodeLoader, sandbox: JavaScriptSandbox, n: Int, concurrency: Int,
        overHTTP tenants: (any TenantStore)? = nil
    ) async throws -> Result {
        try await runtime.deployWorkflow(tenant: "t", name: "handler", source: module, language: .javascript, sandbox: sandbox)
        guard let tenants else {
            let request = TenantFetchRequest(method: "GET", url: "http://bench/x", headers: [HTTPHeaderField("accept", "*/*")], body: Data())
            return try await run(n: n, concurrency: concurrency, overHTTP: false) {
                let answer = try await runtime.fetch(tenant: "t", workflow: "handler", request, loader: loader)
                guard answer.status == 200 else { throw ValidationError("the handler answered \(answer.status)") }
            }
        }
        // The server `brigade serve` runs, on a loopback port, and a client keeping its
        // connections open (one per request in flight), as a load balancer in front would.
        try await tenants.createTenant(TenantRecord(id: "t", tokenHash: TenantToken.hash(TenantToken.generate()), createdAt: 0))
        let server = BrigadeServer(runtime: runtime, tenants: tenants, dispatch: TenantDispatch(loader: loader))
        let (ports, listening) = AsyncStream.makeStream(of: Int.self)
        let application = server.application(host: "127.0.0.1", port: 0) { port in listening.yield(port) }
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = max(concurrency, 1)
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        do {
            let result = try await withThrowingTaskGroup(of: Result?.self) { group in
                group.addTask {
                    try await application.runService()
                    return nil
                }
                var iterator = ports.makeAsyncIterator()
                guard let port = await iterator.next() else { throw ValidationError("the server did not listen") }
                func get(_ path: String) -> @Sendable () async throws -> Void {
                    let url = "http://127.0.0.1:\(port)\(path)"
                    return {
                        var request = HTTPClientRequest(url: url)
                        request.headers.add(name: "accept", value: "*/*")
                        let response = try await client.execute(request, timeout: .seconds(30))
                        _ = try await response.body.collect(upTo: 1 << 16)
                        guard response.status.code == 200 else { throw ValidationError("\(path) answered \(response.status.code)") }
                    }
                }
                let floor = try await run(n: n, concurrency: concurrency, overHTTP: true, get("/healthz"))
                var result = try await run(n: n, concurrency: concurrency, overHTTP: true, get("/dispatch/t/handler/x"))
                result.floorP50Ms = floor.warmP50Ms
                result.floorRequestsPerSecond = floor.requestsPerSecond
                group.cancelAll()
                return result
            }
            try await client.shutdown()
            return result
        } catch {
            try? await client.shutdown()
            throw error
        }
    }

    private static func run(n: Int, concurrency: Int, overHTTP: Bool, _ one: @escaping @Sendable () async throws -> Void) async throws -> Result {
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
            requestsPerSecond: (Double(n) / seconds).rounded(), overHTTP: overHTTP)
    }
}
