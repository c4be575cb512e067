import Foundation

extension Engine {
    /// `step.waitForEvent`: delivers the oldest kept event of `type` (sent before the deadline), or
    /// parks until one arrives or the timeout passes. Returns the stored event (JSON
    /// `{type, payload, timestamp}`).
    func runWaitForEvent(_ name: String, type: String, timeout: Duration, count: Int? = nil) async throws -> Data {
        do {
            try Validation.eventType(type, settings: settings)
            try Validation.waitTimeout(timeout, of: "waitForEvent \"\(name)\"", settings: settings, instanceId: instanceId, stepName: name)
        } catch let error as BrigadeError {
            throw fail(error)
        }
        let entry = try await enterStep(.waitForEvent, name, count: count)
        defer { exitStep() }
        let stepName = "\(name)-\(entry.identity.count)"
        let timedOut = WaitForEventTimeoutError(stepName: name, count: entry.identity.count, eventType: type)

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
                name: name, count: entry.identity.count, kind: .waitForEvent, position: entry.position,
                status: .waiting, deadline: now + timeout.wholeMilliseconds, eventType: type, startedAt: now
            )
            try await commit(
                [record],
                history: [HistoryEntry(.waitStarted, at: now, step: stepName, data: ["eventType": .string(type)])],
                awaitCommit: false
            )
        }
        var deadline = record.deadline ?? clock.nowMilliseconds()
        var mocked: Data?
        switch settings.stepHooks?.event(name, count: entry.identity.count, type: type, of: key) {
        case .payload(let payload)?: mocked = payload
        case .timeout?: deadline = clock.nowMilliseconds()
        case nil: break
        }

        if let mocked {
            let now = clock.nowMilliseconds()
            let stored = try JSONCoding.encode(MockedEvent(payload: try JSONCoding.decode(JSONValue.self, from: mocked), timestamp: now, type: type))
            record.status = .complete
            record.value = stored
            record.endedAt = now
            try await commit(
                [record], history: [HistoryEntry(.waitCompleted, at: now, step: stepName, data: ["eventType": .string(type)])],
                awaitCommit: true)
            return stored
        }
        guard let event = try await awaitEvent(type: type, deadline: deadline) else {
            let now = clock.nowMilliseconds()
            record.status = .timedOut
            record.error = ErrorInfo(timedOut)
            record.endedAt = now
            try await commit([record], history: [HistoryEntry(.waitTimedOut, at: now, step: stepName)], awaitCommit: true)
            throw timedOut
        }
        let now = clock.nowMilliseconds()
        var stored = Data()
        stored.append(contentsOf: #"{"payload":"#.utf8)
        stored.append(event.payload)
        stored.append(contentsOf: #","timestamp":\#(event.createdAt),"type":"#.utf8)
        stored.append(try JSONCoding.encode(event.type))
        stored.append(contentsOf: "}".utf8)
        record.status = .complete
        record.value = stored
        record.endedAt = now
        // The event is consumed in the same transaction that records the step: delivered once.
        try await commit(
            [record],
            history: [HistoryEntry(.waitCompleted, at: now, step: stepName, data: ["eventType": .string(type)])],
            consumedEvents: [event.seq],
            awaitCommit: true
        )
        return stored
    }
}

/// A mocked event in the stored form of a delivered one (``StoredEvent``'s fields).
private struct MockedEvent: Encodable {
    var payload: JSONValue
    var timestamp: Int64
    var type: String
}
