import Brigade
import BrigadeTesting
import Foundation
import Testing

/// A tenant's own workflows: a name bound to a registered class, with defaults for new instances.
@Suite struct WorkflowDefinitionTests {
    static func params(_ count: Int) -> Data { Data(#"{"count": \#(count)}"#.utf8) }

    @Test func aDefinitionBindsANameToAClassWithItsOwnLimits() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.file("defs.sqlite")
        let clock = ManualClock()
        try await TestBrigade.run(databasePath: path, clock: clock, register: { try $0.register(ManySteps()) }) { brigade in
            let runtime = brigade.runtime
            let definition = try await runtime.putWorkflow(
                tenant: "acme", name: "batch", className: "ManySteps", retention: Retention(success: .days(2)), stepLimit: 2)
            #expect(definition.scriptName == WorkflowDefinition.hostScript)
            #expect(try await runtime.definitions(tenant: "acme").map(\.name) == ["ManySteps", "batch"])
            // Another tenant has only the registered workflow.
            #expect(try await runtime.definitions(tenant: "globex").map(\.name) == ["ManySteps"])
            await #expect {
                try await runtime.createInstance(tenant: "globex", workflow: "batch", params: Self.params(1))
            } throws: { ($0 as? BrigadeError)?.code == .workflowNotRegistered }

            // The class runs under the definition's limits: 2 steps pass, 3 do not.
            let fits = try await runtime.createInstance(tenant: "acme", workflow: "batch", id: "fits", params: Self.params(2))
            let done = try await runtime.waitForCompletion(InstanceKey(tenant: "acme", workflow: "batch", id: fits))
            #expect(done.status == .complete)
            #expect(done.stepLimit == 2)
            #expect(done.retention?.success == .days(2))
            let over = try await runtime.createInstance(tenant: "acme", workflow: "batch", id: "over", params: Self.params(3))
            let failed = try await runtime.waitForCompletion(InstanceKey(tenant: "acme", workflow: "batch", id: over))
            #expect(failed.status == .errored)
            #expect(failed.error?.message.contains("limit of 2 steps") == true)
            // The registered workflow itself keeps the setting's limit.
            let plain = try await runtime.createInstance(tenant: "acme", workflow: "ManySteps", params: Self.params(3))
            #expect(try await runtime.waitForCompletion(InstanceKey(tenant: "acme", workflow: "ManySteps", id: plain)).status == .complete)

            // An instance created now, then left queued across a restart.
            try await runtime.pause(InstanceKey(tenant: "acme", workflow: "batch", id: "fits"))
        }
        // A new runtime on the same file knows the definition, and its instances run.
        try await TestBrigade.run(databasePath: path, clock: clock, register: { try $0.register(ManySteps()) }) { brigade in
            let names = try await brigade.runtime.definitions(tenant: "acme").map(\.name)
            #expect(names == ["ManySteps", "batch"])
            let id = try await brigade.runtime.createInstance(tenant: "acme", workflow: "batch", params: Self.params(1))
            #expect(try await brigade.runtime.waitForCompletion(InstanceKey(tenant: "acme", workflow: "batch", id: id)).status == .complete)
        }
    }

    @Test func badDefinitionsAreRefusedWithTheReason() async throws {
        try await TestBrigade.run(register: { try $0.register(ManySteps()); try $0.register(Echo()) }) { brigade in
            let runtime = brigade.runtime
            await #expect {
                try await runtime.putWorkflow(name: "x", className: "Nope")
            } throws: { ($0 as? BrigadeError)?.code == .workflowClassNotFound && "\($0)".contains("ManySteps") }
            await #expect {
                try await runtime.putWorkflow(name: "x", className: "Echo", scriptName: "my-worker")
            } throws: { ($0 as? BrigadeError)?.code == .workflowScriptNotFound }
            await #expect {
                try await runtime.putWorkflow(name: "Echo", className: "ManySteps")
            } throws: { ($0 as? BrigadeError)?.code == .workflowClassNotFound && "\($0)".contains("hosting program") }
            await #expect {
                try await runtime.putWorkflow(name: "x", className: "Echo", stepLimit: 0)
            } throws: { ($0 as? BrigadeError)?.code == .invalidStepConfig }
            await #expect {
                try await runtime.putWorkflow(name: "bad name!", className: "Echo")
            } throws: { ($0 as? BrigadeError)?.code == .invalidWorkflowName }
            // A registered workflow can take defaults under its own name, but not be deleted.
            try await runtime.putWorkflow(name: "Echo", className: "Echo", stepLimit: 5)
            await #expect { try await runtime.deleteWorkflow(named: "Echo") } throws: {
                ($0 as? BrigadeError)?.code == .workflowCannotDelete
            }
            await #expect { try await runtime.deleteWorkflow(named: "missing") } throws: {
                ($0 as? BrigadeError)?.code == .workflowNotRegistered
            }
        }
    }

    @Test func rebindingWaitsForUnfinishedInstancesAndDeleteRemovesThem() async throws {
        try await TestBrigade.run(register: { try $0.register(Napper()); try $0.register(Echo()) }) { brigade in
            let runtime = brigade.runtime
            try await runtime.putWorkflow(name: "job", className: "Napper")
            let napping = try await runtime.createInstance(workflow: "job", id: "nap", params: Data("{}".utf8))
            let key = InstanceKey(tenant: BrigadeRuntime.defaultTenant, workflow: "job", id: napping)
            try await eventually("parked") { try await runtime.instanceRow(key).status == .waiting }
            await #expect { try await runtime.putWorkflow(name: "job", className: "Echo") } throws: {
                ($0 as? BrigadeError)?.code == .workflowHasInstances
            }
            try await runtime.terminate(key)
            try await runtime.putWorkflow(name: "job", className: "Echo")
            let echoed = try await runtime.createInstance(workflow: "job", params: Data(#"{"text": "now Echo"}"#.utf8))
            let done = try await runtime.waitForCompletion(InstanceKey(tenant: BrigadeRuntime.defaultTenant, workflow: "job", id: echoed))
            #expect(String(decoding: done.output ?? Data(), as: UTF8.self) == #""now Echo""#)

            try await runtime.deleteWorkflow(named: "job")
            await #expect { try await runtime.instanceRow(key) } throws: { ($0 as? BrigadeError)?.code == .instanceNotFound }
            #expect(try await runtime.instanceCounts(workflow: "job").values.reduce(0, +) == 0)
            #expect(try await runtime.definitions().map(\.name) == ["Echo", "Napper"])
            await #expect {
                try await runtime.createInstance(workflow: "job", params: Data("{}".utf8))
            } throws: { ($0 as? BrigadeError)?.code == .workflowNotRegistered }
        }
    }
}

/// Sleeps an hour, then completes.
struct Napper: Workflow {
    func run(_ event: WorkflowEvent<Empty>, step: WorkflowStep) async throws -> Bool {
        try await step.sleep("nap", for: .hours(1))
        return true
    }
}
