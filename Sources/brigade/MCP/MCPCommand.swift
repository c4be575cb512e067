import ArgumentParser
import Brigade
import Foundation
import Logging
import MCP

/// `brigade mcp`: Brigade as tools for an AI agent, over the Model Context Protocol on stdin and
/// stdout. It talks to a running `brigade serve` as one tenant (`BRIGADE_URL`, `BRIGADE_ACCOUNT`,
/// `BRIGADE_TOKEN`, as the other commands): everything an agent does goes through the Workflows
/// API with that token, under that tenant's limits, and can reach nothing else.
struct MCPCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mcp",
        abstract: "Serve Brigade's tools to an AI agent over MCP (stdio), as one tenant of a running server.",
        discussion: """
            An agent's MCP configuration runs it as a subprocess, with the tenant's environment:
              {"command": "brigade", "args": ["mcp"], "env": {"BRIGADE_URL": "http://127.0.0.1:8787",
               "BRIGADE_ACCOUNT": "default", "BRIGADE_TOKEN": "brg_…"}}
            Tools: \(BrigadeTools.definitions.map(\.name).joined(separator: ", ")).
            """)

    @OptionGroup var options: ClientOptions

    func run() async throws {
        let tools = BrigadeTools(client: try options.client())
        let server = Server(
            name: "brigade", version: "0.1.0",
            instructions:
                "Brigade runs durable workflows. Deploy a TenantWorkflow module with deploy_workflow (its errors come back verbatim, with the line), start instances with trigger, follow them with wait_for_instance or follow_instance, and answer a step.waitForEvent with send_event.",
            capabilities: .init(tools: .init(listChanged: false)))
        await server.withMethodHandler(ListTools.self) { _ in .init(tools: BrigadeTools.definitions) }
        await server.withMethodHandler(CallTool.self) { call in await tools.call(call.name, call.arguments ?? [:]) }
        // stdout carries the protocol: logs go to stderr only.
        try await server.start(
            transport: StdioTransport(logger: Logger(label: "brigade.mcp") { StreamLogHandler.standardError(label: $0) }))
        await server.waitUntilCompleted()
    }
}
