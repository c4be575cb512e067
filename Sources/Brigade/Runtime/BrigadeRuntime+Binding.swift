import Foundation

/// `env.WORKFLOWS` and the tenant's `fetch` handler: the parts of a tenant module beyond its
/// `TenantWorkflow`.
extension BrigadeRuntime {
    /// The binding a tenant's code sees as `env.WORKFLOWS` for its workflow `workflow`. With
    /// `idempotentCreate` (code running in a step, whose replays repeat the call), a create of an
    /// id that exists answers that instance instead of failing.
    public func workflowsBinding(tenant: String, workflow: String, idempotentCreate: Bool = false) -> WorkflowsBinding {
        WorkflowsBinding(tenant: tenant, workflow: workflow) { [weak self] operation, arguments in
            guard let self else { throw CancellationError() }
            return try await self.performBinding(
                operation, arguments, tenant: tenant, workflow: workflow, idempotentCreate: idempotentCreate)
        }
    }

    /// Serves `request` with the `fetch` handler of the code `workflow` of `tenant` runs now,
    /// loaded through `loader`. Throws `workflow.not_found` for a workflow the tenant does not
    /// have and `code.no_fetch_handler` for one without deployed code or without a handler.
    public func fetch(tenant: String, workflow: String, _ request: TenantFetchRequest, loader: TenantCodeLoader) async throws
        -> TenantFetchResponse
    {
        let definition = try await definition(tenant: tenant, named: workflow)
        guard let version = definition.codeVersion else {
            throw BrigadeError(
                .noFetchHandler,
                "Workflow \"\(workflow)\" runs no deployed code, so it has no fetch handler; deploy a module with `export default { fetch }`."
            )
        }
        let runner = try await loader.runner(tenant: tenant, workflow: workflow, version: version)
        return try await runner.fetch(request, binding: workflowsBinding(tenant: tenant, workflow: workflow))
    }

    private func performBinding(
        _ operation: WorkflowsBinding.Operation, _ arguments: JSONValue, tenant: String, workflow: String, idempotentCreate: Bool
    ) async throws -> JSONValue {
        let trigger = InstanceTrigger(source: .binding)
        func key() throws -> InstanceKey {
            guard case .string(let id)? = arguments["id"] else {
                throw BrigadeError(.invalidInstanceId, "env.WORKFLOWS.\(operation.rawValue) needs the instance's id.")
            }
            try Validation.instanceId(id, settings: settings)
            return InstanceKey(tenant: tenant, workflow: workflow, id: id)
        }
        switch operation {
        case .create:
            let request = try Self.creation(arguments, settings: settings)
            let created = try await createInstances(
                tenant: tenant, workflow: workflow, [request], skipExisting: idempotentCreate && request.id != nil, trigger: trigger)
            guard let id = created.first ?? request.id else { throw BrigadeError.instanceAlreadyExists(try key()) }
            return .object(["id": .string(id)])
        case .createBatch:
            guard case .array(let items) = arguments, (1...settings.maxBatchSize).contains(items.count) else {
                throw BrigadeError(.invalidBatch, "env.WORKFLOWS.createBatch takes an array of 1–\(settings.maxBatchSize) {id?, params?}.")
            }
            let requests = try items.map { try Self.creation($0, settings: settings) }
            let created = try await createInstances(tenant: tenant, workflow: workflow, requests, skipExisting: true, trigger: trigger)
            return .array(created.map { .object(["id": .string($0)]) })
        case .get:
            let key = try key()
            _ = try await instanceRow(key)
            return .object(["id": .string(key.id)])
        case .status:
            let row = try await instanceRow(try key())
            // A finished instance's rollbacks, as `status()` carries them (null when none ran).
            var rollback = JSONValue.null
            if RollbackOutcome.mayHaveRun(for: row.status), let outcome = RollbackOutcome(status: row.status, steps: try await steps(row.key)) {
                rollback = .object([
                    "outcome": .string(outcome.outcome.rawValue),
                    "error": outcome.error?.json ?? .null,
                ])
            }
            var status: [String: JSONValue] = [
                "rollback": rollback,
                // The Workers API has no rollingBack: it keeps reporting running (contract §2.4).
                "status": .string(row.status == .rollingBack ? InstanceStatus.running.rawValue : row.status.rawValue),
                "error": row.error?.json ?? .null,
                "output": row.output.flatMap { try? JSONCoding.decode(JSONValue.self, from: $0) } ?? .null,
            ]
            // The routing metadata rides with the instance and reads back, as the seed says.
            if let params = try? JSONCoding.decode(JSONValue.self, from: row.params), let (metadata, _) = DispatcherEnvelope.unwrap(params)
            {
                status[DispatcherEnvelope.metadataKey] = .object(metadata)
            }
            return .object(status)
        case .pause: try await pause(try key())
        case .resume: try await resume(try key())
        case .terminate: try await terminate(try key())
        case .restart: try await restart(try key())
        case .sendEvent:
            guard case .string(let type)? = arguments["type"] else {
                throw BrigadeError(.invalidEventType, "env.WORKFLOWS instance sendEvent needs {type, payload}.")
            }
            try await sendEvent(try key(), type: type, payload: (arguments["payload"] ?? .null).jsonData())
        }
        return .null
    }

    /// `{id?, params?}` of a create.
    private static func creation(_ value: JSONValue, settings: BrigadeSettings) throws -> NewInstanceRequest {
        guard case .object(let fields) = value else {
            throw BrigadeError(.invalidBatch, "env.WORKFLOWS.create takes {id?, params?}.")
        }
        var id: String?
        switch fields["id"] {
        case nil, .null?: id = nil
        case .string(let text)?: id = text
        default: throw BrigadeError(.invalidInstanceId, "The id of env.WORKFLOWS.create must be a string.")
        }
        return NewInstanceRequest(id: id, params: (fields["params"] ?? .object([:])).jsonData())
    }
}
