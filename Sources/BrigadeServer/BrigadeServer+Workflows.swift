import Brigade
import Foundation
import Hummingbird

extension BrigadeServer {
    func addWorkflowRoutes(to account: RouterGroup<BrigadeRequestContext>) {
        // GET …/workflows?page&per_page&search
        account.get("workflows") { request, context in
            let tenant = try Self.tenant(context)
            let page = try Self.integer(request.uri.queryParameters.get("page"), "page", default: 1, range: 1...100_000)
            let perPage = try Self.integer(request.uri.queryParameters.get("per_page"), "per_page", default: 10, range: 1...100)
            let search = request.uri.queryParameters.get("search")?.lowercased()
            let workflows = try await runtime.definitions(tenant: tenant).filter { search == nil || $0.name.lowercased().contains(search!) }
            let slice = workflows.dropFirst((page - 1) * perPage).prefix(perPage)
            var items: [JSONValue] = []
            for workflow in slice { items.append(try await workflowItem(workflow)) }
            return Self.envelope(
                .array(items),
                resultInfo: .object([
                    "page": .number(Double(page)), "per_page": .number(Double(perPage)), "count": .number(Double(items.count)),
                    "total_count": .number(Double(workflows.count)),
                ]))
        }
        // GET …/workflows/{workflow}
        account.get("workflows/:workflow") { _, context in
            let name = try context.parameters.require("workflow")
            return Self.envelope(try await workflowItem(try await runtime.definition(tenant: try Self.tenant(context), named: name)))
        }
        // PUT …/workflows/{workflow} {class_name, script_name?, default_retention?, limits?{steps}}
        account.put("workflows/:workflow") { request, context in
            let name = try context.parameters.require("workflow")
            let body = try Self.object(try await requestBody(request, context) ?? .null, "The request body")
            guard let className = try Self.string(body["class_name"], "class_name") else {
                throw APIError.badRequest(
                    .invalidDefinition, "Send {\"class_name\": \"<workflow class>\", \"script_name\": \"\(WorkflowDefinition.hostScript)\"}.")
            }
            var stepLimit: Int?
            if let limits = body["limits"], limits != .null { stepLimit = try Self.stepLimit(limits) }
            let definition = try await runtime.putWorkflow(
                tenant: try Self.tenant(context), name: name, className: className,
                scriptName: try Self.string(body["script_name"], "script_name") ?? WorkflowDefinition.hostScript,
                retention: try Self.retention(body["default_retention"], field: "default_retention"), stepLimit: stepLimit,
                schedules: try Self.schedules(body["schedules"]))
            return Self.envelope(try await workflowItem(definition))
        }
        // DELETE …/workflows/{workflow}: the tenant's own workflow and all its instances.
        account.delete("workflows/:workflow") { _, context in
            try await runtime.deleteWorkflow(tenant: try Self.tenant(context), named: try context.parameters.require("workflow"))
            return Self.envelope(.object(["status": .string("ok"), "success": .bool(true)]))
        }
    }

    /// A workflow as Cloudflare lists it, with this tenant's instance counts per status.
    func workflowItem(_ workflow: WorkflowDefinition) async throws -> JSONValue {
        let counts = try await runtime.instanceCounts(tenant: workflow.tenant, workflow: workflow.name)
        var instances: [String: JSONValue] = [:]
        for (status, count) in counts { instances[status.rawValue] = .number(Double(count)) }
        var item: [String: JSONValue] = [
            "id": .string(WireFormat.workflowId(tenant: workflow.tenant, name: workflow.name)), "name": .string(workflow.name), "class_name": .string(workflow.className),
            "script_name": .string(workflow.scriptName), "created_on": WireFormat.timestamp(workflow.createdAt),
            "modified_on": WireFormat.timestamp(workflow.modifiedAt), "triggered_on": .null, "instances": .object(instances),
        ]
        if let version = workflow.codeVersion { item["code_version"] = .number(Double(version)) }
        let schedules = try await runtime.schedules(tenant: workflow.tenant, workflow: workflow.name)
        if !schedules.isEmpty {
            item["schedules"] = .array(
                schedules.map { .object(["cron": .string($0.cron), "next_instance": WireFormat.timestamp($0.nextAt)]) })
        }
        if let stepLimit = workflow.stepLimit { item["limits"] = .object(["steps": .number(Double(stepLimit))]) }
        if let retention = workflow.retention {
            item["default_retention"] = .object([
                "success_retention": retention.success.map { .string(WireFormat.durationString($0.wholeMilliseconds)) } ?? .null,
                "error_retention": retention.error.map { .string(WireFormat.durationString($0.wholeMilliseconds)) } ?? .null,
            ])
        }
        return .object(item)
    }

    /// `schedules` of `PUT …/workflows/{name}`: `[{cron}]` as Cloudflare's REST API sends it,
    /// or a cron string or an array of strings as a wrangler config writes it; absent or null
    /// leaves the schedules as they are, `[]` removes them.
    static func schedules(_ value: JSONValue?) throws -> [String]? {
        let usage = "schedules must be an array of {\"cron\": \"<five fields>\"} (or of cron strings), e.g. [{\"cron\": \"*/15 * * * *\"}]"
        switch value {
        case nil, .null?: return nil
        case .string(let cron)?: return [cron]
        case .array(let items)?:
            return try items.enumerated().map { index, item in
                switch item {
                case .string(let cron): return cron
                case .object(let fields):
                    guard case .string(let cron)? = fields["cron"] else {
                        throw APIError.badRequest(.invalidSchedule, "schedules[\(index)] has no string \"cron\"; \(usage).")
                    }
                    return cron
                default: throw APIError.badRequest(.invalidSchedule, "schedules[\(index)] is not an object; \(usage).")
                }
            }
        default: throw APIError.badRequest(.invalidSchedule, "\(usage).")
        }
    }

    static func integer(_ text: String?, _ name: String, default value: Int, range: ClosedRange<Int>) throws -> Int {
        guard let text else { return value }
        guard let number = Int(text), range.contains(number) else {
            throw APIError.badRequest(
                .invalidRequestQuery, "\(name) must be a whole number from \(range.lowerBound) to \(range.upperBound); got \"\(text.prefix(40))\".")
        }
        return number
    }
}
