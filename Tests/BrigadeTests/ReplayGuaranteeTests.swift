@_spi(Stores) import Brigade
import BrigadeSQLite
import BrigadeTesting
import Foundation
import Testing

struct CatchesThenSleeps: Workflow {
    let ledger: Ledger
    func run(_ event: WorkflowEvent<Empty>, step: WorkflowStep) async throws -> String {
        var note = "no failure"
        do {
            try await step.do("fragile", .init(retries: .none)) {
                ledger.record("fragile")
                throw Boom()
            }
        } catch let error as StepFailedError {
            note = "\(error.stepName) failed after \(error.attempts): \(error.message)"
        }
        try await step.sleep("later", for: .hours(1))
        return note
    }
}

/// The retry policy in code "changes" while the step is between attempts.
struct PolicyChanges: Workflow {
    let changed: Flag
    let ledger: Ledger
    func run(_ event: WorkflowEvent<Empty>, step: WorkflowStep) async throws -> Int {
        let policy: StepConfig =
            changed.isSet
            ? .init(retries: .none)
            : .init(retries: .init(limit: 1, delay: .hours(1), backoff: .constant))
        return try await step.do("policy", policy) { (context: StepContext) -> Int in
            ledger.record("attempt")
            if context.attempt == 1 { throw Boom() }
            return context.attempt
        }
    }
}

@Suite struct ReplayGuaranteeTests {
    @Test func anExhaustedStepsErrorIsStoredAndRethrownOnReplay() async throws {
        let ledger = Ledger()
        try await TestBrigade.run(register: { try $0.register(CatchesThenSleeps(ledger: ledger)) }) { brigade in
            let instance = try await brigade.runtime.workflow(CatchesThenSleeps.self).create(params: Empty())
            try await brigade.waitForHibernation(instance)
            brigade.clock.advance(by: .hours(1))
            let done = try await instance.waitForStatus(.complete)
            #expect(done.output == "fragile failed after 1: boom", "the replay took the same catch branch")
            #expect(ledger.count("fragile") == 1, "a failed step is not retried on replay")
            let record = try #require(try await instance.stepRecord("fragile"))
            #expect(record.status == .failed && record.error == ErrorInfo(name: "Boom", message: "boom"))
        }
    }

    @Test func theConfigStoredAtFirstExecutionWinsOverChangedCode() async throws {
        let changed = Flag()
        let ledger = Ledger()
        try await TestBrigade.run(register: { try $0.register(PolicyChanges(changed: changed, ledger: ledger)) }) { brigade in
            let instance = try await brigade.runtime.workflow(PolicyChanges.self).create(params: Empty())
            try await brigade.waitForHibernation(instance)
            changed.set()
            brigade.clock.advance(by: .hours(1))
            let done = try await instance.waitForStatus(.complete)
            #expect(done.output == 2, "the stored policy (one retry) applies, not the new code's (none)")
            #expect(ledger.count("attempt") == 2)
        }
    }

    @Test func historyIdsAreMonotonicAndFollowTheContractsTypes() async throws {
        let ledger = Ledger()
        try await TestBrigade.run(register: { try $0.register(SleepsADay(ledger: ledger)) }) { brigade in
            let instance = try await brigade.runtime.workflow(SleepsADay.self).create(params: Empty())
            try await brigade.waitForHibernation(instance)
            brigade.clock.advance(by: .hours(24))
            try await instance.waitForStatus(.complete)
            let history = try await instance.history()
            #expect(zip(history, history.dropFirst()).allSatisfy { $0.id < $1.id })
            #expect(
                history.map(\.entry.type) == [
                    .workflowQueued, .workflowStarted, .workflowRunning,
                    .stepStarted, .attemptStarted, .attemptCompleted, .stepCompleted,
                    .sleepStarted, .workflowWaiting, .workflowRunning, .sleepCompleted,
                    .stepStarted, .attemptStarted, .attemptCompleted, .stepCompleted,
                    .workflowCompleted,
                ])
            #expect(history.first { $0.entry.type == .stepStarted }?.entry.step == "before-1")
            // Reading after a cursor returns only newer events.
            let cursor = history[5].id
            #expect(try await instance.history(afterId: cursor).map(\.id) == history.dropFirst(6).map(\.id))
        }
    }

    @Test func tenantsAreIsolated() async throws {
        try await TestBrigade.run(register: { try $0.register(Echo()) }) { brigade in
            let alpha = brigade.runtime.workflow(Echo.self, tenant: "alpha")
            let beta = brigade.runtime.workflow(Echo.self, tenant: "beta")
            let a = try await alpha.create(id: "same-id", params: .init(text: "alpha's"))
            let b = try await beta.create(id: "same-id", params: .init(text: "beta's"))
            #expect(try await a.waitForStatus(.complete).output == "alpha's")
            #expect(try await b.waitForStatus(.complete).output == "beta's")
            _ = try await alpha.create(id: "only-alpha", params: .init(text: ""))
            await #expect { _ = try await beta.get("only-alpha") } throws: { ($0 as? BrigadeError)?.code == .instanceNotFound }
        }
    }

    @Test func theSweepStartsAnInstanceWhoseNotificationWasLost() async throws {
        var settings = BrigadeSettings()
        settings.shardsPerWorkflow = 1
        try await TestBrigade.run(settings: settings, register: { try $0.register(Echo()) }) { brigade in
            // Once an instance has run through the only SousChef, its start-up sweep is over.
            try await brigade.runtime.workflow(Echo.self).create(params: .init(text: "warm-up")).waitForStatus(.complete)
            // Written straight to the store: no SousChef was told. Only the row's alarm remains.
            let key = InstanceKey(tenant: BrigadeRuntime.defaultTenant, workflow: Echo.name, id: "orphan")
            let params = try JSONEncoder().encode(Echo.Params(text: "found"))
            _ = try await brigade.store.createInstances(
                [NewInstance(key: key, params: params, shard: 0, retention: nil, createdAt: brigade.clock.now().millisecondsSince1970)],
                skipExisting: false, maxQueued: .max
            )
            let instance = try await brigade.runtime.workflow(Echo.self).get("orphan")
            try await Task.sleep(for: .milliseconds(30))
            #expect(try await instance.status().status == .queued)
            brigade.clock.advance(by: BrigadeSettings().sweepInterval)
            #expect(try await instance.waitForStatus(.complete).output == "found")
        }
    }
}
