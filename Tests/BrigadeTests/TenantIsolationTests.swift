import Brigade
import BrigadeTesting
import Foundation
import Testing

/// Holds its slot until the test opens the gate.
struct HoldsSlot: Workflow {
    let gate: Gate
    let ledger: Ledger
    func run(_ event: WorkflowEvent<Empty>, step: WorkflowStep) async throws -> String {
        try await step.do("hold") {
            ledger.record("holding")
            await gate.wait()
        }
        return "released"
    }
}

struct Quick: Workflow {
    func run(_ event: WorkflowEvent<Empty>, step: WorkflowStep) async throws -> Int {
        try await step.do("one") { 1 }
    }
}

/// One account at its concurrency limit, with more queued behind it, leaves another account's
/// instances to run at once: limits are per account, and the queue of one is not the other's.
@Suite struct TenantIsolationTests {
    @Test func anAccountAtItsLimitDoesNotHoldAnotherBack() async throws {
        var settings = BrigadeSettings()
        settings.maxRunningPerAccount = 2
        let gate = Gate()
        let ledger = Ledger()
        try await TestBrigade.run(
            settings: settings,
            register: {
                try $0.register(HoldsSlot(gate: gate, ledger: ledger))
                try $0.register(Quick())
            }
        ) { brigade in
            let runtime = brigade.runtime
            for index in 0..<6 {
                _ = try await runtime.createInstance(tenant: "busy", workflow: HoldsSlot.name, id: "h\(index)", params: Data("{}".utf8))
            }
            try await eventually("the busy account at its limit") {
                ledger.count("holding") == 2 && runtime.runningSlots(tenant: "busy") == 2
            }
            #expect(try await runtime.instanceCounts(tenant: "busy", workflow: HoldsSlot.name)[.queued] == 4)
            for index in 0..<5 {
                let id = try await runtime.createInstance(tenant: "calm", workflow: Quick.name, id: "q\(index)", params: Data("{}".utf8))
                // Bounded: were the limit shared, this would wait for ever.
                try await eventually("calm's \(id) completes") {
                    try await runtime.instanceRow(InstanceKey(tenant: "calm", workflow: Quick.name, id: id)).status == .complete
                }
            }
            #expect(
                ledger.count("holding") == 2 && runtime.runningSlots(tenant: "busy") == 2, "the busy account stayed at its limit meanwhile")
            gate.open()
            try await eventually("the busy account drains") {
                try await runtime.instanceCounts(tenant: "busy", workflow: HoldsSlot.name)[.complete] == 6
            }
        }
    }
}
