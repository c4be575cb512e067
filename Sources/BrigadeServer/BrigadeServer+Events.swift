import Brigade
import Foundation
import HTTPTypes
import Hummingbird
import ServiceLifecycle

extension BrigadeServer {
    /// `GET …/workflows/{workflow}/instances/{id}/subscribe`: the instance's history as
    /// Server-Sent Events, stored events first, then live ones, ending after the terminal event
    /// (even one `filter` leaves out), as Cloudflare's `instance.subscribe({cursor, filter})`.
    /// Each event's `id:` is its `eventId`; reconnecting with `Last-Event-ID` (or `?cursor=`)
    /// resumes after it. `filter` is a comma-separated list of event types to send.
    func addEventStreamRoute(to account: RouterGroup<BrigadeRequestContext>) {
        account.get("workflows/:workflow/instances/:id/subscribe") { request, context in
            let key = try await instanceKey(context)
            let filter = try Self.eventFilter(request.uri.queryParameters.get("filter"))
            _ = try await runtime.instanceRow(key)  // 404 before the stream starts
            let resumeFrom = request.headers[Self.lastEventID] ?? request.uri.queryParameters.get("cursor")
            var cursor: Int64 = 0
            if let resumeFrom {
                guard let value = Int64(resumeFrom), value >= 0 else {
                    throw APIError.badRequest(
                        .invalidRequestCursor, "Last-Event-ID must be the id of an event this stream sent; got \"\(resumeFrom)\".")
                }
                cursor = value
            }
            let events = runtime.subscribe(key, cursor: cursor)
            return try eventStream(tenant: key.tenant) { yield in
                for try await event in events {
                    if let filter, !filter.contains(event.entry.type) { continue }
                    yield(Self.serverSentEvent(event))
                }
            }
        }
        // GET …/workflows/{workflow}/subscribe and …/accounts/{account}/subscribe: the events of
        // every instance of one workflow, or of the account, on one stream.
        account.get("workflows/:workflow/subscribe") { request, context in
            try await feedStream(request, context, workflow: try await workflowName(context))
        }
        account.get("subscribe") { request, context in
            try await feedStream(request, context, workflow: nil)
        }
    }

    /// The feed's stream (``BrigadeRuntime/feed(tenant:workflow:after:statuses:types:pollInterval:)``):
    /// from `Last-Event-ID` or `?cursor=` (the `id:` of the last event seen), from the first event
    /// without one, or from now with `?from=now`; `status` keeps the events of instances in
    /// those statuses, `filter` the events of those types. Each frame is an instance's event as
    /// the instance stream sends it, with `workflow` and `instanceStatus` beside, and the feed's
    /// cursor as its `id:`. It does not end: a client closes it when it has seen what it waits for.
    private func feedStream(_ request: Request, _ context: BrigadeRequestContext, workflow: String?) async throws -> Response {
        let tenant = try Self.tenant(context)
        let query = request.uri.queryParameters
        let types = try Self.eventFilter(query.get("filter"))
        let statuses = try query.get("status").map { text -> Set<InstanceStatus> in
            var statuses: Set<InstanceStatus> = []
            for name in text.split(separator: ",") {
                guard let status = try Self.status(name.trimmingCharacters(in: .whitespaces)) else { continue }
                statuses.insert(status)
            }
            return statuses
        }
        var cursor = request.headers[Self.lastEventID] ?? query.get("cursor")
        if cursor == nil, let from = query.get("from") {
            guard from == "now" else {
                throw APIError.badRequest(
                    .invalidRequestQuery, "from takes now (only what happens from now on); leave it out for everything.")
            }
            cursor = try await runtime.feedHead()
        }
        let feed = runtime.feed(tenant: tenant, workflow: workflow, after: cursor, statuses: statuses, types: types)
        // A cursor that does not read is a 400 before the stream starts.
        if let cursor {
            do {
                _ = try await runtime.feedPage(tenant: tenant, workflow: workflow, after: cursor, limit: 1)
            } catch let error as BrigadeError where error.code == .invalidFeedCursor {
                throw APIError.badRequest(.invalidRequestCursor, error.message)
            }
        }
        return try eventStream(tenant: tenant) { yield in
            for try await item in feed {
                yield(
                    Self.serverSentEvent(
                        item.event, id: item.cursor,
                        extra: ["workflow": .string(item.workflow), "instanceStatus": .string(item.status.rawValue)]))
            }
        }
    }

    /// A Server-Sent Events response fed by `produce`, within the tenant's stream limit, with a
    /// heartbeat while nothing comes, ending cleanly when the server shuts down (the client
    /// resumes with `Last-Event-ID` from the next server).
    private func eventStream(
        tenant: String, _ produce: @escaping @Sendable (_ yield: @Sendable (String) -> Void) async throws -> Void
    ) throws -> Response {
        guard gate.admitStream(of: tenant) else { throw APIError.tooManyStreams(limit: gate.limits.maxStreamsPerTenant) }
        let gate = self.gate
        var headers = HTTPFields()
        headers[.contentType] = "text/event-stream"
        headers[.cacheControl] = "no-cache"
        return Response(
            status: .ok, headers: headers,
            body: ResponseBody { writer in
                // Counted from admission until the body ends, however it ends.
                defer { gate.releaseStream(of: tenant) }
                try await writer.write(ByteBuffer(string: "retry: 1000\n\n"))
                // A stream of an instance that waits for days would hold the server's
                // shutdown as long: the events are read in a child task that ends when the
                // shutdown begins. The writer stays in this task.
                let (feed, feeder) = AsyncThrowingStream.makeStream(of: String?.self)
                let heartbeat = gate.limits.streamHeartbeat
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        do {
                            try await cancelWhenGracefulShutdown {
                                try await produce { frame in feeder.yield(frame) }
                            }
                            feeder.finish()
                        } catch {
                            feeder.finish(throwing: error)
                        }
                    }
                    // nil: a heartbeat (see ``ConnectionLimits/streamHeartbeat``).
                    group.addTask {
                        while true {
                            try await Task.sleep(for: heartbeat)
                            feeder.yield(nil)
                        }
                    }
                    defer { group.cancelAll() }
                    do {
                        for try await frame in feed {
                            try await writer.write(ByteBuffer(string: frame ?? ": heartbeat\n\n"))
                        }
                    } catch is CancellationError {
                        // The shutdown ended the feed: end the stream cleanly.
                    }
                }
                try await writer.finish(nil)
            })
    }

    /// `Last-Event-ID`, which a reconnecting EventSource sends (HTTPTypes does not name it).
    static let lastEventID = HTTPField.Name("Last-Event-ID")!

    /// The event types `filter` names; nil for all. An unknown type is a 400 naming the known ones.
    static func eventFilter(_ text: String?) throws -> Set<HistoryEventType>? {
        guard let text, !text.isEmpty else { return nil }
        var types: Set<HistoryEventType> = []
        for name in text.split(separator: ",", omittingEmptySubsequences: true) {
            let trimmed = name.trimmingCharacters(in: .whitespaces)
            guard let type = HistoryEventType(rawValue: trimmed) else {
                throw APIError.badRequest(
                    .invalidRequestQuery,
                    "filter takes event types separated by commas; \"\(trimmed.prefix(60))\" is not one of \(HistoryEventType.allCases.map(\.rawValue).joined(separator: ", "))."
                )
            }
            types.insert(type)
        }
        return types
    }

    /// One SSE frame: `id` (the eventId), `event` (the reference §2.6 type), and in `data` the
    /// event as Cloudflare's `WorkflowInstanceEvent`: `eventId`, `instanceId`, `type`,
    /// `timestamp` (ms), `stepName` for a step's events, and the event's own fields flat beside
    /// them (`attempt`, `error`, `output`, `config`, …).
    static func serverSentEvent(_ event: HistoryEvent, id: String? = nil, extra: [String: JSONValue] = [:]) -> String {
        var object = event.entry.data
        for (key, value) in extra { object[key] = value }
        object["eventId"] = .number(Double(event.id))
        object["instanceId"] = .string(event.instanceId)
        object["type"] = .string(event.entry.type.rawValue)
        object["timestamp"] = .number(Double(event.entry.at))
        if let step = event.entry.step { object["stepName"] = .string(step) }
        let data = String(decoding: JSONValue.object(object).jsonData(), as: UTF8.self)
        return "id: \(id ?? String(event.id))\nevent: \(event.entry.type.rawValue)\ndata: \(data)\n\n"
    }
}
