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
            let names = runtime.workflowNames.sorted().filter { search == nil || $0.lowercased().contains(search!) }
            let slice = names.dropFirst((page - 1) * perPage).prefix(perPage)
            var items: [JSONValue] = []
            for name in slice { items.append(try await workflowItem(tenant: tenant, name: name)) }
            return Self.envelope(
                .array(items),
                resultInfo: .object([
                    "page": .number(Double(page)), "per_page": .number(Double(perPage)), "count": .number(Double(items.count)),
                    "total_count": .number(Double(names.count)),
                ]))
        }
        // GET …/workflows/{workflow}
        account.get("workflows/:workflow") { _, context in
            Self.envelope(try await workflowItem(tenant: try Self.tenant(context), name: try workflowName(context)))
        }
    }

    /// A workflow as Cloudflare lists it, with this tenant's instance counts per status.
    func workflowItem(tenant: String, name: String) async throws -> JSONValue {
        let counts = try await runtime.instanceCounts(tenant: tenant, workflow: name)
        var instances: [String: JSONValue] = [:]
        for (status, count) in counts { instances[status.rawValue] = .number(Double(count)) }
        let started = WireFormat.timestamp(startedAt)
        return .object([
            "id": .string(name), "name": .string(name), "class_name": .string(name), "script_name": .string("brigade"),
            "created_on": started, "modified_on": started, "triggered_on": .null, "instances": .object(instances),
        ])
    }

    static func integer(_ text: String?, _ name: String, default value: Int, range: ClosedRange<Int>) throws -> Int {
        guard let text else { return value }
        guard let number = Int(text), range.contains(number) else {
            throw APIError.badRequest(
                "(request.invalid_query) \(name) must be a whole number from \(range.lowerBound) to \(range.upperBound); got \"\(text)\".")
        }
        return number
    }
}
