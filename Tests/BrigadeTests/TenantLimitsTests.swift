import Brigade
import BrigadeTesting
import Foundation
import Testing

/// A workflow whose one step waits for the test to open its gate.
struct HeldByGate: Workflow {
    static var name: String { "held-by-gate" }
    static let gate = Gate()
    func run(_ event: WorkflowEvent<JSONValue>, step: WorkflowStep) async throws -> Int {
        try await step.do("held") {
            await Self.gate.wait()
            return 1
        }
    }
}

/// A tenant's own limits: in force at once, kept across a restart, and one tenant at its
/// limit leaves the others alone.
@Suite(.serialized) struct TenantLimitsTests {
    @Test func aTenantAtItsConcurrencyLimitDoesNotSlowAnother() async throws {
        try await TestBrigade.run(register: {
            try $0.register(HeldByGate())
            try $0.register(Echo())
        }) { brigade in
            let runtime = brigade.runtime
            try await runtime.setLimits(tenant: "small", TenantLimits(maxRunning: 1))
            for index in 0..<3 {
                try await runtime.createInstance(tenant: "small", workflow: HeldByGate.name, id: "s\(index)", params: Data("{}".utf8))
            }
            try await eventually("one of small's instances running") { runtime.runningSlots(tenant: "small") == 1 }
            // Another tenant's work runs meanwhile, all of it at once: small's limit is not its.
            for index in 0..<3 {
                try await runtime.createInstance(tenant: "big", workflow: HeldByGate.name, id: "b\(index)", params: Data("{}".utf8))
            }
            try await eventually("all three of big's instances running") { runtime.runningSlots(tenant: "big") == 3 }
            for index in 0..<5 {
                let id = try await runtime.createInstance(tenant: "big", workflow: "Echo", params: Data(#"{"text": "\#(index)"}"#.utf8))
                #expect(try await runtime.waitForCompletion(InstanceKey(tenant: "big", workflow: "Echo", id: id)).status == .complete)
            }
            #expect(runtime.runningSlots(tenant: "small") == 1, "small stays at its limit")
            let counts = try await runtime.instanceCounts(tenant: "small", workflow: HeldByGate.name)
            #expect(counts[.queued] == 2 && counts[.running] == 1, "\(counts)")
            // Raised: the queued ones start at once.
            try await runtime.setLimits(tenant: "small", TenantLimits(maxRunning: 3))
            try await eventually("all three of small's instances running") { runtime.runningSlots(tenant: "small") == 3 }
            HeldByGate.gate.open()
            for index in 0..<3 {
                #expect(
                    try await runtime.waitForCompletion(InstanceKey(tenant: "small", workflow: HeldByGate.name, id: "s\(index)")).status
                        == .complete)
                #expect(
                    try await runtime.waitForCompletion(InstanceKey(tenant: "big", workflow: HeldByGate.name, id: "b\(index)")).status
                        == .complete)
            }
        }
    }

    @Test func aTenantsCreationRateIsItsOwnAndOutlivesARestart() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("limits.sqlite")
        let clock = ManualClock()
        let params = Data(#"{"text": "x"}"#.utf8)
        try await TestBrigade.run(databasePath: path, clock: clock, register: { try $0.register(Echo()) }) { brigade in
            let runtime = brigade.runtime
            try await runtime.setLimits(tenant: "slow", TenantLimits(maxQueuedPerWorkflow: 50, creationRate: 1))
            #expect(try await runtime.limits(tenant: "slow") == TenantLimits(maxQueuedPerWorkflow: 50, creationRate: 1))
            #expect(try await runtime.effectiveSettings(tenant: "slow").creationRatePerAccount == 1)
            #expect(try await runtime.effectiveSettings(tenant: "fast").creationRatePerAccount == nil)
            try await runtime.createInstance(tenant: "slow", workflow: "Echo", params: params)
            await #expect {
                try await runtime.createInstance(tenant: "slow", workflow: "Echo", params: params)
            } throws: { ($0 as? BrigadeError)?.code == .rateLimited && ($0 as? BrigadeError)?.retryAfter != nil }
            for _ in 0..<5 { try await runtime.createInstance(tenant: "fast", workflow: "Echo", params: params) }
        }
        try await TestBrigade.run(databasePath: path, clock: clock, register: { try $0.register(Echo()) }) { brigade in
            let runtime = brigade.runtime
            #expect(
                try await runtime.limits(tenant: "slow") == TenantLimits(maxQueuedPerWorkflow: 50, creationRate: 1), "kept in the store")
            try await runtime.createInstance(tenant: "slow", workflow: "Echo", params: params)
            await #expect {
                try await runtime.createInstance(tenant: "slow", workflow: "Echo", params: params)
            } throws: { ($0 as? BrigadeError)?.code == .rateLimited }
            // Removed: the settings apply again, at once.
            try await runtime.setLimits(tenant: "slow", .defaults)
            for _ in 0..<5 { try await runtime.createInstance(tenant: "slow", workflow: "Echo", params: params) }
            #expect(try await runtime.limits(tenant: "slow") == TenantLimits.defaults)
        }
    }

    @Test(arguments: [
        (TenantLimits(maxRunning: 0), "max_running"), (TenantLimits(maxRunningPerWorkflow: -1), "max_running_per_workflow"),
        (TenantLimits(maxQueuedPerWorkflow: 0), "max_queued_per_workflow"), (TenantLimits(creationRate: .nan), "creation_rate"),
        (TenantLimits(workflowCreationRate: .infinity), "workflow_creation_rate"), (TenantLimits(creationRate: 0), "creation_rate"),
    ])
    func limitsOutOfRangeAreRefused(limits: TenantLimits, names: String) async throws {
        try await TestBrigade.run(register: { try $0.register(Echo()) }) { brigade in
            await #expect {
                try await brigade.runtime.setLimits(tenant: "t", limits)
            } throws: { ($0 as? BrigadeError)?.code == .invalidLimits && "\($0)".contains(names) }
            let stored = try await brigade.runtime.limits(tenant: "t")
            #expect(stored == TenantLimits.defaults)
        }
    }
}
