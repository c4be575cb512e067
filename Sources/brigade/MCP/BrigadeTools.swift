import Brigade
import Foundation
import MCP

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// The tools `brigade mcp` offers, each one or a few calls of the Workflows API as the tenant
/// whose token it holds. A failure comes back as the tool's error with the API's message as it
/// is (an upload's compile error names its line), so that an agent can correct what it sent.
struct BrigadeTools: Sendable {
    let client: APIClient

    /// The longest `wait_for_instance` and `follow_instance` wait: an agent's call should end.
    static let maxWaitSeconds = 300.0

    static let definitions: [Tool] = [
        Tool(
            name: "list_workflows", description: "The tenant's workflows, each with its instance counts per status and code version.",
            inputSchema: schema([:])),
        Tool(
            name: "deploy_workflow",
            description:
                "Upload JavaScript or TypeScript that exports class TenantWorkflow { async run(event, step) { … } } as the next version of a workflow. Errors (syntax, imports, a missing class) come back with their line.",
            inputSchema: schema(
                [
                    "workflow": property("string", "the workflow's name"), "source": property("string", "the module's text"),
                    "language": property("string", "javascript (default) or typescript"),
                ], required: ["workflow", "source"])),
        Tool(
            name: "trigger", description: "Start one instance of a workflow with params; returns its id.",
            inputSchema: schema(
                [
                    "workflow": property("string", "the workflow's name"),
                    "params": property("object", "what the run sees as event.payload"),
                    "id": property("string", "an instance id of your own (optional; creating it twice is refused)"),
                ], required: ["workflow"])),
        Tool(
            name: "trigger_many", description: "Start up to 100 instances of a workflow at once; returns their ids in order.",
            inputSchema: schema(
                [
                    "workflow": property("string", "the workflow's name"),
                    "instances": .object([
                        "type": "array", "maxItems": 100,
                        "items": .object([
                            "type": "object",
                            "properties": .object(["id": .object(["type": "string"]), "params": .object(["type": "object"])]),
                        ]),
                        "description": "each {id?, params?}",
                    ]),
                ], required: ["workflow", "instances"])),
        Tool(
            name: "list_instances", description: "A workflow's instances, newest first, optionally of one status.",
            inputSchema: schema(
                [
                    "workflow": property("string", "the workflow's name"),
                    "status": property("string", "queued, running, paused, waiting, errored, terminated or complete"),
                    "limit": property("integer", "at most this many (default 25, at most 100)"),
                ], required: ["workflow"])),
        Tool(
            name: "describe_instance",
            description: "An instance's status, params, output, error and steps (each with its attempts and output).",
            inputSchema: schema(
                ["workflow": property("string", "the workflow's name"), "id": property("string", "the instance id")],
                required: ["workflow", "id"])),
        Tool(
            name: "send_event",
            description:
                "Send an event (a human's approval, say) to an instance: the step.waitForEvent waiting for that type gets the payload.",
            inputSchema: schema(
                [
                    "workflow": property("string", "the workflow's name"), "id": property("string", "the instance id"),
                    "type": property("string", "the event type the step waits for"), "payload": property("object", "the event's payload"),
                ], required: ["workflow", "id", "type"])),
        Tool(
            name: "wait_for_instance",
            description:
                "Wait until an instance is complete, errored or terminated (or in one of the statuses given), at most timeout_seconds; returns its status, output and error.",
            inputSchema: schema(
                [
                    "workflow": property("string", "the workflow's name"), "id": property("string", "the instance id"),
                    "statuses": .object([
                        "type": "array", "items": .object(["type": "string"]),
                        "description": "stop at these statuses too, such as [\"waiting\"]",
                    ]),
                    "timeout_seconds": property("number", "how long to wait (default 60, at most 300)"),
                ], required: ["workflow", "id"])),
        Tool(
            name: "follow_instance",
            description:
                "An instance's history events after cursor (0 for the first), as they are committed: waits up to wait_seconds for at least one, returns them with the cursor to pass next time.",
            inputSchema: schema(
                [
                    "workflow": property("string", "the workflow's name"), "id": property("string", "the instance id"),
                    "cursor": property("integer", "the last event id seen (default 0)"),
                    "wait_seconds": property("number", "how long to wait for a first event (default 10, at most 300)"),
                    "max_events": property("integer", "at most this many (default 100)"),
                ], required: ["workflow", "id"])),
        Tool(
            name: "follow_workflow",
            description:
                "The events of all of a workflow's instances on one stream, in commit order: from cursor (the last one this tool returned), or from_now; waits up to wait_seconds for at least one. Follow the instances you started with trigger_many this way.",
            inputSchema: schema(
                [
                    "workflow": property("string", "the workflow's name"),
                    "cursor": property("string", "the cursor this tool returned last (absent: from the first event)"),
                    "from_now": property("boolean", "without a cursor: only what happens from now on"),
                    "statuses": .object([
                        "type": "array", "items": .object(["type": "string"]), "description": "only instances in these statuses",
                    ]),
                    "types": .object([
                        "type": "array", "items": .object(["type": "string"]),
                        "description": "only these event types, such as [\"workflow_completed\", \"wait_started\"]",
                    ]),
                    "wait_seconds": property("number", "how long to wait for a first event (default 10, at most 300)"),
                    "max_events": property("integer", "at most this many (default 100)"),
                ], required: ["workflow"])),
        Tool(
            name: "change_instance", description: "Pause, resume, terminate or restart an instance.",
            inputSchema: schema(
                [
                    "workflow": property("string", "the workflow's name"), "id": property("string", "the instance id"),
                    "action": property("string", "pause, resume, terminate or restart"),
                ], required: ["workflow", "id", "action"])),
    ]

    static func property(_ type: String, _ description: String) -> Value {
        .object(["type": .string(type), "description": .string(description)])
    }

    static func schema(_ properties: [String: Value], required: [String] = []) -> Value {
        .object(["type": "object", "properties": .object(properties), "required": .array(required.map(Value.string))])
    }

    /// Runs one tool: its JSON answer as text, or the error as the tool's error.
    func call(_ name: String, _ arguments: [String: Value]) async -> CallTool.Result {
        do {
            let input = try JSONDecoder().decode(JSONValue.self, from: try JSONEncoder().encode(Value.object(arguments)))
            let answer = try await run(name, input)
            return .init(content: [.text(text: answer.prettyText, annotations: nil, _meta: nil)], isError: false)
        } catch let failure as APIFailure {
            return .init(content: [.text(text: failure.message, annotations: nil, _meta: nil)], isError: true)
        } catch {
            return .init(content: [.text(text: "\(error)", annotations: nil, _meta: nil)], isError: true)
        }
    }

    struct ToolError: Error, CustomStringConvertible {
        var description: String
    }

    private func string(_ input: JSONValue, _ key: String) throws -> String {
        guard case .string(let value)? = input[key], !value.isEmpty else { throw ToolError(description: "\(key) is required: a string.") }
        return value
    }

    private func number(_ input: JSONValue, _ key: String, default value: Double, range: ClosedRange<Double>) throws -> Double {
        switch input[key] {
        case nil, .null?: return value
        case .number(let given)? where range.contains(given): return given
        default: throw ToolError(description: "\(key) must be a number from \(range.lowerBound) to \(range.upperBound).")
        }
    }

    /// A workflow's path, its name checked as the API checks it (no slash can reach another route).
    private func workflow(_ input: JSONValue) throws -> String {
        let name = try string(input, "workflow")
        guard name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }), name.count <= 64 else {
            throw ToolError(description: "workflow must be 1–64 letters, digits, - or _; got \"\(name.prefix(80))\".")
        }
        return "\(client.workflowsPath)/\(name)"
    }

    private func instance(_ input: JSONValue) throws -> String {
        let id = try string(input, "id")
        let encoded = id.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-_."))) ?? id
        return "\(try workflow(input))/instances/\(encoded)"
    }

    private func run(_ name: String, _ input: JSONValue) async throws -> JSONValue {
        switch name {
        case "list_workflows":
            return try await client.call("GET", client.workflowsPath, query: ["per_page": "100"]).result
        case "deploy_workflow":
            var body: [String: JSONValue] = ["source": .string(try string(input, "source"))]
            if case .string(let language)? = input["language"] { body["language"] = .string(language) }
            return try await client.call("PUT", "\(try workflow(input))/code", body: .object(body)).result
        case "trigger":
            var body: [String: JSONValue] = [:]
            if let params = input["params"], params != .null { body["params"] = params }
            if case .string(let id)? = input["id"] { body["instance_id"] = .string(id) }
            return try await client.call("POST", "\(try workflow(input))/instances", body: .object(body)).result
        case "trigger_many":
            guard case .array(let items)? = input["instances"], !items.isEmpty, items.count <= 100 else {
                throw ToolError(description: "instances must be an array of 1–100 {id?, params?}.")
            }
            let batch = items.map { item -> JSONValue in
                var object: [String: JSONValue] = [:]
                if let params = item["params"], params != .null { object["params"] = params }
                if case .string(let id)? = item["id"] { object["instance_id"] = .string(id) }
                return .object(object)
            }
            return try await client.call("POST", "\(try workflow(input))/instances/batch", body: .array(batch)).result
        case "list_instances":
            var query = ["per_page": String(Int(try number(input, "limit", default: 25, range: 1...100)))]
            if case .string(let status)? = input["status"] { query["status"] = status }
            return try await client.call("GET", "\(try workflow(input))/instances", query: query).result
        case "describe_instance":
            return try await client.call("GET", try instance(input)).result
        case "send_event":
            let type = try string(input, "type")
            let encoded = type.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-_."))) ?? type
            _ = try await client.call("POST", "\(try instance(input))/events/\(encoded)", body: input["payload"] ?? .null)
            return .object(["sent": .string(type)])
        case "change_instance":
            let action = try string(input, "action")
            guard ["pause", "resume", "terminate", "restart"].contains(action) else {
                throw ToolError(description: "action must be pause, resume, terminate or restart; got \"\(action.prefix(40))\".")
            }
            return try await client.call("PATCH", "\(try instance(input))/status", body: .object(["status": .string(action)])).result
        case "wait_for_instance":
            return try await waitForInstance(input)
        case "follow_instance":
            return try await follow(input)
        case "follow_workflow":
            return try await followWorkflow(input)
        default:
            throw ToolError(
                description: "No tool \"\(name.prefix(60))\"; the tools are \(Self.definitions.map(\.name).joined(separator: ", ")).")
        }
    }

    private func waitForInstance(_ input: JSONValue) async throws -> JSONValue {
        let path = try instance(input)
        var stops: Set<String> = ["complete", "errored", "terminated"]
        if case .array(let given)? = input["statuses"] {
            for case .string(let status) in given { stops.insert(status) }
        }
        let deadline =
            ContinuousClock.now
            + .milliseconds(Int(try number(input, "timeout_seconds", default: 60, range: 0...Self.maxWaitSeconds) * 1_000))
        while true {
            let described = try await client.call("GET", path, query: ["simple": "true"]).result
            let status = described["status"].flatMap { if case .string(let text) = $0 { text } else { nil } } ?? ""
            if stops.contains(status) || ContinuousClock.now >= deadline {
                return .object([
                    "status": .string(status), "output": described["output"] ?? .null, "error": described["error"] ?? .null,
                    "timed_out": .bool(!stops.contains(status)),
                ])
            }
            try await Task.sleep(for: .milliseconds(250))
        }
    }

    /// Reads the instance's event stream from the cursor until `max_events` arrived, the
    /// instance ended, or the wait is over.
    private func follow(_ input: JSONValue) async throws -> JSONValue {
        let path = try instance(input)
        let cursor = Int(try number(input, "cursor", default: 0, range: 0...9.0e15))
        // 404 before the stream starts, with the API's message.
        _ = try await client.call("GET", path, query: ["simple": "true"])
        let (events, last, ended) = try await read(
            client.request("GET", "\(path)/subscribe", query: ["cursor": String(cursor)]), input, endsWithInstance: true)
        return .object(["events": .array(events), "cursor": .number(Double(last.flatMap(Int.init) ?? cursor)), "ended": .bool(ended)])
    }

    /// A workflow's feed: the events of all its instances, from a cursor or from now.
    private func followWorkflow(_ input: JSONValue) async throws -> JSONValue {
        let path = try workflow(input)
        var query: [String: String] = [:]
        if case .string(let cursor)? = input["cursor"], !cursor.isEmpty {
            query["cursor"] = cursor
        } else if input["from_now"] == .bool(true) {
            query["from"] = "now"
        }
        for (key, parameter) in [("statuses", "status"), ("types", "filter")] {
            if case .array(let values)? = input[key] {
                query[parameter] = values.compactMap { if case .string(let text) = $0 { text } else { nil } }.joined(separator: ",")
            }
        }
        // The workflow's 404 (and a bad filter's 400) before the stream starts.
        _ = try await client.call("GET", path)
        let (events, last, _) = try await read(client.request("GET", "\(path)/subscribe", query: query), input, endsWithInstance: false)
        return .object(["events": .array(events), "cursor": last.map(JSONValue.string) ?? input["cursor"] ?? .null])
    }

    /// Reads an event stream until `max_events` arrived, the wait for a first one ran out, or
    /// (an instance's stream) the instance ended; a short while after the first event, for
    /// those right behind it.
    private func read(_ request: URLRequest, _ input: JSONValue, endsWithInstance: Bool) async throws -> ([JSONValue], String?, Bool) {
        let wait = try number(input, "wait_seconds", default: 10, range: 0...Self.maxWaitSeconds)
        let maxEvents = Int(try number(input, "max_events", default: 100, range: 1...1_000))
        let frames = EventStreamReader.frames(request)
        let collected = CollectedEvents(endsWithInstance: endsWithInstance)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                for try await frame in frames {
                    guard let data = try? JSONDecoder().decode(JSONValue.self, from: Data(frame.data.utf8)) else { continue }
                    if await collected.add(data, id: frame.id, max: maxEvents) { return }
                }
            }
            group.addTask {
                let started = ContinuousClock.now
                while ContinuousClock.now - started < .milliseconds(Int(wait * 1_000)) {
                    try await Task.sleep(for: .milliseconds(100))
                    if await collected.count > 0 {
                        try await Task.sleep(for: .milliseconds(300))
                        return
                    }
                }
            }
            _ = try await group.next()
            group.cancelAll()
        }
        return await collected.snapshot()
    }

    /// What `read` took from a stream so far.
    actor CollectedEvents {
        let endsWithInstance: Bool
        var events: [JSONValue] = []
        var last: String?
        var ended = false
        var count: Int { events.count }

        init(endsWithInstance: Bool) {
            self.endsWithInstance = endsWithInstance
        }

        /// Adds one; true when no more are wanted.
        func add(_ event: JSONValue, id: String?, max: Int) -> Bool {
            events.append(event)
            if let id { last = id }
            if endsWithInstance, case .string(let type)? = event["type"],
                ["workflow_completed", "workflow_errored", "workflow_terminated"].contains(type)
            {
                ended = true
            }
            return ended || events.count >= max
        }

        func snapshot() -> ([JSONValue], String?, Bool) { (events, last, ended) }
    }
}

extension JSONValue {
    /// Indented JSON, as an agent reads it best.
    var prettyText: String {
        guard let object = try? JSONSerialization.jsonObject(with: jsonData(), options: [.fragmentsAllowed]),
            let data = try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .fragmentsAllowed])
        else { return String(decoding: jsonData(), as: UTF8.self) }
        return String(decoding: data, as: UTF8.self)
    }
}
