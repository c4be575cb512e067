import Brigade
import BrigadeServer
import BrigadeTesting
import Foundation
import Testing

@Suite struct MetricsTests {
    let base = ServerHarness.workflows()

    /// The value of one series in Prometheus' text format, or nil when it is absent.
    static func sample(_ text: String, _ series: String) -> Double? {
        for line in text.split(separator: "\n") where line.hasPrefix(series + " ") {
            return Double(line.dropFirst(series.count + 1))
        }
        return nil
    }

    @Test func metricsCountWhatTheEngineDid() async throws {
        try await ServerHarness.run { api in
            try await api.call(.post, "\(base)/echo/instances", json: #"{"instance_id": "e1", "params": 1}"#)
            try await api.call(.post, "\(base)/refuser/instances", json: #"{"instance_id": "r1"}"#)
            try await api.call(.post, "\(base)/napper/instances", json: #"{"instance_id": "n1"}"#)
            let runtime = api.brigade.runtime
            _ = try await runtime.waitForCompletion(InstanceKey(tenant: "acme", workflow: "echo", id: "e1"))
            _ = try await runtime.waitForCompletion(InstanceKey(tenant: "acme", workflow: "refuser", id: "r1"))
            let napper = InstanceKey(tenant: "acme", workflow: "napper", id: "n1")
            // Parked on its nap (not merely some task sleeping on the clock: the engine's own
            // timers sleep on it too, and an hour passed before the nap began would never end it).
            try await eventually("the napper to park") { try await runtime.instanceRow(napper).status == .waiting }
            api.brigade.clock.advance(by: .hours(1))
            _ = try await runtime.waitForCompletion(napper)

            let scrape = try await api.call(.get, "/metrics", token: "")
            #expect(scrape.status == .ok)
            let text = try #require(scrape.body.string)
            #expect(Self.sample(text, "brigade_instances_created_total") == 3)
            #expect(Self.sample(text, #"brigade_steps_total{outcome="succeeded"}"#) == 1)
            #expect(Self.sample(text, #"brigade_steps_total{outcome="failed"}"#) == 1)
            #expect(Self.sample(text, #"brigade_step_attempts_total{outcome="failed"}"#) == 1)
            #expect(Self.sample(text, #"brigade_instances{status="complete"}"#) == 2)
            #expect(Self.sample(text, #"brigade_instances{status="errored"}"#) == 1)
            #expect(Self.sample(text, #"brigade_instances{status="queued"}"#) == 0)
            #expect(Self.sample(text, "brigade_step_duration_seconds_count") == 2)
            #expect(Self.sample(text, "brigade_queue_wait_seconds_count") == 3)
            // The nap ended on its planned time (the manual clock moved exactly to it).
            #expect(Self.sample(text, "brigade_wake_lateness_seconds_count") == 1)
            #expect(Self.sample(text, #"brigade_wake_lateness_seconds_bucket{le="0.0001"}"#) == 1)
            let commits = try #require(Self.sample(text, "brigade_commit_duration_seconds_count"))
            #expect(commits > 0)
            #expect(Self.sample(text, "brigade_commit_batch_size_count") == commits)
            // Every committed item is in some batch: at least one per instance creation.
            #expect(try #require(Self.sample(text, "brigade_commit_batch_size_sum")) >= 3)
        }
    }

    /// The JavaScript sandbox's series come after the registry's: totals, read when scraped, that
    /// grow with what tenant code did (process-wide, so other tests add to them too).
    @Test func metricsIncludeTheJavaScriptSandboxs() async throws {
        try await ServerHarness.run { api in
            let before = try #require(try await api.call(.get, "/metrics", token: "").body.string)
            let deployed = try await api.call(
                .put, "\(base)/metered/code", json: DynamicWorkflowAPITests.upload(DynamicWorkflowAPITests.greet))
            #expect(deployed.status == .ok, "\(deployed.body)")
            try await api.call(.post, "\(base)/metered/instances", json: #"{"instance_id": "m1", "params": {"name": "Ada"}}"#)
            let row = try await api.brigade.runtime.waitForCompletion(InstanceKey(tenant: "acme", workflow: "metered", id: "m1"))
            #expect(row.status == .complete)

            let text = try #require(try await api.call(.get, "/metrics", token: "").body.string)
            #expect(text.contains("# TYPE brigade_js_boots_total counter"))
            #expect(text.contains("# TYPE brigade_js_vms gauge"))
            let entriesBefore = try #require(Self.sample(before, "brigade_js_entries_total"))
            #expect(try #require(Self.sample(text, "brigade_js_entries_total")) > entriesBefore, "run and its step entered tenant code")
            #expect(try #require(Self.sample(text, "brigade_js_boots_total")) >= 1)
            #expect(try #require(Self.sample(text, "brigade_js_entry_seconds_total")) > 0)
            let startsBefore = try #require(Self.sample(before, "brigade_js_replay_entries_total"))
            #expect(try #require(Self.sample(text, "brigade_js_replay_entries_total")) > startsBefore, "run started once")
            #expect(try #require(Self.sample(text, "brigade_js_replay_entry_seconds_total")) > 0)
            #expect(try #require(Self.sample(text, "brigade_js_vms")) >= 1)
            #expect(Self.sample(text, "brigade_js_limit_stops_total") != nil)
        }
    }
}
