import Brigade
import BrigadeJS
import Foundation
import Subprocess
import Synchronization

#if canImport(System)
    import System
#else
    import SystemPackage
#endif

/// `env.SANDBOX.run(workspace, argv)`: one command of a pipeline, as a subprocess in the run's
/// workspace, with a timeout, an environment of its own (not the platform's), its output (stdout
/// and stderr together) streamed into the step's log lines as it comes, and a non-zero exit
/// failing the step with the output's last lines. With `bwrap` (Debian's bubblewrap) and
/// `--bwrap`, the command sees the file system read-only except its workspace and `/tmp`, no
/// network, and its own process tree. See README.md for what this confines and what it does not.
struct SandboxRunner: Sendable {
    let workspaces: URL
    var timeout: Duration = .seconds(300)
    var useBubblewrap = false

    struct Result: Sendable {
        var status: Int32
        var output: String
        var timedOut: Bool
        /// The last lines, for an error message.
        var tail: String { output.split(separator: "\n", omittingEmptySubsequences: false).suffix(20).joined(separator: "\n") }
    }

    func run(_ call: HostBindings.Call) async throws -> JSONValue {
        guard case .string(let path)? = call.arguments.first, case .array(let words)? = call.arguments.dropFirst().first, !words.isEmpty
        else { throw CIError("SANDBOX.run(workspace, argv): give the workspace fork() answered and the command as an array of strings") }
        let argv = try words.map { word -> String in
            guard case .string(let text) = word else { throw CIError("SANDBOX.run: every word of argv must be a string") }
            return text
        }
        // Only a workspace of this tenant's: the path is checked, not trusted.
        let workspace = URL(fileURLWithPath: path).standardizedFileURL
        let own = workspaces.appendingPathComponent(call.tenant).standardizedFileURL.path + "/"
        guard workspace.path.hasPrefix(own), FileManager.default.fileExists(atPath: workspace.path) else {
            throw CIError("SANDBOX.run: \(path.prefix(200)) is not a workspace of this repository")
        }
        let environment = [
            "PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": workspace.path, "CI": "true", "LANG": "C.UTF-8",
            "BRIGADE_INSTANCE": call.instanceId ?? "",
        ]
        var executable = "/usr/bin/env"
        var arguments = argv
        if useBubblewrap {
            executable = "/usr/bin/bwrap"
            arguments =
                [
                    "--ro-bind", "/", "/", "--bind", workspace.path, workspace.path, "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp",
                    "--unshare-all", "--die-with-parent", "--chdir", workspace.path, "--",
                ] + argv
        }
        call.log("$ \(argv.joined(separator: " "))")
        let result = try await Self.collect(
            executable: executable, arguments: arguments, directory: workspace, environment: environment, timeout: timeout, log: call.log)
        if result.timedOut {
            throw CIError("\(argv.joined(separator: " ")) ran past \(timeout.components.seconds) s and was stopped:\n\(result.tail)")
        }
        guard result.status == 0 else {
            throw CIError("\(argv.joined(separator: " ")) exited with status \(result.status):\n\(result.tail)")
        }
        return .object(["ok": .bool(true), "command": .string(argv.joined(separator: " ")), "tail": .string(result.tail)])
    }

    /// Runs `executable` (swift-subprocess), handing each line of its output (stdout and stderr
    /// together) to `log`, and answers its status and output (the first MiB of it). Past
    /// `timeout` its process group is sent SIGTERM, then SIGKILL 2 s later.
    static func collect(
        executable: String, arguments: [String], directory: URL, environment: [String: String], timeout: Duration,
        log: @escaping @Sendable (String) -> Void
    ) async throws -> Result {
        let collected = Collected(log: log)
        var platform = PlatformOptions()
        // Its own session, so that the teardown reaches what it started, too.
        platform.createSession = true
        platform.teardownSequence = [.gracefulShutDown(toProcessGroup: true, allowedDurationToNextStep: .seconds(2))]
        var variables: [Environment.Key: String] = [:]
        for (name, value) in environment { variables[Environment.Key(stringLiteral: name)] = value }
        let variablesToPass = variables
        let options = platform
        enum Ending: Sendable {
            case exited(Int32)
            case timedOut
        }
        let ending: Ending = try await withThrowingTaskGroup(of: Ending?.self) { group in
            group.addTask {
                let result = try await Subprocess.run(
                    .path(FilePath(executable)), arguments: Arguments(arguments), environment: .custom(variablesToPass),
                    workingDirectory: FilePath(directory.path), platformOptions: options, input: .none, output: .sequence,
                    error: .combinedWithOutput
                ) { execution in
                    for try await line in execution.standardOutput.strings() { collected.add(line) }
                }
                switch result.terminationStatus {
                case .exited(let code): return .exited(Int32(code))
                case .signaled(let signal): return .exited(128 + Int32(signal))
                }
            }
            group.addTask {
                guard (try? await Task.sleep(for: timeout)) != nil else { return nil }
                return .timedOut
            }
            // The first to end: the command (then the timer is cancelled), or the timer (then
            // the command's task is cancelled, which tears the process down).
            var ending: Ending?
            while ending == nil, let next = try await group.next() { ending = next }
            group.cancelAll()
            while (try? await group.next()) != nil {}
            return ending ?? .timedOut
        }
        switch ending {
        case .exited(let status): return Result(status: status, output: collected.text, timedOut: false)
        case .timedOut: return Result(status: -1, output: collected.text, timedOut: true)
        }
    }

    /// Output as it arrives, line by line: each goes to the log, the first MiB is kept.
    final class Collected: Sendable {
        private let kept = Mutex<String>("")
        private let log: @Sendable (String) -> Void
        static let limit = 1 << 20

        init(log: @escaping @Sendable (String) -> Void) { self.log = log }

        func add(_ line: String) {
            kept.withLock { kept in
                if kept.utf8.count < Self.limit { kept += line + "\n" }
            }
            log(line)
        }

        var text: String { kept.withLock { $0 } }
    }
}
