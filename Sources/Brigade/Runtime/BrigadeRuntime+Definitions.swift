import Foundation

/// A tenant's workflow in the runtime's map of definitions.
struct DefinitionKey: Hashable, Sendable {
    var tenant: String
    var name: String
    init(_ tenant: String, _ name: String) {
        self.tenant = tenant
        self.name = name
    }
}

extension BrigadeRuntime.State {
    /// The class a tenant's workflow runs: a registered workflow of that name, or the class its
    /// definition binds the name to.
    func runner(tenant: String, workflow: String) -> AnyWorkflowRunner? {
        if let runner = workflows[workflow] { return runner }
        guard let definition = definitions?[DefinitionKey(tenant, workflow)] else { return nil }
        return workflows[definition.className]
    }
}

extension BrigadeRuntime {
    /// Reads every definition from the store once; later changes go through this runtime.
    func loadDefinitions() async throws {
        if state.withLock({ $0.definitions != nil }) { return }
        let stored = try await store.workflowDefinitions()
        state.withLock { state in
            guard state.definitions == nil else { return }
            state.definitions = Dictionary(stored.map { (DefinitionKey($0.tenant, $0.name), $0) }, uniquingKeysWith: { $1 })
        }
    }

    /// A tenant's workflows: those registered in Swift (script `brigade`, class = name, dated
    /// when the runtime was made, unless the tenant gave one its own defaults) and its own
    /// definitions, by name.
    public func definitions(tenant: String = BrigadeRuntime.defaultTenant) async throws -> [WorkflowDefinition] {
        try await ready()
        try await loadDefinitions()
        return state.withLock { state in
            var byName: [String: WorkflowDefinition] = [:]
            // The dispatcher of tenant code is machinery, not a workflow a tenant runs by name.
            for (name, runner) in state.workflows where !runner.isDispatcher {
                byName[name] = WorkflowDefinition(tenant: tenant, name: name, className: name, createdAt: madeAt, modifiedAt: madeAt)
            }
            for (key, definition) in state.definitions ?? [:] where key.tenant == tenant {
                byName[key.name] = definition
            }
            return byName.values.sorted { $0.name < $1.name }
        }
    }

    /// One of a tenant's workflows; throws `workflow.not_found` (404 over HTTP) otherwise.
    public func definition(tenant: String = BrigadeRuntime.defaultTenant, named name: String) async throws -> WorkflowDefinition {
        try await ready()
        try await loadDefinitions()
        let found = state.withLock { state -> WorkflowDefinition? in
            if let definition = state.definitions?[DefinitionKey(tenant, name)] { return definition }
            guard state.workflows[name] != nil else { return nil }
            return WorkflowDefinition(tenant: tenant, name: name, className: name, createdAt: madeAt, modifiedAt: madeAt)
        }
        guard let found else {
            throw BrigadeError.workflowNotFound(name)
        }
        return found
    }

    /// Creates or updates a tenant's workflow (Cloudflare's `PUT …/workflows/{name}`): binds
    /// `name` to `className`, a workflow registered in Swift (script `brigade`), with defaults
    /// for the instances created from now on. Instances already created keep theirs.
    ///
    /// A registered workflow's own name can only be bound to its own class. Rebinding a name
    /// to another class is refused while it has unfinished instances (they would replay on
    /// code they did not start with).
    ///
    /// `schedules`, when given, becomes the workflow's whole set of cron schedules (an empty
    /// array removes them; nil leaves them as they are): see ``replaceSchedules(tenant:workflow:_:)``.
    @discardableResult
    public func putWorkflow(
        tenant: String = BrigadeRuntime.defaultTenant, name: String, className: String,
        scriptName: String = WorkflowDefinition.hostScript, retention: Retention? = nil, stepLimit: Int? = nil,
        schedules: [String]? = nil
    ) async throws -> WorkflowDefinition {
        try await ready()
        try Validation.workflowName(name, settings: settings)
        // Every cron parses before anything is stored.
        let crons = try schedules.map(Self.parseSchedules)
        try await loadDefinitions()
        guard scriptName == WorkflowDefinition.hostScript else {
            throw BrigadeError(
                .workflowScriptNotFound,
                "No script \"\(scriptName.prefix(80))\" in this account; the workflows this server runs are the classes of script \"\(WorkflowDefinition.hostScript)\".")
        }
        let (classes, existing) = state.withLock { ($0.workflows.keys.sorted(), $0.definitions?[DefinitionKey(tenant, name)]) }
        guard classes.contains(className) else {
            throw BrigadeError(
                .workflowClassNotFound,
                "No class \"\(className.prefix(80))\" in script \"\(scriptName)\"; the classes are: \(classes.joined(separator: ", ")).")
        }
        if classes.contains(name) && className != name {
            throw BrigadeError(
                .workflowClassNotFound,
                "\"\(name)\" is a workflow of the hosting program and runs its own class; pick another name to bind to class \"\(className)\".")
        }
        try Validation.stepLimit(stepLimit, settings: settings)
        try Validation.retention(retention, settings: settings)
        let rebinding = existing != nil && existing!.className != className
        if rebinding {
            let counts = try await store.instanceCounts(tenant: tenant, workflow: name)
            let unfinished = counts.filter { !$0.key.isTerminal }.values.reduce(0, +)
            if unfinished > 0 {
                throw BrigadeError(
                    .workflowHasInstances,
                    "Workflow \"\(name)\" has \(unfinished) unfinished instances of class \"\(existing!.className)\"; they must end (or be terminated) before it is bound to class \"\(className)\".")
            }
        }
        let now = clock.nowMilliseconds()
        let stored = try await store.putWorkflowDefinition(
            WorkflowDefinition(
                tenant: tenant, name: name, className: className, scriptName: scriptName, retention: retention, stepLimit: stepLimit,
                // A workflow of deployed code keeps running its code when only its settings
                // or schedules change.
                codeVersion: rebinding ? nil : existing?.codeVersion,
                createdAt: existing?.createdAt ?? now, modifiedAt: now))
        let chefs = state.withLock { state -> [SousChef] in
            state.definitions?[DefinitionKey(tenant, name)] = stored
            return state.chefs.filter { $0.key.tenant == tenant && $0.key.workflow == name }.map(\.value)
        }
        if rebinding, let runner = state.withLock({ $0.workflows[className] }) {
            for chef in chefs { chef.replaceRunner(runner) }
        }
        if let crons { try await storeSchedules(tenant: tenant, workflow: name, crons) }
        return stored
    }

    /// Deletes a tenant's own workflow and every instance of it (Cloudflare's
    /// `DELETE …/workflows/{name}`). A workflow registered in Swift belongs to the hosting
    /// program and cannot be deleted (`workflow.cannot_delete`); its instances can.
    public func deleteWorkflow(tenant: String = BrigadeRuntime.defaultTenant, named name: String) async throws {
        try await ready()
        try await loadDefinitions()
        let (definition, registered) = state.withLock { ($0.definitions?[DefinitionKey(tenant, name)], $0.workflows[name] != nil) }
        if registered {
            throw BrigadeError(
                .workflowCannotDelete,
                "\"\(name)\" is a workflow of the hosting program, there for every account; delete its instances instead (…/instances/batch/delete).")
        }
        guard definition != nil else {
            throw BrigadeError.workflowNotFound(name)
        }
        // Delete the instances first: if this stops half way, the definition is still there
        // and a second DELETE finishes the job.
        while true {
            let page = try await listInstances(tenant: tenant, workflow: name, InstanceQuery(limit: 1_000))
            for row in page.instances {
                do { try await delete(row.key) } catch let error as BrigadeError where error.code == .instanceNotFound {}
            }
            if page.nextCursor == nil { break }
        }
        _ = try await store.deleteWorkflowDefinition(tenant: tenant, name: name)
        state.withLock { _ = $0.definitions?.removeValue(forKey: DefinitionKey(tenant, name)) }
    }
}
