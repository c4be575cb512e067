import Brigade
import Foundation
import Hummingbird

/// Dynamic workflows over HTTP: a tenant uploads its workflow code (JavaScript or TypeScript) and
/// lists its versions (Cloudflare's `…/versions` routes).
extension BrigadeServer {
    func addCodeRoutes(to account: RouterGroup<BrigadeRequestContext>) {
        // PUT …/workflows/{workflow}/code {source, language?, env?, default_retention?, limits?{steps}}
        account.put("workflows/:workflow/code") { request, context in
            guard let sandbox else {
                throw APIError.notFound(
                    code: 10_501, .codeNotSupported, "This server runs no tenant code: it was started without a sandbox for dynamic workflows.")
            }
            let tenant = try Self.tenant(context)
            let name = try context.parameters.require("workflow")
            let body = try Self.object(try await requestBody(request, context) ?? .null, "The request body")
            guard let source = try Self.string(body["source"], "source") else {
                throw APIError.badRequest(
                    .codeInvalid, "Send {\"source\": \"export class TenantWorkflow { async run(event, step) { … } }\", \"language\": \"javascript\" or \"typescript\"}.")
            }
            let language: CodeLanguage
            switch try Self.string(body["language"], "language") {
            case nil, "javascript"?, "js"?: language = .javascript
            case "typescript"?, "ts"?: language = .typescript
            case let other?: throw APIError.badRequest(.codeInvalid, "language must be \"javascript\" or \"typescript\", not \"\(other.prefix(40))\".")
            }
            var env: [String: JSONValue] = [:]
            if let given = body["env"], given != .null { env = try Self.object(given, "env") }
            var stepLimit: Int?
            if let limits = body["limits"], limits != .null { stepLimit = try Self.stepLimit(limits) }
            let code = try await runtime.deployWorkflow(
                tenant: tenant, name: name, source: source, language: language, env: env, sandbox: sandbox,
                retention: try Self.retention(body["default_retention"], field: "default_retention"), stepLimit: stepLimit)
            return Self.envelope(Self.versionItem(TenantCodeVersion(code), workflowId: WireFormat.workflowId(tenant: tenant, name: name), source: nil))
        }
        // GET …/workflows/{workflow}/versions?page&per_page: newest first, as Cloudflare pages them.
        account.get("workflows/:workflow/versions") { request, context in
            let tenant = try Self.tenant(context)
            let definition = try await runtime.definition(tenant: tenant, named: try context.parameters.require("workflow"))
            let page = try Self.integer(request.uri.queryParameters.get("page"), "page", default: 1, range: 1...1_000_000)
            let perPage = try Self.integer(request.uri.queryParameters.get("per_page"), "per_page", default: 50, range: 1...100)
            let versions = try await runtime.tenantCodeVersions(tenant: tenant, workflow: definition.name)
            let workflowId = WireFormat.workflowId(tenant: tenant, name: definition.name)
            let all = versions.isEmpty ? [Self.hostVersionItem(definition)] : versions.map { Self.versionItem($0, workflowId: workflowId, source: nil) }
            let items = Array(all.dropFirst((page - 1) * perPage).prefix(perPage))
            return Self.envelope(
                .array(items),
                resultInfo: .object([
                    "page": .number(Double(page)), "per_page": .number(Double(perPage)), "count": .number(Double(items.count)),
                    "total_count": .number(Double(all.count)),
                ]))
        }
        // GET …/workflows/{workflow}/versions/{version_id}: the version (by id or number) with its source.
        account.get("workflows/:workflow/versions/:version") { _, context in
            let tenant = try Self.tenant(context)
            let definition = try await runtime.definition(tenant: tenant, named: try context.parameters.require("workflow"))
            let wanted = try context.parameters.require("version")
            let versions = try await runtime.tenantCodeVersions(tenant: tenant, workflow: definition.name)
            if versions.isEmpty && wanted == WireFormat.versionId { return Self.envelope(Self.hostVersionItem(definition)) }
            guard let version = versions.first(where: { $0.versionId == wanted || "\($0.version)" == wanted }) else {
                throw APIError.notFound(code: 10_404, .versionNotFound, "Workflow \"\(definition.name)\" has no version \"\(wanted.prefix(80))\".")
            }
            let code = try await runtime.tenantCode(tenant: tenant, workflow: definition.name, version: version.version)
            return Self.envelope(Self.versionItem(version, workflowId: WireFormat.workflowId(tenant: tenant, name: definition.name), source: code.source))
        }
    }

    static func versionItem(_ version: TenantCodeVersion, workflowId: String, source: String?) -> JSONValue {
        var item: [String: JSONValue] = [
            "id": .string(version.versionId), "workflow_id": .string(workflowId), "class_name": .string(DynamicWorkflow.name),
            "created_on": WireFormat.timestamp(version.createdAt), "modified_on": WireFormat.timestamp(version.createdAt),
            // Cloudflare's enum has no TypeScript (a Worker's TypeScript is compiled to JavaScript
            // before upload, as here): the version runs JavaScript; what it was written in is
            // Brigade's own `source_language`.
            "version": .number(Double(version.version)), "language": "javascript",
            "source_language": .string(version.language.rawValue),
            "size": .number(Double(version.size)),
        ]
        if let source { item["source"] = .string(source) }
        return .object(item)
    }

    static func hostVersionItem(_ definition: WorkflowDefinition) -> JSONValue {
        .object([
            "id": .string(WireFormat.versionId), "workflow_id": .string(WireFormat.workflowId(tenant: definition.tenant, name: definition.name)), "class_name": .string(definition.className),
            "created_on": WireFormat.timestamp(definition.createdAt), "modified_on": WireFormat.timestamp(definition.modifiedAt),
        ])
    }

    /// Version ids of a tenant's dynamic workflow, to show each instance's (none for Swift workflows).
    func codeVersions(_ tenant: String, _ workflow: String) async throws -> WireFormat.CodeVersions {
        guard try await runtime.definition(tenant: tenant, named: workflow).codeVersion != nil else { return .none }
        return WireFormat.CodeVersions(try await runtime.tenantCodeVersions(tenant: tenant, workflow: workflow))
    }

    /// The version new instances of a workflow run.
    func currentVersionId(_ tenant: String, _ workflow: String) async throws -> String {
        guard let current = try await runtime.definition(tenant: tenant, named: workflow).codeVersion else { return WireFormat.versionId }
        return WireFormat.CodeVersions(try await runtime.tenantCodeVersions(tenant: tenant, workflow: workflow)).ids[current]
            ?? WireFormat.versionId
    }
}

extension TenantCodeVersion {
    init(_ code: TenantCode) {
        self.init(version: code.version, versionId: code.versionId, language: code.language, size: code.source.utf8.count, createdAt: code.createdAt)
    }
}
