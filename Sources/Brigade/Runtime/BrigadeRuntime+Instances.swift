import Foundation

/// One item of a batch create, with JSON params.
public struct NewInstanceRequest: Sendable {
    public var id: String?
    public var params: Data
    public var retention: Retention?

    public init(id: String? = nil, params: Data, retention: Retention? = nil) {
        self.id = id
        self.params = params
        self.retention = retention
    }
}

/// Operations on instances by key, with JSON payloads. The typed ``WorkflowClient`` and
/// ``WorkflowInstance`` are built on these; servers use them directly.
extension BrigadeRuntime {
    /// Creates an instance. Throws `instance.already_exists` if the id is taken within retention.
    /// - Returns: the instance id (a random UUID when `id` is nil).
    @discardableResult
    public func createInstance(
        tenant: String = BrigadeRuntime.defaultTenant, workflow: String, id: String? = nil,
        params: Data, retention: Retention? = nil
    ) async throws -> String {
        let created = try await createInstances(
            tenant: tenant, workflow: workflow,
            [NewInstanceRequest(id: id, params: params, retention: retention)], skipExisting: false
        )
        return created[0]
    }

    /// Creates 1–100 instances; ids that already exist are skipped and left out of the result.
    public func createInstanceBatch(
        tenant: String = BrigadeRuntime.defaultTenant, workflow: String, _ requests: [NewInstanceRequest]
    ) async throws -> [String] {
        guard !requests.isEmpty, requests.count <= settings.maxBatchSize else {
            throw BrigadeError(
                .invalidBatch, "A batch holds 1–\(settings.maxBatchSize) instances; this one has \(requests.count). Split it.")
        }
        return try await createInstances(tenant: tenant, workflow: workflow, requests, skipExisting: true)
    }

    func createInstances(
        tenant: String, workflow: String, _ requests: [NewInstanceRequest], skipExisting: Bool,
        dispatcherMetadata: [String: JSONValue]? = nil, trigger: InstanceTrigger = .api
    ) async throws -> [String] {
        try Validation.workflowName(workflow, settings: settings)
        try await ready()
        try await loadDefinitions()
        let (runner, definition) = state.withLock { state in
            (state.runner(tenant: tenant, workflow: workflow), state.definitions?[DefinitionKey(tenant, workflow)])
        }
        guard let runner else {
            throw BrigadeError(
                .workflowNotRegistered,
                "No workflow named \"\(workflow)\" is registered with this runtime; call register(_:) with it first, or PUT a definition for it.")
        }
        // A tenant's deployed code: every create is tagged with the version it will run (until it
        // ends) and the tenant it belongs to, in the dispatcher's envelope.
        var routing = dispatcherMetadata
        if let version = definition?.codeVersion {
            routing = (dispatcherMetadata ?? [:]).merging(
                ["tenantId": .string(tenant), "workflow": .string(workflow), "version": .number(Double(version))]
            ) { _, ours in ours }
        }
        if runner.isDispatcher && routing == nil {
            throw BrigadeError(
                .notDispatched,
                "\"\(workflow)\" dispatches to tenant code, so its instances need routing metadata: create them through a wrapped binding (wrapWorkflowBinding), or deploy code under a name of your own and create instances of that.")
        }
        let envelopePrefix = try routing.map { metadata -> Data in
            var prefix = Data("{\"\(DispatcherEnvelope.metadataKey)\":".utf8)
            prefix.append(try JSONCoding.encode(JSONValue.object(metadata)))
            prefix.append(contentsOf: Array(",\"\(DispatcherEnvelope.paramsKey)\":".utf8))
            return prefix
        }
        let now = clock.nowMilliseconds()
        var seen = Set<String>()
        var instances: [NewInstance] = []
        for var request in requests {
            let id = request.id ?? UUID().uuidString.lowercased()
            try Validation.instanceId(id, settings: settings)
            try Validation.retention(request.retention, settings: settings)
            try Validation.payloadSize(
                request.params.count, limit: settings.maxParamsBytes, what: "params of instance \(id)", instanceId: id)
            // Within one batch the first occurrence of an id wins, as with ids already stored.
            if !seen.insert(id).inserted {
                if skipExisting { continue }
                throw BrigadeError.instanceAlreadyExists(InstanceKey(tenant: tenant, workflow: workflow, id: id))
            }
            if let envelopePrefix {
                var wrapped = envelopePrefix
                wrapped.append(request.params.isEmpty ? Data("null".utf8) : request.params)
                wrapped.append(UInt8(ascii: "}"))
                request.params = wrapped
            }
            instances.append(
                NewInstance(
                    key: InstanceKey(tenant: tenant, workflow: workflow, id: id), params: request.params,
                    shard: shard(of: id), retention: request.retention ?? definition?.retention, createdAt: now,
                    stepLimit: definition?.stepLimit, trigger: trigger
                ))
        }
        guard !instances.isEmpty else { return [] }
        let account = account(for: tenant)
        try account.admitCreations(workflow: workflow, count: instances.count, now: now)
        // An instance that will start at once on this node is claimed by its creation: one write
        // fewer, and its engine starts without reading it back (see `NewInstance.claimed`).
        var claims: [Int: (chef: SousChef, mark: Int, granted: Int)] = [:]
        for (shard, count) in Dictionary(instances.map { ($0.shard, 1) }, uniquingKeysWith: +) {
            guard let chef = chef(for: ShardKey(tenant: tenant, workflow: workflow, shard: shard)) else { continue }
            let (mark, granted) = chef.claimCreations(count)
            if granted > 0 { claims[shard] = (chef, mark, granted) }
        }
        defer { for claim in claims.values { claim.chef.releaseClaims(claim.granted) } }
        var unclaimed = claims.mapValues(\.granted)
        for index in instances.indices where unclaimed[instances[index].shard, default: 0] > 0 {
            instances[index].claimed = true
            unclaimed[instances[index].shard]! -= 1
        }
        let inserted = try await store.createInstances(
            instances, skipExisting: skipExisting, maxQueued: account.settings.maxQueuedPerWorkflow)
        var ids: [String] = []
        for (instance, seq) in zip(instances, inserted) {
            guard let seq else { continue }
            ids.append(instance.key.id)
            // Telling the SousChef is an optimisation: the row's due time is the alarm.
            let shard = ShardKey(tenant: tenant, workflow: workflow, shard: instance.shard)
            let claimed = instance.claimed ? instance.claimedSnapshot(seq: seq) : nil
            await localChef(for: shard, else: ShardWakeup(kind: .created, shard: shard, seq: seq, id: instance.key.id))?
                .created(seq: seq, id: instance.key.id, claimed: claimed, mark: claims[instance.shard]?.mark)
        }
        metrics.instancesCreated.increment(by: Int64(ids.count))
        return ids
    }

    /// The stored row of an instance; throws `instance.not_found`.
    public func instanceRow(_ key: InstanceKey) async throws -> InstanceRow {
        try await ready()
        guard let row = try await store.instance(key) else { throw BrigadeError.instanceNotFound(key) }
        return row
    }

    /// Pauses a running or waiting instance. Steps executing now finish first
    /// (`waitingForPause`), then it is `paused`. No effect on queued, paused or finished instances.
    public func pause(_ key: InstanceKey) async throws {
        let row = try await instanceRow(key)
        let chef = chef(for: ShardKey(tenant: key.tenant, workflow: key.workflow, shard: row.shard))
        if let engine = chef?.liveEngine(seq: row.seq), try await engine.requestPause() { return }
        let paused = try await store.pause(key, now: clock.nowMilliseconds())
        signals.historyGrew(key)
        if let chef {
            if paused.status == .paused { chef.forget(seq: row.seq) }
        } else {
            await wakeOwner(ShardWakeup(kind: .changed, shard: row.shardKey, seq: row.seq, id: key.id))
        }
    }

    /// Resumes a paused instance (replaying from the top; committed steps are not run again), or
    /// cancels a pause that has not taken effect yet. No effect on other statuses.
    public func resume(_ key: InstanceKey) async throws {
        let row = try await instanceRow(key)
        let chef = chef(for: ShardKey(tenant: key.tenant, workflow: key.workflow, shard: row.shard))
        if let engine = chef?.liveEngine(seq: row.seq), try await engine.cancelPause() { return }
        let resumed = try await store.resume(key, now: clock.nowMilliseconds())
        signals.historyGrew(key)
        if let chef {
            if resumed.status == .queued { chef.wake(seq: row.seq, id: key.id) }
        } else {
            await wakeOwner(ShardWakeup(kind: .changed, shard: row.shardKey, seq: row.seq, id: key.id))
        }
    }

    /// Terminates an instance that has not finished; throws `instance.cannot_terminate` otherwise.
    ///
    /// With `rollback`, the rollbacks its steps registered run first (contract §2.3): the
    /// instance is `rollingBack` meanwhile, and `terminated` once they ran (or one failed).
    ///
    /// With `children`, the child workflows its steps started (``WorkflowStep/child(_:_:params:timeout:)``)
    /// and theirs are terminated first; without, they run on, and their outcomes find the parent
    /// ended.
    public func terminate(_ key: InstanceKey, rollback: Bool = false, children: Bool = false) async throws {
        try await ready()
        if children { try await terminateChildren(of: key) }
        if rollback {
            // The rollbacks run in the instance's next lifetime: the running one is stopped and
            // the instance, due now, is started again to roll back and end `terminated`.
            let row = try await store.terminateWithRollback(key, now: clock.nowMilliseconds())
            signals.historyGrew(key)
            let chef = await localChef(for: row.shardKey, else: ShardWakeup(kind: .changed, shard: row.shardKey, seq: row.seq, id: key.id))
            chef?.stop(seq: row.seq)
            chef?.wake(seq: row.seq, id: key.id)
            return
        }
        let row = try await store.terminate(key, now: clock.nowMilliseconds(), defaultRetention: settings.errorRetention)
        await localChef(for: row.shardKey, else: ShardWakeup(kind: .changed, shard: row.shardKey, seq: row.seq, id: key.id))?
            .stop(seq: row.seq)
        signals.finished(key)
        // A child's end was told to its parent in the same commit; wake it.
        if let notice = ParentNotice(finished: row) { await parentNotified(notice) }
    }

    /// Restarts an instance from any status: from scratch, or from a recorded step (`from`), reusing
    /// the results of the steps recorded before it.
    public func restart(_ key: InstanceKey, from: StepSelector? = nil) async throws {
        try await ready()
        // A restart counts toward the creation rate, as in the contract.
        try account(for: key.tenant).admitCreations(workflow: key.workflow, count: 1, now: clock.nowMilliseconds())
        let row = try await store.restart(key, from: from, now: clock.nowMilliseconds())
        signals.historyGrew(key)
        let chef = await localChef(for: row.shardKey, else: ShardWakeup(kind: .changed, shard: row.shardKey, seq: row.seq, id: key.id))
        chef?.stop(seq: row.seq)
        chef?.wake(seq: row.seq, id: key.id)
    }

    /// Deletes an instance and everything stored for it; a running one is stopped.
    public func delete(_ key: InstanceKey) async throws {
        try await ready()
        let row = try await store.delete(key)
        await localChef(for: row.shardKey, else: ShardWakeup(kind: .changed, shard: row.shardKey, seq: row.seq, id: key.id))?
            .stop(seq: row.seq)
        signals.finished(key)
        // A child deleted before it ended would leave its parent waiting: tell it.
        if let link = row.trigger.parent, !row.status.isTerminal {
            let notice = ParentNotice(
                link: link, child: key, status: .terminated, output: nil,
                error: ErrorInfo(name: "ChildDeleted", message: "The child instance was deleted before it ended."))
            try? await sendEvent(notice.parent, type: notice.type, payload: notice.payload)
        }
    }

    /// Deletes 1–100 instances of a workflow, as Cloudflare's `deleteBatch`: every id is checked
    /// first, and an invalid one fails the whole call before anything is deleted; an id given
    /// twice is deleted once and reported at each of its positions. Returns, by position, whether
    /// the instance was deleted (false: there was no such instance).
    public func deleteBatch(tenant: String = BrigadeRuntime.defaultTenant, workflow: String, ids: [String]) async throws -> [Bool] {
        guard (1...settings.maxBatchSize).contains(ids.count) else {
            throw BrigadeError(.invalidBatch, "A batch deletes 1–\(settings.maxBatchSize) instances; \(ids.count) were given.")
        }
        for id in ids { try Validation.instanceId(id, settings: settings) }
        var deleted: Set<String> = []
        var outcomes: [Bool] = []
        for id in ids {
            if deleted.contains(id) {
                outcomes.append(true)
                continue
            }
            do {
                try await delete(InstanceKey(tenant: tenant, workflow: workflow, id: id))
                deleted.insert(id)
                outcomes.append(true)
            } catch let error as BrigadeError where error.code == .instanceNotFound {
                outcomes.append(false)
            }
        }
        return outcomes
    }

    /// Sends an event (JSON payload) to an instance. It is kept until a `waitForEvent` of that
    /// type consumes it. Throws `instance.finished` for a finished instance.
    public func sendEvent(_ key: InstanceKey, type: String, payload: Data) async throws {
        try await ready()
        try Validation.eventType(type, settings: settings)
        try Validation.payloadSize(
            payload.count, limit: settings.maxEventPayloadBytes, what: "payload of event \"\(type)\"", instanceId: key.id)
        let sent = try await store.sendEvent(key, type: type, payload: payload, now: clock.nowMilliseconds())
        let shard = ShardKey(tenant: key.tenant, workflow: key.workflow, shard: sent.shard)
        await localChef(
            for: shard, else: ShardWakeup(kind: .event, shard: shard, seq: sent.seq, id: key.id, event: sent.event.seq, status: sent.status)
        )?
        .eventArrived(seq: sent.seq, id: key.id, event: sent.event, status: sent.status)
    }

    /// The step records of an instance, in the order they were first recorded.
    public func steps(_ key: InstanceKey) async throws -> [StepRecord] {
        _ = try await instanceRow(key)
        return try await store.steps(of: key)
    }

    /// The history of an instance after `afterId` (0 for all).
    public func history(_ key: InstanceKey, afterId: Int64 = 0, limit: Int = 1_000) async throws -> [HistoryEvent] {
        _ = try await instanceRow(key)
        return try await store.history(of: key, afterId: afterId, limit: limit)
    }

    /// Waits until the instance is `complete`, `errored` or `terminated`, and returns its row.
    /// Resumed by the engine that finishes it, without polling.
    public func waitForCompletion(_ key: InstanceKey) async throws -> InstanceRow {
        // Subscribed before each read, so that a finish between the read and the wait wakes it.
        let subscription = signals.subscribe(key, .finish)
        defer { signals.unsubscribe(subscription) }
        while true {
            let row = try await instanceRow(key)
            if row.status.isTerminal { return row }
            await subscription.signal.wait()
            try Task.checkCancellation()
        }
    }

    /// A page of a workflow's instances, by (creation time, id), optionally of one status.
    /// Pass the page's `nextCursor` to get the next one.
    public func listInstances(
        tenant: String = BrigadeRuntime.defaultTenant, workflow: String, _ query: InstanceQuery = InstanceQuery()
    ) async throws -> InstancePage {
        try await ready()
        guard (1...1_000).contains(query.limit) else {
            throw BrigadeError(.invalidQuery, "A page holds 1–1000 instances; \(query.limit) was asked for.")
        }
        let position = try query.cursor.map(ListingPosition.init(cursor:))
        var rows = try await store.listInstances(
            tenant: tenant, workflow: workflow, status: query.status, created: query.createdRange, after: position,
            direction: query.direction,
            limit: query.limit + 1
        )
        var next: String?
        if rows.count > query.limit {
            rows.removeLast()
            next = rows.last.map { ListingPosition(createdAt: $0.createdAt, id: $0.key.id).cursor }
        }
        return InstancePage(instances: rows, nextCursor: next)
    }

    /// How many instances of a workflow are in each status. Every status is present (0 if none).
    public func instanceCounts(tenant: String = BrigadeRuntime.defaultTenant, workflow: String) async throws -> [InstanceStatus: Int] {
        try await ready()
        var counts = try await store.instanceCounts(tenant: tenant, workflow: workflow)
        for status in InstanceStatus.allCases where counts[status] == nil { counts[status] = 0 }
        return counts
    }

    /// How many instances are in each status over every tenant and workflow (every status
    /// present, zero when none): the `brigade_instances` gauge.
    public func instanceCountsByStatus() async throws -> [InstanceStatus: Int] {
        try await ready()
        var counts = try await store.instanceCountsByStatus()
        for status in InstanceStatus.allCases where counts[status] == nil { counts[status] = 0 }
        return counts
    }
}

extension InstanceRow {
    /// The SousChef shard the instance lives in.
    var shardKey: ShardKey { ShardKey(tenant: key.tenant, workflow: key.workflow, shard: shard) }
}
