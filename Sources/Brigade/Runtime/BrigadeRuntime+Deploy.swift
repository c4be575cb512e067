import Foundation

extension BrigadeRuntime {
    /// Deploys a new version of a tenant's workflow code (dynamic workflows): checks and compiles
    /// it with `sandbox`, stores it as the next version, and binds `name` to the registered
    /// ``DynamicWorkflow`` so that instances created from now on run this version.
    ///
    /// Instances created before keep the version they were created with until they end.
    /// `env` is what the code sees as `this.env`.
    @discardableResult
    public func deployWorkflow(
        tenant: String = BrigadeRuntime.defaultTenant, name: String, source: String, language: CodeLanguage,
        env: [String: JSONValue] = [:], sandbox: any WorkflowSandbox, retention: Retention? = nil, stepLimit: Int? = nil
    ) async throws -> TenantCode {
        try await ready()
        try Validation.workflowName(name, settings: settings)
        try Validation.stepLimit(stepLimit, settings: settings)
        try Validation.retention(retention, settings: settings)
        let size = source.utf8.count
        guard size <= settings.maxTenantCodeBytes else {
            throw BrigadeError(
                .codeTooLarge,
                "The code for \"\(name)\" is \(size) bytes; the limit is \(settings.maxTenantCodeBytes) bytes (maxTenantCodeBytes). Move data out of the code, or split the workflow.")
        }
        guard !source.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw BrigadeError(.codeInvalid, "The code for \"\(name)\" is empty; upload a module that exports class TenantWorkflow.")
        }
        try await loadDefinitions()
        let (dispatcherRegistered, registeredName, existing) = state.withLock {
            ($0.workflows[DynamicWorkflow.name] != nil, $0.workflows[name] != nil, $0.definitions?[DefinitionKey(tenant, name)])
        }
        guard dispatcherRegistered else {
            throw BrigadeError(
                .workflowClassNotFound,
                "This runtime has no \(DynamicWorkflow.name) registered, so it cannot run tenant code; register DynamicWorkflow(loadRunner:) (brigade serve does).")
        }
        if registeredName {
            throw BrigadeError(.workflowNameTaken, "\"\(name)\" is a workflow of the hosting program; deploy your code under another name.")
        }
        if let existing, existing.className != DynamicWorkflow.name {
            throw BrigadeError(
                .workflowNameTaken,
                "\"\(name)\" is bound to class \"\(existing.className)\"; delete that workflow first (DELETE …/workflows/\(name)) or deploy under another name.")
        }
        let script = try await sandbox.compile(source, language: language, tenant: tenant)
        let now = clock.nowMilliseconds()
        let code = TenantCode(
            tenant: tenant, workflow: name, version: 0, versionId: UUID().uuidString.lowercased(), language: language, source: source,
            script: script, env: env, createdAt: now)
        let definition = WorkflowDefinition(
            tenant: tenant, name: name, className: DynamicWorkflow.name, scriptName: WorkflowDefinition.hostScript,
            retention: retention ?? existing?.retention, stepLimit: stepLimit ?? existing?.stepLimit,
            createdAt: existing?.createdAt ?? now, modifiedAt: now)
        let (stored, storedDefinition) = try await store.deployCode(code, definition: definition)
        state.withLock { $0.definitions?[DefinitionKey(tenant, name)] = storedDefinition }
        return stored
    }

    /// One stored version of a tenant's code; `code.not_found` if there is none.
    public func tenantCode(tenant: String = BrigadeRuntime.defaultTenant, workflow: String, version: Int) async throws -> TenantCode {
        try await ready()
        guard let code = try await store.tenantCode(tenant: tenant, workflow: workflow, version: version) else {
            throw BrigadeError(.codeNotFound, "Workflow \"\(workflow)\" has no version \(version).")
        }
        return code
    }

    /// The versions of a tenant's workflow code, newest first (empty for Swift workflows).
    public func tenantCodeVersions(tenant: String = BrigadeRuntime.defaultTenant, workflow: String) async throws -> [TenantCodeVersion] {
        try await ready()
        _ = try await self.definition(tenant: tenant, named: workflow)
        return try await store.tenantCodeVersions(tenant: tenant, workflow: workflow)
    }

    /// A loader whose runners read code from this runtime's store.
    public func makeCodeLoader(sandbox: any WorkflowSandbox, settings: TenantCodeLoader.Settings = .init()) -> TenantCodeLoader {
        let store = self.store
        let clock = self.clock
        return TenantCodeLoader(sandbox: sandbox, settings: settings, now: { clock.nowMilliseconds() }) { tenant, workflow, version in
            try await store.tenantCode(tenant: tenant, workflow: workflow, version: version)
        }
    }

    /// The dispatcher for tenant code deployed with ``deployWorkflow(tenant:name:source:language:env:sandbox:retention:stepLimit:)``:
    /// routes each run to the version its instance was created with, of the instance's own
    /// tenant — the metadata's `tenantId` is never trusted.
    public static func codeDispatcher(loader: TenantCodeLoader) -> DynamicWorkflow {
        DynamicWorkflow { request in
            guard let version = request.metadata["version"]?.wholeNumber(in: 1...Int.max) else {
                throw BrigadeError(
                    .notDispatched,
                    "Instance \(request.instanceId) carries no code version in its \(DispatcherEnvelope.metadataKey); it was not created through the tenant's API.",
                    instanceId: request.instanceId)
            }
            return try await loader.runner(tenant: request.tenant, workflow: request.workflow, version: version)
        }
    }
}
