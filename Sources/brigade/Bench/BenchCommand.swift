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
import Synchronization

/// `brigade bench w1|w2|w3`: the workloads of the peer harness (`shared/bench-peers`), run on
/// Brigade embedded in this process with a SQLite file, fsync on. With `--ctx FILE` it follows the
/// harness's driver contract, so `BRIGADE_BENCH_CMD="<path>/brigade bench"` puts Brigade in the
/// same run as the peers; without, it measures the machine itself and appends to
/// `bench-results.jsonl`.
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Run a benchmark workload (w1 throughput, w2 latency, w3 creation and parking) and report it like the peer harness."
    )

    enum Workload: String, ExpressibleByArgument, CaseIterable {
        case w1, w2, w3, fairness, hibernated, queued
        case w1js = "w1-js", jsReplay = "js-replay", jsTenants = "js-tenants", jsAbuse = "js-abuse"
        case pgCommit = "pg-commit"
    }

    @Argument(
        help:
            "w1 (N workflows × K steps, throughput), w2 (sequential latency), w3 (create N that park in a durable sleep), fairness (two workflows × N queued sharing 100 slots), hibernated (N park in a sleep of --sleep-seconds, then wake: memory and wake lateness), queued (N queued in one workflow capped at 10 running: creation rate at the start vs the end, list and count latency), w1-js (W1 with the workflow in tenant JavaScript), js-replay (cold and warm wake of a 10-step JavaScript workflow for N tenants, and for N instances of one tenant, beside Swift), js-tenants (boot N tenants' runners through a loader capped at --k: memory), js-abuse (a neighbour's N instances alone, then while five hostile tenants hit every limit: its p50 and p99), pg-commit (the floor under W2 on PostgreSQL: N lone step writes, one at a time, from postgres-nio alone; needs --db)."
    )
    var workload: Workload

    @Option(help: "The harness's context file (driver contract).")
    var ctx: String?

    @Option(help: "Workflows to run (default: w1 2000, w2 50, w3 10000).")
    var n: Int?

    @Option(help: "Steps per workflow for w1 and w1-js (default 10); for js-tenants the loader's cache (default 256); for js-replay the warm rounds (default 4).")
    var k: Int?

    @Option(help: "For hibernated: how long each instance sleeps (default 60).")
    var sleepSeconds: Int = 60

    @Option(help: "For the JavaScript workloads: VMs kept at least (default: the sandbox's).")
    var jsVms: Int?

    @Option(help: "For the JavaScript workloads: runners per VM before another is started (default: the sandbox's).")
    var jsRunnersPerVm: Int?

    @Option(help: "For js-abuse: the abuses to run, comma-separated (default: all of busy-loop, microtask-chain, memory-bomb, tojson-loop, log-storm).")
    var abuse: String?

    @Option(
        help:
            "For js-abuse: seconds the abuses run before the neighbour is measured beside them (default 2: the first seconds of an attack; 30 or more: after the back-off has caught up with the abusers).")
    var abuseLead: Int = 2

    @Option(
        help:
            "The store for w1, w2 and w3: a postgres://… URL, or \"harness\" for the PostgreSQL database the harness's context offers (run it with BRIGADE_NEEDS_PG=1); default a SQLite file in the data directory.")
    var db: String?

    @Option(help: "Where to append the JSON result line without --ctx.")
    var results: String = "bench-results.jsonl"

    @Flag(
        name: .customLong("metrics"), inversion: .prefixedNo,
        help: "Record the engine's and the store's metrics into a Prometheus registry, as brigade serve does.")
    var recordMetrics = true

    func run() async throws {
        let context = try ctx.map(Self.loadContext) ?? [:]
        let params = ((context["params"] as? [String: Any])?[workload.rawValue] as? [String: Any]) ?? [:]
        let dataDirectory: String
        if let given = context["data_dir"] as? String {
            dataDirectory = given
        } else {
            dataDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("brigade-bench-\(UUID().uuidString)").path
            try FileManager.default.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true)
        }
        defer { if context["data_dir"] == nil { try? FileManager.default.removeItem(atPath: dataDirectory) } }
        var conditions = (context["conditions"] as? [String: Any]) ?? [:]
        if context["conditions"] == nil {
            conditions = [
                "loadavg_before": ProcessMetrics.loadavg(), "fsync_4k": ProcessMetrics.fsyncProbe(in: dataDirectory),
                "ncpu": ProcessInfo.processInfo.activeProcessorCount,
            ]
        }

        var logger = Logger(label: "brigade")
        logger.logLevel = .warning
        if recordMetrics { MetricsSystem.bootstrap(BrigadeServer.metricsFactory(registry: PrometheusCollectorRegistry())) }
        let postgresURL: String?
        switch db {
        case nil: postgresURL = nil
        case "harness"?:
            guard let url = (context["postgres"] as? [String: Any])?["url"] as? String else {
                throw ValidationError("--db harness needs the harness's PostgreSQL: run bench-peers with BRIGADE_NEEDS_PG=1 and --ctx.")
            }
            postgresURL = url
        case let url?:
            guard PostgresLocation.isURL(url) else { throw ValidationError("--db takes a postgres://… URL or \"harness\".") }
            postgresURL = url
        }
        if workload == .pgCommit {
            guard let postgresURL else { throw ValidationError("pg-commit measures PostgreSQL: give it --db postgres://… (an empty database).") }
            let floor = try await Self.postgresCommitFloor(url: postgresURL, n: n ?? 2_000)
            say(Self.summary(.pgCommit, floor))
            return
        }
        if postgresURL != nil, ![.w1, .w2, .w3].contains(workload) {
            throw ValidationError("\(workload.rawValue) runs on SQLite only (it reads the SQLite file); --db is for w1, w2 and w3.")
        }
        let sqlite = postgresURL == nil ? try await CommandSupport.openSQLite(dataDirectory + "/brigade.sqlite") : nil
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
        let metrics: [String: Any]
        var workloadParams: [String: Any]
        switch workload {
        case .w1:
            let n = self.n ?? params["n"] as? Int ?? 2_000
            let k = self.k ?? params["k"] as? Int ?? 10
            let concurrency = params["client_concurrency"] as? Int ?? 64
            metrics = try await Self.w1(runtime, n: n, k: k, concurrency: concurrency)
            workloadParams = ["n": n, "k": k, "client_concurrency": concurrency]
        case .w2:
            let n = self.n ?? params["n"] as? Int ?? 50
            let warmup = params["warmup"] as? Int ?? 3
            metrics = try await Self.w2(runtime, n: n, k: 10, warmup: warmup)
            workloadParams = ["n": n, "k": 10, "warmup": warmup]
        case .w3:
            let n = self.n ?? params["n"] as? Int ?? 10_000
            let sleepSeconds = params["sleep_s"] as? Int ?? 3_600
            let concurrency = params["client_concurrency"] as? Int ?? 64
            let timeout = params["park_timeout_s"] as? Int ?? 1_200
            metrics = try await Self.w3(runtime, n: n, sleepSeconds: sleepSeconds, concurrency: concurrency, timeout: timeout)
            workloadParams = ["n": n, "sleep_s": sleepSeconds, "client_concurrency": concurrency]
        case .fairness:
            let n = self.n ?? 10_000
            metrics = try await Self.fairness(runtime, n: n, k: self.k ?? 10)
            workloadParams = ["n_per_workflow": n, "k": self.k ?? 10, "slots": 100]
        case .hibernated:
            let n = self.n ?? 100_000
            metrics = try await Self.hibernated(runtime, store: sqlite!, n: n, sleepSeconds: sleepSeconds)
            workloadParams = ["n": n, "sleep_s": sleepSeconds, "client_concurrency": 64]
        case .w1js:
            let n = self.n ?? params["n"] as? Int ?? 2_000
            let k = self.k ?? params["k"] as? Int ?? 10
            let concurrency = params["client_concurrency"] as? Int ?? 64
            metrics = try await Self.w1JavaScript(runtime, sandbox: sandbox, n: n, k: k, concurrency: concurrency)
            workloadParams = ["n": n, "k": k, "client_concurrency": concurrency, "language": "javascript"]
        case .jsReplay:
            let tenants = self.n ?? 200
            let rounds = max(1, self.k ?? 4)
            metrics = try await Self.jsReplay(runtime, loader: loader, sandbox: sandbox, tenants: tenants, warmRounds: rounds)
            workloadParams = ["tenants": tenants, "steps": 10, "warm_rounds": rounds]
        case .jsTenants:
            let tenants = self.n ?? 10_000
            let cache = self.k ?? 256
            metrics = try await Self.jsTenants(sandbox: sandbox, tenants: tenants, cache: cache)
            workloadParams = ["tenants": tenants, "cache": cache]
        case .jsAbuse:
            let n = self.n ?? 200
            let chosen = abuse.map { $0.split(separator: ",").map(String.init) } ?? Self.abuses.map(\.name)
            let unknown = chosen.filter { name in !Self.abuses.contains { $0.name == name } }
            guard unknown.isEmpty else { throw ValidationError("Unknown abuse \(unknown.joined(separator: ", ")); the abuses are \(Self.abuses.map(\.name).joined(separator: ", ")).") }
            guard (0...3_600).contains(abuseLead) else { throw ValidationError("--abuse-lead is in seconds, from 0 to 3600.") }
            metrics = try await Self.jsAbuse(
                runtime, sandbox: sandbox, n: n, abuses: Self.abuses.filter { chosen.contains($0.name) }, lead: .seconds(abuseLead))
            workloadParams = [
                "neighbour_instances": n, "js_cpu_ms": sandbox.settings.cpuTimeLimit.wholeMilliseconds, "abuse_lead_s": abuseLead,
                "limit_backoff_ms": sandbox.settings.limitBackoff.wholeMilliseconds,
            ]
        case .queued:
            let n = self.n ?? 10_000_000
            metrics = try await Self.queued(runtime, store: sqlite!, n: n, dataDirectory: dataDirectory)
            workloadParams = ["n": n, "batch": 100, "client_concurrency": 4, "running_cap": 10]
        case .pgCommit:
            // Measured above, before an engine starts on the database.
            return
        }

        if [.w1js, .jsReplay, .jsTenants, .jsAbuse].contains(workload) {
            // The VM pool the figures were taken with: its shape changes them (BENCHMARKS.md).
            workloadParams["js_vms"] = sandbox.settings.machines
            workloadParams["js_runners_per_vm"] = sandbox.settings.runnersPerMachine
        }
        let stats = sqlite?.commitStatistics ?? postgres?.commitStatistics ?? CommitStatistics()
        var storeVersion = "unknown"
        if let sqlite { storeVersion = try await sqlite.sqliteVersion() } else if let postgres { storeVersion = try await postgres.serverVersion() }
        var line: [String: Any] = [
            "run_id": context["run_id"] as? String ?? Self.runId(),
            "ts": ISO8601DateFormatter().string(from: Date()),
            "engine": context["engine"] as? String ?? "brigade",
            "variant": context["variant"] as? String ?? "brigade",
            "workload": workload.rawValue,
            "params": workloadParams,
            "metrics": metrics,
            "conditions": conditions,
            "versions": (context["versions"] as? [String: Any] ?? [:]).merging(
                ["brigade": "0.1.0-dev", sqlite != nil ? "sqlite" : "postgres_server": storeVersion], uniquingKeysWith: { $1 }),
        ]
        var setup = context["setup"] as? [String: Any] ?? [:]
        let storeSetup =
            sqlite != nil
            ? "SQLite WAL, synchronous=FULL"
            : "PostgreSQL (the harness's server settings; synchronous_commit as set there), the store's defaults "
                + "(\(postgres?.writerLanes ?? 0) writer lanes on a connection each, a pool of 12 connections for reads), \(stats.conflicts) batches run again after a deadlock"
        setup["brigade"] =
            "embedded in the driver process (the driver is the engine process); \(storeSetup), group commit "
            + "(\(stats.batches) commits for \(stats.items) writes); debug logging off"
        line["setup"] = setup
        let resultsFile = context["results_file"] as? String ?? results
        try Self.append(line, to: resultsFile)
        say(Self.summary(workload, metrics))
    }

    // MARK: Workloads

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

    static func finished(_ counts: [InstanceStatus: Int]) -> Int {
        counts[.complete, default: 0] + counts[.errored, default: 0] + counts[.terminated, default: 0]
    }

    static func w1(_ runtime: BrigadeRuntime, n: Int, k: Int, concurrency: Int) async throws -> [String: Any] {
        let client = runtime.workflow(BenchSteps.self)
        return try await throughput(
            n: n, k: k, concurrency: concurrency,
            create: { index in _ = try await client.create(id: "w1-\(index)", params: .init(k: k)) },
            counts: { try await client.counts() })
    }

    /// W1's measure, for any workflow of `k` steps: creates `n` instances (`concurrency` in
    /// flight) and polls the per-status counts until all have finished.
    static func throughput(
        n: Int, k: Int, concurrency: Int, create: @escaping @Sendable (Int) async throws -> Void,
        counts: () async throws -> [InstanceStatus: Int]
    ) async throws -> [String: Any] {
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
        return [
            "workflows": n, "steps_per_workflow": k, "wall_s": ProcessMetrics.round3(wall),
            "start_phase_s": ProcessMetrics.round3(ProcessMetrics.milliseconds(startPhase) / 1_000),
            "workflows_per_s": ProcessMetrics.round3(Double(n) / wall), "steps_per_s": ProcessMetrics.round3(Double(n * k) / wall),
            "failed": current[.errored, default: 0] + current[.terminated, default: 0],
            "engine_cpu_s": ProcessMetrics.round3(cpuUsed),
            "engine_cpu_ms_per_step": ProcessMetrics.round3(cpuUsed * 1_000 / Double(n * k)),
        ]
    }

    static func w2(_ runtime: BrigadeRuntime, n: Int, k: Int, warmup: Int) async throws -> [String: Any] {
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
        return [
            "n": n, "p50_ms": ProcessMetrics.round3(p50), "p99_ms": ProcessMetrics.round3(p99),
            "mean_ms": ProcessMetrics.round3(samples.reduce(0, +) / Double(samples.count)),
            "min_ms": ProcessMetrics.round3(samples.min() ?? 0), "max_ms": ProcessMetrics.round3(samples.max() ?? 0),
            "steps_per_workflow": k, "per_step_p50_ms": ProcessMetrics.round3(p50 / Double(k)),
            "per_step_p99_ms": ProcessMetrics.round3(p99 / Double(k)), "engine_cpu_s": ProcessMetrics.round3(cpuUsed),
            "engine_cpu_ms_per_step": ProcessMetrics.round3(cpuUsed * 1_000 / Double(n * k)),
            "samples_ms": samples.map(ProcessMetrics.round3),
        ]
    }

    static func w3(_ runtime: BrigadeRuntime, n: Int, sleepSeconds: Int, concurrency: Int, timeout: Int) async throws -> [String: Any] {
        let client = runtime.workflow(BenchSleeper.self)
        let cpu = ProcessMetrics.cpuSeconds()
        let start = ContinuousClock.now
        try await createAll(n, concurrency: concurrency) { index in
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
        return [
            "workflows": n, "create_s": ProcessMetrics.round3(create), "creations_per_s": ProcessMetrics.round3(Double(n) / create),
            "parked_s": ProcessMetrics.round3(parked), "parked_per_s": ProcessMetrics.round3(Double(n) / parked),
            "parked_verified": counts[.waiting, default: 0], "rss_mib": ProcessMetrics.round3(memory.rss),
            "pss_mib": ProcessMetrics.round3(memory.pss), "engine_processes": 1, "engine_cpu_s": ProcessMetrics.round3(cpuUsed),
            "parked_detection": "instance_counts status=waiting (written after the sleep record, in the hibernation commit)",
            "live_engines_after": runtime.liveInstanceCount,
        ]
    }

    /// Two workflows with `n` queued instances each share 100 slots. While both still have
    /// queued work, the running count of each is sampled every 10 ms: max-min fairness means
    /// each holds about half.
    static func fairness(_ runtime: BrigadeRuntime, n: Int, k: Int) async throws -> [String: Any] {
        let first = runtime.workflow(BenchSteps.self)
        let second = runtime.workflow(BenchStepsOther.self)
        let start = ContinuousClock.now
        try await createAll(2 * n, concurrency: 64) { index in
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
            if finished(a) == n && finished(b) == n { break }
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
        return [
            "workflows": 2 * n, "wall_s": ProcessMetrics.round3(wall), "samples_both_queued": shares.count,
            "share_first_mean": ProcessMetrics.round3(shares.reduce(0, +) / Double(max(1, shares.count))),
            "share_first_p5": ProcessMetrics.round3(ProcessMetrics.percentile(shares, 5)),
            "share_first_p95": ProcessMetrics.round3(ProcessMetrics.percentile(shares, 95)),
            "running_total_mean": ProcessMetrics.round3(totals.reduce(0, +) / Double(max(1, totals.count))),
        ]
    }

    /// N instances park in a durable sleep and wake when it ends. Reports the process's memory
    /// once all are parked, and how late each woke (from the stored sleep records).
    static func hibernated(_ runtime: BrigadeRuntime, store: SQLiteStore, n: Int, sleepSeconds: Int) async throws -> [String: Any] {
        let client = runtime.workflow(BenchSleeper.self)
        let start = ContinuousClock.now
        try await createAll(n, concurrency: 64) { index in
            _ = try await client.create(id: "h-\(index)", params: .init(sleepSeconds: sleepSeconds))
        }
        let create = ProcessMetrics.milliseconds(ContinuousClock.now - start) / 1_000
        var counts = try await client.counts()
        var parkedMemory: (rss: Double, pss: Double)?
        var parkedBreakdown: [String: Double] = [:]
        var liveWhenParked = -1
        while finished(counts) < n {
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
        return [
            "workflows": n, "create_s": ProcessMetrics.round3(create), "creations_per_s": ProcessMetrics.round3(Double(n) / create),
            "all_parked_at_once": parkedMemory != nil,
            "rss_parked_mib": parkedMemory.map { ProcessMetrics.round3($0.rss) } ?? -1,
            "pss_parked_mib": parkedMemory.map { ProcessMetrics.round3($0.pss) } ?? -1,
            "live_engines_when_parked": liveWhenParked, "memory_parked": parkedBreakdown,
            "wake_lateness_p50_ms": ProcessMetrics.round3(ProcessMetrics.percentile(lateness, 50)),
            "wake_lateness_p99_ms": ProcessMetrics.round3(ProcessMetrics.percentile(lateness, 99)),
            "wake_lateness_max_ms": ProcessMetrics.round3(lateness.max() ?? .nan),
            "woken": lateness.count, "early": lateness.filter { $0 < 0 }.count, "wall_s": ProcessMetrics.round3(wall),
            "rss_end_mib": ProcessMetrics.round3(ProcessMetrics.memoryMiB().rss),
        ]
    }

    /// N instances of one workflow capped at 10 running: all but ten stay queued. Creates them
    /// in batches of 100 (the batch API), records the creation rate over the first and the last
    /// 5 % of them, then times list pages (first, deep through a cursor, filtered by status, both
    /// directions) and the per-status counts with all N in the store.
    static func queued(_ runtime: BrigadeRuntime, store: SQLiteStore, n: Int, dataDirectory: String) async throws -> [String: Any] {
        let client = runtime.workflow(BenchHolder.self)
        let batch = 100
        let batches = (n + batch - 1) / batch
        final class Progress: Sendable { let created = Atomic<Int>(0) }
        let progress = Progress()
        let window = max(1, n / 20)
        let start = ContinuousClock.now
        let (startRate, endRate): (Double, Double) = try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                try await createAll(batches, concurrency: 4) { index in
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

        func timed(_ body: () async throws -> Void) async throws -> [String: Double] {
            var samples: [Double] = []
            for _ in 0..<25 {
                let began = ContinuousClock.now
                try await body()
                samples.append(ProcessMetrics.milliseconds(ContinuousClock.now - began))
            }
            return [
                "p50_ms": ProcessMetrics.round3(ProcessMetrics.percentile(samples, 50)),
                "p99_ms": ProcessMetrics.round3(samples.max() ?? .nan),
            ]
        }
        var deepCursor: String?
        var page = try await client.list(InstanceQuery(limit: 100))
        for _ in 0..<100 {  // 10,000 rows in: a cursor from deep in the listing
            guard let next = page.nextCursor else { break }
            deepCursor = next
            page = try await client.list(InstanceQuery(cursor: next, limit: 100))
        }
        let latencies: [String: Any] = [
            "first_page_50": try await timed { _ = try await client.list(InstanceQuery(limit: 50)) },
            "first_page_50_ascending": try await timed { _ = try await client.list(InstanceQuery(direction: .ascending, limit: 50)) },
            "deep_cursor_page_50": try await timed { _ = try await client.list(InstanceQuery(cursor: deepCursor, limit: 50)) },
            "status_queued_page_50": try await timed { _ = try await client.list(InstanceQuery(status: .queued, limit: 50)) },
            "status_running_page_50": try await timed { _ = try await client.list(InstanceQuery(status: .running, limit: 50)) },
            "counts_by_status": try await timed { _ = try await client.counts() },
        ]
        let databaseBytes = (try? FileManager.default.attributesOfItem(atPath: dataDirectory + "/brigade.sqlite")[.size] as? Int) ?? -1
        return [
            "workflows": n, "create_s": ProcessMetrics.round3(create), "creations_per_s": ProcessMetrics.round3(Double(n) / create),
            "creations_per_s_first_5pct": ProcessMetrics.round3(startRate), "creations_per_s_last_5pct": ProcessMetrics.round3(endRate),
            "queued": counts[.queued, default: 0], "running": counts[.running, default: 0],
            "list_latency": latencies, "database_mib": ProcessMetrics.round3(Double(databaseBytes) / 1_048_576),
            "rss_mib": ProcessMetrics.round3(ProcessMetrics.memoryMiB().rss), "live_engines": runtime.liveInstanceCount,
        ]
    }

    // MARK: Output

    static func loadContext(_ path: String) throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw ValidationError("the context file \(path) is not a JSON object")
        }
        return object
    }

    static func append(_ line: [String: Any], to path: String) throws {
        var data = try JSONSerialization.data(withJSONObject: line, options: [.sortedKeys])
        data.append(0x0A)
        if !FileManager.default.fileExists(atPath: path) {
            _ = FileManager.default.createFile(atPath: path, contents: nil)
        }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: data)
    }

    static func runId() -> String {
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyyMMdd-HHmmss"
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: Date())
    }

    static func summary(_ workload: Workload, _ metrics: [String: Any]) -> String {
        func value(_ key: String) -> String { metrics[key].map { "\($0)" } ?? "-" }
        switch workload {
        case .w1:
            return
                "w1: \(value("workflows")) workflows × \(value("steps_per_workflow")) steps in \(value("wall_s")) s: \(value("steps_per_s")) steps/s, \(value("workflows_per_s")) workflows/s, engine CPU \(value("engine_cpu_ms_per_step")) ms/step, failed \(value("failed"))"
        case .w2:
            return
                "w2: \(value("n")) sequential workflows × \(value("steps_per_workflow")) steps: p50 \(value("p50_ms")) ms, p99 \(value("p99_ms")) ms (per step p50 \(value("per_step_p50_ms")) ms), engine CPU \(value("engine_cpu_ms_per_step")) ms/step"
        case .w3:
            return
                "w3: \(value("workflows")) created in \(value("create_s")) s (\(value("creations_per_s"))/s), all parked after \(value("parked_s")) s, RSS \(value("rss_mib")) MiB, PSS \(value("pss_mib")) MiB"
        case .hibernated:
            return
                "hibernated: \(value("workflows")) created in \(value("create_s")) s (\(value("creations_per_s"))/s); all parked at once: \(value("all_parked_at_once")), RSS then \(value("rss_parked_mib")) MiB (PSS \(value("pss_parked_mib"))), live engines \(value("live_engines_when_parked")); \(value("woken")) woke, lateness p50 \(value("wake_lateness_p50_ms")) ms, p99 \(value("wake_lateness_p99_ms")) ms, max \(value("wake_lateness_max_ms")) ms, early \(value("early"))"
        case .pgCommit:
            return "pg-commit: \(value("n")) lone step writes one at a time: p50 \(value("p50_ms")) ms, p99 \(value("p99_ms")) ms, mean \(value("mean_ms")) ms"
        case .queued:
            let latency = metrics["list_latency"] as? [String: [String: Double]] ?? [:]
            func p50(_ key: String) -> String { latency[key]?["p50_ms"].map { "\($0)" } ?? "-" }
            return
                "queued: \(value("workflows")) created in \(value("create_s")) s (\(value("creations_per_s"))/s; first 5 % \(value("creations_per_s_first_5pct"))/s, last 5 % \(value("creations_per_s_last_5pct"))/s); \(value("queued")) queued, \(value("running")) running; list page p50: first \(p50("first_page_50")) ms, deep cursor \(p50("deep_cursor_page_50")) ms, status=queued \(p50("status_queued_page_50")) ms, status=running \(p50("status_running_page_50")) ms; counts \(p50("counts_by_status")) ms; RSS \(value("rss_mib")) MiB, database \(value("database_mib")) MiB"
        case .w1js:
            return
                "w1-js: \(value("workflows")) JavaScript workflows × \(value("steps_per_workflow")) steps in \(value("wall_s")) s: \(value("steps_per_s")) steps/s, engine CPU \(value("engine_cpu_ms_per_step")) ms/step of which in JavaScript \(value("in_js_ms_per_step")) ms, failed \(value("failed"))"
        case .jsReplay:
            return
                "js-replay, \(value("tenants")) tenants, 10 steps: cold wake p50 \(value("cold_wake_p50_ms")) ms (boot + 10-step replay \(value("cold_boot_plus_js_p50_ms")) ms: boot \(value("cold_boot_p50_ms")), \(value("cold_boots_from_standby")) of \(value("tenants")) from a standby context, + in JS \(value("cold_in_js_p50_ms")) ms), warm wake p50 \(value("warm_wake_p50_ms")) ms (replay: the entry that starts run and replays 10 steps \(value("warm_replay_p50_ms")) ms, CPU \(value("warm_replay_cpu_p50_ms")) ms, by round \(value("warm_replay_p50_ms_by_round")); in JS in all \(value("warm_in_js_p50_ms")) ms, CPU \(value("warm_in_js_cpu_p50_ms")) ms, p99 \(value("warm_in_js_p99_ms")); by round \(value("warm_in_js_p50_ms_by_round")), CPU \(value("warm_in_js_cpu_p50_ms_by_round")); of it in host functions \(value("warm_in_host_p50_ms")) ms; \(value("warm_entries_per_wake")) entries, \(value("warm_journal_answers_per_wake")) steps from the journal per wake), one tenant's instances back to back: replay p50 \(value("one_tenant_replay_p50_ms")) ms (CPU \(value("one_tenant_replay_cpu_p50_ms"))), in JS in all \(value("one_tenant_in_js_p50_ms")) ms (host \(value("one_tenant_in_host_p50_ms")) ms, p99 \(value("one_tenant_in_js_p99_ms"))), Swift wake p50 \(value("swift_wake_p50_ms")) ms; boot alone, no standby p50 \(value("boot_only_p50_ms")) ms; VM heaps measured \(value("heap_surveys")) times"
        case .jsTenants:
            return
                "js-tenants: \(value("tenants")) tenants booted through a loader capped at \(value("cache")) (\(value("boot_mean_ms")) ms each): RSS MiB by tenants booted \(value("rss_mib_by_tenants_booted")), \(value("cached_after")) cached at the end"
        case .jsAbuse:
            return
                "js-abuse: the neighbour's \(value("neighbour_instances")) instances (3 steps each, create to completion) alone p50 \(value("idle_p50_ms")) ms, p99 \(value("idle_p99_ms")) ms; while \(value("abuses")) ran: p50 \(value("abused_p50_ms")) ms, p99 \(value("abused_p99_ms")) ms (p99 ×\(value("p99_ratio")), p50 ×\(value("p50_ratio"))); \(value("abusive_instances_stopped")) abusive instances stopped, \(value("limit_stops")) entries stopped by a limit, \(value("backoff_waits")) runs held back by the back-off (measured \(value("abuse_lead_s")) s into the abuse)"
        case .fairness:
            return
                "fairness: \(value("workflows")) instances of 2 workflows on 100 slots in \(value("wall_s")) s; while both had queued work (\(value("samples_both_queued")) samples) the first held \(value("share_first_mean")) of the running slots on average (p5 \(value("share_first_p5")), p95 \(value("share_first_p95"))), \(value("running_total_mean")) running on average"
        }
    }
}
