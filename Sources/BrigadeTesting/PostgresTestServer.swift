import Foundation
import Synchronization

/// A real PostgreSQL server for tests, started once per test process: `initdb` into a temporary
/// directory and `pg_ctl start` listening only on a unix socket in that directory (run as the
/// `postgres` user when the process is root, since PostgreSQL refuses root), stopped when the
/// process exits. Each test takes a database of its own with ``newDatabase()``.
///
/// Needs PostgreSQL's server programs (Debian: `postgresql`). ``isAvailable`` says whether they
/// are there; with `BRIGADE_REQUIRE_POSTGRES=1` (CI sets it) their absence fails the tests that
/// need them instead of skipping them.
public final class PostgresTestServer: Sendable {
    /// The directory of PostgreSQL's programs, if found.
    public static let binDirectory: String? = {
        if let explicit = ProcessInfo.processInfo.environment["BRIGADE_PG_BIN"] { return explicit }
        let root = "/usr/lib/postgresql"
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []).compactMap(Int.init).sorted()
        for version in versions.reversed() where FileManager.default.isExecutableFile(atPath: "\(root)/\(version)/bin/initdb") {
            return "\(root)/\(version)/bin"
        }
        return nil
    }()

    /// Whether tests that need PostgreSQL run: its programs are there, or they are required (and
    /// then fail clearly when missing).
    public static var isAvailable: Bool {
        binDirectory != nil || ProcessInfo.processInfo.environment["BRIGADE_REQUIRE_POSTGRES"] == "1"
    }

    /// The server of this process, started on first use.
    public static func shared() throws -> PostgresTestServer { try started.get() }

    private static let started: Result<PostgresTestServer, any Error> = Result { try PostgresTestServer() }

    /// A server of the caller's own, for a test that stops and starts it (the shared one must
    /// stay up for the tests running beside it). Stopped at exit like the shared one; call
    /// ``stop()`` when done.
    public static func startPrivate() throws -> PostgresTestServer { try PostgresTestServer() }

    /// The directory holding the data directory, the socket and the log.
    public let directory: String
    /// The socket directory (the URL's `host` parameter).
    public let socketDirectory: String
    public let port = 5432
    private let bin: String

    private init() throws {
        guard let bin = Self.binDirectory else {
            throw PostgresTestServerError(
                "PostgreSQL's server programs are not installed (no /usr/lib/postgresql/*/bin/initdb): apt-get install postgresql, or set BRIGADE_PG_BIN")
        }
        self.bin = bin
        Self.stopOrphans(bin: bin)
        directory = "/tmp/brigade-pg-\(getpid())-\(UUID().uuidString.prefix(8))"
        socketDirectory = directory
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        if getuid() == 0 { try Self.run("/bin/chown", ["postgres:postgres", directory]) }
        try run("initdb", ["-D", "\(directory)/data", "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync"])
        try start()
        Self.toStopAtExit.withLock { $0.append((bin: bin, directory: directory, asPostgres: getuid() == 0)) }
        Self.registerStopAtExit
    }

    /// Starts the server (again, after ``stop()``).
    public func start() throws {
        // Durable commits as in production (fsync on), a small shared buffer, room for the
        // pools of several stores at once.
        let options = "-c listen_addresses='' -k \(directory) -p \(port) -c max_connections=300 -c shared_buffers=32MB"
        try run("pg_ctl", ["-D", "\(directory)/data", "-l", "\(directory)/log", "-w", "-t", "60", "-o", options, "start"])
    }

    /// Stops the server at once (`-m immediate`: as a crash would, open connections cut).
    public func stop() throws {
        try run("pg_ctl", ["-D", "\(directory)/data", "-m", "immediate", "-w", "stop"])
    }

    private static let toStopAtExit = Mutex<[(bin: String, directory: String, asPostgres: Bool)]>([])

    private static let registerStopAtExit: Void = {
        atexit {
            for stop in PostgresTestServer.toStopAtExit.withLock({ $0 }) {
                var arguments = ["\(stop.bin)/pg_ctl", "-D", "\(stop.directory)/data", "-m", "immediate", "-w", "stop"]
                if stop.asPostgres { arguments = ["/sbin/runuser", "-u", "postgres", "--"] + arguments }
                try? PostgresTestServer.run(arguments[0], Array(arguments.dropFirst()))
                try? FileManager.default.removeItem(atPath: stop.directory)
            }
        }
    }()

    /// Creates an empty database and returns its URL.
    public func newDatabase() throws -> String {
        let name = "t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(16)
        try run("psql", ["-h", socketDirectory, "-p", "\(port)", "-U", "postgres", "-d", "postgres", "-q", "-c", "CREATE DATABASE \(name)"])
        return url(database: String(name))
    }

    /// The URL of `database` on this server.
    public func url(database: String) -> String {
        "postgres://postgres@localhost:\(port)/\(database)?host=\(socketDirectory)"
    }

    /// Runs `sql` in `database` through psql, as the server's superuser.
    public func psql(_ sql: String, database: String = "postgres") throws {
        try run("psql", ["-h", socketDirectory, "-p", "\(port)", "-U", "postgres", "-d", database, "-q", "-v", "ON_ERROR_STOP=1", "-c", sql])
    }

    private func run(_ program: String, _ arguments: [String]) throws {
        var command = ["\(bin)/\(program)"] + arguments
        if getuid() == 0 { command = ["/sbin/runuser", "-u", "postgres", "--"] + command }
        try Self.run(command[0], Array(command.dropFirst()))
    }

    private static func run(_ executable: String, _ arguments: [String]) throws {
        // Output goes to a file, not a pipe: the server pg_ctl starts would inherit a pipe and
        // hold it open. Started by the test kit's own posix_spawn (see `SpawnedProcess`).
        let outputPath = "/tmp/brigade-pg-output-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: outputPath) }
        let process = try SpawnedProcess(executable, arguments, standardOutput: outputPath, standardError: outputPath)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let text = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
            throw PostgresTestServerError("\(([executable] + arguments).joined(separator: " ")) exited \(process.terminationStatus): \(text)")
        }
    }

    /// Stops the servers of test processes that died without stopping theirs (a killed run).
    private static func stopOrphans(bin: String) {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/tmp")) ?? []
        for entry in entries where entry.hasPrefix("brigade-pg-") && !entry.hasPrefix("brigade-pg-output-") {
            let parts = entry.split(separator: "-")
            guard parts.count >= 3, let pid = Int32(parts[2]), pid != getpid(), kill(pid, 0) != 0 else { continue }
            var command = ["\(bin)/pg_ctl", "-D", "/tmp/\(entry)/data", "-m", "immediate", "-w", "stop"]
            if getuid() == 0 { command = ["/sbin/runuser", "-u", "postgres", "--"] + command }
            try? run(command[0], Array(command.dropFirst()))
            try? FileManager.default.removeItem(atPath: "/tmp/\(entry)")
        }
    }
}

/// PostgreSQL could not be started or used for a test.
public struct PostgresTestServerError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
