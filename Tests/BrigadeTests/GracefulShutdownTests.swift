@_spi(Stores) import Brigade
import BrigadeSQLite
import BrigadeTesting
import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import Testing

/// What step bodies did, across runtimes.
final class BodyLedger: Sendable {
    let events = Mutex<[String]>([])
    func note(_ event: String) { events.withLock { $0.append(event) } }
    func count(_ event: String) -> Int { events.withLock { $0.filter { $0 == event }.count } }
}

/// A slow first step, then a second.
struct SlowThenFast: Workflow {
    let ledger: BodyLedger
    func run(_ event: WorkflowEvent<Empty>, step: WorkflowStep) async throws -> Int {
        let first = try await step.do("first") { () async throws -> Int in
            ledger.note("first started")
            try await Task.sleep(for: .milliseconds(400))
            ledger.note("first finished")
            return 1
        }
        let second = try await step.do("second") { () async throws -> Int in
            ledger.note("second started")
            return 2
        }
        return first + second
    }
}

@Suite struct GracefulShutdownTests {
    /// SIGTERM's path (a ServiceGroup's graceful shutdown): the step body that is running
    /// finishes and commits, no new step starts, the instance is left to the next start, which
    /// does not run the committed step again.
    @Test func aRunningStepFinishesAndCommitsAndNoNewStepStarts() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("drain.sqlite")
        let ledger = BodyLedger()
        let clock = ManualClock()
        let key = InstanceKey(tenant: BrigadeRuntime.defaultTenant, workflow: "SlowThenFast", id: "drained")

        let store = try SQLiteStore(path: path)
        try await store.migrate()
        let runtime = BrigadeRuntime(store: store, clock: clock, logger: Logger(label: "brigade.test"))
        try runtime.register(SlowThenFast(ledger: ledger))
        let group = ServiceGroup(services: [runtime], logger: Logger(label: "brigade.test"))
        let running = Task { try await group.run() }
        try await runtime.createInstance(workflow: "SlowThenFast", id: "drained", params: Data("{}".utf8))
        try await eventually("the first body to start") { ledger.count("first started") == 1 }
        await group.triggerGracefulShutdown()
        try await running.value

        #expect(ledger.count("first finished") == 1, "the running body was let finish")
        #expect(ledger.count("second started") == 0, "no step starts once shutdown began")
        let first = try await store.steps(of: key).first { $0.name == "first" }
        #expect(first?.status == .complete, "its outcome was committed before the runtime stopped")
        #expect(try await store.instance(key)?.status == .running, "left for the next start")

        try await TestBrigade.run(databasePath: path, clock: clock, register: { try $0.register(SlowThenFast(ledger: ledger)) }) {
            brigade in
            let done = try await brigade.runtime.waitForCompletion(key)
            #expect(done.status == .complete)
        }
        #expect(ledger.count("first started") == 1, "the committed step did not run again")
        #expect(ledger.count("second started") == 1)
    }

    /// A body that outlives the grace is cancelled: the shutdown ends although the body would
    /// run for an hour. (A broken grace hangs here until the time limit.)
    @Test(.timeLimit(.minutes(1))) func aBodyPastTheGraceIsCancelled() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        var settings = BrigadeSettings()
        settings.shutdownGrace = .milliseconds(100)
        let ledger = BodyLedger()
        let store = try SQLiteStore(path: directory.file("grace.sqlite"))
        try await store.migrate()
        let runtime = BrigadeRuntime(store: store, settings: settings, clock: ManualClock(), logger: Logger(label: "brigade.test"))
        try runtime.register(Stubborn(ledger: ledger))
        let group = ServiceGroup(services: [runtime], logger: Logger(label: "brigade.test"))
        let running = Task { try await group.run() }
        try await runtime.createInstance(workflow: "Stubborn", id: "late", params: Data("{}".utf8))
        try await eventually("the body to start") { ledger.count("started") == 1 }
        await group.triggerGracefulShutdown()
        try await running.value
        try await eventually("the body to see its cancellation") { ledger.count("cancelled") == 1 }
        #expect(ledger.count("finished") == 0)
    }
}

/// One step whose body runs for an hour unless cancelled.
struct Stubborn: Workflow {
    let ledger: BodyLedger
    func run(_ event: WorkflowEvent<Empty>, step: WorkflowStep) async throws -> Int {
        try await step.do("forever") { () async throws -> Int in
            ledger.note("started")
            do {
                try await Task.sleep(for: .seconds(3_600))
            } catch {
                ledger.note("cancelled")
                throw error
            }
            ledger.note("finished")
            return 1
        }
    }
}
