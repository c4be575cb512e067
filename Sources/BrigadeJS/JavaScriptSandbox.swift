import Brigade
import Foundation

/// Tenant workflows in JavaScript (or TypeScript, compiled at upload), on JavaScriptCore.
///
/// Each runner is its own VM: its own heap and CPU watchdog, no file system, process or network
/// API (JavaScriptCore's C API exposes none; `WebAssembly` is removed), and only what `env`
/// carries from the platform.
public struct JavaScriptSandbox: WorkflowSandbox {
    public struct Settings: Sendable {
        /// CPU time one entry into tenant code may use — `run` up to its next step, or one call
        /// of a step's function — before it is stopped and the instance errors. Default 1 s.
        public var cpuTimeLimit: Duration = .seconds(1)
        /// The VM's heap (plus memory its objects own, such as array buffers) above which tenant
        /// code is stopped. Checked every `checkInterval` of CPU time while code runs. Default 64 MiB.
        public var memoryLimit: Int = 64 << 20
        /// How often, in CPU time, a running entry is checked against both limits. Default 5 ms.
        public var checkInterval: Duration = .milliseconds(5)
        /// The esbuild executable (a name looked up in PATH, or a path). Default `esbuild`.
        public var esbuild: String = "esbuild"

        public init() {}
    }

    public let settings: Settings

    public init(settings: Settings = Settings()) {
        self.settings = settings
    }

    public var engineName: String { "javascriptcore" }

    public func compile(_ source: String, language: CodeLanguage) async throws -> String {
        let script = try await ModuleCompiler(executable: settings.esbuild).compile(source, language: language)
        // Load it once, so that a module that throws while loading or has no TenantWorkflow
        // class is refused now rather than when its first instance runs.
        let probe = TenantCode(
            tenant: "upload-check", workflow: "upload-check", version: 0, versionId: "", language: language, source: source,
            script: script, env: [:], createdAt: 0)
        _ = try await JSRunner.boot(probe, settings: settings)
        return script
    }

    public func boot(_ code: TenantCode) async throws -> any WorkflowRunner {
        try await JSRunner.boot(code, settings: settings)
    }
}
