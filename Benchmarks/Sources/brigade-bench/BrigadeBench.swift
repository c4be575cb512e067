import ArgumentParser
import Brigade
import BrigadeJS
import BrigadePostgres
import BrigadeSQLite
import BrigadeServer
import Foundation
import Logging
import Metrics
import Prometheus

/// `brigade-bench w1|w2|w3|…`: the workloads of the peer harness (`shared/bench-peers`), run on
/// Brigade embedded in this process with a SQLite file (fsync on) or a PostgreSQL database. With
/// `--ctx FILE` it follows the harness's driver contract, so
/// `BRIGADE_BENCH_CMD="<path>/brigade-bench"` puts Brigade in the same run as the peers; without,
/// it measures the machine itself and appends to `bench-results.jsonl`. Each workload is a file
/// of `Workloads/` returning its own ``BenchmarkResult``.
@main
struct BrigadeBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "brigade-bench",
        abstract: "Run a benchmark workload (w1 throughput, w2 latency, w3 creation and parking) and report it like the peer harness."
    )

    enum Workload: String, ExpressibleByArgument, CaseIterable {
        case w1, w2, w3, fairness, hibernated, queued
        case w1js = "w1-js"
        case jsReplay = "js-replay"
        case jsTenants = "js-tenants"
        case jsAbuse = "js-abuse"
        case pgCommit = "pg-commit"
        case fetchHandler = "fetch-handler"
        case sqliteFloor = "sqlite-floor"
    }

    @Argument(
        help:
            "w1 (N workflows × K steps, throughput), w2 (sequential latency), w3 (create N that park in a durable sleep), fairness (two workflows × N queued sharing 100 slots), hibernated (N park in a sleep of --sleep-seconds, then wake: memory and wake lateness), queued (N queued in one workflow capped at 10 running: creation rate at the start vs the end, list and count latency), w1-js (W1 with the workflow in tenant JavaScript), js-replay (cold and warm wake of a 10-step JavaScript workflow for N tenants, and for N instances of one tenant, beside Swift), js-tenants (boot N tenants' runners through a loader capped at --k: memory), js-abuse (a neighbour's N instances alone, then while five hostile tenants hit every limit: its p50 and p99), fetch-handler (N requests to a trivial tenant fetch handler one at a time, then --k at once), pg-commit (the floor under W2 on PostgreSQL: N lone step writes, one at a time, from postgres-nio alone; needs --db), sqlite-floor (the floor under W1 and W3 on SQLite: Brigade's rows per step and per creation, and the fewest the contract needs, written by GRDB alone)."
    )
    var workload: Workload

    @Option(help: "The harness's context file (driver contract).")
    var ctx: String?

    @Option(help: "Workflows to run (default: w1 2000, w2 50, w3 10000).")
    var n: Int?

    @Option(
        help:
            "Steps per workflow for w1 and w1-js (default 10); for js-tenants the loader's cache (default 256); for js-replay the warm rounds (default 4)."
    )
    var k: Int?

    @Option(help: "For hibernated: how long each instance sleeps (default 60).")
    var sleepSeconds: Int = 60

    @Option(help: "For the JavaScript workloads: VMs kept at least (default: the sandbox's).")
    var jsVms: Int?

    @Option(help: "For the JavaScript workloads: runners per VM before another is started (default: the sandbox's).")
    var jsRunnersPerVm: Int?

    @Option(
        help:
            "For js-abuse: the abuses to run, comma-separated (default: all of busy-loop, microtask-chain, memory-bomb, tojson-loop, log-storm)."
    )
    var abuse: String?

    @Option(
        help:
            "For js-abuse: seconds the abuses run before the neighbour is measured beside them (default 2: the first seconds of an attack; 30 or more: after the back-off has caught up with the abusers)."
    )
    var abuseLead: Int = 2

    @Option(
        help:
            "The store for w1, w2 and w3: a postgres://… URL, or \"harness\" for the PostgreSQL database the harness's context offers (run it with BRIGADE_NEEDS_PG=1); default a SQLite file in the data directory."
    )
    var db: String?

    @Option(help: "Where to append the JSON result line without --ctx.")
    var results: String = "bench-results.jsonl"

    @Option(help: "For sqlite-floor: steps per commit (default 256, about W1's: 20,000 steps in 75-80 commits).")
    var batch: Int = 256

    @Option(help: "For sqlite-floor: creations per commit (default 64, W3's creations in flight).")
    var creationBatch: Int = 64

    @Flag(help: "fetch-handler: through brigade serve's HTTP server on loopback (Hummingbird, AsyncHTTPClient as the client), not the runtime alone.")
    var http = false

    @Flag(
        name: .customLong("metrics"), inversion: .prefixedNo,
        help: "Record the engine's and the store's metrics into a Prometheus registry, as brigade serve does.")
    var recordMetrics = true

    func run() async throws {
        let context = try ctx.map(HarnessContext.init(path:)) ?? HarnessContext()
        func parameter(_ name: String) -> Int? { context.parameter(workload.rawValue, name) }
        let dataDirectory: String
        if let given = context.string("data_dir") {
            dataDirectory = given
        } else {
            dataDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("brigade-bench-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true)
        }
        defer { if context.string("data_dir") == nil { try? FileManager.default.removeItem(atPath: dataDirectory) } }
        let conditions: JSONValue =
            context["conditions"]
            ?? .object([
                "loadavg_before": .string(ProcessMetrics.loadavg()), "fsync_4k": ProcessMetrics.fsyncProbe(in: dataDirectory),
                "ncpu": .number(Double(ProcessInfo.processInfo.activeProcessorCount)),
            ])

        var logger = Logger(label: "brigade")
        logger.logLevel = .warning
        if recordMetrics { MetricsSystem.bootstrap(BrigadeServer.metricsFactory(registry: PrometheusCollectorRegistry())) }
        let postgresURL: String?
        switch db {
        case nil: postgresURL = nil
        case "harness"?:
            guard let url = context.postgresURL else {
                throw ValidationError("--db harness needs the harness's PostgreSQL: run bench-peers with BRIGADE_NEEDS_PG=1 and --ctx.")
            }
            postgresURL = url
        case let url?:
            guard PostgresLocation.isURL(url) else { throw ValidationError("--db takes a postgres://… URL or \"harness\".") }
            postgresURL = url
        }
        if workload == .pgCommit {
            guard let postgresURL else {
                throw ValidationError("pg-commit measures PostgreSQL: give it --db postgres://… (an empty database).")
            }
            let floor = try await PostgresCommitFloor.measure(url: postgresURL, n: n ?? 2_000)
            print(floor.summary)
            return
        }
        if workload == .sqliteFloor {
            guard (n ?? 2_000) >= 1, (k ?? 10) >= 1, batch >= 1, creationBatch >= 1 else {
                throw ValidationError("sqlite-floor needs --n, --k, --batch and --creation-batch of at least 1.")
            }
            for shape in SQLiteFloor.Shape.allCases {
                let path = dataDirectory + "/floor-\(shape.rawValue).sqlite"
                // Brigade's schema, triggers and indexes, by its own migrations; then the store is
                // closed and nothing of it runs.
                try await SQLiteStore(path: path).migrate()
                let floor = try SQLiteFloor.measure(
                    path: path, shape: shape, n: n ?? 2_000, k: k ?? 10, stepBatch: batch, creationBatch: creationBatch)
                let line = ResultLine(
                    runId: ResultLine.runId(), ts: ISO8601DateFormatter().string(from: Date()), engine: "sqlite-floor",
                    variant: "sqlite-floor-\(shape.rawValue)", workload: workload.rawValue,
                    params: ["n": .number(Double(n ?? 2_000)), "k": .number(Double(k ?? 10))], metrics: try ResultLine.metrics(floor),
                    conditions: conditions, versions: [:], setup: ["floor": "GRDB alone on Brigade's schema; SQLite WAL, synchronous=FULL"])
                try line.append(to: results)
                print(floor.summary)
            }
            return
        }
        if postgresURL != nil, ![.w1, .w2, .w3].contains(workload) {
            throw ValidationError("\(workload.rawValue) runs on SQLite only (it reads the SQLite file); --db is for w1, w2 and w3.")
        }
        let sqlite: SQLiteStore? = postgresURL == nil ? try SQLiteStore(path: dataDirectory + "/brigade.sqlite") : nil
        try await sqlite?.migrate()
        let postgres = try postgresURL.map { try PostgresStore(url: $0) }
        try await postgres?.migrate()
        let store: any WorkflowStore = sqlite ?? postgres!
        var settings = BrigadeSettings()
        if workload == .fairness { settings.maxRunningPerAccount = 100 }
        if workload == .queued { settings.maxRunningPerWorkflow = 10 }
        let runtime = BrigadeRuntime(store: store, settings: settings, logger: logger)
        try runtime.register(BenchSteps())
        try runtime.register(BenchStepsOther())
        try runtime.register(BenchSleeper())
        try runtime.register(BenchHolder())
        try runtime.register(BenchWaiter())
        var sandboxSettings = JavaScriptSandbox.Settings()
        if let jsVms { sandboxSettings.machines = jsVms }
        if let jsRunnersPerVm { sandboxSettings.runnersPerMachine = jsRunnersPerVm }
        let sandbox = JavaScriptSandbox(settings: sandboxSettings)
        let loader = runtime.makeCodeLoader(sandbox: sandbox, settings: .init(idleTime: .seconds(3_600), maxCached: 10_000))
        try runtime.register(BrigadeRuntime.codeDispatcher(loader: loader))

        // The engine runs beside the workload; leaving this scope cancels it.
        async let _: Void = runtime.run()
        let result: any BenchmarkResult
        var workloadParams: [String: JSONValue]
        switch workload {
        case .w1:
            let n = self.n ?? parameter("n") ?? 2_000
            let k = self.k ?? parameter("k") ?? 10
            let concurrency = parameter("client_concurrency") ?? 64
            result = try await Throughput.w1(runtime, n: n, k: k, concurrency: concurrency)
            workloadParams = ["n": .number(Double(n)), "k": .number(Double(k)), "client_concurrency": .number(Double(concurrency))]
        case .w2:
            let n = self.n ?? parameter("n") ?? 50
            let warmup = parameter("warmup") ?? 3
            result = try await Latency.w2(runtime, n: n, k: 10, warmup: warmup)
            workloadParams = ["n": .number(Double(n)), "k": 10, "warmup": .number(Double(warmup))]
        case .w3:
            let n = self.n ?? parameter("n") ?? 10_000
            let sleepSeconds = parameter("sleep_s") ?? 3_600
            let concurrency = parameter("client_concurrency") ?? 64
            let timeout = parameter("park_timeout_s") ?? 1_200
            result = try await Parking.w3(runtime, n: n, sleepSeconds: sleepSeconds, concurrency: concurrency, timeout: timeout)
            workloadParams = [
                "n": .number(Double(n)), "sleep_s": .number(Double(sleepSeconds)), "client_concurrency": .number(Double(concurrency)),
            ]
        case .fairness:
            let n = self.n ?? 10_000
            result = try await Fairness.measure(runtime, n: n, k: self.k ?? 10)
            workloadParams = ["n_per_workflow": .number(Double(n)), "k": .number(Double(self.k ?? 10)), "slots": 100]
        case .hibernated:
            let n = self.n ?? 100_000
            result = try await Hibernation.measure(runtime, store: sqlite!, n: n, sleepSeconds: sleepSeconds)
            workloadParams = ["n": .number(Double(n)), "sleep_s": .number(Double(sleepSeconds)), "client_concurrency": 64]
        case .w1js:
            let n = self.n ?? parameter("n") ?? 2_000
            let k = self.k ?? parameter("k") ?? 10
            let concurrency = parameter("client_concurrency") ?? 64
            result = try await Throughput.w1JavaScript(runtime, sandbox: sandbox, n: n, k: k, concurrency: concurrency)
            workloadParams = [
                "n": .number(Double(n)), "k": .number(Double(k)), "client_concurrency": .number(Double(concurrency)),
                "language": "javascript",
            ]
        case .jsReplay:
            let tenants = self.n ?? 200
            let rounds = max(1, self.k ?? 4)
            result = try await JavaScriptReplay.measure(runtime, loader: loader, sandbox: sandbox, tenants: tenants, warmRounds: rounds)
            workloadParams = ["tenants": .number(Double(tenants)), "steps": 10, "warm_rounds": .number(Double(rounds))]
        case .jsTenants:
            let tenants = self.n ?? 10_000
            let cache = self.k ?? 256
            result = try await JavaScriptTenants.measure(sandbox: sandbox, tenants: tenants, cache: cache)
            workloadParams = ["tenants": .number(Double(tenants)), "cache": .number(Double(cache))]
        case .jsAbuse:
            let n = self.n ?? 200
            let all = JavaScriptAbuse.abuses
            let chosen = abuse.map { $0.split(separator: ",").map(String.init) } ?? all.map(\.name)
            let unknown = chosen.filter { name in !all.contains { $0.name == name } }
            guard unknown.isEmpty else {
                throw ValidationError(
                    "Unknown abuse \(unknown.joined(separator: ", ")); the abuses are \(all.map(\.name).joined(separator: ", ")).")
            }
            guard (0...3_600).contains(abuseLead) else { throw ValidationError("--abuse-lead is in seconds, from 0 to 3600.") }
            result = try await JavaScriptAbuse.measure(
                runtime, sandbox: sandbox, n: n, abuses: all.filter { chosen.contains($0.name) }, lead: .seconds(abuseLead))
            workloadParams = [
                "neighbour_instances": .number(Double(n)), "js_cpu_ms": .number(Double(sandbox.settings.cpuTimeLimit.wholeMilliseconds)),
                "abuse_lead_s": .number(Double(abuseLead)),
                "limit_backoff_ms": .number(Double(sandbox.settings.limitBackoff.wholeMilliseconds)),
            ]
        case .queued:
            let n = self.n ?? 10_000_000
            result = try await Queued.measure(runtime, store: sqlite!, n: n, dataDirectory: dataDirectory)
            workloadParams = ["n": .number(Double(n)), "batch": 100, "client_concurrency": 4, "running_cap": 10]
        case .fetchHandler:
            let n = self.n ?? 2_000
            let concurrency = self.k ?? 8
            let tenants: (any TenantStore)? = http ? (sqlite.map { $0 as any TenantStore } ?? postgres.map { $0 as any TenantStore }) : nil
            result = try await FetchHandler.measure(
                runtime, loader: loader, sandbox: sandbox, n: n, concurrency: concurrency, overHTTP: tenants)
            workloadParams = ["requests": .number(Double(n)), "concurrency": .number(Double(concurrency)), "http": .bool(http)]
        case .pgCommit, .sqliteFloor:
            // Measured above, before an engine starts on the database.
            return
        }

        if [.w1js, .jsReplay, .jsTenants, .jsAbuse, .fetchHandler].contains(workload) {
            // The VM pool the figures were taken with: its shape changes them (BENCHMARKS.md).
            workloadParams["js_vms"] = .number(Double(sandbox.settings.machines))
            workloadParams["js_runners_per_vm"] = .number(Double(sandbox.settings.runnersPerMachine))
        }
        let stats = sqlite?.commitStatistics ?? postgres?.commitStatistics ?? CommitStatistics()
        var storeVersion = "unknown"
        if let sqlite {
            storeVersion = try await sqlite.sqliteVersion()
        } else if let postgres {
            storeVersion = try await postgres.serverVersion()
        }
        var versions = context.object("versions")
        versions["brigade"] = "0.1.0-dev"
        versions[sqlite != nil ? "sqlite" : "postgres_server"] = .string(storeVersion)
        var setup = context.object("setup")
        let storeSetup =
            sqlite != nil
            ? "SQLite WAL, synchronous=FULL"
            : "PostgreSQL (the harness's server settings; synchronous_commit as set there), the store's defaults "
                + "(\(postgres?.writerLanes ?? 0) writer lanes on a connection each, a pool of 12 connections for reads), \(stats.conflicts) batches run again after a deadlock"
        setup["brigade"] = .string(
            "embedded in the driver process (the driver is the engine process); \(storeSetup), group commit "
                + "(\(stats.batches) commits for \(stats.items) writes); debug logging off")
        let line = ResultLine(
            runId: context.string("run_id") ?? ResultLine.runId(), ts: ISO8601DateFormatter().string(from: Date()),
            engine: context.string("engine") ?? "brigade", variant: context.string("variant") ?? "brigade",
            workload: workload.rawValue, params: workloadParams, metrics: try ResultLine.metrics(result), conditions: conditions,
            versions: versions, setup: setup)
        try line.append(to: context.string("results_file") ?? results)
        print(result.summary)
    }
}
