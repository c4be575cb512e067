@_spi(Stores) import Brigade
import BrigadeSQLite
import BrigadeTesting
import Foundation
import Testing

/// Its code "changes" between two lifetimes when `changed` is set.
struct Changing: Workflow {
    let changed: Flag
    let ledger: Ledger
    func run(_ event: WorkflowEvent<Empty>, step: WorkflowStep) async throws -> String {
        if changed.isSet {
            try await step.sleep("charge", for: .seconds(5))
            try await step.do("new path") { ledger.record("new path") }
        } else {
            try await step.do("charge") { ledger.record("charge") }
        }
        try await step.sleep("wait", for: .hours(1))
        return "done"
    }
}

struct Swallower: Workflow {
    func run(_ event: WorkflowEvent<Empty>, step: WorkflowStep) async throws -> String {
        // Catches everything, including the engine's unwind signal: the engine must notice.
        do {
            try await step.sleep("nap", for: .hours(1))
        } catch {}
        return "returned early"
    }
}

@Suite struct DeterminismAndRetentionTests {
    @Test func replayMeetingAnotherKindFailsTheInstanceNamingBoth() async throws {
        let changed = Flag()
        let ledger = Ledger()
        try await TestBrigade.run(register: { try $0.register(Changing(changed: changed, ledger: ledger)) }) { brigade in
            let instance = try await brigade.runtime.workflow(Changing.self).create(params: Empty())
            try await brigade.waitForHibernation(instance)
            changed.set()
            brigade.clock.advance(by: .hours(1))
            let final = try await instance.waitForStatus(.errored)
            #expect(final.error?.name == BrigadeError.Code.nonDeterminism.rawValue)
            let message = final.error?.message ?? ""
            #expect(message.contains("charge-1") && message.contains("step.do") && message.contains("step.sleep"))
            #expect(ledger.count("new path") == 0, "no side effect of the diverging path is applied")
            #expect(ledger.count("charge") == 1)
        }
    }

    @Test func runSwallowingTheUnwindSignalStillHibernates() async throws {
        try await TestBrigade.run(register: { try $0.register(Swallower()) }) { brigade in
            let instance = try await brigade.runtime.workflow(Swallower.self).create(params: Empty())
            try await brigade.waitForHibernation(instance)
            #expect(try await instance.status().output == nil, "the result of the swallowed unwind is ignored")
            brigade.clock.advance(by: .hours(1))
            #expect(try await instance.waitForStatus(.complete).output == "returned early")
        }
    }

    @Test func finishedInstancesArePurgedAfterTheirRetention() async throws {
        var settings = BrigadeSettings()
        settings.successRetention = .hours(1)
        try await TestBrigade.run(settings: settings, register: { try $0.register(Echo()) }) { brigade in
            let client = brigade.runtime.workflow(Echo.self)
            let defaultRetention = try await client.create(id: "short", params: .init(text: "a"))
            let longer = try await client.create(id: "long", params: .init(text: "b"), retention: Retention(success: .days(2)))
            try await defaultRetention.waitForStatus(.complete)
            try await longer.waitForStatus(.complete)

            brigade.clock.advance(by: .minutes(59))
            try await Task.sleep(for: .milliseconds(30))
            #expect(try await defaultRetention.status().status == .complete, "kept within retention")
            await #expect { _ = try await client.create(id: "short", params: .init(text: "again")) } throws: {
                ($0 as? BrigadeError)?.code == .instanceAlreadyExists
            }

            brigade.clock.advance(by: .minutes(2))
            try await eventually("the expired instance to be purged") {
                (try? await client.get("short")) == nil
            }
            #expect(try await longer.status().status == .complete, "a per-instance retention overrides the setting")
            // The id is free once the instance is gone.
            let reused = try await client.create(id: "short", params: .init(text: "again"))
            #expect(try await reused.waitForStatus(.complete).output == "again")
        }
    }

    @Test func instancesCreatedBeforeTheRuntimeRunsStartWhenItDoes() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("brigade.sqlite")
        let clock = ManualClock()
        // A runtime whose control plane is not running: creation writes only the row, due now.
        let store = try SQLiteStore(path: path)
        try await store.migrate()
        let idle = BrigadeRuntime(store: store, clock: clock)
        try idle.register(Echo())
        let early = try await idle.workflow(Echo.self).create(id: "early", params: .init(text: "hi"))
        #expect(try await early.status().status == .queued)
        #expect(try await idle.instanceRow(early.key).dueAt == clock.now().millisecondsSince1970)
        // A runtime that runs finds the row through its alarm and starts it.
        try await TestBrigade.run(databasePath: path, clock: clock, register: { try $0.register(Echo()) }) { brigade in
            let instance = try await brigade.runtime.workflow(Echo.self).get("early")
            #expect(try await instance.waitForStatus(.complete).output == "hi")
        }
    }
}
