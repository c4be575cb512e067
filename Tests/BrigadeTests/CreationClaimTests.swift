@_spi(Stores) import Brigade
@_spi(Stores) import BrigadeSQLite
import BrigadeTesting
import Foundation
import Testing

/// Counts its one step's body in a ledger.
struct CountsItsStep: Workflow {
    let ledger: Ledger
    func run(_ event: WorkflowEvent<Empty>, step: WorkflowStep) async throws -> String {
        try await step.do("work") {
            ledger.record(event.instanceId)
            return "done"
        }
    }
}

/// An instance that will start at once is claimed by its creation (`NewInstance.claimed`): one
/// write fewer. These tests hold it to what a claim of its own guarantees — races with events,
/// terminations and a process that dies before the engine starts included.
@Suite struct CreationClaimTests {
    static var settings: BrigadeSettings {
        var settings = BrigadeSettings()
        settings.shardsPerWorkflow = 1
        return settings
    }

    @Test func anInstanceThatStartsAtOnceRunsAtItsCreationsEpoch() async throws {
        let ledger = Ledger()
        try await TestBrigade.run(settings: Self.settings, register: { try $0.register(CountsItsStep(ledger: ledger)) }) { brigade in
            let client = brigade.runtime.workflow(CountsItsStep.self)
            // The first one leases the shard its slot; it keeps it idle afterwards.
            _ = try await client.create(id: "warm", params: Empty()).waitForStatus(.complete)
            for index in 0..<5 {
                let instance = try await client.create(id: "c\(index)", params: Empty())
                #expect(try await instance.waitForStatus(.complete).output == "done")
                let row = try await brigade.runtime.instanceRow(instance.key)
                #expect(row.epoch == 1, "no claim after the creation's: \(row.epoch)")
                let types = try await instance.history().map(\.entry.type)
                #expect(Array(types.prefix(3)) == [.workflowQueued, .workflowStarted, .workflowRunning], "\(types)")
                #expect(types.filter { $0 == .workflowRunning }.count == 1 && types.last == .workflowCompleted, "\(types)")
                #expect(ledger.count(instance.id) == 1)
            }
        }
    }

    /// An event sent the moment its instance is created — perhaps before the SousChef queued it,
    /// perhaps before its engine started — reaches the wait: the snapshot of the creation, which
    /// holds no events, is not used then.
    @Test func anEventSentAsItsInstanceIsCreatedIsDelivered() async throws {
        try await TestBrigade.run(settings: Self.settings, register: { try $0.register(WaitsForApproval()) }) { brigade in
            let client = brigade.runtime.workflow(WaitsForApproval.self)
            _ = try await client.create(id: "warm", params: .init(sleepFirst: false))
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<40 {
                    group.addTask {
                        let instance = try await client.create(id: "e\(index)", params: .init(sleepFirst: false))
                        try await instance.sendEvent(type: "approved", payload: Approval(approver: instance.id))
                        // The virtual clock never moves: only the delivered event completes it.
                        let done = try await instance.waitForStatus(.complete, timeout: .seconds(20))
                        #expect(done.output == "approved by \(instance.id)")
                    }
                }
                try await group.waitForAll()
            }
        }
    }

    /// A terminate the moment an instance is created leaves it terminated, and no step body
    /// starts after the terminate returned.
    @Test func anInstanceTerminatedAsItIsCreatedRunsNothingAfter() async throws {
        let ledger = Ledger()
        try await TestBrigade.run(settings: Self.settings, register: { try $0.register(CountsItsStep(ledger: ledger)) }) { brigade in
            let client = brigade.runtime.workflow(CountsItsStep.self)
            _ = try await client.create(id: "warm", params: Empty()).waitForStatus(.complete)
            var counts: [String: Int] = [:]
            var instances: [WorkflowInstance<CountsItsStep>] = []
            for index in 0..<20 {
                let instance = try await client.create(id: "t\(index)", params: Empty())
                do {
                    try await instance.terminate()
                } catch let error as BrigadeError where error.code == .cannotTerminate {
                    // It finished first: fine, and nothing more of it runs either.
                }
                counts[instance.id] = ledger.count(instance.id)
                instances.append(instance)
            }
            try await eventually("every engine gone") { brigade.runtime.liveInstanceCount == 0 }
            for instance in instances {
                let status = try await instance.status().status
                #expect(status == .terminated || status == .complete)
                #expect(ledger.count(instance.id) == counts[instance.id], "\(instance.id) ran a step after its terminate returned")
                #expect(ledger.count(instance.id) <= 1)
            }
        }
    }

    /// The process dies after a creation that claimed committed and before its engine wrote
    /// anything: the row is `running`, due now, and the next process's sweep runs it.
    @Test func aClaimedInstanceWhoseProcessDiedBeforeItsEngineStartedRunsOnTheNext() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("brigade.sqlite")
        let ledger = Ledger()
        let key = InstanceKey(tenant: BrigadeRuntime.defaultTenant, workflow: CountsItsStep.name, id: "orphan")
        // Written as the creation writes it, with no engine after it: what a `kill -9` between the
        // creation's commit and the engine's start leaves.
        try await TestBrigade.run(settings: Self.settings, databasePath: path, register: { _ in }) { brigade in
            var new = NewInstance(key: key, params: Data("{}".utf8), shard: 0, retention: nil, createdAt: brigade.clock.nowMilliseconds())
            new.claimed = true
            _ = try await brigade.store.createInstances([new], skipExisting: false, maxQueued: .max)
        }
        try await TestBrigade.run(settings: Self.settings, databasePath: path, register: { try $0.register(CountsItsStep(ledger: ledger)) })
        {
            brigade in
            let instance = try await brigade.runtime.workflow(CountsItsStep.self).get("orphan")
            #expect(try await instance.waitForStatus(.complete).output == "done")
            #expect(try await brigade.runtime.instanceRow(key).epoch == 2, "claimed again by the next process")
            #expect(ledger.count("orphan") == 1)
        }
    }
}
