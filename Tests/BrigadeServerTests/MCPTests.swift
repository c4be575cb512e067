import Brigade
import BrigadeTesting
import Foundation
import MCP
import SystemPackage
import Testing

/// `brigade mcp` as an agent sees it: a real MCP client of the same SDK, over the stdio of a
/// real `brigade mcp` process, against a real `brigade serve`, as one tenant.
@Suite struct MCPTests {
    static let plan = """
        export class TenantWorkflow {
          async run(event, step) {
            const draft = await step.do('draft', async () => `release notes for ${event.payload.version}`);
            const approval = await step.waitForEvent('approval', { type: 'approve', timeout: '1 hour' });
            return { draft, approvedBy: approval.payload.by };
          }
        }
        """

    /// The text of a tool's answer, and whether it is an error.
    static func text(_ answer: (content: [Tool.Content], isError: Bool?)) -> (String, Bool) {
        let text = answer.content.compactMap { content -> String? in
            if case .text(let text, _, _) = content { return text }
            return nil
        }.joined()
        return (text, answer.isError ?? false)
    }

    static func json(_ text: String) throws -> JSONValue {
        try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
    }

    @Test func anAgentDeploysTriggersFollowsAndApprovesThroughTheTools() async throws {
        let binary = try BrigadeExecutable.url()
        let directory = try TemporaryDirectory(prefix: "brigade-mcp")
        defer { directory.remove() }
        let port = 20_000 + Int((getpid() + 5_077) % 20_000)
        let server = try ServerProcess(binary: binary, arguments: ["serve", "--db", directory.file("serve.sqlite"), "--port", "\(port)"])
        let token = try await server.token()

        let toServer = Pipe()
        let fromServer = Pipe()
        let process = Process()
        process.executableURL = binary
        process.arguments = ["mcp"]
        process.environment = ProcessInfo.processInfo.environment.merging(
            ["BRIGADE_URL": "http://127.0.0.1:\(port)", "BRIGADE_ACCOUNT": "default", "BRIGADE_TOKEN": token]) { $1 }
        process.standardInput = toServer
        process.standardOutput = fromServer
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer {
            if process.isRunning { process.terminate() }
            process.waitUntilExit()
        }

        let client = Client(name: "brigade-tests", version: "1.0")
        let transport = StdioTransport(
            input: FileDescriptor(rawValue: fromServer.fileHandleForReading.fileDescriptor),
            output: FileDescriptor(rawValue: toServer.fileHandleForWriting.fileDescriptor))
        _ = try await client.connect(transport: transport)
        let (tools, _) = try await client.listTools()
        #expect(
            Set(tools.map(\.name)) == [
                "list_workflows", "deploy_workflow", "trigger", "trigger_many", "list_instances", "describe_instance", "send_event",
                "wait_for_instance", "follow_instance", "follow_workflow", "change_instance",
            ])

        // An upload's error comes back verbatim, with its line, for the agent to fix its code.
        let (broken, brokenFailed) = Self.text(
            try await client.callTool(
                name: "deploy_workflow",
                arguments: ["workflow": "release", "source": "export class TenantWorkflow {\n  async run( { }\n}\n"]))
        #expect(brokenFailed && broken.contains("(code.invalid) The code does not compile: line 3, column 1:"), "\(broken)")
        let (deployed, deployFailed) = Self.text(
            try await client.callTool(name: "deploy_workflow", arguments: ["workflow": "release", "source": .string(Self.plan)]))
        let version = try Self.json(deployed)["version"]
        #expect(!deployFailed && version == 1, "\(deployed)")

        // Many at once, then each followed to its wait and approved.
        let (made, _) = Self.text(
            try await client.callTool(
                name: "trigger_many",
                arguments: [
                    "workflow": "release",
                    "instances": [["id": "r1", "params": ["version": "1.0"]], ["id": "r2", "params": ["version": "2.0"]]],
                ]))
        #expect(try Self.json(made).array?.compactMap { $0["id"]?.string } == ["r1", "r2"], "\(made)")
        for id in ["r1", "r2"] {
            let (waited, _) = Self.text(
                try await client.callTool(
                    name: "wait_for_instance",
                    arguments: ["workflow": "release", "id": .string(id), "statuses": ["waiting"], "timeout_seconds": 30]))
            #expect(try Self.json(waited)["status"] == "waiting", "\(waited)")
        }
        let (followed, _) = Self.text(
            try await client.callTool(
                name: "follow_instance", arguments: ["workflow": "release", "id": "r1", "cursor": 0, "wait_seconds": 10]))
        let events = try Self.json(followed)
        let types = events["events"]?.array?.compactMap { $0["type"]?.string } ?? []
        #expect(types.contains("step_completed") && types.contains("wait_started"), "\(types)")
        let cursor = try #require(events["cursor"]?.number)
        #expect(cursor > 0)

        // Both instances on one stream: each one's wait, from the workflow's feed.
        let (fed, _) = Self.text(
            try await client.callTool(
                name: "follow_workflow", arguments: ["workflow": "release", "types": ["wait_started"], "wait_seconds": 10, "max_events": 2])
        )
        let feed = try Self.json(fed)
        #expect(Set(feed["events"]?.array?.compactMap { $0["instanceId"]?.string } ?? []) == ["r1", "r2"], "\(fed)")
        let feedCursor = try #require(feed["cursor"]?.string)

        let (sent, sendFailed) = Self.text(
            try await client.callTool(
                name: "send_event", arguments: ["workflow": "release", "id": "r1", "type": "approve", "payload": ["by": "the agent"]]))
        #expect(!sendFailed, "\(sent)")
        let (done, _) = Self.text(
            try await client.callTool(name: "wait_for_instance", arguments: ["workflow": "release", "id": "r1", "timeout_seconds": 30]))
        #expect(try Self.json(done)["output"] == ["draft": "release notes for 1.0", "approvedBy": "the agent"], "\(done)")
        // From the cursor on, only what came after: the approval and the end.
        let (rest, _) = Self.text(
            try await client.callTool(
                name: "follow_instance", arguments: ["workflow": "release", "id": "r1", "cursor": .int(Int(cursor)), "wait_seconds": 10]))
        let later = try Self.json(rest)
        #expect(later["ended"] == true)
        #expect(later["events"]?.array?.first?["eventId"]?.number ?? 0 > cursor)

        // From the feed's cursor on: r1's approval and completion, nothing before.
        let (feedRest, _) = Self.text(
            try await client.callTool(
                name: "follow_workflow",
                arguments: [
                    "workflow": "release", "cursor": .string(feedCursor), "types": ["workflow_completed"], "wait_seconds": 10,
                    "max_events": 1,
                ]))
        #expect(try Self.json(feedRest)["events"]?[0]?["instanceId"] == "r1", "\(feedRest)")

        let (terminated, _) = Self.text(
            try await client.callTool(name: "change_instance", arguments: ["workflow": "release", "id": "r2", "action": "terminate"]))
        #expect(try Self.json(terminated)["status"] == "terminated", "\(terminated)")
        let (described, _) = Self.text(
            try await client.callTool(name: "describe_instance", arguments: ["workflow": "release", "id": "r2"]))
        #expect(try Self.json(described)["status"] == "terminated")
        let (listed, _) = Self.text(try await client.callTool(name: "list_workflows"))
        #expect(try Self.json(listed).array?.contains { $0["name"] == "release" } == true)

        // Bad input says what was wrong; a path cannot be smuggled in through a name.
        let (missing, missingFailed) = Self.text(
            try await client.callTool(name: "describe_instance", arguments: ["workflow": "release", "id": "nope"]))
        #expect(missingFailed && missing.contains("instance.not_found"), "\(missing)")
        let (smuggled, smuggledFailed) = Self.text(
            try await client.callTool(name: "list_instances", arguments: ["workflow": "../../../../admin/v1/tenants"]))
        #expect(smuggledFailed && smuggled.contains("workflow must be"), "\(smuggled)")
        let (unknown, unknownFailed) = Self.text(try await client.callTool(name: "drop_tables"))
        #expect(unknownFailed && unknown.contains("No tool"))

        await client.disconnect()
        #expect(try await server.terminate() == 0)
    }
}
