import Brigade
import BrigadeTesting
import Foundation
import Testing

/// Books a trip as a saga: reserve, charge, then a step that fails; the first two compensate.
struct BookTrip: Workflow {
    struct Params: Codable, Sendable {
        /// The charge's rollback fails this many times before it succeeds.
        var refundFailures = 0
        /// Its retries (limit and delay in seconds).
        var refundRetries = 0
        var refundDelaySeconds = 1
        /// The rollback tries to call a step.
        var stepInRollback = false
    }
    let ledger: Ledger
    /// Set: the code no longer registers the charge's rollback (a deploy between two lifetimes).
    var noChargeRollback = Flag()

    func run(_ event: WorkflowEvent<Params>, step: WorkflowStep) async throws -> String {
        let params = event.payload
        let reservation = try await step.do("reserve") { () -> String in
            ledger.record("reserve")
            return "R-1"
        } rollback: { rollback in
            ledger.record("cancel \(rollback.output ?? "nothing") after \(rollback.error.name)")
        }
        let refundConfig = StepConfig(
            retries: .init(limit: params.refundRetries, delay: .seconds(Int64(params.refundDelaySeconds)), backoff: .constant))
        let charge: String
        if noChargeRollback.isSet {
            charge = try await step.do("charge") { () -> String in "C-\(reservation)" }
        } else {
            charge = try await step.do("charge", rollbackConfig: refundConfig) { () -> String in
                ledger.record("charge")
                return "C-\(reservation)"
            } rollback: { rollback in
                ledger.record("refund attempt \(rollback.step.attempt)")
                if params.stepInRollback {
                    do {
                        try await step.do("inside") { ledger.record("inside ran") }
                    } catch let error as BrigadeError {
                        ledger.record("refused: \(error.code)")
                    }
                }
                if rollback.step.attempt <= params.refundFailures { throw Boom() }
                ledger.record("refund \(rollback.output ?? "nothing") of \(rollback.step.name)-\(rollback.step.count)")
            }
        }
        try await step.do("ship", .init(retries: .none)) { () -> String in
            ledger.record("ship")
            throw NonRetryableError("no seats left", name: "SoldOut")
        }
        return charge
    }
}

@Suite struct RollbackTests {
    /// The Workers API (`env.WORKFLOWS`'s `status()`) says `running` while the rollbacks run, as
    /// Cloudflare's does (the REST API says `rollingBack`), and carries the outcome once ended.
    @Test func theBindingsStatusIsRunningDuringRollbacksAndCarriesTheirOutcome() async throws {
        let ledger = Ledger()
        // The engine stays in memory through the refund's wait: hibernated, the row would read
        // `waiting` (this test is about the binding's word for a rollback, not about hibernation,
        // and a loaded machine let the 5 ms grace pass between the two looks below).
        var settings = BrigadeSettings()
        settings.hibernationGrace = .seconds(600)
        try await TestBrigade.run(settings: settings, register: { try $0.register(BookTrip(ledger: ledger)) }) { brigade in
            let runtime = brigade.runtime
            let instance = try await runtime.workflow(BookTrip.self).create(
                id: "slow-refund", params: .init(refundFailures: 1, refundRetries: 1, refundDelaySeconds: 60))
            try await eventually("the refund waits to retry") { try await instance.status().status == .rollingBack && ledger.count("refund attempt 1") == 1 }
            let binding = runtime.workflowsBinding(tenant: BrigadeRuntime.defaultTenant, workflow: BookTrip.name)
            let during = try await binding.call(.status, ["id": "slow-refund"])
            #expect(during["status"] == "running")
            #expect(during["rollback"] == .null)
            brigade.clock.advance(by: .seconds(60))
            _ = try await runtime.waitForCompletion(instance.key)
            let after = try await binding.call(.status, ["id": "slow-refund"])
            #expect(after["status"] == "errored")
            #expect(after["rollback"] == ["outcome": "complete", "error": .null])
            #expect(after["error"]?["name"] == "SoldOut")
        }
    }

    @Test func aFailedRunRollsBackItsStepsLastFirstAndEndsErrored() async throws {
        let ledger = Ledger()
        try await TestBrigade.run(register: { try $0.register(BookTrip(ledger: ledger)) }) { brigade in
            let instance = try await brigade.runtime.workflow(BookTrip.self).create(params: .init())
            let final = try await instance.waitForStatus(.errored)
            #expect(final.error == ErrorInfo(name: "SoldOut", message: "no seats left"), "the instance errors with run's error")
            #expect(final.rollback == RollbackOutcome(outcome: .complete))
            #expect(ledger.count("refund C-R-1 of charge-1") == 1)
            #expect(ledger.count("cancel R-1 after SoldOut") == 1, "a handler gets the forward output and the error")
            let history = try await instance.historyTypes()
            let refund = try #require(history.firstIndex(of: .rollbackStepCompleted))
            let started = try #require(history.firstIndex(of: .rollbackStarted))
            #expect(started < refund)
            #expect(history.suffix(2) == [.rollbackCompleted, .workflowErrored])
            #expect(history.filter { $0 == .rollbackStepStarted }.count == 2)
            #expect(history.filter { $0 == .rollbackAttemptStarted }.count == 2)
            // Last started, first rolled back: charge's rollback before reserve's.
            let rollbacks = try await instance.steps().filter { $0.kind == .rollback }.sorted { $0.position < $1.position }
            #expect(rollbacks.map(\.name) == ["charge", "reserve"])
            #expect(rollbacks.allSatisfy { $0.status == .complete })
            #expect(ledger.count("ship") == 1 && ledger.count("charge") == 1 && ledger.count("reserve") == 1)
            // The rollback closures hold `step`, and so the engine: the engine must still be freed.
            try await eventually("no Engine object left") { brigade.runtime.engineObjectCount == 0 }
        }
    }

    @Test func theChainStopsAtTheFirstRollbackThatFailsForGood() async throws {
        let ledger = Ledger()
        try await TestBrigade.run(register: { try $0.register(BookTrip(ledger: ledger)) }) { brigade in
            let instance = try await brigade.runtime.workflow(BookTrip.self).create(params: .init(refundFailures: 10))
            let final = try await instance.waitForStatus(.errored)
            #expect(final.error?.name == "SoldOut")
            #expect(final.rollback == RollbackOutcome(outcome: .failed, error: ErrorInfo(name: "Boom", message: "boom")))
            #expect(ledger.count("refund attempt 1") == 1 && ledger.count("refund attempt 2") == 0, "no retries were configured")
            #expect(ledger.count("cancel R-1 after SoldOut") == 0, "the chain halts: reserve is not rolled back")
            let history = try await instance.historyTypes()
            #expect(history.suffix(2) == [.rollbackErrored, .workflowErrored])
            #expect(history.contains(.rollbackStepErrored))
        }
    }

    @Test func aRollbackIsRetriedDurablyAcrossHibernation() async throws {
        let ledger = Ledger()
        try await TestBrigade.run(register: { try $0.register(BookTrip(ledger: ledger)) }) { brigade in
            // One failure, retried after 60 s: long enough to hibernate mid-chain.
            let instance = try await brigade.runtime.workflow(BookTrip.self).create(
                params: .init(refundFailures: 1, refundRetries: 1, refundDelaySeconds: 60))
            try await eventually("the first refund attempt failed") { ledger.count("refund attempt 1") == 1 }
            try await brigade.waitForHibernation(instance)
            brigade.clock.advance(by: .seconds(60))
            let final = try await instance.waitForStatus(.errored)
            #expect(final.rollback == RollbackOutcome(outcome: .complete))
            #expect(ledger.count("refund attempt 2") == 1 && ledger.count("refund C-R-1 of charge-1") == 1)
            #expect(ledger.count("cancel R-1 after SoldOut") == 1)
            // The replay re-reached the failure from the journal: no forward step ran again.
            #expect(ledger.count("reserve") == 1 && ledger.count("charge") == 1 && ledger.count("ship") == 1)
            let history = try await instance.historyTypes()
            #expect(history.filter { $0 == .rollbackStarted }.count == 1, "the phase started once, though two lifetimes ran it")
        }
    }

    @Test func aStepCalledFromARollbackIsRefused() async throws {
        let ledger = Ledger()
        try await TestBrigade.run(register: { try $0.register(BookTrip(ledger: ledger)) }) { brigade in
            let instance = try await brigade.runtime.workflow(BookTrip.self).create(params: .init(stepInRollback: true))
            let final = try await instance.waitForStatus(.errored)
            #expect(ledger.count("refused: step.during_rollback") == 1)
            #expect(ledger.count("inside ran") == 0)
            #expect(final.rollback == RollbackOutcome(outcome: .complete))
        }
    }

    @Test func aRollbackTheCodeNoLongerRegistersEndsTheChainClearly() async throws {
        let ledger = Ledger()
        let workflow = BookTrip(ledger: ledger)
        try await TestBrigade.run(register: { try $0.register(workflow) }) { brigade in
            let instance = try await brigade.runtime.workflow(BookTrip.self).create(
                params: .init(refundFailures: 1, refundRetries: 1, refundDelaySeconds: 60))
            try await eventually("the first refund attempt failed") { ledger.count("refund attempt 1") == 1 }
            try await brigade.waitForHibernation(instance)
            workflow.noChargeRollback.set()
            brigade.clock.advance(by: .seconds(60))
            let final = try await instance.waitForStatus(.errored)
            #expect(final.error?.name == "SoldOut")
            #expect(final.rollback?.outcome == .failed)
            #expect(final.rollback?.error?.name == "RollbackMissing")
            #expect(final.rollback?.error?.message.contains("\"charge-1\"") == true)
            #expect(ledger.count("cancel R-1 after SoldOut") == 0, "the chain does not skip past the missing rollback")
        }
    }

    @Test func aRunThatSucceedsRunsNoRollback() async throws {
        struct Fine: Workflow {
            let ledger: Ledger
            func run(_ event: WorkflowEvent<Empty>, step: WorkflowStep) async throws -> Int {
                try await step.do("one") {
                    1
                } rollback: { _ in
                    ledger.record("rolled back")
                }
            }
        }
        let ledger = Ledger()
        try await TestBrigade.run(register: { try $0.register(Fine(ledger: ledger)) }) { brigade in
            let instance = try await brigade.runtime.workflow(Fine.self).create(params: Empty())
            let final = try await instance.waitForStatus(.complete)
            #expect(final.rollback == nil)
            #expect(ledger.total == 0)
        }
    }
}

/// Reserves and charges, then waits for an approval: the shape a terminate interrupts.
struct AwaitApproval: Workflow {
    let ledger: Ledger
    let gate: Gate

    func run(_ event: WorkflowEvent<Empty>, step: WorkflowStep) async throws -> String {
        try await step.do("reserve") {
            "R-1"
        } rollback: { rollback in
            ledger.record("cancel \(rollback.output ?? "nothing") after \(rollback.error.name)")
        }
        try await step.do("charge") { () -> String in
            ledger.record("charging")
            await gate.wait()
            return "C-1"
        } rollback: { rollback in
            ledger.record("refund \(rollback.output ?? "nothing")")
        }
        _ = try await step.waitForEvent("approval", type: "approved", timeout: .days(1))
        return "approved"
    }
}

@Suite struct TerminateWithRollbackTests {
    @Test func aWaitingInstanceRollsBackThenEndsTerminated() async throws {
        let ledger = Ledger()
        let gate = Gate()
        gate.open()
        try await TestBrigade.run(register: { try $0.register(AwaitApproval(ledger: ledger, gate: gate)) }) { brigade in
            let instance = try await brigade.runtime.workflow(AwaitApproval.self).create(params: Empty())
            try await brigade.waitForHibernation(instance)
            try await instance.terminate(rollback: true)
            let final = try await instance.waitForStatus(.terminated)
            #expect(final.rollback == RollbackOutcome(outcome: .complete))
            #expect(final.error == nil)
            #expect(ledger.count("refund C-1") == 1)
            #expect(ledger.count("cancel R-1 after WorkflowTerminated") == 1)
            #expect(ledger.count("charging") == 1, "the replay ran no finished step again")
            let history = try await instance.historyTypes()
            #expect(history.suffix(2) == [.rollbackCompleted, .workflowTerminated])
            #expect(history.filter { $0 == .waitStarted }.count == 1, "the replay stopped at the wait: it was not started again")
            try await eventually("no Engine object left") { brigade.runtime.engineObjectCount == 0 }
        }
    }

    @Test func aStepUnderWayIsRolledBackToo() async throws {
        let ledger = Ledger()
        let gate = Gate()
        try await TestBrigade.run(register: { try $0.register(AwaitApproval(ledger: ledger, gate: gate)) }) { brigade in
            let instance = try await brigade.runtime.workflow(AwaitApproval.self).create(params: Empty())
            try await eventually("the charge is under way") { ledger.count("charging") == 1 }
            try await instance.terminate(rollback: true)
            let final = try await instance.waitForStatus(.terminated)
            #expect(final.rollback == RollbackOutcome(outcome: .complete))
            #expect(ledger.count("refund nothing") == 1, "the charge started: its rollback runs, with no output")
            #expect(ledger.count("cancel R-1 after WorkflowTerminated") == 1)
            gate.open()
        }
    }

    @Test func aPlainTerminateRunsNoRollbackAndAFinishedInstanceCannotBeTerminated() async throws {
        let ledger = Ledger()
        let gate = Gate()
        gate.open()
        try await TestBrigade.run(register: { try $0.register(AwaitApproval(ledger: ledger, gate: gate)) }) { brigade in
            let instance = try await brigade.runtime.workflow(AwaitApproval.self).create(params: Empty())
            try await brigade.waitForHibernation(instance)
            try await instance.terminate()
            let final = try await instance.waitForStatus(.terminated)
            #expect(final.rollback == nil)
            #expect(ledger.count("refund C-1") == 0 && ledger.count("cancel R-1 after WorkflowTerminated") == 0)
            await #expect(throws: BrigadeError.self) { try await instance.terminate(rollback: true) }
        }
    }
}
