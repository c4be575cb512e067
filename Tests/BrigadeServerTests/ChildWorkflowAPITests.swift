import Brigade
import BrigadeTesting
import Foundation
import HTTPTypes
import Testing

/// Child workflows of a tenant's JavaScript, over the REST API: `step.child` starts another of
/// the tenant's workflows and waits for it, describe links both ways, and a terminate can take
/// the children with it.
@Suite struct ChildWorkflowAPITests {
    let base = ServerHarness.workflows()

    static let parent = """
        export class TenantWorkflow {
          async run(event, step) {
            const made = await step.child('make', { workflow: 'maker', params: { n: event.payload.n } });
            let failed = null;
            try {
              await step.child('break', { workflow: 'maker', params: { n: -1 } });
            } catch (e) {
              failed = `${e.name}: ${e.message}`;
            }
            if (event.payload.wait) await step.child('slow', { workflow: 'maker', params: { n: 0, wait: true } });
            return { made, failed };
          }
        }
        """

    static let maker = """
        export class TenantWorkflow {
          async run(event, step) {
            if (event.payload.n < 0) throw new Error('negative numbers have no square here');
            if (event.payload.wait) await step.waitForEvent('forever', { type: 'never', timeout: '300 days' });
            return step.do('square', async () => event.payload.n * event.payload.n);
          }
        }
        """

    static func upload(_ source: String) -> String {
        #"{"source": \#(String(decoding: try! JSONEncoder().encode(source), as: UTF8.self))}"#
    }

    @Test func aTenantsWorkflowWaitsForItsChildAndDescribeLinksThem() async throws {
        try await ServerHarness.run { api in
            #expect(try await api.call(.put, "\(base)/maker/code", json: Self.upload(Self.maker)).status == .ok)
            #expect(try await api.call(.put, "\(base)/parent/code", json: Self.upload(Self.parent)).status == .ok)
            let created = try await api.call(.post, "\(base)/parent/instances", json: #"{"instance_id": "p", "params": {"n": 7}}"#)
            #expect(created.status == .ok, "\(created.body)")
            try await eventually("the parent completed") {
                try await api.call(.get, "\(base)/parent/instances/p").body["result"]?["status"] == "complete"
            }
            let parent = try await api.call(.get, "\(base)/parent/instances/p").body["result"]
            let breakId = parent?["steps"]?[1]?["child"]?["id"]?.string ?? "?"
            let failed =
                "ChildWorkflowError: The child workflow maker instance \(breakId) of step \"break-1\" errored: Error: negative numbers have no square here."
            #expect(parent?["output"] == ["made": 49, "failed": .string(failed)])
            let make = try #require(parent?["steps"]?[0])
            #expect(make["type"] == "child" && make["name"] == "make-1" && make["output"] == 49 && make["child_status"] == "complete")
            let childId = try #require(make["child"]?["id"]?.string)
            #expect(make["child"]?["workflow"] == "maker")
            let child = try await api.call(.get, "\(base)/maker/instances/\(childId)").body["result"]
            #expect(child?["parent"] == ["workflow": "parent", "id": "p", "step": "make-1"])
            #expect(child?["trigger"] == ["source": "binding"])
            #expect(child?["output"] == 49)
            // The children are acme's: another account sees none of them.
            let theirs = try await api.call(.get, ServerHarness.workflows("globex") + "/maker/instances/\(childId)", token: api.globex)
            #expect(theirs.status == .notFound)
        }
    }

    @Test func terminatingTheParentWithItsChildrenEndsBoth() async throws {
        try await ServerHarness.run { api in
            _ = try await api.call(.put, "\(base)/maker/code", json: Self.upload(Self.maker))
            _ = try await api.call(.put, "\(base)/parent/code", json: Self.upload(Self.parent))
            _ = try await api.call(.post, "\(base)/parent/instances", json: #"{"instance_id": "w", "params": {"n": 2, "wait": true}}"#)
            var slowId: String?
            try await eventually("the slow child waits") {
                let steps = try await api.call(.get, "\(base)/parent/instances/w").body["result"]?["steps"]?.array ?? []
                slowId = steps.first { $0["name"] == "slow-1" }?["child"]?["id"]?.string
                guard let slowId else { return false }
                return try await api.call(.get, "\(base)/maker/instances/\(slowId)").body["result"]?["status"] == "waiting"
            }
            let refused = try await api.call(.patch, "\(base)/parent/instances/w/status", json: #"{"status": "pause", "children": true}"#)
            #expect(refused.status == .badRequest)
            let ended = try await api.call(.patch, "\(base)/parent/instances/w/status", json: #"{"status": "terminate", "children": true}"#)
            #expect(ended.status == .ok, "\(ended.body)")
            #expect(try await api.call(.get, "\(base)/maker/instances/\(slowId!)").body["result"]?["status"] == "terminated")
            #expect(try await api.call(.get, "\(base)/parent/instances/w").body["result"]?["status"] == "terminated")
        }
    }

    @Test(arguments: [
        (#"step.child('x', { workflow: 'nobody' })"#, "workflow.not_found"),
        (#"step.child('x', { workflow: 5 })"#, "pass { workflow"),
        (#"step.child('x', { workflow: 'maker', tenant: 'globex' })"#, "unknown option tenant"),
        (#"step.child('x', { workflow: 'maker', timeout: '0 seconds' })"#, "between 1 second and"),
        (#"step.child('x', { workflow: 'maker', params: { big: 1n } })"#, "params must be JSON"),
    ])
    func aBadChildCallFailsTheInstanceSayingWhy(call: String, says: String) async throws {
        try await ServerHarness.run { api in
            _ = try await api.call(.put, "\(base)/maker/code", json: Self.upload(Self.maker))
            let source = "export class TenantWorkflow { async run(event, step) { return await \(call); } }"
            #expect(try await api.call(.put, "\(base)/bad/code", json: Self.upload(source)).status == .ok)
            _ = try await api.call(.post, "\(base)/bad/instances", json: #"{"instance_id": "b"}"#)
            try await eventually("the instance errored") {
                try await api.call(.get, "\(base)/bad/instances/b").body["result"]?["status"] == "errored"
            }
            let error = try await api.call(.get, "\(base)/bad/instances/b").body["result"]?["error"]
            let text = "\(error?["name"]?.string ?? ""): \(error?["message"]?.string ?? "")"
            #expect(text.contains(says), "\(text)")
        }
    }
}
