import Brigade
import Foundation
import Hummingbird

extension BrigadeServer {
    func addInstanceRoutes(to account: RouterGroup<BrigadeRequestContext>) {
        // POST …/workflows/{workflow}/instances  {instance_id?, params?, instance_retention?}
        account.post("workflows/:workflow/instances") { request, context in
            let tenant = try Self.tenant(context)
            let workflow = try await workflowName(context)
            let item = try Self.newInstance(try await requestBody(request, context) ?? .object([:]))
            let id = try await runtime.createInstance(
                tenant: tenant, workflow: workflow, id: item.id, params: item.params, retention: item.retention)
            return Self.envelope(
                Self.created(id: id, workflowId: WireFormat.workflowId(tenant: tenant, name: workflow), versionId: try await currentVersionId(tenant, workflow)))
        }
        // POST …/workflows/{workflow}/instances/batch  [{…}, …]
        account.post("workflows/:workflow/instances/batch") { request, context in
            let tenant = try Self.tenant(context)
            let workflow = try await workflowName(context)
            guard case .array(let items)? = try await requestBody(request, context) else {
                throw APIError.badRequest(.invalidBatch, "The body must be a JSON array of 1–100 instance objects.")
            }
            let ids = try await runtime.createInstanceBatch(tenant: tenant, workflow: workflow, try items.map(Self.newInstance))
            let versionId = try await currentVersionId(tenant, workflow)
            let workflowId = WireFormat.workflowId(tenant: tenant, name: workflow)
            return Self.envelope(.array(ids.map { Self.created(id: $0, workflowId: workflowId, versionId: versionId) }))
        }
        // GET …/workflows/{workflow}/instances?status&cursor&direction&per_page&page
        account.get("workflows/:workflow/instances") { request, context in
            try await listInstances(request, context)
        }
        // GET …/workflows/{workflow}/instances/{id}?order=asc|desc&simple=true
        account.get("workflows/:workflow/instances/:id") { request, context in
            let key = try await instanceKey(context)
            let row = try await runtime.instanceRow(key)
            let query = request.uri.queryParameters
            let simple = query.get("simple") == "true"
            guard ["asc", "desc", nil].contains(query.get("order")) else {
                throw APIError.badRequest(.invalidRequestQuery, "order must be asc or desc.")
            }
            let steps = try await runtime.steps(key)
            let history = simple ? [] : try await allHistory(key)
            return Self.envelope(
                WireFormat.description(
                    row, steps: steps, history: history, ascending: query.get("order") != "desc", simple: simple,
                    versions: try await codeVersions(key.tenant, key.workflow)))
        }
        // GET …/workflows/{workflow}/instances/{id}/step?name=…&type=step|waitForEvent|sleep|rollback&attempt=N
        account.get("workflows/:workflow/instances/:id/step") { request, context in
            let key = try await instanceKey(context)
            let query = request.uri.queryParameters
            guard let name = query.get("name") else {
                throw APIError.badRequest(
                    .invalidRequestQuery, "name is required: the step's name with its -N counter, as describe shows it.")
            }
            let kinds: [String: StepKind] = [
                "step": .do, "do": .do, "waitForEvent": .waitForEvent, "sleep": .sleep, "rollback": .rollback, "child": .child,
            ]
            let kind = try query.get("type").map { text -> StepKind in
                guard let kind = kinds[text] else {
                    throw APIError.badRequest(
                        .invalidRequestQuery, "type must be step, waitForEvent, sleep, rollback or child; got \"\(text.prefix(40))\".")
                }
                return kind
            }
            let attempt = try Self.integer(query.get("attempt"), "attempt", default: 0, range: 0...100_000)
            let steps = try await runtime.steps(key)
            guard
                let step = steps.first(where: { step in
                    (step.displayName == name || (step.name == name && abs(step.count) == 1)) && (kind.map { step.kind == $0 } ?? true)
                })
            else {
                throw APIError.notFound(code: 10_404, .stepNotFound, "No step \"\(name)\" in instance \"\(key.id)\".")
            }
            if attempt > 0 && attempt != step.attempts {
                return Self.envelope(try Self.earlierAttempt(attempt, of: step, history: try await allHistory(key), key: key))
            }
            var result: [String: JSONValue] = [
                "status": .string(WireFormat.stepStatus(step)), "error": WireFormat.error(step.error),
                "output": WireFormat.isSensitive(step) ? .string(StepConfig.redacted) : WireFormat.json(step.value),
            ]
            if let type = step.eventType { result["event_type"] = .string(type) }
            return Self.envelope(.object(result))
        }
        // PATCH …/workflows/{workflow}/instances/{id}/status  {status, rollback?, children? (terminate), from? (restart)}
        account.patch("workflows/:workflow/instances/:id/status") { request, context in
            let key = try await instanceKey(context)
            let body = try Self.object(try await requestBody(request, context), "The body")
            let status = try Self.string(body["status"], "status")
            let rollback: Bool
            switch body["rollback"] {
            case nil, .null?: rollback = false
            case .bool(let value)?: rollback = value
            default: throw APIError.badRequest(.invalidRequestField, "\"rollback\" must be true or false.")
            }
            if rollback && status != "terminate" {
                throw APIError.badRequest(.invalidRequestField, "\"rollback\" goes with status \"terminate\" only.")
            }
            // Brigade's own: terminate the child workflows its steps started too.
            let children: Bool
            switch body["children"] {
            case nil, .null?: children = false
            case .bool(let value)? where status == "terminate" || !value: children = value
            case .bool?: throw APIError.badRequest(.invalidRequestField, "\"children\" goes with status \"terminate\" only.")
            default: throw APIError.badRequest(.invalidRequestField, "\"children\" must be true or false.")
            }
            switch status {
            case "pause": try await runtime.pause(key)
            case "resume": try await runtime.resume(key)
            case "terminate": try await runtime.terminate(key, rollback: rollback, children: children)
            case "restart": try await runtime.restart(key, from: try Self.stepSelector(body["from"]))
            default:
                throw APIError.badRequest(.invalidRequestField, "status must be one of pause, resume, terminate, restart.")
            }
            let row = try await runtime.instanceRow(key)
            return Self.envelope(.object(["status": .string(row.status.rawValue), "timestamp": WireFormat.timestamp(row.modifiedAt)]))
        }
        // POST …/workflows/{workflow}/instances/{id}/events/{type}  (body: the payload)
        account.post("workflows/:workflow/instances/:id/events/:type") { request, context in
            let key = try await instanceKey(context)
            let type = try context.parameters.require("type")
            let payload = try await requestBody(request, context) ?? .null
            try await runtime.sendEvent(key, type: type, payload: payload.jsonData())
            return Self.envelope(.null)
        }
        // POST …/workflows/{workflow}/instances/batch/delete  {instances: [ids]}
        account.post("workflows/:workflow/instances/batch/delete") { request, context in
            let tenant = try Self.tenant(context)
            let workflow = try await workflowName(context)
            let body = try Self.object(try await requestBody(request, context), "The body")
            // How many a batch may hold is the runtime's rule (deleteBatch).
            guard case .array(let values)? = body["instances"] else {
                throw APIError.badRequest(.invalidBatch, "instances must be an array of instance ids.")
            }
            let ids = try values.map { value -> String in
                guard case .string(let id) = value else {
                    throw APIError.badRequest(.invalidBatch, "every item of instances must be an id string.")
                }
                return id
            }
            // Cloudflare's shape: `deleted: [{id}]` per input position, `errors: [{id, code, message}]`.
            var deleted: [JSONValue] = []
            var errors: [JSONValue] = []
            for (id, wasDeleted) in zip(ids, try await runtime.deleteBatch(tenant: tenant, workflow: workflow, ids: ids)) {
                if wasDeleted {
                    deleted.append(.object(["id": .string(id)]))
                } else {
                    let missing = BrigadeError.instanceNotFound(InstanceKey(tenant: tenant, workflow: workflow, id: id))
                    errors.append(.object(["id": .string(id), "code": .number(10_400), "message": .string(APIError.render(missing.code, missing.message))]))
                }
            }
            return Self.envelope(.object(["deleted": .array(deleted), "errors": .array(errors)]))
        }
        // PUT …/workflows/{workflow}/instances/terminate?status=…  (terminate all, or all of one status)
        account.put("workflows/:workflow/instances/terminate") { request, context in
            let tenant = try Self.tenant(context)
            let workflow = try await workflowName(context)
            let status = try Self.status(request.uri.queryParameters.get("status"))
            if let status, [.complete, .errored, .terminated].contains(status) {
                throw APIError.badRequest(
                    .invalidRequestQuery, "Only unfinished instances can be terminated; status \(status.rawValue) is finished.")
            }
            var cursor: String?
            repeat {
                let page = try await runtime.listInstances(
                    tenant: tenant, workflow: workflow, InstanceQuery(status: status, cursor: cursor, direction: .ascending, limit: 500))
                for row in page.instances where !row.status.isTerminal {
                    do { try await runtime.terminate(row.key) } catch let error as BrigadeError where error.code == .cannotTerminate {}
                }
                cursor = page.nextCursor
            } while cursor != nil
            return Self.envelope(.object(["status": .string("ok")]))
        }
    }

    private func listInstances(_ request: Request, _ context: BrigadeRequestContext) async throws -> Response {
        let tenant = try Self.tenant(context)
        let workflow = try await workflowName(context)
        let query = request.uri.queryParameters
        let perPage = try Self.integer(query.get("per_page"), "per_page", default: 50, range: 1...1_000)
        let status = try Self.status(query.get("status"))
        let direction: InstanceQuery.Direction
        switch query.get("direction") {
        case nil, "desc": direction = .descending
        case "asc": direction = .ascending
        case let other?: throw APIError.badRequest(.invalidRequestQuery, "direction must be asc or desc; got \"\(other)\".")
        }
        let dateStart = try Self.date(query.get("date_start"), "date_start")
        let dateEnd = try Self.date(query.get("date_end"), "date_end")
        if let dateStart, let dateEnd, dateEnd < dateStart {
            throw APIError.badRequest(.invalidRequestQuery, "date_end is before date_start.")
        }
        var cursor = query.get("cursor")
        let page = query.get("page")
        if page != nil && cursor != nil {
            throw APIError.badRequest(.invalidRequestQuery, "Use either page or cursor, not both.")
        }
        // Page numbers walk the cursor from the start, as wrangler does.
        let pageNumber = try Self.integer(page, "page", default: 1, range: 1...1_000)
        var instanceQuery = InstanceQuery(
            status: status, cursor: cursor, direction: direction, limit: perPage, createdFrom: dateStart, createdTo: dateEnd)
        var result = try await runtime.listInstances(tenant: tenant, workflow: workflow, instanceQuery)
        for _ in 1..<pageNumber {
            guard let next = result.nextCursor else {
                result = InstancePage(instances: [], nextCursor: nil)
                break
            }
            cursor = next
            instanceQuery.cursor = next
            result = try await runtime.listInstances(tenant: tenant, workflow: workflow, instanceQuery)
        }
        var info: [String: JSONValue] = ["per_page": .number(Double(perPage)), "count": .number(Double(result.instances.count))]
        if page != nil { info["page"] = .number(Double(pageNumber)) }
        info["cursor"] = result.nextCursor.map(JSONValue.string) ?? .null
        let versions = try await codeVersions(try Self.tenant(context), try context.parameters.require("workflow"))
        return Self.envelope(.array(result.instances.map { WireFormat.summary($0, versions: versions) }), resultInfo: .object(info))
    }

    private func allHistory(_ key: InstanceKey) async throws -> [HistoryEvent] {
        var events: [HistoryEvent] = []
        while true {
            let page = try await runtime.history(key, afterId: events.last?.id ?? 0, limit: 1_000)
            events += page
            if page.count < 1_000 { return events }
        }
    }

    static func created(id: String, workflowId: String, versionId: String) -> JSONValue {
        .object([
            "id": .string(id), "status": .string("queued"), "version_id": .string(versionId),
            "workflow_id": .string(workflowId),
        ])
    }

    static func newInstance(_ value: JSONValue) throws -> NewInstanceRequest {
        let object = try object(value, "An instance")
        let params = object["params"] ?? .object([:])
        return NewInstanceRequest(
            id: try string(object["instance_id"] ?? object["id"], "instance_id"), params: params.jsonData(),
            retention: try retention(object["instance_retention"]))
    }

    /// An ISO 8601 time (`2026-11-23T10:00:00Z`, with or without fractions of a second or an
    /// offset) or a date (`2026-11-23`, midnight UTC).
    static func date(_ text: String?, _ name: String) throws -> Date? {
        guard let text else { return nil }
        let invalid = APIError.badRequest(
            .invalidRequestQuery, "\(name) must be an ISO 8601 time such as 2026-11-23T10:00:00Z or a date such as 2026-11-23, with a real month, day and time; got \"\(text.prefix(64))\".")
        // The formatter rolls an impossible date over (2026-02-31 reads as March 3), so the
        // calendar fields are checked first: a typo is refused, not answered for another day.
        guard text.utf8.count <= 64, hasCalendarFields(text) else { throw invalid }
        let formatter = ISO8601DateFormatter()
        for options: ISO8601DateFormatter.Options in [
            [.withInternetDateTime, .withFractionalSeconds], [.withInternetDateTime], [.withFullDate],
        ] {
            formatter.formatOptions = options
            if let date = formatter.date(from: text) { return date }
        }
        throw invalid
    }

    /// Whether `text` starts with a real date (`YYYY-MM-DD`, the day within its month) and, when
    /// a time follows, a real time (`THH:MM:SS`, hours below 24, minutes and seconds below 60).
    static func hasCalendarFields(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        func number(_ range: Range<Int>) -> Int? {
            guard range.upperBound <= bytes.count else { return nil }
            var value = 0
            for byte in bytes[range] {
                guard byte >= 0x30 && byte <= 0x39 else { return nil }
                value = value * 10 + Int(byte - 0x30)
            }
            return value
        }
        guard let year = number(0..<4), bytes.count >= 10, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"),
            let month = number(5..<7), let day = number(8..<10), (1...12).contains(month)
        else { return false }
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
        let days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
        guard (1...days).contains(day) else { return false }
        guard bytes.count > 10 else { return true }
        guard bytes[10] == UInt8(ascii: "T") || bytes[10] == UInt8(ascii: "t"), bytes.count >= 19,
            bytes[13] == UInt8(ascii: ":"), bytes[16] == UInt8(ascii: ":"),
            let hour = number(11..<13), let minute = number(14..<16), let second = number(17..<19)
        else { return false }
        return hour < 24 && minute < 60 && second < 60
    }

    static func status(_ text: String?) throws -> InstanceStatus? {
        guard let text else { return nil }
        guard let status = InstanceStatus(rawValue: text) else {
            throw APIError.badRequest(
                .invalidRequestQuery, "status must be one of \(InstanceStatus.allCases.map(\.rawValue).joined(separator: ", ")); got \"\(text)\"."
            )
        }
        return status
    }

    /// `from: {name, count?, type?}` of a restart.
    static func stepSelector(_ value: JSONValue?) throws -> StepSelector? {
        guard let value, value != .null else { return nil }
        let object = try object(value, "from")
        guard let name = try string(object["name"], "from.name") else {
            throw APIError.badRequest(.invalidRequestField, "from.name is required: the step to restart from.")
        }
        var count = 1
        if let given = object["count"], given != .null {
            guard let number = given.wholeNumber(in: 1...Int(Int32.max)) else {
                throw APIError.badRequest(
                    .invalidRequestField, "from.count must be a whole number from 1 (the first call of the step's name); got \(given.jsonText(limit: 40)).")
            }
            count = number
        }
        let kind: StepKind
        switch try string(object["type"], "from.type") {
        case nil, "do", "step": kind = .do
        case "sleep": kind = .sleep
        case "waitForEvent": kind = .waitForEvent
        case "child": kind = .child
        case let other?: throw APIError.badRequest(.invalidRequestField, "from.type must be do, sleep, waitForEvent or child; got \"\(other)\".")
        }
        return StepSelector(name: name, count: count, kind: kind)
    }

    /// An attempt of `step` before its last, from the history: Cloudflare's `…/step?attempt=N`.
    /// Only the last attempt's output is kept; an earlier one that failed has its error.
    static func earlierAttempt(_ attempt: Int, of step: StepRecord, history: [HistoryEvent], key: InstanceKey) throws -> JSONValue {
        let types: (started: HistoryEventType, errored: HistoryEventType) =
            step.kind == .rollback ? (.rollbackAttemptStarted, .rollbackAttemptErrored) : (.attemptStarted, .attemptErrored)
        let ofStep = history.filter { $0.entry.step == step.displayName && $0.entry.data["attempt"]?.wholeNumber(in: 0...Int.max) == attempt }
        guard ofStep.contains(where: { $0.entry.type == types.started }) else {
            throw APIError.notFound(
                code: 10_404, .stepNotFound, "Step \"\(step.displayName)\" of instance \"\(key.id)\" has no attempt \(attempt); it made \(step.attempts).")
        }
        let error = ofStep.first { $0.entry.type == types.errored }?.entry.data["error"] ?? .null
        return .object(["status": .string(error == .null ? "running" : "errored"), "error": error, "output": .null])
    }
}
