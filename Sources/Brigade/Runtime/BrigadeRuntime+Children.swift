import Foundation

/// Child workflows: a step starts an instance of another workflow of the same tenant and waits
/// for it (``WorkflowStep/child(_:_:params:timeout:)``). The child's last write carries a notice
/// to the parent, committed with it; these are the runtime's parts: creating the child through
/// the usual rules and limits, and waking the parent where it runs.
extension BrigadeRuntime {
    /// The engine's way back to this runtime, holding it weakly.
    var engineHost: EngineHost {
        EngineHost(
            spawnChild: { [weak self] link, key, params in
                guard let self else { throw CancellationError() }
                try await self.spawnChild(link, key, params)
            },
            parentNotified: { [weak self] notice in await self?.parentNotified(notice) },
            binding: { [weak self] key in
                guard let self else { return EngineHost.none.binding(key) }
                return self.workflowsBinding(tenant: key.tenant, workflow: key.workflow, idempotentCreate: true)
            })
    }

    /// Creates the child unless it exists. An existing child must be this step's (an id taken
    /// by any other instance is refused); one that has ended already tells its parent again,
    /// for a parent restarted since (a restart drops the events it had).
    func spawnChild(_ link: ParentLink, _ key: InstanceKey, _ params: Data) async throws {
        if let existing = try await store.instance(key) {
            guard existing.trigger.parent == link else {
                throw BrigadeError(
                    .instanceAlreadyExists,
                    "The child workflow's id \"\(key.id)\" in workflow \"\(key.workflow)\" is taken by an instance that is not the child of step \"\(link.step)\".",
                    instanceId: link.id)
            }
            if let notice = ParentNotice(finished: existing) {
                try await sendEvent(notice.parent, type: notice.type, payload: notice.payload)
            }
            return
        }
        _ = try await createInstances(
            tenant: key.tenant, workflow: key.workflow, [NewInstanceRequest(id: key.id, params: params)], skipExisting: true,
            trigger: InstanceTrigger(source: .binding, parent: link))
    }

    /// A child's end was committed with its notice: hands the parent's engine the event where
    /// it runs, or wakes the parent (a hibernating parent was made due by the same commit; this
    /// only saves the sweep's delay).
    func parentNotified(_ notice: ParentNotice) async {
        do {
            guard let parent = try await store.instance(notice.parent), !parent.status.isTerminal,
                let event = try await store.pendingEvent(instance: parent.seq, type: notice.type)
            else { return }
            await localChef(
                for: parent.shardKey,
                else: ShardWakeup(
                    kind: .event, shard: parent.shardKey, seq: parent.seq, id: parent.key.id, event: event.seq, status: parent.status)
            )?
            .eventArrived(seq: parent.seq, id: parent.key.id, event: event, status: parent.status)
        } catch {
            logger.debug("waking the parent of a child workflow failed; its sweep finds it: \(error)")
        }
    }

    /// The children an instance's steps started, in step order, with the step that started each.
    public func children(of key: InstanceKey) async throws -> [(step: String, child: InstanceKey)] {
        try await steps(key).filter { $0.kind == .child }.compactMap { record in
            guard let child = ChildReference(config: record.config) else { return nil }
            return (record.displayName, InstanceKey(tenant: key.tenant, workflow: child.workflow, id: child.id))
        }
    }

    /// Terminates the children of `key` that have not ended, and theirs, depth first. A child
    /// already gone or ended is left as it is.
    func terminateChildren(of key: InstanceKey, depth: Int = 0) async throws {
        // A chain of children deeper than this is a loop of workflows starting each other.
        guard depth < 32 else { return }
        for (_, child) in try await children(of: key) {
            do {
                try await terminateChildren(of: child, depth: depth + 1)
                try await terminate(child)
            } catch let error as BrigadeError where error.code == .instanceNotFound || error.code == .cannotTerminate {
                continue
            }
        }
    }
}
