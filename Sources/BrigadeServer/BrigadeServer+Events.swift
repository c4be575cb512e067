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
            guard gate.admitStream(of: key.tenant) else { throw APIError.tooManyStreams(limit: gate.limits.maxStreamsPerTenant) }
            let gate = self.gate
            var headers = HTTPFields()
            headers[.contentType] = "text/event-stream"
            headers[.cacheControl] = "no-cache"
            return Response(
                status: .ok, headers: headers,
                body: ResponseBody { writer in
                    // Counted from admission until the body ends, however it ends.
                    defer { gate.releaseStream(of: key.tenant) }
                    try await writer.write(ByteBuffer(string: "retry: 1000\n\n"))
                    // A stream of an instance that waits for days would hold the server's
                    // shutdown as long: the events are read in a child task that ends when the
                    // shutdown begins, and the client resumes with Last-Event-ID from the next
                    // server. The writer stays in this task.
                    let (feed, feeder) = AsyncThrowingStream.makeStream(of: HistoryEvent?.self)
                    let heartbeat = gate.limits.streamHeartbeat
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        group.addTask {
                            do {
                                try await cancelWhenGracefulShutdown {
                                    for try await event in events { feeder.yield(event) }
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
                            for try await event in feed {
                                if let event, let filter, !filter.contains(event.entry.type) { continue }
                                let frame = event.map(Self.serverSentEvent) ?? ": heartbeat\n\n"
                                try await writer.write(ByteBuffer(string: frame))
                            }
                        } catch is CancellationError {
                            // The shutdown ended the feed: end the stream cleanly.
                        }
                    }
                    try await writer.finish(nil)
                })
        }
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
                    "filter takes event types separated by commas; \"\(trimmed.prefix(60))\" is not one of \(HistoryEventType.allCases.map(\.rawValue).joined(separator: ", ")).")
            }
            types.insert(type)
        }
        return types
    }

    /// One SSE frame: `id` (the eventId), `event` (the reference §2.6 type), and in `data` the
    /// event as Cloudflare's `WorkflowInstanceEvent`: `eventId`, `instanceId`, `type`,
    /// `timestamp` (ms), `stepName` for a step's events, and the event's own fields flat beside
    /// them (`attempt`, `error`, `output`, `config`, …).
    static func serverSentEvent(_ event: HistoryEvent) -> String {
        var object = event.entry.data
        object["eventId"] = .number(Double(event.id))
        object["instanceId"] = .string(event.instanceId)
        object["type"] = .string(event.entry.type.rawValue)
        object["timestamp"] = .number(Double(event.entry.at))
        if let step = event.entry.step { object["stepName"] = .string(step) }
        let data = String(decoding: JSONValue.object(object).jsonData(), as: UTF8.self)
        return "id: \(event.id)\nevent: \(event.entry.type.rawValue)\ndata: \(data)\n\n"
    }
}
