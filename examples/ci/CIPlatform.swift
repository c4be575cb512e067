import Brigade
import BrigadeJS
import Foundation
import Hummingbird

/// A small CI/CD platform on Brigade's public API. A webhook names a local git repository, a
/// commit, a branch and maybe a pull request; the platform reads that repository's pipeline at
/// that commit (`.brigade/ci.ts`, the seed's `CIPipeline`), deploys it as the repository's own
/// tenant code, and starts a run. The pipeline's steps reach the machine only through the
/// bindings the platform gives it: `ARTIFACTS.fork`, `SANDBOX.run` (behind the seed's
/// `runInSandbox`) and `GITHUB.commentOnPR`.
struct CIPlatform: Sendable {
    let runtime: BrigadeRuntime
    let sandbox: JavaScriptSandbox
    /// Where `GITHUB.commentOnPR` writes: `<tenant>/pr-<n>.md`, a comment per run appended.
    let comments: URL

    /// The pipeline's path in a repository.
    static let pipelinePath = ".brigade/ci.ts"
    /// The event a pipeline's deploy approval waits for.
    static let approvalEvent = "deploy-approval"

    /// The seed's platform glue around the repository's module: `runInSandbox` and `summarise`
    /// in its scope, and the `TenantWorkflow` Brigade runs made from its `CIPipeline`.
    static let prologue = """
        let __ciEnv;
        async function runInSandbox(workspace, argv) { return __ciEnv.SANDBOX.run(workspace, argv); }
        function summarise(results) {
          return Object.entries(results).map(([name, result]) => `- ${name}: ${result && result.ok ? 'passed' : 'failed'}`).join('\\n');
        }

        """
    static let epilogue = """

        export class TenantWorkflow extends CIPipeline {
          async run(event, step) {
            __ciEnv = this.env;
            return super.run(event, step);
          }
        }
        """

    struct Webhook: Sendable {
        var repo: URL
        var sha: String
        var branch: String
        var pr: Int?
    }

    /// A repository's tenant: its folder's name, and a hash of its path so that two folders of one
    /// name stay two tenants.
    static func tenant(of repo: URL) -> String {
        let name = repo.lastPathComponent.filter { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }.prefix(40)
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in repo.standardizedFileURL.path.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x0100_0000_01b3
        }
        return "\(name.isEmpty ? "repo" : String(name))-\(String(hash, radix: 16).prefix(8))"
    }

    /// Reads the pipeline at the commit, deploys it, starts the run; answers the tenant and the run's id.
    func trigger(_ hook: Webhook) async throws -> (tenant: String, run: String, version: Int) {
        let source: String
        do {
            source = try await Git.run(["show", "\(hook.sha):\(Self.pipelinePath)"], in: hook.repo)
        } catch {
            throw CIError("\(hook.repo.path) has no \(Self.pipelinePath) at \(hook.sha.prefix(12)): \(error)")
        }
        let tenant = Self.tenant(of: hook.repo)
        // Versioned by commit: each push deploys its own pipeline; a run keeps the version it began on.
        let code = try await runtime.deployWorkflow(
            tenant: tenant, name: "ci", source: Self.prologue + source + Self.epilogue, language: .typescript,
            env: ["COMMIT": .string(hook.sha)], sandbox: sandbox)
        var params: [String: JSONValue] = [
            "repo": .string(hook.repo.path), "sha": .string(hook.sha), "branch": .string(hook.branch),
        ]
        if let pr = hook.pr { params["pr"] = .number(Double(pr)) }
        let run = "\(hook.branch.filter { $0.isLetter || $0.isNumber || $0 == "-" }.prefix(40))-\(hook.sha.prefix(12))"
        _ = try await runtime.createInstance(tenant: tenant, workflow: "ci", id: run, params: JSONValue.object(params).jsonData())
        return (tenant, run, code.version)
    }

    func commentOnPR(_ call: HostBindings.Call) async throws -> JSONValue {
        guard call.arguments.count >= 3, case .number(let pr) = call.arguments[1], pr >= 1, pr < 1e9,
            case .string(let body) = call.arguments[2]
        else {
            throw CIError("GITHUB.commentOnPR(repo, pr, body): pr is a number, body a string")
        }
        let folder = comments.appendingPathComponent(call.tenant)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let file = folder.appendingPathComponent("pr-\(Int(pr)).md")
        let comment = "### \(call.instanceId ?? "run")\n\n\(body.prefix(65_536))\n\n"
        if let handle = try? FileHandle(forWritingTo: file) {
            defer { try? handle.close() }
            try handle.seekToEnd()
            try handle.write(contentsOf: Data(comment.utf8))
        } else {
            try Data(comment.utf8).write(to: file)
        }
        call.log("commented on pull request \(Int(pr)): \(file.path)")
        return .object(["comment": .string(file.path)])
    }

    /// The routes: `POST /webhook`, `GET /runs/{tenant}/{run}`, `POST /runs/{tenant}/{run}/approve`.
    func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.post("/webhook") { request, context -> Response in
            let body = try await request.body.collect(upTo: 65_536)
            guard case .object(let fields)? = try? JSONDecoder().decode(JSONValue.self, from: Data(buffer: body)),
                case .string(let repo)? = fields["repo"], case .string(let sha)? = fields["sha"],
                case .string(let branch)? = fields["branch"]
            else { return Self.json(.badRequest, ["error": "send {repo, sha, branch, pr?}: repo a local git repository's path"]) }
            var pr: Int?
            if case .number(let number)? = fields["pr"], number >= 1, number < 1e9 { pr = Int(number) }
            guard sha.count >= 7, sha.count <= 64, sha.allSatisfy(\.isHexDigit), !branch.isEmpty, branch.count <= 200 else {
                return Self.json(.badRequest, ["error": "sha must be a commit's hex id and branch a name"])
            }
            do {
                let (tenant, run, version) = try await trigger(Webhook(repo: URL(fileURLWithPath: repo), sha: sha, branch: branch, pr: pr))
                return Self.json(.accepted, ["tenant": .string(tenant), "run": .string(run), "pipeline_version": .number(Double(version))])
            } catch {
                return Self.json(.badRequest, ["error": .string("\(error)")])
            }
        }
        router.get("/runs/:tenant/:run") { _, context -> Response in
            let key = InstanceKey(
                tenant: try context.parameters.require("tenant"), workflow: "ci", id: try context.parameters.require("run"))
            guard let row = try? await runtime.instanceRow(key) else { return Self.json(.notFound, ["error": "no such run"]) }
            let steps = try await runtime.steps(key).map { step -> JSONValue in
                .object([
                    "name": .string(step.displayName), "kind": .string(step.kind.rawValue), "status": .string(step.status.rawValue),
                    "attempts": .number(Double(step.attempts)), "started_at": .number(Double(step.startedAt)),
                    "ended_at": step.endedAt.map { .number(Double($0)) } ?? .null,
                ])
            }
            // Each step's log lines: the commands' output as it came, and the platform's notes.
            let logs = try await runtime.history(key).filter { $0.entry.type == .log }.map { event -> JSONValue in
                let message = event.entry.data["message"].flatMap { if case .string(let text) = $0 { text } else { nil } } ?? ""
                return .string("[\(event.entry.step ?? "run")] \(message)")
            }
            return Self.json(
                .ok,
                [
                    "status": .string(row.status.rawValue), "steps": .array(steps), "logs": .array(logs),
                    "output": row.output.flatMap { try? JSONDecoder().decode(JSONValue.self, from: $0) } ?? .null,
                    "error": row.error.map { .string("\($0.name): \($0.message)") } ?? .null,
                ])
        }
        router.post("/runs/:tenant/:run/approve") { _, context -> Response in
            let key = InstanceKey(
                tenant: try context.parameters.require("tenant"), workflow: "ci", id: try context.parameters.require("run"))
            do {
                try await runtime.sendEvent(key, type: Self.approvalEvent, payload: Data(#"{"approved": true}"#.utf8))
                return Self.json(.accepted, ["approved": .string(key.id)])
            } catch {
                return Self.json(.notFound, ["error": .string("\(error)")])
            }
        }
        return router
    }

    static func json(_ status: HTTPResponse.Status, _ fields: [String: JSONValue]) -> Response {
        Response(
            status: status, headers: [.contentType: "application/json"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: JSONValue.object(fields).jsonData())))
    }
}
