import Brigade
import Foundation
import HTTPTypes
import Hummingbird
import ServiceLifecycle

extension BrigadeServer {
    /// `GET …/workflows/{workflow}/instances/{id}/events`: the instance's history as Server-Sent
    /// Events, stored events first, then live ones, ending after the terminal event. Each event's
    /// `id:` is its history id; reconnecting with `Last-Event-ID` (or `?cursor=`) resumes after it.
    func addEventStreamRoute(to account: RouterGroup<BrigadeRequestContext>) {
        account.get("workflows/:workflow/instances/:id/events") { request, context in
            let key = try await instanceKey(context)
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

    /// One SSE frame: `id`, `event` (the reference §2.6 type) and the event as JSON in `data`.
    static func serverSentEvent(_ event: HistoryEvent) -> String {
        var object: [String: JSONValue] = [
            "id": .number(Double(event.id)), "type": .string(event.entry.type.rawValue),
            "timestamp": WireFormat.timestamp(event.entry.at), "instance_id": .string(event.instanceId),
        ]
        if let step = event.entry.step { object["step"] = .string(step) }
        if !event.entry.data.isEmpty { object["data"] = .object(event.entry.data) }
        let data = String(decoding: JSONValue.object(object).jsonData(), as: UTF8.self)
        return "id: \(event.id)\nevent: \(event.entry.type.rawValue)\ndata: \(data)\n\n"
    }
}
