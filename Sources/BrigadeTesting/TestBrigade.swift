@_spi(Stores) import Brigade
import BrigadeSQLite
import CoreMetrics
import Foundation
import Logging

/// A runtime on a fresh SQLite file in a temporary directory, driven by a ``ManualClock``.
public struct TestBrigade: Sendable {
    public let runtime: BrigadeRuntime
    public let clock: ManualClock
    public let store: SQLiteStore
    /// The database file.
    public let path: String
    /// The test modifiers every instance of this runtime consults (see ``modify(_:workflow:id:_:)``).
    public let modifier: WorkflowModifier

    /// Runs `body` with a running runtime, then stops it and deletes the database.
    ///
    /// Use a ``TemporaryDirectory`` and `databasePath` to run several runtimes one after the
    /// other on one file.
    ///
    /// - Parameters:
    ///   - settings: engine settings (the hibernation grace stays in real time).
    ///   - register: registers the workflows under test.
    ///   - databasePath: an existing database to open instead of a fresh one (it is not deleted);
    ///     with `clock`, this simulates a new process taking over the same file.
    ///   - clock: the clock to use instead of a new one.
    ///   - metricsFactory: where the runtime's and the store's metrics go (nowhere by default).
    public static func run(
        settings: BrigadeSettings = BrigadeSettings(),
        databasePath: String? = nil,
        clock: ManualClock? = nil,
        metricsFactory: (any MetricsFactory)? = nil,
        register: (BrigadeRuntime) throws -> Void,
        _ body: (TestBrigade) async throws -> Void
    ) async throws {
        let directory = databasePath == nil ? try TemporaryDirectory() : nil
        defer { directory?.remove() }
        let path = databasePath ?? directory!.file("brigade.sqlite")
        let metricsFactory = metricsFactory ?? NOOPMetricsHandler.instance
        let store = try SQLiteStore(path: path, metricsFactory: metricsFactory)
        let clock = clock ?? ManualClock()
        let modifier = WorkflowModifier()
        var settings = settings
        if settings.stepHooks == nil { settings.stepHooks = modifier }
        let runtime = BrigadeRuntime(
            store: store, settings: settings, clock: clock, logger: Logger(label: "brigade.test"), metricsFactory: metricsFactory)
        try register(runtime)
        try await store.migrate()
        let brigade = TestBrigade(runtime: runtime, clock: clock, store: store, path: path, modifier: modifier)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await runtime.run() }
            do {
                try await body(brigade)
            } catch {
                group.cancelAll()
                throw error
            }
            group.cancelAll()
        }
    }

    /// Changes how the instance `id` of `workflow` (or, with no id, every instance of it) runs
    /// its steps, as Cloudflare's `introspectWorkflowInstance(…).modify`: call it before creating
    /// the instance.
    ///
    /// ```swift
    /// brigade.modify(Onboarding.self, id: "user-42") { instance in
    ///     instance.disableSleeps()
    ///     try instance.mockStepResult(.init("create account"), Account(id: "a1"))
    ///     instance.mockStepError(.init("send welcome"), ErrorInfo(name: "SMTPError", message: "down"), times: 2)
    ///     try instance.mockEvent(type: "approved", payload: Approval(by: "ops"))
    /// }
    /// ```
    public func modify<W: Workflow>(
        _ workflow: W.Type, id: String? = nil, tenant: String = BrigadeRuntime.defaultTenant,
        _ change: (inout WorkflowModifier.Modifications) throws -> Void
    ) rethrows {
        let scope: WorkflowModifier.Scope =
            id.map { .instance(InstanceKey(tenant: tenant, workflow: W.name, id: $0)) } ?? .workflow(tenant: tenant, name: W.name)
        try modifier.modify(scope, change)
    }
}
