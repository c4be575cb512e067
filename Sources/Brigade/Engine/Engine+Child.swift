import Foundation

extension Engine {
    /// `step.child`: starts an instance of `workflow` with `params` (its id derived from this
    /// instance and the step, so a replay never starts a second) and waits for it durably — the
    /// instance hibernates, and the child's end, committed with a notice to this instance, wakes
    /// it. Returns the child's output as JSON; throws ``ChildWorkflowError`` when the child
    /// errored, was terminated or deleted, or the wait timed out.
    func runChild(_ name: String, workflow: String, params: Data, timeout: Duration, count: Int? = nil) async throws -> Data {
        do {
            try Validation.workflowName(workflow, settings: settings)
            try Validation.payloadSize(
                params.count, limit: settings.maxParamsBytes, what: "params of child workflow \"\(workflow)\" of step \"\(name)\"",
                instanceId: instanceId)
            try Validation.waitTimeout(timeout, of: "step.child \"\(name)\"", settings: settings, instanceId: instanceId, stepName: name)
        } catch let error as BrigadeError {
            throw fail(error)
        }
        let entry = try await enterStep(.child, name, count: count)
        defer { exitStep() }
        let stepName = "\(name)-\(entry.identity.count)"
        let childKey = InstanceKey(
            tenant: key.tenant, workflow: workflow, id: ChildWorkflow.instanceId(parent: key, step: name, count: entry.identity.count))
        let type = ChildWorkflow.eventType(childId: childKey.id)
        let link = ParentLink(workflow: key.workflow, id: key.id, step: stepName)

        var record: StepRecord
        if let stored = entry.record {
            switch ReplayAnswer(stored, name: name) {
            case .value(let value): return value ?? Data("null".utf8)
            case .failed(let error): throw error
            case .resume: record = stored
            }
        } else {
            let now = clock.nowMilliseconds()
            record = StepRecord(
                name: name, count: entry.identity.count, kind: .child, position: entry.position, status: .waiting,
                config: ChildReference(workflow: workflow, id: childKey.id).config, deadline: now + timeout.wholeMilliseconds,
                eventType: type, startedAt: now)
            // Recorded before the child exists: a crash in between finds the record and starts it
            // on the next replay, never a second child.
            try await commit(
                [record],
                history: [
                    HistoryEntry(
                        .childStarted, at: now, step: stepName,
                        data: ["child": .object(["workflow": .string(workflow), "id": .string(childKey.id)])])
                ],
                awaitCommit: true)
        }
        let deadline = record.deadline ?? clock.nowMilliseconds()
        // The outcome may be here already (the child ended while this instance slept);
        // otherwise make sure the child exists: the lifetime that recorded the step may have
        // ended before it started it.
        let buffered = takeBufferedEvent(type: type, notAfter: deadline)
        while buffered == nil {
            do {
                try await host.spawnChild(link, childKey, params)
                break
            } catch let error as BrigadeError where error.code == .rateLimited || error.code == .queueFull || error.isStorageFailure {
                // A limit or an outage of the moment, not the workflow's fault: try again after
                // the wait it asks for (the step stays recorded; a stop ends the wait).
                logger.debug("starting child workflow \(workflow) waits: \(error)")
                try await Task.sleep(for: error.retryAfter ?? .seconds(1))
                try checkNotUnwinding()
            } catch let error as BrigadeError {
                // The child cannot be started (no such workflow, its id taken by another
                // instance): this step fails, and `run` sees why.
                var refused = error
                refused.stepName = stepName
                throw fail(refused)
            }
        }
        let delivered: EventRecord?
        if let buffered { delivered = buffered } else { delivered = try await awaitEvent(type: type, deadline: deadline) }
        guard let event = delivered else {
            let now = clock.nowMilliseconds()
            let timedOut = ChildWorkflowError(stepName: stepName, workflow: workflow, instanceId: childKey.id, status: "timedOut")
            record.status = .timedOut
            record.error = ErrorInfo(timedOut)
            record.endedAt = now
            try await commit([record], history: [HistoryEntry(.childTimedOut, at: now, step: stepName)], awaitCommit: true)
            throw timedOut
        }
        let now = clock.nowMilliseconds()
        record.status = .complete
        record.value = event.payload
        record.endedAt = now
        let status = (try? JSONCoding.decode(JSONValue.self, from: event.payload))?["status"] ?? .null
        // The outcome is consumed in the same transaction that records it: delivered once.
        try await commit(
            [record], history: [HistoryEntry(.childCompleted, at: now, step: stepName, data: ["status": status])],
            consumedEvents: [event.seq], awaitCommit: true)
        return try ChildWorkflow.result(of: event.payload, stepName: stepName, child: ChildReference(workflow: workflow, id: childKey.id))
            .get()
    }
}
