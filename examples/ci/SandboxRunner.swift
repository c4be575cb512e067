import Brigade
import BrigadeJS
import Foundation

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

    /// Runs `executable`, handing each line of its output to `log`, and answers its status and
    /// output (the first MiB of it). Past `timeout` it is sent SIGTERM, then SIGKILL.
    static func collect(
        executable: String, arguments: [String], directory: URL, environment: [String: String], timeout: Duration,
        log: @escaping @Sendable (String) -> Void
    ) async throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.currentDirectoryURL = directory
        process.environment = environment
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        process.standardInput = FileHandle.nullDevice
        let collected = Collected(log: log)
        pipe.fileHandleForReading.readabilityHandler = { handle in collected.add(handle.availableData) }
        let exited = AsyncStream<Int32>.makeStream()
        process.terminationHandler = { process in exited.continuation.yield(process.terminationStatus) }
        try process.run()
        let timedOut = await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                var iterator = exited.stream.makeAsyncIterator()
                _ = await iterator.next()
                return false
            }
            group.addTask {
                guard (try? await Task.sleep(for: timeout)) != nil else { return false }
                process.terminate()
                try? await Task.sleep(for: .seconds(2))
                if process.isRunning { kill(process.processIdentifier, SIGKILL) }
                return true
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
        process.waitUntilExit()
        pipe.fileHandleForReading.readabilityHandler = nil
        collected.add(pipe.fileHandleForReading.readDataToEndOfFile())
        collected.flush()
        return Result(status: process.terminationStatus, output: collected.text, timedOut: timedOut)
    }

    /// Output as it arrives: whole lines go to the log, the first MiB is kept.
    final class Collected: @unchecked Sendable {
        private let lock = NSLock()
        private var kept = Data()
        private var partial = Data()
        private let log: @Sendable (String) -> Void
        static let limit = 1 << 20

        init(log: @escaping @Sendable (String) -> Void) { self.log = log }

        func add(_ data: Data) {
            guard !data.isEmpty else { return }
            var lines: [String] = []
            lock.lock()
            if kept.count < Self.limit { kept.append(data.prefix(Self.limit - kept.count)) }
            partial.append(data)
            while let newline = partial.firstIndex(of: 0x0A) {
                lines.append(String(decoding: partial[partial.startIndex..<newline], as: UTF8.self))
                partial.removeSubrange(partial.startIndex...newline)
            }
            lock.unlock()
            for line in lines { log(line) }
        }

        func flush() {
            lock.lock()
            let rest = partial
            partial = Data()
            lock.unlock()
            if !rest.isEmpty { log(String(decoding: rest, as: UTF8.self)) }
        }

        var text: String {
            lock.lock()
            defer { lock.unlock() }
            return String(decoding: kept, as: UTF8.self)
        }
    }
}
