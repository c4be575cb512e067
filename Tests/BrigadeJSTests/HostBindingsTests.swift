import Brigade
import BrigadeJS
import BrigadeTesting
import Foundation
import Testing

/// An embedder's bindings in tenant code's `env`: Swift functions called from steps with JSON,
/// told the tenant from the deployment, given per tenant.
@Suite struct HostBindingsTests {
    static let source = """
        export class TenantWorkflow {
          async run(event, step) {
            const greeting = await step.do('greet', async () => this.env.GREETER ? this.env.GREETER.hello('Ada', { loud: true }) : 'no binding');
            let failed = null;
            if (this.env.GREETER) {
              try { await step.do('fail', { retries: { limit: 0 } }, async () => this.env.GREETER.refuse()); }
              catch (e) { failed = e.message; }
            }
            return { greeting, failed, plan: this.env.PLAN, thenable: this.env.GREETER ? typeof this.env.GREETER.then : 'none' };
          }
        }
        """

    @Test func aBindingIsCalledWithItsTenantAndAnswersJSON() async throws {
        let bindings = HostBindings { tenant in
            guard tenant == "acme" else { return [:] }
            return [
                "GREETER": { call in
                    switch call.method {
                    case "hello":
                        let name = call.arguments.first.flatMap { if case .string(let text) = $0 { text } else { nil } } ?? "?"
                        let loud = call.arguments.count > 1 && call.arguments[1]["loud"] == .bool(true)
                        return .string("\(loud ? "HELLO" : "hello") \(name) from \(call.tenant)/\(call.workflow)/\(call.instanceId ?? "-")")
                    default:
                        throw NonRetryableError("the greeter refuses \(call.method)", name: "Refused")
                    }
                }
            ]
        }
        try await JSTest.run(bindings: bindings) { test in
            try await test.deploy(Self.source, tenant: "acme", env: ["PLAN": "pro", "GREETER": "a deployed value the binding hides"])
            try await test.deploy(Self.source, tenant: "globex", env: ["PLAN": "free"])
            let acme = try await test.wait(try await test.create(tenant: "acme", id: "a1"), for: .complete)
            let output = try #require(try test.output(acme))
            #expect(output["greeting"] == "HELLO Ada from acme/flow/a1")
            #expect(
                "\(String(describing: output["failed"]))".contains("the greeter refuses refuse"), "\(String(describing: output["failed"]))")
            #expect(output["plan"] == "pro")
            #expect(output["thenable"] == "undefined")
            // Another tenant's code gets none of acme's bindings.
            let globex = try await test.wait(try await test.create(tenant: "globex", id: "g1"), for: .complete)
            let theirs = try #require(try test.output(globex))
            #expect(theirs["greeting"] == "no binding")
            #expect(theirs["plan"] == "free")
        }
    }
}
