import Foundation

/// A durable plan: a workflow module that carries it out, and the runs of it to start.
struct Plan: Sendable {
    /// The workflow the plan is deployed as.
    var workflow: String
    /// A module exporting `class TenantWorkflow`, as `deploy_workflow` takes it.
    var source: String
    /// One instance per item: its id and its params.
    var runs: [(id: String, params: [String: String])]
    /// The event type the plan's approval step waits for.
    var approvalEvent: String
}

/// Turns a goal into a plan — and, when the server refused the last one, the error it gave
/// into a corrected one. This is where a model plugs in: a planner that sends the goal (and the
/// error, verbatim, with its line) to a language model with the prompt in ``ScriptedPlanner/contract``
/// and returns the module it writes. The example's own planner needs no model.
protocol Planner: Sendable {
    func plan(goal: String, refused previous: (plan: Plan, error: String)?) async throws -> Plan
}

/// A planner without a model: it reads the items of the goal (`release notes for 1.0, 1.1 and
/// 2.0` → three runs) and fills a template. Its first draft has a mistake on purpose (a missing
/// parenthesis), so the example shows the loop a real model goes through: deploy, read the
/// error, fix, deploy again.
struct ScriptedPlanner: Planner {
    /// What a model would be told about the module to write.
    static let contract = """
        Write one JavaScript module that exports class TenantWorkflow with async run(event, step).
        Each unit of work is await step.do(name, async () => …) (durable, retried); wait for a human
        with await step.waitForEvent(name, { type, timeout }); params are event.payload.
        """

    var draftsWithAMistake = true

    func plan(goal: String, refused previous: (plan: Plan, error: String)?) async throws -> Plan {
        let items = Self.items(in: goal)
        guard !items.isEmpty else {
            throw PlannerError(description: "the goal names no items to work on: say which, such as \"release notes for 1.0, 1.1 and 2.0\"")
        }
        let broken = draftsWithAMistake && previous == nil
        let source = """
            export class TenantWorkflow {
              async run(event, step) {
                const item = event.payload.item;
                const notes = await step.do('gather changes', async () => {
                  console.log(`gathering the changes of ${item}`);
                  return [`${item}: faster start`, `${item}: fewer retries`];
                });
                const draft = await step.do('draft', async () => `Release ${item}\\n` + notes.map((n) => `- ${n}`).join('\\n')\(broken ? "" : ")");
                const approval = await step.waitForEvent('approval', { type: 'approve', timeout: '1 day' });
                return step.do('publish', async () => ({ item, published: draft, approvedBy: approval.payload.by }));
              }
            }
            """
        return Plan(
            workflow: "release-notes", source: source,
            runs: items.map { (id: "notes-\($0.replacingOccurrences(of: ".", with: "-"))", params: ["item": $0]) }, approvalEvent: "approve"
        )
    }

    /// The version-like words of the goal: `1.0`, `v2`, `2024.10`.
    static func items(in goal: String) -> [String] {
        goal.split(whereSeparator: { $0 == " " || $0 == "," }).map(String.init).filter { word in
            word.first.map { $0.isNumber || $0 == "v" } == true && word.contains(where: \.isNumber)
                && word.allSatisfy { $0.isNumber || $0 == "." || $0 == "v" }
        }
    }
}

struct PlannerError: Error, CustomStringConvertible {
    var description: String
}
