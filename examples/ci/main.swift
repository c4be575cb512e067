import Brigade
import BrigadeJS
import BrigadeSQLite
import Foundation
import Hummingbird
import Logging
import ServiceLifecycle

// brigade-ci [--db ci.sqlite] [--port 8790] [--data ci-data] [--bwrap] [--command-timeout 300]
//
// A CI/CD platform embedding Brigade: POST /webhook {repo, sha, branch, pr?} runs that
// repository's .brigade/ci.ts at that commit, durably (see README.md).

var options: [String: String] = [:]
var flags: Set<String> = []
var words = CommandLine.arguments.dropFirst().makeIterator()
while let word = words.next() {
    guard word.hasPrefix("--") else { continue }
    if word == "--bwrap" { flags.insert(word) } else { options[word] = words.next() }
}
let data = URL(fileURLWithPath: options["--data"] ?? "ci-data")
let port = Int(options["--port"] ?? "8790") ?? 8790
let logger = Logger(label: "brigade-ci")

do {
    try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
} catch {
    FileHandle.standardError.write(Data("brigade-ci: cannot make \(data.path): \(error)\n".utf8))
    exit(1)
}
let store: SQLiteStore
do {
    store = try SQLiteStore(path: options["--db"] ?? data.appendingPathComponent("ci.sqlite").path)
    try await store.migrate()
} catch {
    FileHandle.standardError.write(Data("brigade-ci: cannot open its database: \(error)\n".utf8))
    exit(1)
}
let runtime = BrigadeRuntime(store: store, logger: logger)
let workspaces = data.appendingPathComponent("workspaces")
let artifacts = Artifacts(root: workspaces)
var runner = SandboxRunner(workspaces: workspaces)
runner.useBubblewrap = flags.contains("--bwrap")
runner.timeout = .seconds(Int(options["--command-timeout"] ?? "300") ?? 300)
let commands = runner
// The glue each repository's pipeline gets; the repository is the run's own, from its params
// (a pipeline can only fork the repository its run was started for).
let platformBox = PlatformBox()
let bindings = HostBindings { _ in
    [
        "ARTIFACTS": { call in
            guard call.method == "fork", case .string(let repo)? = call.arguments.first else {
                throw CIError("ARTIFACTS has fork(repo, { sha })")
            }
            guard let instance = call.instanceId,
                let row = try? await runtime.instanceRow(InstanceKey(tenant: call.tenant, workflow: call.workflow, id: instance)),
                let params = try? JSONDecoder().decode(JSONValue.self, from: row.params), params.runRepo == repo
            else { throw CIError("ARTIFACTS.fork: \(repo.prefix(200)) is not this run's repository") }
            return try await artifacts.fork(call, repository: URL(fileURLWithPath: repo))
        },
        "SANDBOX": { call in
            guard call.method == "run" else { throw CIError("SANDBOX has run(workspace, argv)") }
            return try await commands.run(call)
        },
        "GITHUB": { call in
            guard call.method == "commentOnPR", let platform = platformBox.platform else {
                throw CIError("GITHUB has commentOnPR(repo, pr, body)")
            }
            return try await platform.commentOnPR(call)
        },
    ]
}
let sandbox = JavaScriptSandbox(bindings: bindings)
let loader = runtime.makeCodeLoader(sandbox: sandbox)
try runtime.register(BrigadeRuntime.codeDispatcher(loader: loader))
let platform = CIPlatform(runtime: runtime, sandbox: sandbox, comments: data.appendingPathComponent("comments"))
platformBox.platform = platform
let app = Application(
    router: platform.router(), configuration: .init(address: .hostname("127.0.0.1", port: port)),
    onServerRunning: { _ in print("brigade-ci listening on http://127.0.0.1:\(port) (data in \(data.path))") }, logger: logger)
try await ServiceGroup(
    configuration: .init(
        services: [.init(service: loader), .init(service: runtime), .init(service: app)], gracefulShutdownSignals: [.sigterm, .sigint],
        logger: logger)
).run()

/// The platform, for the binding made before it (set once, at start).
final class PlatformBox: @unchecked Sendable {
    var platform: CIPlatform?
}

extension JSONValue {
    /// The repository a run was started for: its params' `repo` (inside the dispatcher's envelope).
    var runRepo: String? {
        if case .object(let fields) = self, case .string(let repo)? = fields["repo"] { return repo }
        if case .object(let fields) = self, let inner = fields["params"] { return inner.runRepo }
        return nil
    }
}
