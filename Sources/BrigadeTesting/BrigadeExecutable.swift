import Foundation

/// The `brigade` executable built next to the tests (`swift build --build-tests` builds it), for
/// tests that run real processes: crash recovery, the server end to end.
public enum BrigadeExecutable {
    /// `BRIGADE_BIN` if set, else the executable beside the test bundle or in `.build/debug`.
    public static func url() throws -> URL {
        var candidates: [URL] = []
        if let explicit = ProcessInfo.processInfo.environment["BRIGADE_BIN"] {
            candidates.append(URL(fileURLWithPath: explicit))
        }
        candidates.append(URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("brigade"))
        candidates.append(Bundle.main.bundleURL.appendingPathComponent("brigade"))
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        candidates.append(root.appendingPathComponent(".build/debug/brigade"))
        guard let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) else {
            throw TestTimeout(
                description:
                    "the brigade executable was not found (tried \(candidates.map(\.path))); run `swift build --build-tests` first or set BRIGADE_BIN"
            )
        }
        return found
    }

    /// Starts the executable with `arguments`; its standard output and error go to the given
    /// files (created empty first) or are discarded (output) / inherited (error).
    public static func launch(_ arguments: [String], standardOutput: String? = nil, standardError: String? = nil) throws -> SpawnedProcess {
        try SpawnedProcess(try url().path, arguments, standardOutput: standardOutput, standardError: standardError)
    }
}
