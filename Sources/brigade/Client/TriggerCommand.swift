import ArgumentParser
import Brigade
import Foundation

/// `brigade trigger NAME [PARAMS] [--id ID]`.
struct TriggerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "trigger", abstract: "Create an instance of a workflow.")
    @Argument(help: "The workflow name.") var name: String
    @Argument(help: "The params, as JSON; @FILE reads them from a file, - from standard input.") var params: String?
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
