@_spi(Stores) @testable import Brigade
import BrigadeSQLite
import BrigadeTesting
import Foundation
import Logging
import Synchronization
import Testing

/// A runtime's store is made ready once, by `run()` or by the first call, and everyone else
/// waits for that.
@Suite struct ReadinessTests {
    /// The README's embedding example as a new user writes it: `run()` started in a task, an
    /// instance created on the next line, on a database file that does not exist yet. It used to
    /// fail with SQLite's "no such table: workflow_definitions".
    @Test func aCallMadeAsRunStartsWaitsForTheStoreToBeReady() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let brigade = BrigadeRuntime(store: try SQLiteStore(path: directory.file("app.sqlite")), logger: Logger(label: "brigade.test"))
        try brigade.register(Echo())
        // The call comes first and waits; run() starts a moment later (as a task may).
        let creating = Task { try await brigade.workflow(Echo.self).create(id: "first", params: .init(text: "hello")) }
        try await Task.sleep(for: .milliseconds(100))
        let running = Task { try await brigade.run() }
        defer { running.cancel() }
        let instance = try await creating.value
        let row = try await brigade.waitForCompletion(instance.key)
        #expect(row.status == .complete)
        #expect(try await brigade.definitions().map(\.name).contains("Echo"))
    }

    /// A program that only creates instances (for another process to run) never calls `run()`:
    /// its first call makes the store ready itself.
    @Test func aCallWithoutRunMakesTheStoreReadyItself() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let brigade = BrigadeRuntime(store: try SQLiteStore(path: directory.file("app.sqlite")), logger: Logger(label: "brigade.test"))
        try brigade.register(Echo())
        let instance = try await brigade.workflow(Echo.self).create(id: "queued", params: .init(text: "later"))
        #expect(try await brigade.instanceRow(instance.key).status == .queued, "nothing runs it here")
    }

    @Test func concurrentCallersPrepareOnceAndAFailedPreparationIsTriedAgain() async throws {
        let readiness = RuntimeReadiness()
        let preparations = Mutex(0)
        let gate = OneShot<Void>()
        let prepare: @Sendable () async throws -> Void = {
            preparations.withLock { $0 += 1 }
            await gate.wait()
        }
        let callers = (0..<5).map { _ in Task { try await readiness.wait(prepare: prepare) } }
        try await eventually("the first caller to prepare") { preparations.withLock { $0 } == 1 }
        try await Task.sleep(for: .milliseconds(20))
        #expect(!readiness.isReady)
        gate.settle(())
        for caller in callers { try await caller.value }
        #expect(preparations.withLock { $0 } == 1, "prepared once for five callers")
        #expect(readiness.isReady)

        let flaky = RuntimeReadiness()
        let attempts = Mutex(0)
        let failOnce: @Sendable () async throws -> Void = {
            let attempt = attempts.withLock { value -> Int in
                value += 1
                return value
            }
            if attempt == 1 { throw BrigadeError(.storageUnavailable, "the database is down") }
        }
        await #expect(throws: BrigadeError.self) { try await flaky.wait(prepare: failOnce) }
        #expect(!flaky.isReady)
        try await flaky.wait(prepare: failOnce)
        #expect(flaky.isReady && attempts.withLock { $0 } == 2)
    }

    @Test func aCancelledWaitEnds() async throws {
        let readiness = RuntimeReadiness()
        let gate = OneShot<Void>()
        let preparing = Task { try await readiness.wait { await gate.wait() } }
        try await Task.sleep(for: .milliseconds(20))
        let waiting = Task { try await readiness.wait { Issue.record("prepared twice") } }
        try await Task.sleep(for: .milliseconds(20))
        waiting.cancel()
        await #expect(throws: CancellationError.self) { try await waiting.value }
        gate.settle(())
        try await preparing.value
    }
}
