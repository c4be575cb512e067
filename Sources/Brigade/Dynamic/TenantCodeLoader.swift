import Foundation
import ServiceLifecycle
import Synchronization

/// Runners for tenant code, cached by (tenant, workflow, version): booted lazily at the step
/// boundary where an instance first needs one, shared by every instance of that version, and
/// evicted when idle or when the cache is full (least recently used first). An idle tenant costs
/// its stored code and nothing else; evicting is free because every run replays from the journal.
///
/// Run it in the service group (it evicts idle runners periodically) or call ``evictIdle()``.
public final class TenantCodeLoader: Service, Sendable {
    public struct Settings: Sendable {
        /// A runner unused this long is dropped. Default 5 minutes.
        public var idleTime: Duration = .minutes(5)
        /// Most runners kept; booting one more evicts the least recently used. Default 1,000.
        public var maxCached: Int = 1_000

        public init(idleTime: Duration = .minutes(5), maxCached: Int = 1_000) {
            self.idleTime = idleTime
            self.maxCached = maxCached
        }
    }

    struct Key: Hashable, Sendable {
        var tenant: String
        var workflow: String
        var version: Int
    }

    private struct Entry {
        var runner: Task<any WorkflowRunner, any Error>
        /// The runner, once booted (to see that it was retired without awaiting the task).
        var booted: (any WorkflowRunner)?
        /// When it was last handed out (for idle eviction).
        var lastUsed: Int64
        /// The order it was last handed out in (for least-recently-used eviction; times can tie).
        var recency: UInt64
    }

    private struct State {
        var entries: [Key: Entry] = [:]
        var boots = 0
        var uses: UInt64 = 0
    }

    public let sandbox: any WorkflowSandbox
    public let settings: Settings
    private let fetch: @Sendable (String, String, Int) async throws -> TenantCode?
    private let now: @Sendable () -> Int64
    private let state = Mutex(State())

    /// - Parameters:
    ///   - sandbox: where the tenants' code runs.
    ///   - settings: how many runners are kept, and for how long.
    ///   - fetch: reads a stored version (tenant, workflow, version); nil if there is none.
    ///   - now: milliseconds for idle accounting (the runtime's clock in tests).
    public init(
        sandbox: any WorkflowSandbox, settings: Settings = Settings(),
        now: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970 * 1000) },
        fetch: @escaping @Sendable (_ tenant: String, _ workflow: String, _ version: Int) async throws -> TenantCode?
    ) {
        self.sandbox = sandbox
        self.settings = settings
        self.fetch = fetch
        self.now = now
    }

    /// The runner for a version of a tenant's workflow, booting it if it is not cached (or if the
    /// cached one was retired).
    public func runner(tenant: String, workflow: String, version: Int) async throws -> any WorkflowRunner {
        let key = Key(tenant: tenant, workflow: workflow, version: version)
        let (task, runner) = try await cachedOrBooted(key)
        guard runner.isRetired else { return runner }
        state.withLock { state in
            // Only if no one replaced it already.
            if state.entries[key]?.runner == task { state.entries[key] = nil }
        }
        return try await cachedOrBooted(key).1
    }

    private func cachedOrBooted(_ key: Key) async throws -> (Task<any WorkflowRunner, any Error>, any WorkflowRunner) {
        let (tenant, workflow, version) = (key.tenant, key.workflow, key.version)
        let time = now()
        let task = state.withLock { state -> Task<any WorkflowRunner, any Error> in
            state.uses += 1
            if let entry = state.entries[key] {
                state.entries[key]!.lastUsed = time
                state.entries[key]!.recency = state.uses
                return entry.runner
            }
            let sandbox = self.sandbox
            let fetch = self.fetch
            let boot = Task<any WorkflowRunner, any Error> {
                guard let code = try await fetch(tenant, workflow, version) else {
                    throw BrigadeError(
                        .codeNotFound,
                        "Version \(version) of workflow \"\(workflow)\" is not stored (was the workflow deleted and deployed again?); the instance cannot run without the code it started with.")
                }
                return try await sandbox.boot(code)
            }
            state.entries[key] = Entry(runner: boot, lastUsed: time, recency: state.uses)
            state.boots += 1
            Self.evictLeastRecentlyUsed(&state, keeping: settings.maxCached)
            return boot
        }
        do {
            let runner = try await task.value
            state.withLock { state in
                if state.entries[key]?.runner == task, state.entries[key]?.booted == nil { state.entries[key]?.booted = runner }
            }
            return (task, runner)
        } catch {
            // A failed boot is not cached: the next run tries again (the code may be readable then).
            state.withLock { state in
                if let entry = state.entries[key], entry.runner == task { state.entries[key] = nil }
            }
            throw error
        }
    }

    /// Drops runners unused for ``Settings/idleTime``, and retired ones (what a sandbox holds for
    /// them is freed now rather than at their next use). Instances running on one keep it alive
    /// until they let go; the next one boots a fresh runner.
    @discardableResult
    public func evictIdle() -> Int {
        let cutoff = now() - settings.idleTime.wholeMilliseconds
        return state.withLock { state in
            let idle = state.entries.filter { $0.value.lastUsed <= cutoff || $0.value.booted?.isRetired == true }.map(\.key)
            for key in idle { state.entries[key] = nil }
            return idle.count
        }
    }

    /// Drops every cached runner (the next run of each boots a fresh one).
    public func evictAll() {
        state.withLock { $0.entries.removeAll() }
    }

    /// Runners cached now.
    public var cachedCount: Int { state.withLock { $0.entries.count } }

    /// Runners booted since this loader was made.
    public var bootCount: Int { state.withLock { $0.boots } }

    /// Evicts idle runners every quarter of the idle time until cancelled or shut down.
    public func run() async throws {
        let period = max(settings.idleTime / 4, .milliseconds(100))
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try await Task.sleep(for: period)
                self.evictIdle()
            }
        }
    }

    private static func evictLeastRecentlyUsed(_ state: inout State, keeping limit: Int) {
        let excess = state.entries.count - max(1, limit)
        guard excess > 0 else { return }
        let oldest = state.entries.sorted { $0.value.recency < $1.value.recency }.prefix(excess).map(\.key)
        for key in oldest { state.entries[key] = nil }
    }
}
