import Brigade
import BrigadeServer
import BrigadeTesting
import Foundation
import HTTPTypes
import Testing

@Suite struct DynamicWorkflowAPITests {
    let base = ServerHarness.workflows()

    static func upload(_ source: String, language: String = "javascript", env: String = "{}") -> String {
        let encoded = String(decoding: try! JSONEncoder().encode(source), as: UTF8.self)
        return #"{"source": \#(encoded), "language": "\#(language)", "env": \#(env)}"#
    }

    static let greet = """
        import { WorkflowEntrypoint } from 'cloudflare:workers';

        export class TenantWorkflow extends WorkflowEntrypoint {
          async run(event, step) {
            console.log('greeting', event.payload.name);
            return step.do('greet', async () => `${this.env.GREETING ?? 'Hello'}, ${event.payload.name}!`);
          }
        }
        """

    @Test func theSeedsGreetWorkflowEndToEndOverHTTP() async throws {
        try await ServerHarness.run { api in
            let deployed = try await api.call(.put, "\(base)/greeter/code", json: Self.upload(Self.greet, env: #"{"GREETING": "Hi"}"#))
            #expect(deployed.status == .ok, "\(deployed.body)")
            #expect(deployed.body["result"]?["version"]?.number == 1)
            let versionId = try #require(deployed.body["result"]?["id"]?.string)
            let listed = try await api.call(.get, base).body["result"]?.array?.compactMap { $0["name"]?.string }
            #expect(listed?.contains("greeter") == true)

            let created = try await api.call(.post, "\(base)/greeter/instances", json: #"{"instance_id": "g1", "params": {"name": "Alice"}}"#)
            #expect(created.body["result"]?["version_id"]?.string == versionId)
            let row = try await api.brigade.runtime.waitForCompletion(InstanceKey(tenant: "acme", workflow: "greeter", id: "g1"))
            #expect(row.status == .complete)
            let described = try await api.call(.get, "\(base)/greeter/instances/g1")
            let result = try #require(described.body["result"])
            #expect(result["output"] == "Hi, Alice!")
            #expect(result["versionId"]?.string == versionId)
            #expect(result["code_version"]?.number == 1)
            #expect(result["params"]?["params"] == ["name": "Alice"], "the envelope: the tenant's params inside")
            #expect(result["steps"]?.array?.first?["name"] == "greet-1")
            // The console line is in the event stream.
            let stream = try await api.call(.get, "\(base)/greeter/instances/g1/subscribe")
            #expect(stream.body.string?.contains("event: log") == true)
            #expect(stream.body.string?.contains("greeting Alice") == true)

            // A second version: listed newest first; the old instance still shows its own.
            let second = try await api.call(.put, "\(base)/greeter/code", json: Self.upload(Self.greet.replacingOccurrences(of: "Hello", with: "Hey")))
            #expect(second.body["result"]?["version"]?.number == 2)
            let versions = try await api.call(.get, "\(base)/greeter/versions").body["result"]?.array ?? []
            #expect(versions.compactMap { $0["version"]?.number } == [2, 1])
            #expect(try await api.call(.get, "\(base)/greeter/instances/g1").body["result"]?["code_version"]?.number == 1)
            let one = try await api.call(.get, "\(base)/greeter/versions/1")
            #expect(one.body["result"]?["source"]?.string == Self.greet)
            // Paged as Cloudflare's: page and per_page, newest first; the total in result_info.
            let paged = try await api.call(.get, "\(base)/greeter/versions?page=2&per_page=1")
            #expect(paged.body["result"]?.array?.compactMap { $0["version"]?.number } == [1])
            #expect(paged.body["result_info"]?["total_count"]?.number == 2 && paged.body["result_info"]?["page"]?.number == 2)
            #expect(try await api.call(.get, "\(base)/greeter/versions?per_page=0").status == .badRequest)
            // TypeScript runs as JavaScript: Cloudflare's `language`, and what it was written in beside it.
            let typed = try await api.call(
                .put, "\(base)/greeter/code",
                json: #"{"language": "typescript", "source": "export class TenantWorkflow { async run(event: any, step: any): Promise<string> { return 'ts'; } }"}"#)
            #expect(typed.body["result"]?["language"] == .string("javascript"))
            #expect(typed.body["result"]?["source_language"] == .string("typescript"))
        }
    }

    @Test func uploadsThatDoNotCompileAre400WithTheLineAndColumn() async throws {
        try await ServerHarness.run { api in
            let broken = try await api.call(.put, "\(base)/broken/code", json: Self.upload("export class TenantWorkflow {\n  async run( {\n}\n"))
            #expect(broken.status == .badRequest)
            let message = broken.body["errors"]?[0]?["message"]?.string ?? ""
            #expect(message.contains("code.invalid") && message.contains("line 4"), "\(message)")
            let noClass = try await api.call(.put, "\(base)/broken/code", json: Self.upload("export const x = 1;"))
            #expect(noClass.status == .badRequest)
            #expect(noClass.body["errors"]?[0]?["message"]?.string?.contains("TenantWorkflow") == true)
            let badLanguage = try await api.call(.put, "\(base)/broken/code", json: #"{"source": "x", "language": "cobol"}"#)
            #expect(badLanguage.status == .badRequest)
            let tooBig = try await api.call(.put, "\(base)/broken/code", json: Self.upload(String(repeating: "/", count: 1_100_000)))
            #expect(tooBig.status == .contentTooLarge)
            #expect(try await api.call(.get, "\(base)/broken").status == .notFound, "nothing was stored")
            // A Swift workflow's name is not for tenant code.
            let taken = try await api.call(.put, "\(base)/echo/code", json: Self.upload(Self.greet))
            #expect(taken.status == .conflict)
            #expect(taken.body["errors"]?[0]?["message"]?.string?.contains("workflow.name_taken") == true)
        }
    }

    @Test func anotherTenantsCodeIs404AndSameNamesAreIsolated() async throws {
        try await ServerHarness.run { api in
            try await api.call(.put, "\(base)/shared/code", json: Self.upload(Self.greet, env: #"{"GREETING": "acme says hi"}"#))
            let globex = ServerHarness.workflows("globex")
            #expect(try await api.call(.get, "\(globex)/shared/versions", token: api.globex).status == .notFound)
            #expect(try await api.call(.get, "\(globex)/shared/versions/1", token: api.globex).status == .notFound)
            #expect(try await api.call(.post, "\(globex)/shared/instances", token: api.globex, json: "{}").status == .notFound)
            try await api.call(.put, "\(globex)/shared/code", token: api.globex, json: Self.upload(Self.greet, env: #"{"GREETING": "globex says hi"}"#))
            // globex sends an envelope naming acme: it is just globex's params.
            try await api.call(
                .post, "\(globex)/shared/instances", token: api.globex,
                json: #"{"instance_id": "s1", "params": {"__dispatcherMetadata": {"tenantId": "acme", "version": 1}, "params": {"name": "x"}, "name": "Mallory"}}"#)
            let row = try await api.brigade.runtime.waitForCompletion(InstanceKey(tenant: "globex", workflow: "shared", id: "s1"))
            #expect(try JSONDecoder().decode(JSONValue.self, from: try #require(row.output)) == "globex says hi, Mallory!")
        }
    }
}

/// Rollbacks over the API: `PATCH …/status {status: "terminate", rollback: true}`, the
/// `rollingBack` and `rollback` fields of describe, the rollback steps.
@Suite struct RollbackAPITests {
    let base = ServerHarness.workflows()
    static let saga = """
        export class TenantWorkflow {
          async run(event, step) {
            await step.do('reserve', async () => 'R-1', { rollback: async ({ output }) => console.log(`cancel ${output}`) });
            await step.waitForEvent('approval', { type: 'approved', timeout: '1 day' });
            return 'booked';
          }
        }
        """

    @Test func terminateWithRollbackOverTheAPI() async throws {
        try await ServerHarness.run { api in
            #expect(try await api.call(.put, "\(base)/trip/code", json: DynamicWorkflowAPITests.upload(Self.saga)).status == .ok)
            try await api.call(.post, "\(base)/trip/instances", json: #"{"instance_id": "t1"}"#)
            let key = InstanceKey(tenant: "acme", workflow: "trip", id: "t1")
            try await eventually("t1 waits") { try await api.brigade.runtime.instanceRow(key).status == .waiting }

            let wrongType = try await api.call(.patch, "\(base)/trip/instances/t1/status", json: #"{"status": "terminate", "rollback": "yes"}"#)
            #expect(wrongType.status == .badRequest)
            #expect(wrongType.body["errors"]?[0]?["message"]?.string?.contains("rollback") == true)
            let notTerminate = try await api.call(.patch, "\(base)/trip/instances/t1/status", json: #"{"status": "pause", "rollback": true}"#)
            #expect(notTerminate.status == .badRequest)

            let asked = try await api.call(.patch, "\(base)/trip/instances/t1/status", json: #"{"status": "terminate", "rollback": true}"#)
            #expect(asked.status == .ok)
            #expect(asked.body["result"]?["status"] == .string("rollingBack"))
            try await eventually("t1 terminated") { try await api.brigade.runtime.instanceRow(key).status == .terminated }
            let described = try await api.call(.get, "\(base)/trip/instances/t1").body["result"]
            #expect(described?["status"] == .string("terminated"))
            #expect(described?["rollback"] == .object(["outcome": .string("complete"), "error": .null]))
            let rollbackSteps = described?["steps"]?.array?.filter { $0["type"] == .string("rollback") }
            #expect(rollbackSteps?.count == 1)
            #expect(rollbackSteps?.first?["name"] == .string("reserve-1"))
            #expect(rollbackSteps?.first?["success"] == .bool(true))
            #expect(rollbackSteps?.first?["attempts"]?.array?.count == 1)
            let again = try await api.call(.patch, "\(base)/trip/instances/t1/status", json: #"{"status": "terminate", "rollback": true}"#)
            #expect(again.status == .conflict, "a finished instance cannot be terminated")
        }
    }
}

/// `GET …/instances/{id}/step` as Cloudflare's: statuses running (with the error while a retry
/// waits), waiting, complete, errored; `type` picks the kind, `attempt` an earlier attempt.
@Suite struct StepRouteTests {
    let base = ServerHarness.workflows()

    @Test func aRetryingStepIsRunningWithItsErrorAndEarlierAttemptsAreReadable() async throws {
        try await ServerHarness.run { api in
            let source = """
                export class TenantWorkflow {
                  async run(event, step) {
                    await step.do('flaky', { retries: { limit: 2, delay: '1 hour', backoff: 'constant' } }, async (ctx) => {
                      throw new TypeError(`attempt ${ctx.attempt} failed`);
                    });
                  }
                }
                """
            #expect(try await api.call(.put, "\(base)/flaky/code", json: DynamicWorkflowAPITests.upload(source)).status == .ok)
            try await api.call(.post, "\(base)/flaky/instances", json: #"{"instance_id": "f1"}"#)
            let key = InstanceKey(tenant: "acme", workflow: "flaky", id: "f1")
            try await eventually("the first attempt failed") {
                try await api.brigade.runtime.steps(key).first?.status == .retrying
            }
            let step = try await api.call(.get, "\(base)/flaky/instances/f1/step?name=flaky-1").body["result"]
            #expect(step?["status"] == .string("running"), "retrying is running, with the error")
            #expect(step?["error"]?["message"] == .string("attempt 1 failed"))
            let typed = try await api.call(.get, "\(base)/flaky/instances/f1/step?name=flaky-1&type=step")
            #expect(typed.body["result"]?["status"] == .string("running"))
            #expect(try await api.call(.get, "\(base)/flaky/instances/f1/step?name=flaky-1&type=waitForEvent").status == .notFound)
            #expect(try await api.call(.get, "\(base)/flaky/instances/f1/step?name=flaky-1&type=loop").status == .badRequest)
            let first = try await api.call(.get, "\(base)/flaky/instances/f1/step?name=flaky-1&attempt=1").body["result"]
            #expect(first?["status"] == .string("running"), "attempt 1 is the current one")

            api.brigade.clock.advance(by: .hours(1))
            try await eventually("the second attempt failed") { try await api.brigade.runtime.steps(key).first?.attempts == 2 }
            let earlier = try await api.call(.get, "\(base)/flaky/instances/f1/step?name=flaky-1&attempt=1").body["result"]
            #expect(earlier?["status"] == .string("errored"))
            #expect(earlier?["error"]?["message"] == .string("attempt 1 failed"))
            let missing = try await api.call(.get, "\(base)/flaky/instances/f1/step?name=flaky-1&attempt=5")
            #expect(missing.status == .notFound)
            api.brigade.clock.advance(by: .hours(1))
            try await eventually("errored") { try await api.brigade.runtime.instanceRow(key).status == .errored }
            let last = try await api.call(.get, "\(base)/flaky/instances/f1/step?name=flaky-1").body["result"]
            #expect(last?["status"] == .string("errored"))
            #expect(last?["error"]?["message"] == .string("attempt 3 failed"))
        }
    }

    /// `sensitive: "output"`: `run` gets the step's output, describe and the step route show
    /// "[REDACTED]" (and the config says why).
    @Test func aSensitiveOutputIsRedactedWhereItIsShown() async throws {
        try await ServerHarness.run { api in
            let source = """
                export class TenantWorkflow {
                  async run(event, step) {
                    const secret = await step.do('token', { sensitive: 'output' }, async () => 'hunter2');
                    return secret.length;
                  }
                }
                """
            #expect(try await api.call(.put, "\(base)/secrets/code", json: DynamicWorkflowAPITests.upload(source)).status == .ok)
            try await api.call(.post, "\(base)/secrets/instances", json: #"{"instance_id": "s1"}"#)
            let key = InstanceKey(tenant: "acme", workflow: "secrets", id: "s1")
            _ = try await api.brigade.runtime.waitForCompletion(key)
            let described = try await api.call(.get, "\(base)/secrets/instances/s1").body["result"]
            #expect(described?["output"] == .number(7), "run got the value")
            let step = described?["steps"]?.array?.first
            #expect(step?["output"] == .string("[REDACTED]"))
            #expect(step?["config"]?["sensitive"] == .string("output"))
            let whole = try await api.call(.get, "\(base)/secrets/instances/s1/step?name=token-1").body["result"]
            #expect(whole?["output"] == .string("[REDACTED]"))
            let stream = try await api.call(.get, "\(base)/secrets/instances/s1/subscribe").body.string ?? ""
            #expect(!stream.contains("hunter2"))
        }
    }
}
