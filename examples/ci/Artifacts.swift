import Brigade
import BrigadeJS
import Foundation

/// `env.ARTIFACTS` of a repository's pipeline: `fork(repo, {sha})` makes the run an isolated
/// workspace — a git worktree of the repository at that commit, detached, under the platform's
/// workspaces folder — and answers its path. Forking the same run's commit again (a retried or
/// replayed step) answers the same worktree.
struct Artifacts: Sendable {
    /// Where workspaces go: one folder per tenant (repository), one worktree per instance.
    let root: URL

    func fork(_ call: HostBindings.Call, repository: URL) async throws -> JSONValue {
        guard case .object(let options)? = call.arguments.dropFirst().first, case .string(let sha)? = options["sha"],
            sha.count >= 7, sha.count <= 64, sha.allSatisfy(\.isHexDigit)
        else { throw CIError("ARTIFACTS.fork(repo, { sha }): sha must be a commit's hex id") }
        let instance = call.instanceId ?? "handler"
        let workspace = root.appendingPathComponent(call.tenant).appendingPathComponent(instance)
        if FileManager.default.fileExists(atPath: workspace.appendingPathComponent(".git").path) {
            return .string(workspace.path)
        }
        try FileManager.default.createDirectory(at: workspace.deletingLastPathComponent(), withIntermediateDirectories: true)
        // A worktree left half made by a crash is removed and made again.
        try? FileManager.default.removeItem(at: workspace)
        _ = try? await Git.run(["worktree", "prune"], in: repository)
        _ = try await Git.run(["worktree", "add", "--detach", "--force", workspace.path, sha], in: repository)
        call.log("checked out \(sha.prefix(12)) into \(workspace.path)")
        return .string(workspace.path)
    }
}

/// `git` as a subprocess, for the platform's own use (never with tenant input as options).
enum Git {
    static func run(_ arguments: [String], in directory: URL) async throws -> String {
        let result = try await SandboxRunner.collect(
            executable: "/usr/bin/git", arguments: ["-C", directory.path] + arguments, directory: directory,
            environment: ["PATH": "/usr/bin:/bin", "HOME": directory.path, "GIT_TERMINAL_PROMPT": "0"], timeout: .seconds(60),
            log: { _ in })
        guard result.status == 0 else { throw CIError("git \(arguments.first ?? ""): \(result.tail)") }
        return result.output
    }
}

struct CIError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
