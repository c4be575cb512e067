import Brigade
import BrigadeTesting
import Foundation
import Testing

/// A runner in Swift, as an embedder's `loadRunner` might return for one of its tenants.
struct GreetingRunner: WorkflowRunner {
    var tenant: String
    func run(_ event: WorkflowEvent<JSONValue>, step: WorkflowStep) async throws -> JSONValue {
        guard case .object(let params) = event.payload, case .string(let name)? = params["name"] else { return "no name" }
        let greeting = try await step.do("greet") { "Hello, \(name)!" }
        await step.log("greeted \(name)")
        return .string("\(tenant): \(greeting)")
    }
}

@Suite struct DynamicDispatchTests {
    @Test func aWrappedBindingTagsCreatesAndTheDispatcherRoutesEveryRunWithIt() async throws {
        let requests = RequestLog()
        try await TestBrigade.run(register: { runtime in
            try runtime.register(
                DynamicWorkflow { request in
                    await requests.append(request)
                    guard case .string(let tenant)? = request.metadata["tenantId"] else { throw NonRetryableError("untagged") }
                    return GreetingRunner(tenant: tenant)
                })
        }) { brigade in
            let binding = brigade.runtime.wrapWorkflowBinding(metadata: ["tenantId": "t-42"])
            let id = try await binding.create(params: ["name": "Alice"])
            let row = try await brigade.runtime.waitForCompletion(InstanceKey(tenant: BrigadeRuntime.defaultTenant, workflow: DynamicWorkflow.name, id: id))
            #expect(try JSONDecoder().decode(JSONValue.self, from: try #require(row.output)) == "t-42: Hello, Alice!")
            let stored = try JSONDecoder().decode(JSONValue.self, from: row.params)
            #expect(stored == ["__dispatcherMetadata": ["tenantId": "t-42"], "params": ["name": "Alice"]])
            let seen = await requests.all
            #expect(seen.map(\.instanceId) == [id])
            #expect(seen.first?.tenant == BrigadeRuntime.defaultTenant, "the instance's own tenant, beside the metadata")
            let logs = try await brigade.runtime.history(row.key).filter { $0.entry.type == .log }
            #expect(logs.map(\.entry.data["message"]) == ["greeted Alice"])
        }
    }

    @Test func creatingWithoutTheBindingIsRefusedSayingWhy() async throws {
        try await TestBrigade.run(register: { try $0.register(DynamicWorkflow { _ in GreetingRunner(tenant: "x") }) }) { brigade in
            await #expect {
                try await brigade.runtime.createInstance(workflow: DynamicWorkflow.name, params: Data(#"{"name":"Bob"}"#.utf8))
            } throws: { error in
                let error = error as? BrigadeError
                return error?.code == .notDispatched && error?.message.contains("wrapped binding") == true
            }
            let listed = try await brigade.runtime.definitions().map(\.name)
            #expect(!listed.contains(DynamicWorkflow.name), "the dispatcher is not a workflow tenants see")
        }
    }
}

actor RequestLog {
    var all: [DispatchRequest] = []
    func append(_ request: DispatchRequest) { all.append(request) }
}
