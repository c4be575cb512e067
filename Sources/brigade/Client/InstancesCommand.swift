import ArgumentParser
import Brigade
import Foundation

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// `brigade instances list|describe|pause|resume|terminate|restart|send-event|delete|watch`.
struct InstancesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "instances", abstract: "List, inspect and operate on a workflow's instances (`latest` works as an id).",
        subcommands: [
            List.self, Describe.self, Pause.self, Resume.self, Terminate.self, Restart.self, SendEvent.self, Delete.self, Watch.self,
        ])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List a workflow's instances, newest first.")
        @Argument(help: "The workflow name.") var name: String
        @Option(name: .long, help: "Only instances of this status.") var status: String?
        @Option(name: .long, help: "Page size (1–1000).") var perPage: Int = 50
        @Option(name: .long, help: "Page number.") var page: Int = 1
        @Flag(name: .long, help: "Oldest first.") var reverse = false
        @OptionGroup var options: ClientOptions

        func run() async throws {
            let client = try options.client()
            var query = ["per_page": "\(perPage)", "page": "\(page)", "direction": reverse ? "asc" : "desc"]
            if let status { query["status"] = status }
            let (result, _) = try await client.call("GET", "\(client.workflowsPath)/\(name)/instances", query: query)
            if options.json { return say(result.text) }
            say(
                Terminal.table(
                    ["Instance ID", "Status", "Created", "Modified", "Ended"],
                    result.items.map { item in
                        [
                            item["id"]?.text ?? "-", Terminal.status(item["status"]?.text ?? "?"), Terminal.time(item["created_on"]),
                            Terminal.time(item["modified_on"]), Terminal.time(item["ended_on"]),
                        ]
                    }))
        }
    }

    struct Describe: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show an instance: its header and the step timeline with attempts.")
        @Argument(help: "The workflow name.") var name: String
        @Argument(help: "The instance id, or latest.") var id: String = "latest"
        @Option(name: .long, help: "Truncate step outputs to this many characters.") var truncateOutputLimit: Int = 5_000
        @OptionGroup var options: ClientOptions

        func run() async throws {
            let client = try options.client()
            let id = try await client.resolve(id, workflow: name)
            let (result, _) = try await client.call("GET", "\(client.workflowsPath)/\(name)/instances/\(id)")
            if options.json { return say(result.text) }
            // Where the error was thrown is in the history (the API's error is {name, message}).
            let stack = result["status"]?.text == "errored" ? await Self.errorStack(client, workflow: name, id: id) : nil
            say(Self.render(result, workflow: name, id: id, limit: truncateOutputLimit, stack: stack))
        }

        /// Where the instance's error was thrown, read from its event stream (which ends after the
        /// terminal event for a finished instance): the stack of `workflow_errored`, or — when `run`
        /// let a failed step's error through, which carries no stack of its own — that of the last
        /// failed attempt with the same error. Nil when there is none or the stream cannot be read.
        static func errorStack(_ client: APIClient, workflow: String, id: String) async -> String? {
            let request = client.request("GET", "\(client.workflowsPath)/\(workflow)/instances/\(id)/subscribe")
            var lastAttempt: (error: JSONValue?, stack: String)?
            do {
                for try await frame in EventStreamReader.frames(request) where frame.event == "attempt_errored" || frame.event == "workflow_errored" {
                    let data: JSONValue? = try JSONDecoder().decode(JSONValue.self, from: Data(frame.data.utf8))
                    let stack: String? = if case .string(let text)? = data?["stack"], !text.isEmpty { text } else { nil }
                    if frame.event == "attempt_errored" {
                        lastAttempt = stack.map { (data?["error"], $0) }
                        continue
                    }
                    if let stack { return stack }
                    guard let lastAttempt, lastAttempt.error == data?["error"] else { return nil }
                    return lastAttempt.stack
                }
            } catch {}
            return nil
        }

        static func render(_ result: JSONValue, workflow: String, id: String, limit: Int, stack: String? = nil) -> String {
            var lines: [String] = []
            func field(_ label: String, _ value: String) { lines.append("\(Terminal.bold(label + ":")) \(value)") }
            field("Workflow Name", workflow)
            field("Instance Id", id)
            field("Status", Terminal.status(result["status"]?.text ?? "?"))
            // As wrangler shows it.
            switch result["trigger"]?["source"]?.text {
            case "api"?: field("Trigger", "🌎 API")
            case "binding"?: field("Trigger", "🔗 Binding")
            case "event"?: field("Trigger", "📩 Event")
            case "cron"?:
                let schedule = result["schedule"]
                field("Trigger", "⌛ Cron (\(schedule?["cron"]?.text ?? "-"), due \(Terminal.time(schedule?["scheduledTime"])) UTC)")
            default: field("Trigger", "❓ Unknown")
            }
            if let parent = result["parent"] {
                field("Parent", "\(parent["workflow"]?.text ?? "-") \(parent["id"]?.text ?? "-") (step \(parent["step"]?.text ?? "-"))")
            }
            if let version = result["code_version"] { field("Version", "\(version.text) (\(result["versionId"]?.text ?? "-"))") }
            field("Queued", Terminal.time(result["queued"]))
            field("Start", Terminal.time(result["start"]))
            field("End", Terminal.time(result["end"]))
            field("Duration", Terminal.duration(result["start"] ?? result["queued"], result["end"]))
            field("Success", result["success"].map { $0 == .bool(true) ? "✅ Yes" : ($0 == .bool(false) ? "❌ No" : "-") } ?? "-")
            if case .object(let error)? = result["error"] {
                field("Error", "\(error["name"]?.text ?? "Error"): \(error["message"]?.text ?? "")")
                for frame in stack?.split(separator: "\n") ?? [] { lines.append("       " + Terminal.dim(String(frame))) }
            }
            if let output = result["output"], output != .null { field("Output", Terminal.truncated(output.text, limit)) }
            if case .object(let rollback)? = result["rollback"] {
                let outcome = rollback["outcome"]?.text == "complete" ? "✅ Complete" : "❌ Failed"
                if case .object(let error)? = rollback["error"] {
                    field("Rollback", "\(outcome): \(error["name"]?.text ?? "Error"): \(error["message"]?.text ?? "")")
                } else {
                    field("Rollback", outcome)
                }
            }
            let steps = result["steps"]?.items ?? []
            lines.append("")
            // An instance that ended before its first step (a bad duration, a throw at the top of run) has none.
            lines.append(Terminal.bold("Steps:") + (steps.isEmpty ? " none" : ""))
            for step in steps {
                let type = step["type"]?.text ?? "?"
                let icon =
                    [
                        "step": "🎯 Step", "rollback": "↩ Rollback", "sleep": "💤 Sleeping", "waitForEvent": "👀 Waiting for event",
                        "termination": "🚫 Termination", "child": "🧒 Child workflow",
                    ][type]
                    ?? type
                lines.append("")
                lines.append("  \(Terminal.bold(step["name"]?.text ?? type))  \(icon)")
                if type == "termination" { continue }
                lines.append(
                    "    Start: \(Terminal.time(step["start"]))   End: \(Terminal.time(step["end"]))   Duration: \(Terminal.duration(step["start"], step["end"]))"
                )
                switch type {
                case "step", "rollback":
                    let success = step["success"] == .bool(true) ? "✅ Yes" : (step["success"] == .bool(false) ? "❌ No" : "▶ Running")
                    lines.append("    Success: \(success)")
                    if let output = step["output"], output != .null {
                        lines.append("    Output: \(Terminal.truncated(output.text, limit))")
                    }
                    let attempts = step["attempts"]?.items ?? []
                    if !attempts.isEmpty {
                        let rows = attempts.enumerated().map { index, attempt -> [String] in
                            let state =
                                attempt["success"] == .bool(true)
                                ? "✅ Success" : (attempt["success"] == .bool(false) ? "❌ Error" : "🔄 Working")
                            let error =
                                attempt["error"].flatMap { $0 == .null ? nil : "\($0["name"]?.text ?? ""): \($0["message"]?.text ?? "")" }
                                ?? ""
                            return [
                                "\(index + 1)", Terminal.time(attempt["start"]), Terminal.time(attempt["end"]),
                                Terminal.duration(attempt["start"], attempt["end"]), state, error,
                            ]
                        }
                        let table = Terminal.table(["#", "Start", "End", "Duration", "State", "Error"], rows)
                        lines += table.split(separator: "\n").map { "    " + $0 }
                    }
                case "waitForEvent":
                    lines.append(
                        "    Finished: \(step["finished"] == .bool(true) ? "Yes" : "No")   Event type: \(step["event_type"]?.text ?? "-")")
                    if let output = step["output"], output != .null { lines.append("    Event: \(Terminal.truncated(output.text, limit))") }
                case "child":
                    let child = step["child"]
                    lines.append(
                        "    Child: \(child?["workflow"]?.text ?? "-") \(child?["id"]?.text ?? "-")   Status: \(step["child_status"]?.text ?? "running")")
                    if let output = step["output"], output != .null { lines.append("    Output: \(Terminal.truncated(output.text, limit))") }
                    if let error = step["error"], error != .null {
                        lines.append("    Error: \(error["name"]?.text ?? "Error"): \(error["message"]?.text ?? "")")
                    }
                default:
                    lines.append("    Finished: \(step["finished"] == .bool(true) ? "Yes" : "No")")
                }
            }
            return lines.joined(separator: "\n")
        }
    }

    /// pause, resume and terminate: `PATCH …/status`.
    struct StatusChange {
        static func run(_ options: ClientOptions, _ name: String, _ id: String, _ body: [String: JSONValue], verb: String) async throws {
            let client = try options.client()
            let id = try await client.resolve(id, workflow: name)
            let (result, _) = try await client.call("PATCH", "\(client.workflowsPath)/\(name)/instances/\(id)/status", body: .object(body))
            if options.json { return say(result.text) }
            say("Instance \"\(id)\" \(verb); status now \(Terminal.status(result["status"]?.text ?? "?"))")
        }
    }

    struct Pause: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Pause an instance.")
        @Argument(help: "The workflow name.") var name: String
        @Argument(help: "The instance id, or latest.") var id: String
        @OptionGroup var options: ClientOptions
        func run() async throws { try await StatusChange.run(options, name, id, ["status": .string("pause")], verb: "paused") }
    }

    struct Resume: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Resume a paused instance.")
        @Argument(help: "The workflow name.") var name: String
        @Argument(help: "The instance id, or latest.") var id: String
        @OptionGroup var options: ClientOptions
        func run() async throws { try await StatusChange.run(options, name, id, ["status": .string("resume")], verb: "resumed") }
    }

    struct Terminate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Terminate an instance.")
        @Argument(help: "The workflow name.") var name: String
        @Argument(help: "The instance id, or latest.") var id: String
        @Flag(help: "Run the rollbacks its steps registered first; it is rollingBack meanwhile, then terminated.") var rollback = false
        @Flag(help: "Terminate the child workflows its steps started (and theirs) first.") var children = false
        @OptionGroup var options: ClientOptions
        func run() async throws {
            var body: [String: JSONValue] = ["status": .string("terminate")]
            if rollback { body["rollback"] = .bool(true) }
            if children { body["children"] = .bool(true) }
            try await StatusChange.run(options, name, id, body, verb: rollback ? "terminating with rollback" : "terminated")
        }
    }

    struct Restart: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Restart an instance, from the start or from a step.")
        @Argument(help: "The workflow name.") var name: String
        @Argument(help: "The instance id, or latest.") var id: String
        @Option(name: .long, help: "Restart from this step (its name, without -N).") var fromStepName: String?
        @Option(name: .long, help: "Which call of that name, its count (default 1).") var fromStepCount: Int = 1
        @Option(name: .long, help: "The step's kind: do, sleep or waitForEvent.") var fromStepType: String = "do"
        @OptionGroup var options: ClientOptions

        func run() async throws {
            var body: [String: JSONValue] = ["status": .string("restart")]
            if let fromStepName {
                body["from"] = .object([
                    "name": .string(fromStepName), "count": .number(Double(fromStepCount)), "type": .string(fromStepType),
                ])
            }
            try await StatusChange.run(options, name, id, body, verb: "restarted")
        }
    }

    struct SendEvent: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "send-event", abstract: "Send an event to an instance.")
        @Argument(help: "The workflow name.") var name: String
        @Argument(help: "The instance id, or latest.") var id: String
        @Option(name: .long, help: "The event type.") var type: String
        @Option(name: .long, help: "The payload, as JSON; @FILE reads it from a file, - from standard input.") var payload: String = "{}"
        @OptionGroup var options: ClientOptions

        func run() async throws {
            let client = try options.client()
            let id = try await client.resolve(id, workflow: name)
            _ = try await client.call(
                "POST", "\(client.workflowsPath)/\(name)/instances/\(id)/events/\(type)",
                body: try JSONValue.parse(payload, what: "--payload"))
            say("Event \"\(type)\" sent to instance \"\(id)\"")
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete instances (1–100 ids; latest allowed).")
        @Argument(help: "The workflow name.") var name: String
        @Argument(help: "Instance ids.") var ids: [String]
        @OptionGroup var options: ClientOptions

        func run() async throws {
            let client = try options.client()
            var resolved: [JSONValue] = []
            for id in ids { resolved.append(.string(try await client.resolve(id, workflow: name))) }
            let (result, _) = try await client.call(
                "POST", "\(client.workflowsPath)/\(name)/instances/batch/delete", body: .object(["instances": .array(resolved)]))
            if options.json { return say(result.text) }
            // Reported per input position; an id given twice is one instance.
            var deleted: [String] = []
            for id in (result["deleted"]?.items ?? []).compactMap({ $0["id"]?.text }) where !deleted.contains(id) { deleted.append(id) }
            say("Deleted \(deleted.count) instance(s)\(deleted.isEmpty ? "" : ": " + deleted.joined(separator: ", "))")
            for error in result["errors"]?.items ?? [] { say("  \(error["message"]?.text ?? "")") }
        }
    }

    struct Watch: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Follow an instance's events live until it finishes.")
        @Argument(help: "The workflow name.") var name: String
        @Argument(help: "The instance id, or latest.") var id: String = "latest"
        @OptionGroup var options: ClientOptions

        func run() async throws {
            let client = try options.client()
            let id = try await client.resolve(id, workflow: name)
            let request = client.request("GET", "\(client.workflowsPath)/\(name)/instances/\(id)/subscribe")
            for try await frame in EventStreamReader.frames(request) {
                if options.json {
                    say(frame.data)
                    continue
                }
                let event = (try? JSONDecoder().decode(JSONValue.self, from: Data(frame.data.utf8))) ?? .null
                let step = event["stepName"].map { "  \($0.text)" } ?? ""
                say("\(Terminal.dim(Terminal.time(event["timestamp"])))  \(Terminal.bold(frame.event))\(step)\(Self.detail(event))")
            }
        }

        /// What follows an event's type on its line: a logged line's level and text, a failure's
        /// error and, below it, where it was thrown.
        static func detail(_ event: JSONValue) -> String {
            let data: JSONValue? = event
            if event["type"]?.text == "log" {
                return "  [\(data?["level"]?.text ?? "log")] \(data?["message"]?.text ?? "")"
            }
            guard let error = data?["error"], error != .null else { return "" }
            var text = "  \(error["name"]?.text ?? "Error"): \(error["message"]?.text ?? "")"
            if case .number(let retry)? = data?["retryDelayMs"] { text += Terminal.dim(" (next attempt in \(Int(retry)) ms)") }
            if let stack = data?["stack"]?.text, !stack.isEmpty {
                text += stack.split(separator: "\n").map { "\n      " + Terminal.dim(String($0)) }.joined()
            }
            return text
        }
    }
}
