@_spi(Stores) import Brigade
import BrigadePostgres
import BrigadeTesting
import Foundation
import Testing

/// Three real `brigade serve` nodes on one PostgreSQL database (R4, R5, R11 of RELIABILITY.md,
/// small): instances created through every node, nodes killed with SIGKILL and one paused with
/// SIGSTOP past its lease while crash-probe step bodies append (instance, step, pid, start) to a
/// ledger outside the engine. Every instance completes with the right output, a step committed
/// before a kill never runs again, no step's body runs on two live nodes at once, a dead node's
/// slots move within the lease TTL and a heartbeat, and concurrent creates of one id through
/// different nodes make exactly one instance.
@Suite(.serialized, .enabled(if: PostgresTestServer.isAvailable, "needs PostgreSQL's programs (initdb, pg_ctl)"))
struct ClusterTests {
    static let leaseTTL = 1_500
    static let heartbeat = 250
    static let steps = 6
    static let stepMillis: Int64 = 150

    final class Node {
        let id: String
        let port: Int
        var server: ServerProcess
        var pid: String { "\(server.process.processIdentifier)" }
        init(id: String, port: Int, server: ServerProcess) {
            self.id = id
            self.port = port
            self.server = server
        }
    }

    @Test func nodesDieAndPauseAndEveryInstanceCompletesOnce() async throws {
        let binary = try BrigadeExecutable.url()
        let directory = try TemporaryDirectory(prefix: "brigade-cluster")
        defer { directory.remove() }
        let db = try PostgresTestServer.shared().newDatabase()
        let ledger = directory.file("ledger.tsv")
        let reader = try PostgresStore(url: db, maxConnections: 2)
        try await reader.migrate()
        let basePort = 21_000 + Int(getpid() % 9_000)
        func launch(_ id: String, port: Int) throws -> ServerProcess {
            try Self.node(binary, id, db: db, port: port, ledger: ledger)
        }
        var nodes: [Node] = []
        defer { for node in nodes where node.server.process.isRunning { node.server.kill() } }
        // The first node makes the tenant and prints its token; the others find it.
        nodes.append(Node(id: "n0", port: basePort, server: try launch("n0", port: basePort)))
        let token = try await nodes[0].server.token()
        for index in 1..<3 {
            nodes.append(Node(id: "n\(index)", port: basePort + index, server: try launch("n\(index)", port: basePort + index)))
        }
        for node in nodes.dropFirst() { _ = try await node.server.waitForListening() }
        try await eventually("the slots to spread over three nodes", timeout: .seconds(30)) {
            let view = try await reader.clusterView()
            let held = Dictionary(grouping: view.leases.filter { !$0.expired }, by: \.node).mapValues(\.count)
            return held.count == 3 && held.values.allSatisfy { $0 >= 20 } && held.values.reduce(0, +) == 64
        }

        // Instances created through every node: most land in shards another node runs.
        var ids: [String] = []
        func create(_ count: Int, prefix: String) async throws {
            let made = (0..<count).map { "\(prefix)-\($0)" }
            try await trigger(
                binary, made, params: #"{"steps": \#(Self.steps), "stepMillis": \#(Self.stepMillis), "sleepMillis": 300}"#,
                ports: nodes.map(\.port), token: token)
            ids += made
        }
        // R4: kill -9 the node that ran the latest body, twice; the others take its slots.
        var killedAt: [String: Int64] = [:]
        var committedAtKill: [(at: Int64, steps: Set<String>)] = []
        var takeovers: [Int64] = []
        for round in 0..<2 {
            let target = ProbeLedger.lines(at: ledger).count + 12
            try await create(12, prefix: "r4-\(round)")
            try await eventually("step bodies to run before kill \(round + 1)", timeout: .seconds(60)) {
                ProbeLedger.lines(at: ledger).count >= target
            }
            let busyPid = ProbeLedger.lines(at: ledger).last!.pid
            let victim = nodes.first { $0.pid == busyPid } ?? nodes[round]
            let pid = victim.pid
            victim.server.kill()
            let now = Date().millisecondsSince1970
            killedAt[pid] = now
            // Stamped when the read has ended: the live nodes go on committing meanwhile, and a
            // body started before the stamp may be the one that committed what the read saw.
            let committed = try await Self.committedSteps(reader, ids: ids)
            committedAtKill.append((Date().millisecondsSince1970, committed))
            // Takeover: every slot held by a live node other than the dead one.
            try await eventually("the slots of \(victim.id) to move", timeout: .seconds(30)) {
                let view = try await reader.clusterView()
                let held = view.leases.filter { !$0.expired && $0.node != victim.id }
                return held.count == 64
            }
            takeovers.append(Date().millisecondsSince1970 - now)
            victim.server = try launch(victim.id, port: victim.port)
            _ = try await victim.server.waitForListening()
        }

        // R5: SIGSTOP a node that holds slots past its lease, then SIGCONT: it loses them, its
        // writes are fenced, and it rejoins.
        let before = ProbeLedger.lines(at: ledger).count
        try await create(9, prefix: "r5")
        let paused = nodes[2]
        try await eventually("\(paused.id) to hold slots again", timeout: .seconds(30)) {
            try await reader.clusterView().leases.contains { !$0.expired && $0.node == paused.id }
        }
        try await eventually("step bodies to run before the pause", timeout: .seconds(60)) {
            ProbeLedger.lines(at: ledger).count >= before + 12
        }
        let pausedPid = paused.pid
        let heldBeforePause = try await reader.clusterView().leases.filter { !$0.expired && $0.node == paused.id }
        let pausedAt = Date().millisecondsSince1970
        paused.server.process.send(SIGSTOP)
        try await eventually("the paused node's slots to move", timeout: .seconds(30)) {
            let view = try await reader.clusterView()
            return view.leases.filter { !$0.expired && $0.node != paused.id }.count == 64
        }
        try await Task.sleep(for: .milliseconds(500))
        paused.server.process.send(SIGCONT)
        try await eventually("\(paused.id) to rejoin with slots of its own", timeout: .seconds(30)) {
            try await reader.clusterView().leases.contains { !$0.expired && $0.node == paused.id }
        }

        try await eventually("every instance to complete", timeout: .seconds(120)) {
            for id in ids {
                guard try await reader.instance(Self.key(id))?.status == .complete else { return false }
            }
            return true
        }
        let expected = "\((0..<Self.steps).reduce(0, +))"
        for id in ids {
            let row = try await reader.instance(Self.key(id))
            #expect(row?.output.map { String(decoding: $0, as: UTF8.self) } == expected, "\(id)")
            #expect(try await reader.steps(of: Self.key(id)).filter { $0.kind == .do }.count == Self.steps, "one record per step of \(id)")
        }
        // Every slot the paused node held changed hands: the fences its engines carried then are
        // void, so whatever it wrote after SIGCONT under them was rejected.
        let leasesNow = Dictionary(uniqueKeysWithValues: try await reader.clusterView().leases.map { ($0.slot, $0) })
        #expect(!heldBeforePause.isEmpty)
        for lease in heldBeforePause {
            #expect((leasesNow[lease.slot]?.epoch ?? 0) > lease.epoch, "slot \(lease.slot) kept epoch \(lease.epoch) across the pause")
        }

        let lines = ProbeLedger.lines(at: ledger)
        #expect(Set(lines.map(\.step)).count == ids.count * Self.steps, "every step body ran")
        // A step committed before a kill never ran again after it.
        for snapshot in committedAtKill {
            let again = lines.filter { ($0.startedAt ?? 0) > snapshot.at && snapshot.steps.contains($0.step) }
            #expect(again.isEmpty, "committed steps ran again: \(again.prefix(5).map(\.step))")
        }
        // No step's body ran on two live nodes at once: a second execution on another node starts
        // only after the first ended, or after its node was killed. The paused node's bodies
        // that were running when it stopped are the one exception R5 allows (their writes are
        // fenced).
        var overlaps: [String] = []
        for (step, executions) in Dictionary(grouping: lines, by: \.step) {
            let sorted = executions.sorted { ($0.startedAt ?? 0) < ($1.startedAt ?? 0) }
            for (first, second) in zip(sorted, sorted.dropFirst()) where first.pid != second.pid {
                guard let start = first.startedAt, let next = second.startedAt else { continue }
                if first.pid == pausedPid, start <= pausedAt { continue }
                let end = min(start + Self.stepMillis, killedAt[first.pid] ?? .max)
                if next < end { overlaps.append("\(step): \(first.pid)@\(start) and \(second.pid)@\(next)") }
            }
        }
        #expect(overlaps.isEmpty, "bodies ran on two nodes at once: \(overlaps.prefix(5))")
        for takeover in takeovers {
            // The lease TTL and a heartbeat, with room for a loaded two-core machine.
            #expect(takeover <= Int64(Self.leaseTTL + Self.heartbeat + 2_500), "takeover took \(takeover) ms")
        }

        // R11: one id created at once through every node makes exactly one instance.
        for index in 0..<4 {
            let id = "r11-\(index)"
            let outputs = try await withThrowingTaskGroup(of: String.self) { group in
                for port in nodes.map(\.port) {
                    group.addTask {
                        try await runToEnd(
                            binary, ["trigger", "crash-probe", #"{"steps": 1, "stepMillis": 1, "sleepMillis": 0}"#, "--id", id],
                            environment: ProcessInfo.processInfo.environment.merging(Self.environment(port: port, token: token)) { $1 },
                            mergingErrors: true
                        ).output
                    }
                }
                return try await group.reduce(into: [String]()) { $0.append($1) }
            }
            // Never two successes, and one row. A node too loaded to answer within its time limits
            // answers 503 (whether it was written unknown), which a client retries with the id.
            let succeeded = outputs.filter { $0.contains("queued successfully") }.count
            let refused = outputs.filter { $0.contains("already exists") || $0.contains("already_exists") }.count
            let unknown = outputs.filter { $0.contains("HTTP 503") }.count
            #expect(succeeded <= 1 && succeeded + refused + unknown == nodes.count, "\(id): \(outputs)")
            #expect(unknown < nodes.count, "\(id): every node answered 503: \(outputs)")
            #expect(try await reader.instance(Self.key(id)) != nil)
        }
        print(
            "cluster: \(ids.count) instances, \(lines.count) body executions, 2 kills (takeover \(takeovers) ms), 1 SIGSTOP past the lease"
        )
        for node in nodes { _ = try await node.server.terminate() }
        nodes.removeAll()
        await reader.close()
    }

    /// R4's limit half: three nodes, one account limited to four running instances, its
    /// instances spread over a dozen shards (so over every node). Sampled all along: the rows of
    /// the slot broker never hold more than four, PostgreSQL never has more than four instances
    /// `running`, and the ledger never shows more than four bodies at once; every node runs some.
    @Test func theAccountLimitHoldsAcrossNodes() async throws {
        let binary = try BrigadeExecutable.url()
        let directory = try TemporaryDirectory(prefix: "brigade-cluster-limit")
        defer { directory.remove() }
        let db = try PostgresTestServer.shared().newDatabase()
        let ledger = directory.file("ledger.tsv")
        let reader = try PostgresStore(url: db, maxConnections: 2)
        try await reader.migrate()
        let limit = 4
        let basePort = 30_000 + Int(getpid() % 9_000)
        var servers: [ServerProcess] = []
        defer { for server in servers where server.process.isRunning { server.kill() } }
        for index in 0..<3 {
            servers.append(
                try Self.node(
                    binary, "m\(index)", db: db, port: basePort + index, ledger: ledger,
                    ["--max-running", "\(limit)", "--shards-per-workflow", "12"]))
            if index == 0 { _ = try await servers[0].token() }
        }
        let token = try await servers[0].token()
        for server in servers.dropFirst() { _ = try await server.waitForListening() }
        // Seen once past 30 s in a loaded full run (two cores, three nodes and the server busy).
        try await eventually("the slots to spread over three nodes", timeout: .seconds(60)) {
            let held = Dictionary(grouping: try await reader.clusterView().leases.filter { !$0.expired }, by: \.node)
            return held.count == 3 && held.values.reduce(0) { $0 + $1.count } == 64
        }
        let ids = (0..<24).map { "limit-\($0)" }
        try await trigger(
            binary, ids, params: #"{"steps": 3, "stepMillis": 250, "sleepMillis": 0}"#, ports: (0..<3).map { basePort + $0 }, token: token)
        var maxHeld = 0
        var maxRunning = 0
        var allThreeHeld = false
        let deadline = ContinuousClock.now + .seconds(120)
        while true {
            guard ContinuousClock.now < deadline else {
                Issue.record("the instances did not complete within 120 s: \(try await reader.accountSlotRows(tenant: "default"))")
                break
            }
            let rows = try await reader.accountSlotRows(tenant: "default")
            maxHeld = max(maxHeld, rows.reduce(0) { $0 + $1.held })
            if rows.filter({ $0.held > 0 }).count == 3 { allThreeHeld = true }
            let counts = try await reader.instanceCounts(tenant: "default", workflow: "crash-probe")
            maxRunning = max(maxRunning, counts[.running] ?? 0)
            if counts[.complete] == ids.count { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(maxHeld <= limit, "the nodes held \(maxHeld) slots at once")
        #expect(maxRunning <= limit, "\(maxRunning) instances were running at once")
        let lines = ProbeLedger.lines(at: ledger)
        let starts = lines.compactMap(\.startedAt).sorted()
        let crowd = starts.indices.map { index in starts[index...].prefix { $0 < starts[index] + 240 }.count }.max() ?? 0
        #expect(crowd <= limit, "\(crowd) bodies started within one body's duration")
        #expect(Set(lines.map(\.pid)).count == 3, "every node ran bodies")
        #expect(allThreeHeld, "the three nodes never held slots at the same time")
        print("cluster limit: \(ids.count) instances, limit \(limit): held ≤ \(maxHeld), running ≤ \(maxRunning), bodies at once ≤ \(crowd)")
        for server in servers { _ = try await server.terminate() }
        servers.removeAll()
        await reader.close()
    }

    /// R6 with nodes: PostgreSQL stopped and started twice while two nodes run instances. The
    /// nodes never exit (calls fail as 503 meanwhile, heartbeats fail, shards stop once the
    /// leases may have lapsed), take their leases back when it returns, and every instance
    /// completes with the output a fresh run gives, each step recorded once.
    @Test func nodesOutliveADatabaseRestartedUnderThem() async throws {
        let binary = try BrigadeExecutable.url()
        let directory = try TemporaryDirectory(prefix: "brigade-cluster-r6")
        defer { directory.remove() }
        let server = try PostgresTestServer.startPrivate()
        defer { try? server.stop() }
        let db = try server.newDatabase()
        let ledger = directory.file("ledger.tsv")
        let basePort = 40_000 + Int(getpid() % 9_000)
        var nodes: [ServerProcess] = []
        defer { for node in nodes where node.process.isRunning { node.kill() } }
        for index in 0..<2 {
            nodes.append(try Self.node(binary, "p\(index)", db: db, port: basePort + index, ledger: ledger, ["--shards-per-workflow", "8"]))
            if index == 0 { _ = try await nodes[0].token() }
        }
        let token = try await nodes[0].token()
        _ = try await nodes[1].waitForListening()
        let ids = (0..<10).map { "r6-\($0)" }
        try await trigger(
            binary, ids, params: #"{"steps": 8, "stepMillis": 100, "sleepMillis": 300}"#, ports: (0..<2).map { basePort + $0 }, token: token)
        for round in 0..<2 {
            let target = ProbeLedger.lines(at: ledger).count + 10
            try await eventually("bodies to run before outage \(round + 1)", timeout: .seconds(60)) {
                ProbeLedger.lines(at: ledger).count >= target
            }
            try server.stop()
            // Past the lease TTL: the nodes must give their shards up and take them back later.
            try await Task.sleep(for: .milliseconds(Self.leaseTTL + 1_000))
            let alive = nodes.filter { $0.process.isRunning }.count
            #expect(alive == 2, "a node exited while PostgreSQL was down")
            try server.start()
        }
        let reader = try PostgresStore(url: db, maxConnections: 2)
        try await reader.migrate()
        try await eventually("every instance to complete after the outages", timeout: .seconds(120)) {
            for id in ids {
                guard try await reader.instance(Self.key(id))?.status == .complete else { return false }
            }
            return true
        }
        for id in ids {
            let row = try await reader.instance(Self.key(id))
            #expect(row?.output.map { String(decoding: $0, as: UTF8.self) } == "\((0..<8).reduce(0, +))", "\(id)")
            let steps = try await reader.steps(of: Self.key(id)).filter { $0.kind == .do }
            #expect(steps.count == 8 && steps.allSatisfy { $0.status == .complete }, "\(id): \(steps.map(\.name))")
        }
        let alive = nodes.filter { $0.process.isRunning }.count
        #expect(alive == 2, "a node exited")
        print("cluster R6: \(ids.count) instances through 2 PostgreSQL restarts, \(ProbeLedger.lines(at: ledger).count) body executions")
        for node in nodes { _ = try await node.terminate() }
        nodes.removeAll()
        await reader.close()
    }

    static func key(_ id: String) -> InstanceKey {
        InstanceKey(tenant: BrigadeRuntime.defaultTenant, workflow: "crash-probe", id: id)
    }

    static func environment(port: Int, token: String) -> [String: String] {
        ServeEndToEndTests.cliEnvironment(port: port, token: token)
    }

    /// `brigade serve` as node `id` of a cluster on `db` with the test's lease timings.
    static func node(_ binary: URL, _ id: String, db: String, port: Int, ledger: String, _ extra: [String] = []) throws -> ServerProcess {
        try ServerProcess(
            binary: binary,
            arguments: [
                "serve", "--db", db, "--port", "\(port)", "--node-id", id, "--lease-ttl-ms", "\(leaseTTL)", "--heartbeat-ms", "\(heartbeat)",
                "--probe-ledger", ledger,
            ] + extra)
    }

    static func committedSteps(_ store: PostgresStore, ids: [String]) async throws -> Set<String> {
        var committed = Set<String>()
        for id in ids {
            for step in try await store.steps(of: key(id)) where step.kind == .do && step.status == .complete {
                committed.insert("\(id)/\(step.name)")
            }
        }
        return committed
    }

    func run(_ binary: URL, _ arguments: [String], environment: [String: String]) async throws -> String {
        try await runCLI(binary, arguments, environment: environment)
    }

    /// Creates a crash-probe instance for each id through `brigade trigger`, the i-th through the
    /// node on `ports[i % ports.count]`.
    func trigger(_ binary: URL, _ ids: [String], params: String, ports: [Int], token: String) async throws {
        for (index, id) in ids.enumerated() {
            // Errors merged in, so that a refused creation says why.
            let output = try await runToEnd(
                binary, ["trigger", "crash-probe", params, "--id", id],
                environment: ProcessInfo.processInfo.environment.merging(Self.environment(port: ports[index % ports.count], token: token)) { $1 },
                mergingErrors: true
            ).output
            #expect(output.contains("queued successfully"), "\(id) through port \(ports[index % ports.count]): \(output)")
        }
    }
}
