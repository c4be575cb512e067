@testable import Brigade
import BrigadeSQLite
import BrigadeTesting
import Foundation
import Logging
import Testing

/// A runtime takes calls once `run()` has migrated its store and loaded the definitions, and a
/// call that comes first waits for that (or says why it cannot).
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
        #expect(try await brigade.workflows().map(\.name).contains("Echo"))
    }

    @Test func aCallWithoutRunFailsInBrigadesWordsAfterTheGrace() async throws {
        let readiness = RuntimeReadiness(startGrace: .milliseconds(50))
        await #expect {
            try await readiness.wait()
        } throws: { error in
            guard let error = error as? BrigadeError else { return false }
            return error.code == .notRunning && error.message.contains("brigade.run()")
        }
    }

    @Test func waitingCallsGoOnWhenReadyAndFailWithAFailedStart() async throws {
        let readiness = RuntimeReadiness(startGrace: .milliseconds(50))
        readiness.starting()
        let waiting = Task { try await readiness.wait() }
        // Past the grace: a start under way is waited for however long it takes.
        try await Task.sleep(for: .milliseconds(150))
        readiness.ready()
        try await waiting.value
        try await readiness.wait()

        let failing = RuntimeReadiness(startGrace: .seconds(60))
        failing.starting()
        let waiter = Task { try await failing.wait() }
        try await Task.sleep(for: .milliseconds(20))
        failing.failed(BrigadeError(.storageUnavailable, "the database is down"))
        for call in [waiter] {
            await #expect(throws: BrigadeError.self) { try await call.value }
        }
        await #expect(throws: BrigadeError.self) { try await failing.wait() }
        // run() again: the next start is waited for.
        failing.starting()
        let retry = Task { try await failing.wait() }
        failing.ready()
        try await retry.value
    }

    @Test func aCancelledWaitEnds() async throws {
        let readiness = RuntimeReadiness(startGrace: .seconds(60))
        readiness.starting()
        let waiting = Task { try await readiness.wait() }
        try await Task.sleep(for: .milliseconds(20))
        waiting.cancel()
        await #expect(throws: CancellationError.self) { try await waiting.value }
    }
}
