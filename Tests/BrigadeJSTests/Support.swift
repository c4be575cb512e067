import Brigade
import BrigadeJS
import BrigadeSQLite
import BrigadeTesting
import Foundation
import Synchronization

/// A runtime with the code dispatcher registered and a JavaScript sandbox, on a fresh database.
struct JSTest: Sendable {
    let brigade: TestBrigade
    let loader: TenantCodeLoader
    let sandbox: JavaScriptSandbox

    var runtime: BrigadeRuntime { brigade.runtime }

    static func run(
        settings: BrigadeSettings = BrigadeSettings(),
        sandbox sandboxSettings: JavaScriptSandbox.Settings = JavaScriptSandbox.Settings(),
        loader loaderSettings: TenantCodeLoader.Settings = TenantCodeLoader.Settings(),
        databasePath: String? = nil,
        clock: ManualClock? = nil,
        bindings: HostBindings = .none,
        egress: @escaping @Sendable (String) -> EgressPolicy? = { _ in EgressPolicy() },
        _ body: (JSTest) async throws -> Void
    ) async throws {
        let sandbox = JavaScriptSandbox(settings: sandboxSettings, bindings: bindings, egress: egress)
        let made = Mutex<TenantCodeLoader?>(nil)
        try await TestBrigade.run(settings: settings, databasePath: databasePath, clock: clock, register: { runtime in
            let loader = runtime.makeCodeLoader(sandbox: sandbox, settings: loaderSettings)
            made.withLock { $0 = loader }
            try runtime.register(BrigadeRuntime.codeDispatcher(loader: loader))
        }) { brigade in
            try await body(JSTest(brigade: brigade, loader: made.withLock { $0! }, sandbox: sandbox))
        }
    }

    @discardableResult
    func deploy(
        _ source: String, tenant: String = BrigadeRuntime.defaultTenant, workflow: String = "flow",
        language: CodeLanguage = .javascript, env: [String: JSONValue] = [:]
    ) async throws -> TenantCode {
        try await runtime.deployWorkflow(tenant: tenant, name: workflow, source: source, language: language, env: env, sandbox: sandbox)
    }

    func create(
        _ workflow: String = "flow", tenant: String = BrigadeRuntime.defaultTenant, id: String? = nil, params: JSONValue = .null
    ) async throws -> InstanceKey {
        let id = try await runtime.createInstance(tenant: tenant, workflow: workflow, id: id, params: try JSONEncoder().encode(params))
        return InstanceKey(tenant: tenant, workflow: workflow, id: id)
    }

    /// Waits for the instance to reach `status`; the timeout is a safety net, not a measurement
    /// (30 s: the first seconds of a full run on two cores start every suite at once, and a
    /// hostile tenant's loop takes its CPU limit in CPU time, not in wall time).
    @discardableResult
    func wait(_ key: InstanceKey, for status: InstanceStatus, timeout: Duration = .seconds(30)) async throws -> InstanceRow {
        var last: InstanceRow?
        do {
            try await eventually("\(key) to be \(status)", timeout: timeout) {
                last = try await runtime.instanceRow(key)
                // A finished instance will not change any more: stop waiting.
                return last?.status == status || last?.status.isTerminal == true
            }
        } catch is TestTimeout {
            throw TestTimeout(
                description: "\(key) did not become \(status); last: \(last.map { "\($0.status)" } ?? "none") \(last?.error.map { "\($0)" } ?? "")")
        }
        guard let row = last, row.status == status else {
            throw TestTimeout(description: "\(key) ended \(last.map { "\($0.status)" } ?? "?") instead of \(status): \(last?.error.map { "\($0)" } ?? "")")
        }
        return row
    }

    func output(_ row: InstanceRow) throws -> JSONValue? {
        try row.output.map { try JSONDecoder().decode(JSONValue.self, from: $0) }
    }

    func logs(_ key: InstanceKey) async throws -> [String] {
        try await runtime.history(key).filter { $0.entry.type == .log }.map { event in
            if case .string(let message)? = event.entry.data["message"] { return message }
            return ""
        }
    }
}
