import Brigade
import BrigadeTesting
import Foundation
import Testing

struct Approval: Codable, Sendable, Equatable { var approver: String }

struct WaitsForApproval: Workflow {
    struct Params: Codable, Sendable { var sleepFirst: Bool }
    func run(_ event: WorkflowEvent<Params>, step: WorkflowStep) async throws -> String {
        if event.payload.sleepFirst {
            try await step.sleep("settle", for: .hours(1))
        }
        do {
            let approval = try await step.waitForEvent("approval", type: "approved", timeout: .hours(2), as: Approval.self)
            return "approved by \(approval.payload.approver)"
        } catch is WaitForEventTimeoutError {
            return try await step.do("escalate") { "timed out" }
        }
    }
}

struct TwoWaits: Workflow {
    func run(_ event: WorkflowEvent<Empty>, step: WorkflowStep) async throws -> [String] {
        let first = try await step.waitForEvent("first", type: "vote", as: String.self)
        let second = try await step.waitForEvent("second", type: "vote", as: String.self)
        return [first.payload, second.payload]
    }
}

@Suite struct EventTests {
    @Test func eventDeliveredToAHibernatedWait() async throws {
        try await TestBrigade.run(register: { try $0.register(WaitsForApproval()) }) { brigade in
            let instance = try await brigade.runtime.workflow(WaitsForApproval.self).create(params: .init(sleepFirst: false))
            try await brigade.waitForHibernation(instance)
            try await instance.sendEvent(type: "approved", payload: Approval(approver: "ada"))
            let done = try await instance.waitForStatus(.complete)
            #expect(done.output == "approved by ada")
            let record = try #require(try await instance.stepRecord("approval"))
            #expect(record.kind == .waitForEvent && record.eventType == "approved")
        }
    }

    /// An event that wakes a parked wait just as the engine is about to hibernate must not be
    /// dropped with the engine (it used to wait, unconsumed, for the wait's timeout). Events are
    /// sent while each instance's engine re-runs after a resume, so that many land in that gap.
    @Test func anEventArrivingAsTheEngineHibernatesIsNotLost() async throws {
        try await TestBrigade.run(register: { try $0.register(WaitsForApproval()) }) { brigade in
            let client = brigade.runtime.workflow(WaitsForApproval.self)
            var instances: [WorkflowInstance<WaitsForApproval>] = []
            for index in 0..<40 { instances.append(try await client.create(id: "race-\(index)", params: .init(sleepFirst: false))) }
            for instance in instances { try await instance.waitForStatus(.waiting) }
            for instance in instances {
                try await instance.pause()
                try await instance.resume()
                try await instance.sendEvent(type: "approved", payload: Approval(approver: instance.id))
            }
            // The virtual clock never moves: only a delivered event completes an instance.
            for instance in instances {
                let done = try await instance.waitForStatus(.complete, timeout: .seconds(20))
                #expect(done.output == "approved by \(instance.id)")
            }
        }
    }

    @Test func earlyEventIsKeptUntilTheWaitIsReached() async throws {
        try await TestBrigade.run(register: { try $0.register(WaitsForApproval()) }) { brigade in
            let instance = try await brigade.runtime.workflow(WaitsForApproval.self).create(params: .init(sleepFirst: true))
            try await brigade.waitForHibernation(instance)
            // Sent while the instance sleeps, before it reaches the wait.
            try await instance.sendEvent(type: "approved", payload: Approval(approver: "grace"))
            try await Task.sleep(for: .milliseconds(20))
            brigade.clock.advance(by: .hours(1))
            let done = try await instance.waitForStatus(.complete)
            #expect(done.output == "approved by grace")
        }
    }

    @Test func eventTimeoutIsCatchableAndStored() async throws {
        try await TestBrigade.run(register: { try $0.register(WaitsForApproval()) }) { brigade in
            let instance = try await brigade.runtime.workflow(WaitsForApproval.self).create(params: .init(sleepFirst: false))
            try await brigade.waitForHibernation(instance)
            brigade.clock.advance(by: .minutes(119))
            try await Task.sleep(for: .milliseconds(20))
            #expect(try await instance.status().status == .waiting)
            brigade.clock.advance(by: .minutes(1))
            let done = try await instance.waitForStatus(.complete)
            #expect(done.output == "timed out")
            #expect(try await instance.stepRecord("approval")?.status == .timedOut)
            #expect(try await instance.historyTypes().contains(.waitTimedOut))
            // An event after the timeout is for a finished instance.
            await #expect(throws: BrigadeError.self) {
                try await instance.sendEvent(type: "approved", payload: Approval(approver: "late"))
            }
        }
    }

    @Test func eventsOfOneTypeAreDeliveredInOrderOncePerWait() async throws {
        try await TestBrigade.run(register: { try $0.register(TwoWaits()) }) { brigade in
            let instance = try await brigade.runtime.workflow(TwoWaits.self).create(params: Empty())
            try await brigade.waitForHibernation(instance)
            try await instance.sendEvent(type: "vote", payload: "yes")
            try await instance.sendEvent(type: "vote", payload: "no")
            try await instance.sendEvent(type: "vote", payload: "spare")
            let done = try await instance.waitForStatus(.complete)
            #expect(done.output == ["yes", "no"])
        }
    }

    @Test func eventTypesAndPayloadsAreValidated() async throws {
        try await TestBrigade.run(register: { try $0.register(TwoWaits()) }) { brigade in
            let instance = try await brigade.runtime.workflow(TwoWaits.self).create(params: Empty())
            await #expect { try await instance.sendEvent(type: "has.dot", payload: "x") } throws: {
                ($0 as? BrigadeError)?.code == .invalidEventType
            }
            let big = String(repeating: "x", count: 1 << 20)
            await #expect { try await instance.sendEvent(type: "vote", payload: big) } throws: {
                ($0 as? BrigadeError)?.code == .payloadTooLarge
            }
            let missing = InstanceKey(tenant: BrigadeRuntime.defaultTenant, workflow: TwoWaits.name, id: "nope")
            await #expect { try await brigade.runtime.sendEvent(missing, type: "vote", payload: Data("1".utf8)) } throws: {
                ($0 as? BrigadeError)?.code == .instanceNotFound
            }
        }
    }
}
