import Brigade
import Foundation

/// Turns an uploaded module (JavaScript or TypeScript, `import`/`export` syntax) into a classic
/// script JavaScriptCore can evaluate, with Debian's `esbuild`: an IIFE whose exports land in the
/// global `__tenant`. esbuild does not type-check TypeScript, it strips the types.
///
/// esbuild transforms the module and never bundles it: bundling resolves imports on the server's
/// file system, and `import secrets from "/etc/…/config.json"` would copy a server file into the
/// tenant's code. Transformed, every import is a `require` call that the prelude answers for
/// `cloudflare:workers` and `cloudflare:workflows` and refuses for anything else — when the code
/// is loaded, which the upload does once (see ``refusedImport(_:source:)``).
///
/// The script ends with its source map (without the source, which is stored beside it), so that
/// errors can name the tenant's own lines (see ``SourceMap``).
struct ModuleCompiler: Sendable {
    var executable: String

    func compile(_ source: String, language: CodeLanguage) async throws -> String {
        let fileName = language == .typescript ? "tenant.ts" : "tenant.js"
        let arguments = [
            "--format=iife", "--global-name=__tenant", "--target=es2022",
            "--loader=\(language == .typescript ? "ts" : "js")", "--sourcefile=\(fileName)", "--log-level=error", "--log-limit=3",
            "--color=false", "--charset=utf8", "--sourcemap=inline", "--sources-content=false",
        ]
        let (status, output, errors) = try await run(arguments, input: Data(source.utf8))
        guard status == 0 else { throw Self.compileError(errors, fileName: fileName) }
        return String(decoding: output, as: UTF8.self)
    }

    /// esbuild reports `✘ [ERROR] message` followed by `    tenant.js:LINE:COLUMN:` (column
    /// from 0); this says it as `line L, column C: message`.
    static func compileError(_ stderr: Data, fileName: String) -> BrigadeError {
        let text = String(decoding: stderr, as: UTF8.self)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var message = lines.first { $0.contains("[ERROR]") }.map { String($0[$0.range(of: "[ERROR]")!.upperBound...]).trimmingCharacters(in: .whitespaces) }
        var place = ""
        if let location = lines.first(where: { $0.trimmingCharacters(in: .whitespaces).hasPrefix("\(fileName):") }) {
            let parts = location.trimmingCharacters(in: .whitespaces).split(separator: ":")
            if parts.count >= 3, let line = Int(parts[1]), let column = Int(parts[2]) {
                place = "line \(line), column \(column + 1): "
            }
        }
        if message == nil { message = text.trimmingCharacters(in: .whitespacesAndNewlines) }
        return BrigadeError(.codeInvalid, "The code does not compile: \(place)\(message ?? "esbuild failed").")
    }

    /// The error for a module whose load stopped at an import the prelude refuses, placed at the
    /// import in the uploaded source (the failure itself happens in the compiled script, whose
    /// lines are not the tenant's).
    static func refusedImport(_ specifier: String, source: String) -> BrigadeError {
        var place = ""
        for (index, line) in source.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            if let found = ["\"", "'", "`"].lazy.compactMap({ line.range(of: "\($0)\(specifier)\($0)") }).first {
                place = "line \(index + 1), column \(line.distance(from: line.startIndex, to: found.lowerBound) + 1): "
                break
            }
        }
        return BrigadeError(
            .codeInvalid,
            "The code cannot be loaded: \(place)it imports \"\(specifier)\"; tenant code is a single module, and only cloudflare:workers and cloudflare:workflows can be imported.")
    }

    private func run(_ arguments: [String], input: Data) async throws -> (Int32, Data, Data) {
        let executable = try resolve(executable)
        return try await withCheckedThrowingContinuation { continuation in
            // Blocking pipe I/O belongs on a thread of its own, not on the Swift concurrency pool.
            Thread.detachNewThread {
                do {
                    continuation.resume(returning: try ChildProcess.run(executable, arguments, input: input))
                } catch {
                    continuation.resume(throwing: BrigadeError(.codeInvalid, "esbuild could not be started (\(error)); install it: apt-get install esbuild."))
                }
            }
        }
    }

    private func resolve(_ name: String) throws -> String {
        if name.contains("/") { return name }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for directory in path.split(separator: ":") {
            let candidate = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        throw BrigadeError(
            .codeInvalid, "esbuild is not installed, and tenant code is compiled with it at upload: apt-get install esbuild (or set its path).")
    }
}
