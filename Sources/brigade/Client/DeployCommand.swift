import ArgumentParser
import Brigade
import Foundation

/// `brigade deploy FILE.js|FILE.ts --tenant T --workflow NAME`: uploads a tenant's workflow code
/// as the next version of NAME (dynamic workflows). The server compiles and checks it.
struct DeployCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deploy",
        abstract: "Upload a JavaScript or TypeScript workflow (export class TenantWorkflow) as the next version of a workflow.",
        discussion: """
            New instances of the workflow run the new version; instances already created finish on theirs.
            Use --tenant (or --account) to pick the account: its token, or the admin token, must be given.
            """)

    @Argument(help: "The module to upload: .js, or .ts (compiled by the server).") var file: String
    @Option(name: .long, help: "The workflow name to deploy it as.") var workflow: String
    @Option(name: .long, help: "A JSON object the code sees as this.env, such as '{\"GREETING\":\"Hi\"}'; @FILE reads it from a file.") var env: String?
    @Option(name: .long, help: "javascript or typescript (default: from the file's extension).") var language: String?
    @OptionGroup var options: ClientOptions

    func run() async throws {
        let client = try options.client()
        guard let data = FileManager.default.contents(atPath: file) else {
            throw ValidationError("Cannot read \(file): no such file, or not readable.")
        }
        guard let source = String(data: data, encoding: .utf8) else { throw ValidationError("\(file) is not UTF-8 text.") }
        var body: [String: JSONValue] = [
            "source": .string(source), "language": .string(language ?? CodeLanguage(fileName: file).rawValue),
        ]
        if let env {
            guard case .object(let fields) = try JSONValue.parse(env, what: "--env") else {
                throw ValidationError("--env must be a JSON object, such as '{\"GREETING\":\"Hi\"}'.")
            }
            body["env"] = .object(fields)
        }
        let (result, _) = try await client.call("PUT", "\(client.workflowsPath)/\(workflow)/code", body: .object(body))
        if options.json { return say(result.text) }
        say(
            "Deployed \(file) as workflow \"\(workflow)\" version \(result["version"]?.text ?? "?") (\(result["id"]?.text ?? "-")), \(result["source_language"]?.text ?? result["language"]?.text ?? ""), \(result["size"]?.text ?? "?") bytes."
        )
        say("New instances run it: brigade trigger \(workflow) '{…}'; instances already created finish on their own version.")
    }
}
