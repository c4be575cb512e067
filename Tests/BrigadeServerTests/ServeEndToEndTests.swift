@_spi(Stores) import Brigade
import BrigadeSQLite
import BrigadeTesting
import Foundation
import Synchronization
import Testing

/// The real `brigade serve` driven by the real CLI: killed with SIGKILL while instances run,
/// started again on the same file, every instance completes and no committed step runs twice;
/// then SIGTERM drains and exits cleanly.
@Suite(.serialized) struct ServeEndToEndTests {
    static let instances = 12
    static let steps = 8

    @Test func killedServerResumesEveryInstanceAndRunsNoCommittedStepTwice() async throws {
        let binary = try BrigadeExecutable.url()
        let directory = try TemporaryDirectory(prefix: "brigade-e2e")
        defer { directory.remove() }
        let db = directory.file("serve.sqlite")
        let ledger = directory.file("ledger.tsv")
        let port = 20_000 + Int(getpid() % 20_000)

        var server = try ServerProcess(binary: binary, arguments: ["serve", "--db", db, "--port", "\(port)", "--probe-ledger", ledger])
        let token = try await server.token()
        let environment = Self.cliEnvironment(port: port, token: token)
        for index in 0..<Self.instances {
            let output = try await run(
                binary,
                ["trigger", "crash-probe", #"{"steps": \#(Self.steps), "stepMillis": 60, "sleepMillis": 300}"#, "--id", "e2e-\(index)"],
                environment: environment)
            #expect(output.contains("queued successfully"), "\(output)")
        }
        try await eventually("step bodies to run", timeout: .seconds(60)) { ProbeLedger.lines(at: ledger).map(\.step).count >= 30 }
        server.kill()
        let committedAtKill = try await Self.committedSteps(db)
        let ranAtKill = ProbeLedger.lines(at: ledger).map(\.step)
        #expect(committedAtKill.count < Self.instances * Self.steps, "the kill must land mid-run")

        server = try ServerProcess(binary: binary, arguments: ["serve", "--db", db, "--port", "\(port)", "--probe-ledger", ledger])
        _ = try await server.waitForListening()
        try await eventually("every instance to complete", timeout: .seconds(90)) {
            let listed = try await run(
                binary, ["instances", "list", "crash-probe", "--status", "complete", "--per-page", "100", "--json"],
                environment: environment)
            let items = try JSONDecoder().decode(JSONValue.self, from: Data(listed.utf8))
            guard case .array(let rows) = items else { return false }
            return rows.count == Self.instances
        }
        let described = try await run(binary, ["instances", "describe", "crash-probe", "e2e-0"], environment: environment)
        #expect(described.contains("complete") && described.contains("step 0-1"))

        // A step committed before the kill never ran again; every step ran at least once.
        let ran = ProbeLedger.lines(at: ledger).map(\.step)
        for step in committedAtKill {
            #expect(ran.filter { $0 == step }.count == 1, "\(step) was committed before the kill and ran again")
        }
        #expect(Set(ran).count == Self.instances * Self.steps)
        print("serve end to end: \(ranAtKill.count) bodies before the kill, \(committedAtKill.count) committed; \(ran.count) in all")

        // SIGTERM: stops intake, lets the engine drain, exits 0.
        let status = try await server.terminate()
        #expect(status == 0)
    }

    /// A tenant's JavaScript workflow, deployed with the CLI, survives SIGKILL while it sleeps:
    /// the server started again on the same file wakes it, boots the tenant's code again, and
    /// it takes the event sent after the restart.
    @Test func aJavaScriptWorkflowSleepingThroughAKilledServerFinishesAfterTheRestart() async throws {
        let binary = try BrigadeExecutable.url()
        let directory = try TemporaryDirectory(prefix: "brigade-e2e-js")
        defer { directory.remove() }
        let db = directory.file("serve.sqlite")
        let source = directory.file("sleeper.js")
        try """
            export class TenantWorkflow {
              async run(event, step) {
                const before = await step.do('before', async () => event.payload.name);
                await step.sleep('nap', '2 seconds');
                const go = await step.waitForEvent('go', { type: 'go', timeout: '1 hour' });
                return step.do('after', async () => `${before} woke and got ${go.payload.n}`);
              }
            }
            """.write(toFile: source, atomically: true, encoding: .utf8)
        let port = 20_000 + Int((getpid() + 7_919) % 20_000)
        var server = try ServerProcess(binary: binary, arguments: ["serve", "--db", db, "--port", "\(port)"])
        let token = try await server.token()
        let environment = Self.cliEnvironment(port: port, token: token)
        let deployed = try await run(binary, ["deploy", source, "--workflow", "sleeper"], environment: environment)
        #expect(deployed.contains("version 1"), "\(deployed)")
        // Params from a file (@FILE): 300 KiB, more than one argument can carry on Linux (128 KiB).
        let params = directory.file("params.json")
        try #"{"name":"Ada","padding":"\#(String(repeating: "x", count: 300 << 10))"}"#.write(toFile: params, atomically: true, encoding: .utf8)
        let triggered = try await run(binary, ["trigger", "sleeper", "@" + params, "--id", "js-1"], environment: environment)
        #expect(triggered.contains("queued successfully"), "\(triggered)")
        let missing = try await runToEnd(
            binary, ["trigger", "sleeper", "@" + directory.file("nope.json")],
            environment: ProcessInfo.processInfo.environment.merging(environment) { $1 }, mergingErrors: true)
        #expect(missing.status != 0 && missing.output.contains("cannot read the file"), "\(missing.output)")
        func describe() async throws -> String { try await run(binary, ["instances", "describe", "sleeper", "js-1", "--json"], environment: environment) }
        try await eventually("the instance to sleep", timeout: .seconds(30)) { try await describe().contains("\"nap-1\"") }
        server.kill()

        server = try ServerProcess(binary: binary, arguments: ["serve", "--db", db, "--port", "\(port)"])
        _ = try await server.waitForListening()
        try await eventually("the nap to end and the wait to start", timeout: .seconds(30)) { try await describe().contains("\"go-1\"") }
        let sent = try await run(
            binary, ["instances", "send-event", "sleeper", "js-1", "--type", "go", "--payload", #"{"n":2}"#], environment: environment)
        #expect(sent.contains("sent"), "\(sent)")
        try await eventually("the instance to complete", timeout: .seconds(30)) { try await describe().contains("\"complete\"") }
        let described = try await describe()
        #expect(described.contains("Ada woke and got 2"), "\(described)")

        // A failure says where it was thrown, in the uploaded file, in describe and in watch.
        let failing = directory.file("failing.js")
        try """
            export class TenantWorkflow {
              async run(event, step) {
                return check(event.payload);
              }
            }
            function check(payload) {
              throw new Error('bad payload ' + payload.n);
            }
            """.write(toFile: failing, atomically: true, encoding: .utf8)
        _ = try await run(binary, ["deploy", failing, "--workflow", "failing"], environment: environment)
        _ = try await run(binary, ["trigger", "failing", #"{"n":1}"#, "--id", "f-1"], environment: environment)
        try await eventually("the failing instance to error", timeout: .seconds(30)) {
            try await run(binary, ["instances", "describe", "failing", "f-1", "--json"], environment: environment).contains("\"errored\"")
        }
        let failure = try await run(binary, ["instances", "describe", "failing", "f-1"], environment: environment)
        #expect(failure.contains("Error: bad payload 1") && failure.contains("check@tenant.js:7:"), "\(failure)")
        let watched = try await run(binary, ["instances", "watch", "failing", "f-1"], environment: environment)
        #expect(watched.contains("workflow_errored  Error: bad payload 1") && watched.contains("check@tenant.js:7:"), "\(watched)")
        // A step that failed for good and errored the instance: the place is its last attempt's.
        let stepFailing = directory.file("step-failing.js")
        try """
            export class TenantWorkflow {
              async run(event, step) {
                return step.do('charge', { retries: { limit: 0, delay: 1 } }, async () => {
                  throw new Error('card declined');
                });
              }
            }
            """.write(toFile: stepFailing, atomically: true, encoding: .utf8)
        _ = try await run(binary, ["deploy", stepFailing, "--workflow", "step-failing"], environment: environment)
        _ = try await run(binary, ["trigger", "step-failing", "{}", "--id", "s-1"], environment: environment)
        try await eventually("the step-failing instance to error", timeout: .seconds(30)) {
            try await run(binary, ["instances", "describe", "step-failing", "s-1", "--json"], environment: environment).contains("\"errored\"")
        }
        let stepFailure = try await run(binary, ["instances", "describe", "step-failing", "s-1"], environment: environment)
        #expect(stepFailure.contains("Error: card declined") && stepFailure.contains("@tenant.js:4:"), "\(stepFailure)")
        #expect(try await server.terminate() == 0)
    }

    /// env.WORKFLOWS from a step survives SIGKILL: the step created an instance with an id and
    /// failed, the server was killed during its retry delay, and the retry in the restarted
    /// server makes no second instance.
    @Test func aStepsBindingCreateSurvivesAKilledServerWithoutASecondInstance() async throws {
        let binary = try BrigadeExecutable.url()
        let directory = try TemporaryDirectory(prefix: "brigade-e2e-binding")
        defer { directory.remove() }
        let db = directory.file("serve.sqlite")
        let source = directory.file("spawner.js")
        try """
            export class TenantWorkflow {
              async run(event, step) {
                if (event.payload.spawned) return step.do('spawned', async () => 'spawned by ' + event.payload.by);
                return step.do('spawn', { retries: { limit: 3, delay: '3 seconds', backoff: 'constant' } }, async (ctx) => {
                  const made = await this.env.WORKFLOWS.create({ id: 'spawned-' + event.instanceId, params: { spawned: true, by: event.instanceId } });
                  if (ctx.attempt === 1) throw new Error('failing after creating, to be retried');
                  return made.id;
                });
              }
            }
            """.write(toFile: source, atomically: true, encoding: .utf8)
        let port = 20_000 + Int((getpid() + 4_211) % 20_000)
        var server = try ServerProcess(binary: binary, arguments: ["serve", "--db", db, "--port", "\(port)"])
        let token = try await server.token()
        let environment = Self.cliEnvironment(port: port, token: token)
        _ = try await run(binary, ["deploy", source, "--workflow", "spawner"], environment: environment)
        _ = try await run(binary, ["trigger", "spawner", "{}", "--id", "p"], environment: environment)
        func describe(_ id: String) async throws -> String {
            try await run(binary, ["instances", "describe", "spawner", id, "--json"], environment: environment)
        }
        try await eventually("the first attempt to fail after creating", timeout: .seconds(30)) {
            let parent = try await describe("p")
            guard parent.contains("failing after creating") else { return false }
            return try await describe("spawned-p").contains("\"status\"")
        }
        server.kill()

        server = try ServerProcess(binary: binary, arguments: ["serve", "--db", db, "--port", "\(port)"])
        _ = try await server.waitForListening()
        try await eventually("the parent to complete", timeout: .seconds(30)) { try await describe("p").contains("\"complete\"") }
        #expect(try await describe("p").contains("spawned-p"))
        try await eventually("the spawned instance to complete", timeout: .seconds(30)) {
            try await describe("spawned-p").contains("spawned by p")
        }
        let listed = try await run(binary, ["instances", "list", "spawner", "--json"], environment: environment)
        let ids = Set(listed.matches(of: /"id"\s*:\s*"([^"]+)"/).map { String($0.1) })
        #expect(ids == ["p", "spawned-p"], "one instance from the step, however often it ran: \(ids)")
        #expect(try await server.terminate() == 0)
    }

    /// The seed's module, unchanged, through a real `brigade serve` process: deployed with the
    /// CLI, driven at `/dispatch/{account}/{workflow}/` and on the `--dispatch-port` listener
    /// (account in `x-tenant-id`), both instances ending `Hello, Alice!`; and the operator's
    /// egress setting for the tenant through the CLI and the admin API.
    @Test func theSeedsModuleIsServedOnBothDispatchRoutesOfAServeProcess() async throws {
        let binary = try BrigadeExecutable.url()
        let directory = try TemporaryDirectory(prefix: "brigade-e2e-dispatch")
        defer { directory.remove() }
        let port = 20_000 + Int((getpid() + 9_311) % 20_000)
        let dispatchPort = port + 1
        let server = try ServerProcess(
            binary: binary,
            arguments: [
                "serve", "--db", directory.file("serve.sqlite"), "--port", "\(port)", "--dispatch-port", "\(dispatchPort)",
                "--admin-token", "operator-secret-of-thirty-two-characters",
            ])
        let token = try await server.token()
        #expect(server.output.text.contains("and on http://127.0.0.1:\(dispatchPort)/{workflow}/… with the account in x-tenant-id"))
        let environment = Self.cliEnvironment(port: port, token: token)
        let seed = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("examples/seed.js").path
        _ = try await run(binary, ["deploy", seed, "--workflow", "seed"], environment: environment)

        func post(_ port: Int, _ path: String, headers: String = "") async throws -> String {
            let body = #"{"name": "Alice"}"#
            let client = try RawClient(port: port)
            try client.send(
                "POST \(path) HTTP/1.1\r\nHost: x\r\n\(headers)Content-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n\(body)")
            let (answer, _) = try await client.read(for: .seconds(20), until: "\"}")
            #expect(answer.hasPrefix("HTTP/1.1 200"), "\(answer.prefix(300))")
            return try #require(answer.firstMatch(of: /"id":"([^"]+)"/).map { String($0.1) }, "\(answer.prefix(300))")
        }
        let first = try await post(port, "/dispatch/default/seed/")
        let second = try await post(dispatchPort, "/seed/", headers: "x-tenant-id: default\r\n")
        #expect(first != second)
        for id in [first, second] {
            try await eventually("\(id) to say hello", timeout: .seconds(30)) {
                try await run(binary, ["instances", "describe", "seed", id, "--json"], environment: environment).contains("Hello, Alice!")
            }
        }

        // The operator narrows the tenant's egress with the CLI, through the admin API.
        var admin = environment
        admin["BRIGADE_ADMIN_TOKEN"] = "operator-secret-of-thirty-two-characters"
        let set = try await run(binary, ["tenants", "limits", "default", "--fetch-hosts", "api.example.com"], environment: admin)
        #expect(set.contains("fetch_hosts") && set.contains("api.example.com"), "\(set)")
        let shown = try await run(binary, ["tenants", "limits", "default", "--json"], environment: admin)
        #expect(shown.contains("\"fetch_hosts\"") && shown.contains("api.example.com"), "\(shown)")
        #expect(try await server.terminate() == 0)
    }

    /// Many instances followed on one connection: a workflow's feed sends each instance's
    /// completion once, a reconnect with `Last-Event-ID` the ones after it, and the account's
    /// feed from now on only what happens next.
    @Test func aFeedFollowsManyInstancesOnOneConnectionAndResumes() async throws {
        let binary = try BrigadeExecutable.url()
        let directory = try TemporaryDirectory(prefix: "brigade-e2e-feed")
        defer { directory.remove() }
        let port = 20_000 + Int((getpid() + 6_133) % 20_000)
        let server = try ServerProcess(binary: binary, arguments: ["serve", "--db", directory.file("serve.sqlite"), "--port", "\(port)"])
        let token = try await server.token()
        let base = "/client/v4/accounts/default/workflows/greeting"

        func follow(_ path: String, lastEventID: String? = nil) throws -> RawClient {
            let client = try RawClient(port: port)
            try client.send(
                "GET \(path) HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(token)\r\n\(lastEventID.map { "Last-Event-ID: \($0)\r\n" } ?? "")\r\n")
            return client
        }
        /// Frames (`id`, `event`, `data`) until `count` of them have arrived.
        func frames(_ client: RawClient, count: Int) async throws -> [SSEFrame] {
            var text = ""
            var parsed: [SSEFrame] = []
            let deadline = ContinuousClock.now + .seconds(30)
            while parsed.count < count, ContinuousClock.now < deadline {
                text += try await client.read(for: .milliseconds(200)).0
                parsed = SSEFrame.frames(in: text)
            }
            return parsed
        }
        func create(_ ids: [String]) async throws {
            let body = "[" + ids.map { #"{"instance_id": "\#($0)", "params": {"name": "Ada"}}"# }.joined(separator: ",") + "]"
            let client = try RawClient(port: port)
            try client.send(
                "POST \(base)/instances/batch HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(token)\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n\(body)")
            let (answer, _) = try await client.read(for: .seconds(20), until: "}]")
            #expect(answer.hasPrefix("HTTP/1.1 200"), "\(answer.prefix(300))")
        }

        let stream = try follow("\(base)/subscribe?filter=workflow_completed")
        let ids = (0..<20).map { "g\($0)" }
        try await create(ids)
        let completed = try await frames(stream, count: ids.count)
        #expect(completed.count == ids.count && completed.allSatisfy { $0.event == "workflow_completed" })
        #expect(Set(completed.compactMap { $0.data["instanceId"]?.string }) == Set(ids), "each instance's completion once")
        #expect(completed.allSatisfy { $0.data["workflow"] == "greeting" && $0.data["instanceStatus"] == "complete" })

        // A reconnect from the tenth: the ten after it, in the same order.
        let resumed = try follow("\(base)/subscribe?filter=workflow_completed", lastEventID: completed[9].id)
        let rest = try await frames(resumed, count: 10)
        #expect(rest.map(\.id) == completed[10...].map(\.id))

        // The account's feed from now on: only the instance made after it opened.
        let account = try follow("/client/v4/accounts/default/subscribe?from=now&status=complete&filter=workflow_completed")
        _ = try await account.read(for: .milliseconds(300))
        try await create(["after"])
        let next = try await frames(account, count: 1)
        #expect(next.first?.data["instanceId"] == "after", "\(next.map(\.data))")

        // A cursor the server did not write is a 400 before the stream starts.
        let bad = try follow("\(base)/subscribe?cursor=not-a-cursor")
        let (refused, _) = try await bad.read(for: .seconds(10), until: "}")
        #expect(refused.hasPrefix("HTTP/1.1 400") && refused.contains("is not a cursor of this feed"), "\(refused.prefix(300))")
        #expect(try await server.terminate() == 0)
    }

    /// SIGTERM while a client follows a waiting instance's event stream and another holds an
    /// idle connection: the stream ends, and the server exits 0 within its grace — a stream of
    /// an instance that waits for days does not hold the shutdown.
    @Test func sigtermEndsOpenStreamsAndExitsWithinTheGrace() async throws {
        let binary = try BrigadeExecutable.url()
        let directory = try TemporaryDirectory(prefix: "brigade-e2e-term")
        defer { directory.remove() }
        let port = 20_000 + Int((getpid() + 7) % 20_000)
        let server = try ServerProcess(binary: binary, arguments: ["serve", "--db", directory.file("serve.sqlite"), "--port", "\(port)"])
        let token = try await server.token()
        let base = "/client/v4/accounts/default/workflows/demo-order/instances"
        let body = #"{"instance_id": "waits", "params": {"item": "lamp", "quantity": 1}}"#
        let create = try RawClient(port: port)
        try create.send("POST \(base) HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(token)\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)")
        let (created, _) = try await create.read(for: .seconds(10), until: "}")
        #expect(created.hasPrefix("HTTP/1.1 200"), "\(created.prefix(300))")
        let stream = try RawClient(port: port)
        try stream.send("GET \(base)/waits/subscribe HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(token)\r\n\r\n")
        let (opened, _) = try await stream.read(for: .seconds(10), until: "retry: 1000")
        #expect(opened.hasPrefix("HTTP/1.1 200"))
        let idle = try RawClient(port: port)

        let started = ContinuousClock.now
        server.process.send(SIGTERM)
        try await eventually("the server to exit after SIGTERM", timeout: .seconds(25)) { !server.process.isRunning }
        let took = ContinuousClock.now - started
        #expect(server.process.terminationStatus == 0)
        #expect(took < .seconds(15), "shutdown took \(took)")
        let (_, streamClosed) = try await stream.read(for: .seconds(2))
        #expect(streamClosed)
        withExtendedLifetime(idle) {}
    }

    /// What the CLI needs to talk to the server as the default tenant.
    static func cliEnvironment(port: Int, token: String) -> [String: String] {
        ["BRIGADE_URL": "http://127.0.0.1:\(port)", "BRIGADE_TOKEN": token, "BRIGADE_ACCOUNT": "default"]
    }

    static func committedSteps(_ path: String) async throws -> Set<String> {
        let store = try SQLiteStore(path: path)
        var committed = Set<String>()
        for index in 0..<instances {
            let key = InstanceKey(tenant: "default", workflow: "crash-probe", id: "e2e-\(index)")
            for step in try await store.steps(of: key) where step.kind == .do && step.status == .complete {
                committed.insert("e2e-\(index)/\(step.name)")
            }
        }
        return committed
    }

    /// Runs the CLI to completion (on a thread of its own, see `onOwnThread`) and returns its
    /// standard output.
    func run(_ binary: URL, _ arguments: [String], environment: [String: String]) async throws -> String {
        try await runCLI(binary, arguments, environment: environment)
    }
}

/// Runs the CLI to completion with `environment` over the test's own, and returns its standard
/// output.
func runCLI(_ binary: URL, _ arguments: [String], environment: [String: String]) async throws -> String {
    try await runToEnd(binary, arguments, environment: ProcessInfo.processInfo.environment.merging(environment) { $1 }).output
}

/// `brigade serve` as a child process, its standard output written to a file read as it grows.
struct ServerProcess {
    let process: SpawnedProcess
    let output: Collected

    /// What the server has printed so far.
    struct Collected: Sendable {
        let path: String
        var text: String { FileManager.default.contents(atPath: path).map { String(decoding: $0, as: UTF8.self) } ?? "" }
    }

    init(binary: URL, arguments: [String]) throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("brigade-serve-\(UUID().uuidString).log").path
        output = Collected(path: path)
        process = try SpawnedProcess(binary.path, arguments, standardOutput: path)
    }

    /// The token `brigade serve` prints when it creates the default tenant.
    func token() async throws -> String {
        var token = ""
        try await eventually("the server to print its token", timeout: .seconds(60)) {
            let text = output.text
            guard let range = text.range(of: "BRIGADE_TOKEN=") else { return false }
            token = String(text[range.upperBound...].prefix { !$0.isWhitespace })
            return !token.isEmpty
        }
        _ = try await waitForListening()
        return token
    }

    func waitForListening() async throws -> Bool {
        try await eventually("the server to listen", timeout: .seconds(60)) {
            output.text.contains("Brigade serving")
        }
        try await Task.sleep(for: .milliseconds(300))
        return true
    }

    func kill() {
        process.send(SIGKILL)
        process.waitUntilExit()
        try? FileManager.default.removeItem(atPath: output.path)
    }

    func terminate() async throws -> Int32 {
        process.send(SIGTERM)
        try await eventually("the server to exit after SIGTERM", timeout: .seconds(30)) { !process.isRunning }
        try? FileManager.default.removeItem(atPath: output.path)
        return process.terminationStatus
    }
}
