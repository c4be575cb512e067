import Brigade
import BrigadeJS
import BrigadeTesting
import Foundation
import Testing

/// The seed's tenant workflow, verbatim.
let greetSource = """
    import { WorkflowEntrypoint } from 'cloudflare:workers';

    export class TenantWorkflow extends WorkflowEntrypoint {
      async run(event, step) {
        return step.do('greet', async () => `Hello, ${event.payload.name}!`);
      }
    }

    export default {
      async fetch(request, env) {
        const instance = await env.WORKFLOWS.create({ params: await request.json() });
        return Response.json({ id: await instance.id });
      },
    };
    """

@Suite struct DynamicWorkflowTests {
    @Test func theSeedsGreetWorkflowRunsWithItsParamsUnwrapped() async throws {
        try await JSTest.run { test in
            let code = try await test.deploy(greetSource, tenant: "t-42", workflow: "greeter")
            #expect(code.version == 1)
            let key = try await test.create("greeter", tenant: "t-42", params: ["name": "Alice"])
            let row = try await test.wait(key, for: .complete)
            #expect(try test.output(row) == .string("Hello, Alice!"))
            // Stored params are the envelope: the tenant's params plus the routing metadata.
            let stored = try JSONDecoder().decode(JSONValue.self, from: row.params)
            let (metadata, params) = try #require(DispatcherEnvelope.unwrap(stored))
            #expect(params == ["name": "Alice"])
            #expect(metadata["tenantId"] == "t-42")
            #expect(metadata["version"] == .number(1))
            let steps = try await test.runtime.steps(key)
            #expect(steps.map(\.name) == ["greet"])
        }
    }
}
