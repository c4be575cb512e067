import ArgumentParser
import Brigade
import Foundation

/// `brigade workflows list|describe|put|delete`, like `wrangler workflows`.
struct WorkflowsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "workflows", abstract: "List, describe, define and delete workflows on a running server.",
        subcommands: [List.self, Describe.self, Versions.self, Put.self, Delete.self])

    struct Versions: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the deployed versions of a workflow's code, newest first.")
        @Argument(help: "The workflow name.") var name: String
        @OptionGroup var options: ClientOptions

        func run() async throws {
            let client = try options.client()
            let (result, _) = try await client.call("GET", "\(client.workflowsPath)/\(name)/versions")
            if options.json { return say(result.text) }
            say(
                Terminal.table(
                    ["Version", "Id", "Language", "Size", "Created"],
                    result.items.map { item in
                        [
                            item["version"]?.text ?? "-", item["id"]?.text ?? "-", item["source_language"]?.text ?? item["language"]?.text ?? "swift",
                            item["size"].map { "\($0.text) B" } ?? "-", Terminal.time(item["created_on"]),
                        ]
                    }))
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the workflows with their instance counts.")
        @OptionGroup var options: ClientOptions

        func run() async throws {
            let client = try options.client()
            let (result, _) = try await client.call("GET", client.workflowsPath, query: ["per_page": "100"])
            if options.json { return say(result.text) }
            let statuses = ["queued", "running", "rollingBack", "waiting", "paused", "complete", "errored", "terminated"]
            say(
                Terminal.table(
                    ["Name", "Class"] + statuses.map { $0.capitalized },
                    result.items.map { item in
                        [item["name"]?.text ?? "-", item["class_name"]?.text ?? "-"] + statuses.map { item["instances"]?[$0]?.text ?? "0" }
                    }))
        }
    }

    struct Describe: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one workflow and its instance counts per status.")
        static let statusOrder = ["queued", "running", "rollingBack", "waiting", "waitingForPause", "paused", "complete", "errored", "terminated"]
        @Argument(help: "The workflow name.") var name: String
        @OptionGroup var options: ClientOptions

        func run() async throws {
            let client = try options.client()
            let (result, _) = try await client.call("GET", "\(client.workflowsPath)/\(name)")
            if options.json { return say(result.text) }
            say("\(Terminal.bold("Name:")) \(result["name"]?.text ?? name)")
            say("\(Terminal.bold("Class:")) \(result["class_name"]?.text ?? "-") (script \(result["script_name"]?.text ?? "-"))")
            say("\(Terminal.bold("Created:")) \(Terminal.time(result["created_on"]))")
            say("\(Terminal.bold("Modified:")) \(Terminal.time(result["modified_on"]))")
            if let version = result["code_version"] { say("\(Terminal.bold("Code version:")) \(version.text) (brigade workflows versions \(name))") }
            if let steps = result["limits"]?["steps"] { say("\(Terminal.bold("Step limit:")) \(steps.text)") }
            if let retention = result["default_retention"] {
                say(
                    "\(Terminal.bold("Default retention:")) success \(retention["success_retention"]?.text ?? "-"), error \(retention["error_retention"]?.text ?? "-")"
                )
            }
            if let schedules = result["schedules"]?.items, !schedules.isEmpty {
                say(Terminal.bold("Schedules (UTC):"))
                say(Terminal.table(["Cron", "Next instance"], schedules.map { [$0["cron"]?.text ?? "-", Terminal.time($0["next_instance"])] }))
            }
            say(Terminal.bold("Instances:"))
            if case .object(let counts)? = result["instances"] {
                // In lifecycle order, as the list's columns; a status the server adds later goes last.
                let known = Self.statusOrder.filter { counts[$0] != nil }
                let rest = counts.keys.filter { !Self.statusOrder.contains($0) }.sorted()
                say(Terminal.table(["Status", "Count"], (known + rest).map { [$0, counts[$0]?.text ?? "0"] }))
            }
        }
    }

    struct Put: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create or update one of your workflows: a name bound to a class, with defaults for new instances.")
        @Argument(help: "The workflow name.") var name: String
        @Option(name: .customLong("class"), help: "The class it runs (a workflow the server registered); the one it runs now when left out.")
        var className: String?
        @Option(name: .long, help: "The script holding the class.") var script = "brigade"
        @Option(name: .long, help: "Step limit of its new instances.") var steps: Int?
        @Option(name: .long, help: "How long its completed instances are kept, such as \"7 days\".") var successRetention: String?
        @Option(name: .long, help: "How long its errored and terminated instances are kept.") var errorRetention: String?
        @Option(
            name: .long,
            help: "A cron schedule (five fields, UTC, such as \"*/15 * * * *\" or \"@daily\"); repeat for several. Replaces the workflow's schedules.")
        var cron: [String] = []
        @Flag(name: .long, help: "Remove the workflow's cron schedules.") var clearCron = false
        @OptionGroup var options: ClientOptions

        func validate() throws {
            if clearCron && !cron.isEmpty { throw ValidationError("Give --cron or --clear-cron, not both.") }
        }

        func run() async throws {
            let client = try options.client()
            var className = self.className
            if className == nil {
                // Changing only settings or schedules: keep the class it runs.
                let (existing, _) = try await client.call("GET", "\(client.workflowsPath)/\(name)")
                className = existing["class_name"]?.text
            }
            var body: [String: JSONValue] = ["class_name": .string(className ?? name), "script_name": .string(script)]
            if !cron.isEmpty || clearCron { body["schedules"] = .array(cron.map { .object(["cron": .string($0)]) }) }
            if let steps { body["limits"] = .object(["steps": .number(Double(steps))]) }
            if successRetention != nil || errorRetention != nil {
                body["default_retention"] = .object([
                    "success_retention": successRetention.map(JSONValue.string) ?? .null,
                    "error_retention": errorRetention.map(JSONValue.string) ?? .null,
                ])
            }
            let (result, _) = try await client.call("PUT", "\(client.workflowsPath)/\(name)", body: .object(body))
            if options.json { return say(result.text) }
            say("Workflow \"\(name)\" runs class \"\(result["class_name"]?.text ?? className ?? name)\"")
            for schedule in result["schedules"]?.items ?? [] {
                say("  cron \"\(schedule["cron"]?.text ?? "-")\", next instance \(Terminal.time(schedule["next_instance"]))")
            }
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete one of your workflows and all its instances.")
        @Argument(help: "The workflow name.") var name: String
        @OptionGroup var options: ClientOptions

        func run() async throws {
            let client = try options.client()
            let (result, _) = try await client.call("DELETE", "\(client.workflowsPath)/\(name)")
            if options.json { return say(result.text) }
            say("Workflow \"\(name)\" has been deleted")
        }
    }
}
