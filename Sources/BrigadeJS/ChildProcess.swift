import CBrigadeShims
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Runs a program to its end with `posix_spawn`, feeding it its standard input and collecting
/// its standard output and error.
///
/// Not Foundation's `Process`: to close the parent's descriptors in the child it scans
/// `/proc/self/fd`, and on this toolchain that scan crashed the whole server (a `memcpy` past
/// its buffer in `findMaximumOpenFromProcSelfFD`) when an upload was compiled while connections
/// opened and closed around it. Here the descriptors are closed by glibc in the child
/// (`posix_spawn_file_actions_addclosefrom_np`) and the pipes are made close-on-exec, so nothing
/// of the server leaks into the program and nothing is scanned.
///
/// Blocking: call it on a thread of its own, never on the Swift concurrency pool.
enum ChildProcess {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// A program that exits before reading all of its input must not take the server with it:
    /// writing to its closed pipe raises SIGPIPE, whose default action ends the process.
    private static let ignoreBrokenPipes: Void = { signal(SIGPIPE, SIG_IGN) }()

    static func run(_ executable: String, _ arguments: [String], input: Data) throws -> (status: Int32, output: Data, errors: Data) {
        ignoreBrokenPipes
        var stdin: [Int32] = [-1, -1]
        var stdout: [Int32] = [-1, -1]
        var stderr: [Int32] = [-1, -1]
        guard brigade_pipe_cloexec(&stdin) == 0, brigade_pipe_cloexec(&stdout) == 0, brigade_pipe_cloexec(&stderr) == 0 else {
            for descriptor in stdin + stdout + stderr where descriptor >= 0 { close(descriptor) }
            throw Failure(description: "pipe2 failed: errno \(errno)")
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, stdin[0], 0)
        posix_spawn_file_actions_adddup2(&actions, stdout[1], 1)
        posix_spawn_file_actions_adddup2(&actions, stderr[1], 2)
        brigade_spawn_close_from(&actions, 3)

        let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, executable, &actions, nil, argv, environ)
        // The child's ends belong to the child now.
        close(stdin[0])
        close(stdout[1])
        close(stderr[1])
        guard spawned == 0 else {
            close(stdin[1])
            close(stdout[0])
            close(stderr[0])
            throw Failure(description: "posix_spawn of \(executable) failed: \(String(cString: strerror(spawned)))")
        }
        // The program reads all of its input before it writes (esbuild does); its errors are few.
        input.withUnsafeBytes { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = write(stdin[1], bytes.baseAddress! + offset, bytes.count - offset)
                if written < 0 && errno == EINTR { continue }
                if written <= 0 { break }
                offset += written
            }
        }
        close(stdin[1])
        let output = readToEnd(stdout[0])
        let errors = readToEnd(stderr[0])
        close(stdout[0])
        close(stderr[0])
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        // Exited: its code; killed by a signal: 128 + the signal, as a shell says it.
        let code = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        return (code, output, errors)
    }

    private static func readToEnd(_ descriptor: Int32) -> Data {
        var data = Data()
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { return data }
            data.append(buffer, count: count)
        }
    }
}
