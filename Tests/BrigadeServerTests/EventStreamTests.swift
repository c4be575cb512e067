import Brigade
import BrigadeServer
import BrigadeTesting
import Foundation
import HTTPTypes
import Testing

@Suite struct EventStreamTests {
    let base = ServerHarness.workflows()

    /// The stream sends the stored history, then live events, and ends after the terminal one;
    /// reconnecting with Last-Event-ID resumes after that event, with nothing repeated.
    @Test func historyThenLiveThenResumeWithLastEventID() async throws {
        try await ServerHarness.run { api in
            try await api.call(.post, "\(base)/listener/instances", json: #"{"instance_id": "s1"}"#)
            let key = InstanceKey(tenant: "acme", workflow: "listener", id: "s1")
            try await eventually("waiting") { try await api.brigade.runtime.instanceRow(key).status == .waiting }
            // Deliver the event a moment after the stream opens: the rest arrives live.
            let sender = Task {
                try await Task.sleep(for: .milliseconds(200))
                try await api.brigade.runtime.sendEvent(key, type: "approval", payload: Data(#"{"ok":true}"#.utf8))
            }
            let frames = try await stream(api, "\(base)/listener/instances/s1/subscribe")
            try await sender.value
            let types = frames.map(\.event)
            #expect(types.first == "workflow_queued")
            #expect(types.contains("wait_started"))
            #expect(types.contains("wait_completed"))
            #expect(types.last == "workflow_completed", "the stream ends after the terminal event")
            let ids = frames.map(\.id)
            #expect(ids == ids.sorted() && Set(ids).count == ids.count)
            // Cloudflare's WorkflowInstanceEvent: eventId, instanceId, type, timestamp in ms,
            // stepName, and the event's own fields flat.
            let last = try #require(frames.last)
            #expect(last.data["instanceId"] == .string("s1"))
            #expect(last.data["eventId"]?.number == Double(last.id))
            #expect(last.data["type"] == .string("workflow_completed"))
            #expect((last.data["timestamp"]?.number ?? 0) > 1_600_000_000_000, "milliseconds since 1970")
            let waitStarted = try #require(frames.first { $0.event == "wait_started" })
            #expect(waitStarted.data["stepName"] == .string("approval-1"))
            #expect(waitStarted.data["eventType"] == .string("approval"), "the event's fields are flat, not under data")

            let middle = frames[frames.count / 2]
            let resumed = try await stream(api, "\(base)/listener/instances/s1/subscribe", lastEventID: middle.id)
            #expect(resumed.map(\.id) == ids.filter { $0 > middle.id })

            let other = try await api.call(.get, ServerHarness.workflows("globex") + "/listener/instances/s1/subscribe", token: api.globex)
            #expect(other.status == .notFound)
            let bad = try await api.client.execute(
                uri: "\(base)/listener/instances/s1/subscribe", method: .get,
                headers: [.authorization: "Bearer \(api.acme)", HTTPField.Name("Last-Event-ID")!: "yesterday"]
            ) { $0.status }
            #expect(bad == .badRequest)
        }
    }

    /// `filter` sends only the types it names, and the stream still ends after the terminal
    /// event it leaves out; an unknown type is refused before the stream opens.
    @Test func aFilterSendsOnlyItsTypesAndStillEnds() async throws {
        try await ServerHarness.run { api in
            try await api.call(.post, "\(base)/echo/instances", json: #"{"instance_id": "f1", "params": "x"}"#)
            _ = try await api.brigade.runtime.waitForCompletion(InstanceKey(tenant: "acme", workflow: "echo", id: "f1"))
            let frames = try await stream(api, "\(base)/echo/instances/f1/subscribe?filter=step_started,step_completed")
            #expect(!frames.isEmpty)
            #expect(Set(frames.map(\.event)) == ["step_started", "step_completed"])
            let unknown = try await api.call(.get, "\(base)/echo/instances/f1/subscribe?filter=step_started,nope")
            #expect(unknown.status == .badRequest)
            #expect(unknown.body["errors"]?[0]?["message"]?.string?.contains("\"nope\"") == true)
        }
    }

    struct Frame {
        var id: Int64
        var event: String
        var data: JSONValue
    }

    func stream(_ api: ServerHarness, _ path: String, lastEventID: Int64? = nil) async throws -> [Frame] {
        var headers: HTTPFields = [.authorization: "Bearer \(api.acme)"]
        if let lastEventID { headers[HTTPField.Name("Last-Event-ID")!] = String(lastEventID) }
        let text = try await api.client.execute(uri: path, method: .get, headers: headers) { response in
            #expect(response.headers[.contentType] == "text/event-stream")
            return String(buffer: response.body)
        }
        return SSEFrame.frames(in: text).compactMap { frame in Int64(frame.id).map { Frame(id: $0, event: frame.event, data: frame.data) } }
    }
}
