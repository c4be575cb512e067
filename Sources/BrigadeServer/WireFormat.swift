import Brigade
import Foundation

/// The JSON shapes of Cloudflare's v4 Workflows API, built from Brigade's rows.
enum WireFormat {
    static let decoder = JSONDecoder()

    /// ISO 8601 with milliseconds in UTC, as Cloudflare writes timestamps.
    static func timestamp(_ milliseconds: Int64?) -> JSONValue {
        guard let milliseconds else { return .null }
        let date = Date(millisecondsSince1970: milliseconds)
        return .string(date.formatted(.iso8601.year().month().day().time(includingFractionalSeconds: true).timeZone(separator: .omitted)))
    }

    /// Stored JSON as a value; stored bytes that do not parse are shown as a string.
    static func json(_ data: Data?) -> JSONValue {
        guard let data else { return .null }
        return (try? decoder.decode(JSONValue.self, from: data)) ?? .string(String(decoding: data, as: UTF8.self))
    }

    static func error(_ error: ErrorInfo?) -> JSONValue {
        error?.json ?? .null
    }

    /// An item of `GET …/instances`.
    static func summary(_ row: InstanceRow, versions: CodeVersions = .none) -> JSONValue {
        var object: [String: JSONValue] = [
            "id": .string(row.key.id), "status": .string(row.status.rawValue), "created_on": timestamp(row.createdAt),
            "modified_on": timestamp(row.modifiedAt), "started_on": timestamp(row.startedAt), "ended_on": timestamp(row.endedAt),
            "version_id": .string(versions.id(of: row)), "workflow_id": .string(workflowId(tenant: row.key.tenant, name: row.key.workflow)),
            "trigger_source": .string(row.trigger.source.rawValue),
        ]
        if let version = versions.number(of: row) { object["code_version"] = .number(Double(version)) }
        return .object(object)
    }

    /// The one version of a workflow registered in Swift: it runs the code of the process.
    static let versionId = "00000000-0000-0000-0000-000000000001"

    /// Version ids of a dynamic workflow's code, by version number; an instance's version is in
    /// its dispatcher envelope.
    ///
    /// Only a workflow of deployed code has envelopes, and there the runtime wraps every create
    /// itself (the tenant's params sit inside). For any other workflow (``none``) params that
    /// look like an envelope are the tenant's own data and are never read as one.
    struct CodeVersions: Sendable {
        /// Empty for a workflow that runs no deployed code: a deployed one has a version at least.
        var ids: [Int: String]
        static let none = CodeVersions(ids: [:])

        init(ids: [Int: String]) { self.ids = ids }

        init(_ versions: [TenantCodeVersion]) {
            ids = Dictionary(versions.map { ($0.version, $0.versionId) }, uniquingKeysWith: { first, _ in first })
        }

        func id(of row: InstanceRow) -> String {
            number(of: row).flatMap { ids[$0] } ?? WireFormat.versionId
        }

        /// The code version in the row's envelope; nil for a workflow without envelopes, or a
        /// stored value that is not a version (shown without one rather than failing the read).
        func number(of row: InstanceRow) -> Int? {
            guard !ids.isEmpty, row.params.starts(with: Data("{\"\(DispatcherEnvelope.metadataKey)\"".utf8)),
                let (metadata, _) = DispatcherEnvelope.unwrap(json(row.params))
            else { return nil }
            return metadata["version"]?.wholeNumber(in: 1...Int.max)
        }
    }

    /// `GET …/instances/{id}`: the reference's §3.2 shape; `steps` left out when `simple`.
    static func description(
        _ row: InstanceRow, steps: [StepRecord], history: [HistoryEvent], ascending: Bool, simple: Bool, versions: CodeVersions = .none
    ) -> JSONValue {
        // Rollbacks are listed among the steps (type `rollback`) and summed up in `rollback`.
        let rollbackOutcome = RollbackOutcome(status: row.status, steps: steps)
        var object: [String: JSONValue] = [
            "status": .string(row.status.rawValue), "params": json(row.params), "trigger": .object(["source": .string(row.trigger.source.rawValue)]),
            "versionId": .string(versions.id(of: row)), "queued": timestamp(row.createdAt), "start": timestamp(row.startedAt),
            "end": timestamp(row.endedAt), "output": json(row.output), "error": error(row.error),
            "success": row.status == .complete ? .bool(true) : (row.status == .errored || row.status == .terminated ? .bool(false) : .null),
            "step_count": .number(Double(steps.count)), "rollback": rollback(rollbackOutcome),
        ]
        if let version = versions.number(of: row) { object["code_version"] = .number(Double(version)) }
        if let schedule = row.trigger.scheduleJSON { object["schedule"] = schedule }
        // A child workflow: the instance and step that started it (the parent's steps of type
        // `child` link back).
        if let parent = row.trigger.parentJSON { object["parent"] = parent }
        if !simple {
            let ordered = steps.sorted { ascending ? $0.position < $1.position : $0.position > $1.position }
            let attempts = Dictionary(grouping: history.filter { $0.entry.step != nil }, by: { $0.entry.step! })
            var described = ordered.map { step(for: $0, history: attempts[$0.displayName] ?? []) }
            if row.status == .terminated {
                described.append(.object(["type": .string("termination"), "trigger": .object(["source": .string("api")])]))
            }
            object["steps"] = .array(described)
        }
        return .object(object)
    }

    /// A step's status as Cloudflare's `…/step` reports it: `running` (with the last attempt's
    /// error while it waits to retry), `waiting`, `complete` or `errored`.
    static func stepStatus(_ step: StepRecord) -> String {
        switch step.status {
        case .running, .retrying: "running"
        case .waiting: "waiting"
        case .complete: "complete"
        case .failed, .timedOut: "errored"
        }
    }

    /// Whether the step's stored config keeps its output out of sight (`sensitive: "output"`).
    static func isSensitive(_ record: StepRecord) -> Bool {
        storedConfig(record.config)?.sensitiveOutput == true
    }

    /// A step's config as stored at its first execution; nil when it has none or it does not read.
    static func storedConfig(_ stored: Data?) -> StepConfig? {
        stored.flatMap { try? decoder.decode(StepConfig.self, from: $0) }
    }

    /// `rollback: {outcome, error} | null` (contract §2.4).
    static func rollback(_ outcome: RollbackOutcome?) -> JSONValue {
        guard let outcome else { return .null }
        return .object(["outcome": .string(outcome.outcome.rawValue), "error": error(outcome.error)])
    }

    static func step(for record: StepRecord, history: [HistoryEvent]) -> JSONValue {
        let name = JSONValue.string(record.displayName)
        switch record.kind {
        case .sleep:
            return .object([
                "type": .string("sleep"), "name": name, "start": timestamp(record.startedAt), "end": timestamp(record.deadline),
                "finished": .bool(record.status == .complete), "error": .null,
            ])
        case .waitForEvent:
            var object: [String: JSONValue] = [
                "type": .string("waitForEvent"), "name": name, "start": timestamp(record.startedAt),
                "end": timestamp(record.endedAt ?? record.deadline),
                "finished": .bool(record.status == .complete || record.status == .timedOut),
                "error": record.status == .timedOut
                    ? error(record.error ?? ErrorInfo(name: WaitForEventTimeoutError.errorName, message: "timed out")) : .null,
            ]
            if let type = record.eventType { object["event_type"] = .string(type) }
            if record.value != nil { object["output"] = json(record.value) }
            return .object(object)
        case .child:
            // The link to the child, and its outcome once it arrived.
            let child = ChildReference(config: record.config)
            let outcome = record.value.map { json($0) }
            var object: [String: JSONValue] = [
                "type": .string("child"), "name": name, "start": timestamp(record.startedAt), "end": timestamp(record.endedAt ?? record.deadline),
                "finished": .bool(record.status == .complete || record.status == .timedOut),
                "child": child.map { .object(["workflow": .string($0.workflow), "id": .string($0.id)]) } ?? .null,
                "output": outcome?["output"] ?? .null,
                "error": outcome?["error"] ?? (record.status == .timedOut ? error(record.error) : .null),
            ]
            if let status = outcome?["status"] { object["child_status"] = status }
            return .object(object)
        case .do, .rollback:
            // Decoded once: it says how to show the output and is shown itself.
            let stored = storedConfig(record.config)
            return .object([
                "type": .string(record.kind == .do ? "step" : "rollback"), "name": name, "start": timestamp(record.startedAt), "end": timestamp(record.endedAt),
                "success": record.status == .complete ? .bool(true) : (record.status == .failed ? .bool(false) : .null),
                "output": stored?.sensitiveOutput == true
                    ? .string(StepConfig.redacted) : record.value.map { .string(truncated(String(decoding: $0, as: UTF8.self))) } ?? .null,
                "config": stored.map(config) ?? json(record.config), "attempts": .array(attempts(history, rollback: record.kind == .rollback)),
            ])
        }
    }

    /// A step's stored config as Cloudflare shows it: durations as the strings a workflow
    /// writes (`"10 seconds"`), not the milliseconds Brigade stores.
    static func config(_ config: StepConfig) -> JSONValue {
        var object: [String: JSONValue] = [
            "retries": .object([
                "limit": .number(Double(config.retries.limit)),
                "delay": .string(durationString(config.retries.delay.wholeMilliseconds)),
                "backoff": .string(config.retries.backoff.rawValue),
            ]),
            "timeout": .string(durationString(config.timeout.wholeMilliseconds)),
        ]
        if config.sensitiveOutput { object["sensitive"] = "output" }
        return .object(object)
    }

    /// Milliseconds in the largest unit that divides them exactly: `"10 seconds"`, `"1 minute"`,
    /// `"1500 milliseconds"`.
    static func durationString(_ milliseconds: Int64) -> String {
        let units: [(String, Int64)] = [("day", 86_400_000), ("hour", 3_600_000), ("minute", 60_000), ("second", 1_000)]
        for (unit, size) in units where milliseconds != 0 && milliseconds % size == 0 {
            let count = milliseconds / size
            return "\(count) \(unit)\(count == 1 ? "" : "s")"
        }
        return "\(milliseconds) millisecond\(milliseconds == 1 ? "" : "s")"
    }

    /// Attempts from the step's history: each `attempt_started` closed by the next
    /// `attempt_completed` or `attempt_errored` of the same number.
    /// A rollback's attempts are its `rollback_attempt_*` events (it shares its step's name).
    static func attempts(_ history: [HistoryEvent], rollback: Bool = false) -> [JSONValue] {
        let (started, completed, errored): (HistoryEventType, HistoryEventType, HistoryEventType) =
            rollback
            ? (.rollbackAttemptStarted, .rollbackAttemptCompleted, .rollbackAttemptErrored) : (.attemptStarted, .attemptCompleted, .attemptErrored)
        var attempts: [(number: Int, value: [String: JSONValue])] = []
        for event in history {
            guard let number = event.entry.data["attempt"]?.wholeNumber(in: 0...Int.max) else { continue }
            switch event.entry.type {
            case started:
                attempts.append((number, ["start": timestamp(event.entry.at), "end": .null, "success": .null, "error": .null]))
            case completed, errored:
                guard let index = attempts.lastIndex(where: { $0.number == number }) else { continue }
                attempts[index].value["end"] = timestamp(event.entry.at)
                attempts[index].value["success"] = .bool(event.entry.type == completed)
                if event.entry.type == errored { attempts[index].value["error"] = event.entry.data["error"] ?? .null }
            default:
                continue
            }
        }
        return attempts.map { .object($0.value) }
    }

    /// Cloudflare truncates long outputs in `describe`; the step route serves them whole.
    static func truncated(_ text: String, limit: Int = 1_024) -> String {
        text.count <= limit ? text : String(text.prefix(limit)) + "[...output truncated]"
    }
}
