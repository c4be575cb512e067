import Foundation
import MCP

/// The agent loop: plan, deploy (fixing the plan until the server takes it), start the runs,
/// follow them all on one stream, approve each as it asks, and report. Everything goes through
/// `brigade mcp`'s tools, as a model-driven agent's would.
struct Agent {
    let client: Client
    let planner: any Planner
    /// Who approves: the example approves each run itself; `--ask` asks on the terminal.
    let approve: @Sendable (_ run: String, _ waiting: String) async -> Bool
    let say: @Sendable (String) -> Void

    struct ToolFailure: Error, CustomStringConvertible {
        var description: String
    }

    /// Calls a tool and decodes its JSON answer; a tool error is thrown with its text.
    func call(_ tool: String, _ arguments: [String: Value]) async throws -> Value {
        let (content, isError) = try await client.callTool(name: tool, arguments: arguments)
        let text = content.compactMap { item -> String? in
            if case .text(let text, _, _) = item { return text }
            return nil
        }.joined()
        if isError == true { throw ToolFailure(description: text) }
        return try JSONDecoder().decode(Value.self, from: Data(text.utf8))
    }

    func run(goal: String, maxDrafts: Int = 3) async throws -> [String: Value] {
        // Plan and deploy; a refused plan goes back to the planner with the server's words.
        var refused: (plan: Plan, error: String)?
        var plan: Plan
        var drafts = 0
        while true {
            drafts += 1
            plan = try await planner.plan(goal: goal, refused: refused)
            do {
                let deployed = try await call("deploy_workflow", ["workflow": .string(plan.workflow), "source": .string(plan.source)])
                say(
                    "deployed the plan as \(plan.workflow) version \(deployed.objectValue?["version"].map { "\($0)" } ?? "?") (draft \(drafts))"
                )
                break
            } catch let failure as ToolFailure where drafts < maxDrafts && failure.description.hasPrefix("(code.invalid)") {
                // The server read the module and refused it: the planner gets its words. Any other
                // failure (no server, a bad token) is not the plan's, and ends the run.
                say("the server refused draft \(drafts): \(failure.description)")
                refused = (plan, failure.description)
            }
        }
        // Where the runs' events start: the feed from now on.
        let start = try await call(
            "follow_workflow", ["workflow": .string(plan.workflow), "from_now": true, "wait_seconds": 0, "max_events": 1])
        var cursor = start.objectValue?["cursor"]?.stringValue
        let runs: [Value] = plan.runs.map { run in
            .object(["id": .string(run.id), "params": .object(run.params.mapValues(Value.string))])
        }
        _ = try await call("trigger_many", ["workflow": .string(plan.workflow), "instances": .array(runs)])
        say("started \(runs.count) runs: \(plan.runs.map(\.id).joined(separator: ", "))")

        // One stream for all of them: approve each wait, count the ends.
        var finished: [String: Value] = [:]
        let ids = Set(plan.runs.map(\.id))
        while finished.count < ids.count {
            var arguments: [String: Value] = [
                "workflow": .string(plan.workflow),
                "types": ["wait_started", "step_completed", "workflow_completed", "workflow_errored", "workflow_terminated"],
                "wait_seconds": 30,
            ]
            arguments["cursor"] = cursor.map(Value.string)
            let page = try await call("follow_workflow", arguments)
            cursor = page.objectValue?["cursor"]?.stringValue ?? cursor
            for event in page.objectValue?["events"]?.arrayValue ?? [] {
                guard let fields = event.objectValue, let id = fields["instanceId"]?.stringValue, ids.contains(id),
                    let type = fields["type"]?.stringValue
                else { continue }
                switch type {
                case "step_completed":
                    say("  \(id): \(fields["stepName"]?.stringValue ?? "a step") done")
                case "wait_started":
                    let waiting = fields["stepName"]?.stringValue ?? "approval"
                    if await approve(id, waiting) {
                        _ = try await call(
                            "send_event",
                            [
                                "workflow": .string(plan.workflow), "id": .string(id), "type": .string(plan.approvalEvent),
                                "payload": ["by": "the agent"],
                            ])
                        say("  \(id): approved")
                    } else {
                        _ = try await call(
                            "change_instance", ["workflow": .string(plan.workflow), "id": .string(id), "action": "terminate"])
                        say("  \(id): not approved, terminated")
                    }
                case "workflow_completed", "workflow_errored", "workflow_terminated":
                    let described = try await call("describe_instance", ["workflow": .string(plan.workflow), "id": .string(id)])
                    finished[id] = described
                    say("  \(id): \(described.objectValue?["status"]?.stringValue ?? type)")
                default:
                    continue
                }
            }
        }
        let complete = finished.values.filter { $0.objectValue?["status"]?.stringValue == "complete" }.count
        say("\(complete) of \(ids.count) runs complete")
        return finished
    }
}
