import ArgumentParser
import Brigade
import Foundation

/// `brigade workflows list|describe`, like `wrangler workflows`.
struct WorkflowsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "workflows", abstract: "List workflows and describe one, on a running server.",
        subcommands: [List.self, Describe.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the workflows with their instance counts.")
        @OptionGroup var options: ClientOptions

        func run() async throws {
            let client = try options.client()
            let (result, _) = try await client.call("GET", client.workflowsPath, query: ["per_page": "100"])
            if options.json { return say(result.text) }
            let statuses = ["queued", "running", "waiting", "paused", "complete", "errored", "terminated"]
            say(
                Terminal.table(
                    ["Name"] + statuses.map { $0.capitalized },
                    result.items.map { item in [item["name"]?.text ?? "-"] + statuses.map { item["instances"]?[$0]?.text ?? "0" } }))
        }
    }

    struct Describe: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one workflow and its instance counts per status.")
        @Argument(help: "The workflow name.") var name: String
        @OptionGroup var options: ClientOptions

        func run() async throws {
            let client = try options.client()
            let (result, _) = try await client.call("GET", "\(client.workflowsPath)/\(name)")
            if options.json { return say(result.text) }
            say("\(Terminal.bold("Name:")) \(result["name"]?.text ?? name)")
            say("\(Terminal.bold("Created:")) \(Terminal.time(result["created_on"]))")
            say(Terminal.bold("Instances:"))
            if case .object(let counts)? = result["instances"] {
                for (status, count) in counts.sorted(by: { $0.key < $1.key }) { say("  \(Terminal.status(status))  \(count.text)") }
            }
        }
    }
}

/// `brigade trigger NAME [PARAMS] [--id ID]`.
struct TriggerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "trigger", abstract: "Create an instance of a workflow.")
    @Argument(help: "The workflow name.") var name: String
    @Argument(help: "The params, as JSON.") var params: String?
    @Option(name: .long, help: "The instance id (a random UUID if omitted).") var id: String?
    @OptionGroup var options: ClientOptions

    func run() async throws {
        let client = try options.client()
        var body: [String: JSONValue] = [:]
        if let params { body["params"] = try JSONValue.parse(params, what: "PARAMS") }
        if let id { body["instance_id"] = .string(id) }
        let (result, _) = try await client.call("POST", "\(client.workflowsPath)/\(name)/instances", body: .object(body))
        if options.json { return say(result.text) }
        say("Workflow instance \"\(result["id"]?.text ?? "?")\" has been queued successfully")
    }
}
