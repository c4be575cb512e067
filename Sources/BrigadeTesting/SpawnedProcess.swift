import CBrigadeShims
import Foundation
import Synchronization

/// A child process for tests, started with `posix_spawn`: stdin from /dev/null, standard output
/// and error to files (or /dev/null), every other descriptor closed in the child.
///
/// Not Foundation's `Process`: its `run()` walks /proc/self/fd and crashed the test process
/// (a bad pointer in a memmove) once the suites held many descriptors open — the PostgreSQL
/// pools among them.
public final class SpawnedProcess: Sendable {
    /// The child's process id.
    public let processIdentifier: pid_t
    /// The wait status once the child was reaped.
    private let waitStatus = Mutex<Int32?>(nil)

    /// Starts `executable`. Output goes to the files named (created or truncated), else nowhere;
    /// `standardError == standardOutput` sends both to one file.
    public init(
        _ executable: String, _ arguments: [String], environment: [String: String]? = nil, standardOutput: String? = nil,
        standardError: String? = nil
    ) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, standardOutput ?? "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        if let standardError, standardError == standardOutput {
            posix_spawn_file_actions_adddup2(&actions, 1, 2)
        } else {
            posix_spawn_file_actions_addopen(&actions, 2, standardError ?? "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        }
        brigade_spawn_close_from(&actions, 3)
        let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        let variables = (environment ?? ProcessInfo.processInfo.environment).map { "\($0.key)=\($0.value)" }
        let envp: [UnsafeMutablePointer<CChar>?] = variables.map { strdup($0) } + [nil]
        defer { for pointer in envp { free(pointer) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, executable, &actions, nil, argv, envp)
        guard spawned == 0 else {
            throw SpawnFailure(description: "posix_spawn of \(executable) failed: \(String(cString: strerror(spawned)))")
        }
        processIdentifier = pid
    }

    /// Whether the child has not exited yet (reaps it when it has).
    public var isRunning: Bool {
        waitStatus.withLock { status in
            if status != nil { return false }
            var raw: Int32 = 0
            let reaped = waitpid(processIdentifier, &raw, WNOHANG)
            if reaped == processIdentifier { status = raw }
            return reaped == 0
        }
    }

    /// Blocks until the child exits.
    public func waitUntilExit() {
        if waitStatus.withLock({ $0 }) != nil { return }
        var raw: Int32 = 0
        var reaped: pid_t
        repeat { reaped = waitpid(processIdentifier, &raw, 0) } while reaped < 0 && errno == EINTR
        waitStatus.withLock { status in
            if status == nil && reaped == processIdentifier { status = raw }
        }
    }

    /// The exit code; 128 + the signal for a child a signal ended (as a shell says it).
    public var terminationStatus: Int32 {
        let raw = waitStatus.withLock { $0 } ?? 0
        return (raw & 0x7f) == 0 ? (raw >> 8) & 0xff : 128 + (raw & 0x7f)
    }

    /// Whether a signal ended the child.
    public var wasSignalled: Bool {
        let raw = waitStatus.withLock { $0 } ?? 0
        return (raw & 0x7f) != 0 && (raw & 0x7f) != 0x7f
    }

    /// Sends `signal` to the child.
    public func send(_ signal: Int32) {
        kill(processIdentifier, signal)
    }
}

/// A child process could not be started.
public struct SpawnFailure: Error, CustomStringConvertible {
    public let description: String
}
