import Foundation

/// Runs `work` — something that blocks, such as running a child process to its end — on a
/// thread of its own, and waits for it without holding a thread of Swift concurrency's pool.
///
/// Why: that pool has one thread per core (two on CI). A test that blocks one while another test
/// blocks the other stops every task of the test process — the polls of `eventually` included —
/// for as long as both block; a crash test then saw its child finish before it could look, and
/// failed.
public func onOwnThread<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try work() }) }.start()
    }
}

/// Runs `executable` with `arguments` (and `environment`, if given) to its end on a thread of
/// its own (see ``onOwnThread(_:)``), and returns its exit status and what it wrote to standard
/// output — and to standard error, when `mergingErrors`.
public func runToEnd(
    _ executable: URL, _ arguments: [String], environment: [String: String]? = nil, mergingErrors: Bool = false
) async throws -> (status: Int32, output: String) {
    try await onOwnThread {
        let outputPath = FileManager.default.temporaryDirectory.appendingPathComponent("brigade-run-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: outputPath) }
        let process = try SpawnedProcess(
            executable.path, arguments, environment: environment, standardOutput: outputPath,
            standardError: mergingErrors ? outputPath : nil)
        process.waitUntilExit()
        let data = FileManager.default.contents(atPath: outputPath) ?? Data()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}
