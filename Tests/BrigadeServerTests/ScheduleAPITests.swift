import Brigade
import BrigadeTesting
import Foundation
import HTTPTypes
import Testing

/// Cron schedules over Cloudflare's REST shapes: `PUT …/workflows/{name}` with `schedules`,
/// `schedules[{cron, next_instance}]` in the listing, and a fired instance's `trigger` and
/// `schedule`, for a workflow in Swift and for a tenant's JavaScript.
@Suite struct ScheduleAPITests {
    let base = ServerHarness.workflows()
    /// ManualClock's start, 2027-01-15 08:00:00 UTC.
    static let start: Int64 = 1_800_000_000_000

    @Test func aScheduledFiringIsDescribedAsCloudflareDescribesIt() async throws {
        try await ServerHarness.run { api in
            let put = try await api.call(
                .put, "\(base)/echo", json: #"{"class_name": "echo", "script_name": "brigade", "schedules": [{"cron": "*/10 * * * *"}]}"#)
            #expect(put.status == .ok, "\(put.body)")
            #expect(put.body["result"]?["schedules"] == [["cron": "*/10 * * * *", "next_instance": "2027-01-15T08:10:00.000Z"]])
            let listed = try await api.call(.get, base)
            let echo = listed.body["result"]?.array?.first { $0["name"] == "echo" }
            #expect(echo?["schedules"]?[0]?["cron"] == "*/10 * * * *")
            // Another account's echo has no schedule of acme's.
            let theirs = try await api.call(.get, ServerHarness.workflows("globex") + "/echo", token: api.globex)
            #expect(theirs.body["result"]?["schedules"] == nil)

            api.brigade.clock.advance(by: .minutes(10))
            let id = BrigadeRuntime.cronInstanceId(cron: "*/10 * * * *", scheduledTime: Self.start + 600_000)
            try await eventually("the fired instance") {
                try await api.call(.get, "\(base)/echo/instances/\(id)").body["result"]?["status"] == "complete"
            }
            let described = try await api.call(.get, "\(base)/echo/instances/\(id)")
            #expect(described.body["result"]?["trigger"] == ["source": "cron"])
            #expect(
                described.body["result"]?["schedule"] == ["cron": "*/10 * * * *", "scheduledTime": .number(Double(Self.start + 600_000))])
            let list = try await api.call(.get, "\(base)/echo/instances")
            #expect(list.body["result"]?[0]?["trigger_source"] == "cron")
            #expect(try await api.call(.get, ServerHarness.workflows("globex") + "/echo/instances", token: api.globex).body["result"] == [])
            // An instance created over the API says so, and has no schedule.
            let created = try await api.call(.post, "\(base)/echo/instances", json: #"{"instance_id": "by-hand"}"#)
            #expect(created.status == .ok)
            let byHand = try await api.call(.get, "\(base)/echo/instances/by-hand")
            #expect(byHand.body["result"]?["trigger"] == ["source": "api"])
            #expect(byHand.body["result"]?["schedule"] == nil)
            // Removed with an empty list; left alone when absent.
            _ = try await api.call(.put, "\(base)/echo", json: #"{"class_name": "echo", "schedules": ["@daily"]}"#)
            let kept = try await api.call(.put, "\(base)/echo", json: #"{"class_name": "echo"}"#)
            #expect(kept.body["result"]?["schedules"]?[0]?["cron"] == "@daily")
            let cleared = try await api.call(.put, "\(base)/echo", json: #"{"class_name": "echo", "schedules": []}"#)
            #expect(cleared.body["result"]?["schedules"] == nil)
        }
    }

    @Test(arguments: [
        (#""schedules": [{"cron": "0 25 * * *"}]"#, "hour field"),
        (#""schedules": [{"when": "daily"}]"#, "schedules[0] has no string \"cron\""),
        (#""schedules": 5"#, "schedules must be an array"),
        (#""schedules": [7]"#, "schedules[0] is not an object"),
        (#""schedules": ["@reboot"]"#, "not a shortcut"),
    ])
    func aBadScheduleIsA400SayingWhy(schedules: String, says: String) async throws {
        try await ServerHarness.run { api in
            let answer = try await api.call(.put, "\(base)/echo", json: #"{"class_name": "echo", \#(schedules)}"#)
            #expect(answer.status == .badRequest)
            let message = answer.body["errors"]?[0]?["message"]?.string ?? ""
            #expect(message.contains("workflow.invalid_schedule") && message.contains(says), "\(message)")
        }
    }

    @Test func aTenantsJavaScriptSeesTheScheduleOnItsEventAndKeepsItsCode() async throws {
        let source = """
            export class TenantWorkflow {
              async run(event, step) {
                return step.do('report', async () => ({ schedule: event.schedule ?? null, name: event.workflowName }));
              }
            }
            """
        try await ServerHarness.run { api in
            let encoded = String(decoding: try JSONEncoder().encode(source), as: UTF8.self)
            let deployed = try await api.call(.put, "\(base)/reporter/code", json: #"{"source": \#(encoded)}"#)
            #expect(deployed.status == .ok, "\(deployed.body)")
            let put = try await api.call(.put, "\(base)/reporter", json: #"{"class_name": "DynamicWorkflow", "schedules": ["0 9 * * *"]}"#)
            #expect(put.status == .ok, "\(put.body)")
            #expect(put.body["result"]?["code_version"] == 1, "a schedule change keeps the deployed code")
            api.brigade.clock.advance(by: .hours(1))
            let scheduled = Self.start + 3_600_000
            let id = BrigadeRuntime.cronInstanceId(cron: "0 9 * * *", scheduledTime: scheduled)
            try await eventually("the fired instance") {
                try await api.call(.get, "\(base)/reporter/instances/\(id)").body["result"]?["status"] == "complete"
            }
            let output = try await api.call(.get, "\(base)/reporter/instances/\(id)").body["result"]?["output"]
            #expect(output == ["schedule": ["cron": "0 9 * * *", "scheduledTime": .number(Double(scheduled))], "name": "reporter"])
            // Created by hand, the event has no schedule.
            _ = try await api.call(.post, "\(base)/reporter/instances", json: #"{"instance_id": "plain"}"#)
            try await eventually("the plain instance") {
                try await api.call(.get, "\(base)/reporter/instances/plain").body["result"]?["status"] == "complete"
            }
            #expect(try await api.call(.get, "\(base)/reporter/instances/plain").body["result"]?["output"]?["schedule"] == .null)
        }
    }
}
