import Foundation

/// One deployed version of a tenant's workflow code.
///
/// Versions are numbered from 1 per (tenant, workflow) and never change once stored. A new
/// deploy affects only instances created after it: each instance runs the version it was
/// created with until it ends.
public struct TenantCode: Sendable, Hashable {
    public var tenant: String
    public var workflow: String
    public var version: Int
    /// A UUID naming the version (Cloudflare's `version_id`).
    public var versionId: String
    public var language: CodeLanguage
    /// The code as uploaded.
    public var source: String
    /// What the sandbox runs: `source` compiled at upload.
    public var script: String
    /// Values handed to the tenant's workflow as `this.env`.
    public var env: [String: JSONValue]
    public var createdAt: Int64

    public init(
        tenant: String, workflow: String, version: Int, versionId: String, language: CodeLanguage, source: String, script: String,
        env: [String: JSONValue], createdAt: Int64
    ) {
        self.tenant = tenant
        self.workflow = workflow
        self.version = version
        self.versionId = versionId
        self.language = language
        self.source = source
        self.script = script
        self.env = env
        self.createdAt = createdAt
    }
}

extension BrigadeError.Code {
    /// Uploaded code that does not compile or has no `TenantWorkflow` class.
    public static let codeInvalid = Self(rawValue: "code.invalid")
    /// Uploaded code larger than ``BrigadeSettings/maxTenantCodeBytes``.
    public static let codeTooLarge = Self(rawValue: "code.too_large")
    /// A version that is not stored (deleted with its workflow).
    public static let codeNotFound = Self(rawValue: "code.not_found")
    /// The tenant's code went over a limit of its sandbox (CPU time, memory) or broke its rules.
    public static let sandboxLimit = Self(rawValue: "sandbox.limit_exceeded")
}
