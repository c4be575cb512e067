import Brigade
import BrigadeServer
import BrigadeTesting
import Foundation
import HTTPTypes
import Testing

@Suite struct APITests {
    let base = ServerHarness.workflows()

    @Test func requestsWithoutAValidTokenAre401AndAnotherAccountIs404() async throws {
        try await ServerHarness.run { api in
            let missing = try await api.call(.get, base, token: "")
            #expect(missing.status == .unauthorized)
            #expect(missing.body["success"] == .bool(false))
            #expect(missing.body["errors"]?[0]?["code"]?.number == 10_000)
            #expect(try await api.call(.get, base, token: "brg_not-a-token").status == .unauthorized)
            // acme's token on globex's path: the account is not found, as any unknown one.
            let other = try await api.call(.get, ServerHarness.workflows("globex"))
            #expect(other.status == .notFound)
            #expect(try await api.call(.get, ServerHarness.workflows("nobody")).status == .notFound)
        }
    }

    @Test func workflowsAreListedWithCountsAndUnknownOnesAre404() async throws {
        try await ServerHarness.run { api in
            try await api.call(.post, "\(base)/echo/instances", json: #"{"params": {"n": 1}}"#)
            let list = try await api.call(.get, base)
            #expect(list.status == .ok)
            #expect(list.body["success"] == .bool(true))
            let names = list.body["result"]?.array?.compactMap { $0["name"]?.string }
            #expect(names == ["echo", "listener", "napper", "refuser"])
            let one = try await api.call(.get, "\(base)/echo")
            #expect(one.body["result"]?["instances"]?["queued"] != nil)
            let total = ["queued", "running", "complete", "waiting"].compactMap { one.body["result"]?["instances"]?[$0]?.number }.reduce(
                0, +)
            #expect(total == 1)
            let unknown = try await api.call(.get, "\(base)/nope")
            #expect(unknown.status == .notFound)
            #expect(unknown.body["errors"]?[0]?["code"]?.number == 10_501)
        }
    }

    /// A numeric retention is milliseconds, as Cloudflare's API counts durations (it was read as
    /// seconds, so one day's worth of milliseconds was refused as 1,000 days).
    @Test func aNumericRetentionIsMilliseconds() async throws {
        try await ServerHarness.run { api in
            let created = try await api.call(
                .post, "\(base)/echo/instances",
                json: #"{"instance_id": "ms", "params": "x", "instance_retention": {"success_retention": 86400000, "error_retention": 1500}}"#)
            #expect(created.status == .ok, "\(created.body)")
            let row = try await api.brigade.runtime.waitForCompletion(InstanceKey(tenant: "acme", workflow: "echo", id: "ms"))
            #expect(row.retention?.success == .days(1))
            #expect(row.retention?.error == .milliseconds(1_500))
        }
    }

    @Test func putAndDeleteATenantsOwnWorkflow() async throws {
        try await ServerHarness.run { api in
            let put = try await api.call(
                .put, "\(base)/billing",
                json: #"{"class_name": "echo", "script_name": "brigade", "default_retention": {"success_retention": "2 days"}, "limits": {"steps": 50}}"#)
            #expect(put.status == .ok)
            #expect(put.body["result"]?["name"] == .string("billing"))
            #expect(put.body["result"]?["class_name"] == .string("echo"))
            #expect(put.body["result"]?["limits"]?["steps"]?.number == 50)
            #expect(put.body["result"]?["default_retention"]?["success_retention"] == .string("2 days"))
            let names = try await api.call(.get, base).body["result"]?.array?.compactMap { $0["name"]?.string }
            #expect(names == ["billing", "echo", "listener", "napper", "refuser"])
            try await api.call(.post, "\(base)/billing/instances", json: #"{"instance_id": "b1", "params": "paid"}"#)
            let row = try await api.brigade.runtime.waitForCompletion(InstanceKey(tenant: "acme", workflow: "billing", id: "b1"))
            #expect(row.status == .complete && row.stepLimit == 50 && row.retention?.success == .days(2))
            // globex has no billing: 404 on the workflow and its instances, absent from its list.
            let globex = ServerHarness.workflows("globex")
            #expect(try await api.call(.get, "\(globex)/billing", token: api.globex).status == .notFound)
            #expect(try await api.call(.get, "\(globex)/billing/instances/b1", token: api.globex).status == .notFound)
            #expect(try await api.call(.delete, "\(globex)/billing", token: api.globex).status == .notFound)
            let theirs = try await api.call(.get, globex, token: api.globex).body["result"]?.array?.compactMap { $0["name"]?.string }
            #expect(theirs?.contains("billing") == false)

            let unknownClass = try await api.call(.put, "\(base)/other", json: #"{"class_name": "Nope"}"#)
            #expect(unknownClass.status == .badRequest)
            #expect(unknownClass.body["errors"]?[0]?["message"]?.string?.contains("workflow.class_not_found") == true)
            #expect(try await api.call(.put, "\(base)/other", json: #"{"script_name": "brigade"}"#).status == .badRequest)
            #expect(try await api.call(.put, "\(base)/other", json: #"{"class_name": "echo", "limits": {"steps": 0}}"#).status == .badRequest)
            #expect(try await api.call(.delete, "\(base)/echo").status == .conflict)

            let deleted = try await api.call(.delete, "\(base)/billing")
            #expect(deleted.status == .ok)
            #expect(deleted.body["result"]?["status"] == .string("ok"))
            #expect(try await api.call(.get, "\(base)/billing").status == .notFound)
            #expect(try await api.call(.delete, "\(base)/billing").status == .notFound)
            await #expect(throws: BrigadeError.self) {
                try await api.brigade.runtime.instanceRow(InstanceKey(tenant: "acme", workflow: "billing", id: "b1"))
            }
        }
    }

    @Test func createDescribeAndStepOutput() async throws {
        try await ServerHarness.run { api in
            let created = try await api.call(
                .post, "\(base)/echo/instances", json: #"{"instance_id": "first", "params": {"hello": "world"}}"#)
            #expect(created.status == .ok)
            #expect(created.body["result"]?["id"] == .string("first"))
            #expect(created.body["result"]?["status"] == .string("queued"))
            // A UUID, as Cloudflare's: the workflow's own id in the list, the same on every call,
            // another for the same name in another account.
            let workflowId = try #require(created.body["result"]?["workflow_id"]?.string)
            #expect(UUID(uuidString: workflowId) != nil && workflowId == workflowId.lowercased())
            let listed = try await api.call(.get, base).body["result"]?.array?.first { $0["name"] == .string("echo") }
            #expect(listed?["id"]?.string == workflowId)
            let page = try await api.call(.get, "\(base)/echo/instances").body["result"]?.array
            #expect(page?.first?["workflow_id"]?.string == workflowId)
            let theirs = try await api.call(.get, ServerHarness.workflows("globex"), token: api.globex).body["result"]?.array?
                .first { $0["name"] == .string("echo") }
            #expect(theirs?["id"]?.string != nil && theirs?["id"]?.string != workflowId)
            _ = try await api.brigade.runtime.waitForCompletion(InstanceKey(tenant: "acme", workflow: "echo", id: "first"))
            let described = try await api.call(.get, "\(base)/echo/instances/first")
            let result = try #require(described.body["result"])
            #expect(result["status"] == .string("complete"))
            #expect(result["success"] == .bool(true))
            #expect(result["output"] == .object(["hello": .string("world")]))
            #expect(result["params"] == .object(["hello": .string("world")]))
            #expect(result["step_count"]?.number == 1)
            let step = try #require(result["steps"]?[0])
            #expect(step["type"] == .string("step"))
            #expect(step["name"] == .string("echo-1"))
            #expect(step["success"] == .bool(true))
            #expect(step["attempts"]?.array?.count == 1)
            #expect(step["attempts"]?[0]?["success"] == .bool(true))
            #expect(step["config"]?["retries"]?["limit"]?.number == 5)
            #expect(step["config"]?["retries"]?["delay"] == .string("10 seconds"))
            #expect(step["config"]?["retries"]?["backoff"] == .string("exponential"))
            #expect(step["config"]?["timeout"] == .string("10 minutes"))
            let simple = try await api.call(.get, "\(base)/echo/instances/first?simple=true")
            #expect(simple.body["result"]?["steps"] == nil)
            let output = try await api.call(.get, "\(base)/echo/instances/first/step?name=echo-1")
            #expect(output.body["result"]?["output"] == .object(["hello": .string("world")]))
            #expect(try await api.call(.get, "\(base)/echo/instances/first/step?name=nope-1").status == .notFound)
        }
    }

    @Test func badInputIsA4xxWithAClearMessage() async throws {
        try await ServerHarness.run { api in
            try await api.call(.post, "\(base)/echo/instances", json: #"{"instance_id": "dup"}"#)
            let duplicate = try await api.call(.post, "\(base)/echo/instances", json: #"{"instance_id": "dup"}"#)
            #expect(duplicate.status == .conflict)
            #expect(duplicate.body["errors"]?[0]?["message"]?.string?.contains("instance.already_exists") == true)
            let badId = try await api.call(.post, "\(base)/echo/instances", json: #"{"instance_id": "no spaces allowed"}"#)
            #expect(badId.status == .badRequest)
            #expect(badId.body["errors"]?[0]?["message"]?.string?.contains("instance.invalid_id") == true)
            let badJSON = try await api.call(.post, "\(base)/echo/instances", json: #"{"params": "#)
            #expect(badJSON.status == .badRequest)
            #expect(badJSON.body["errors"]?[0]?["message"]?.string?.contains("not valid JSON") == true)
            let tooLarge = try await api.call(
                .post, "\(base)/echo/instances", json: #"{"params": {"blob": ""# + String(repeating: "x", count: 1_100_000) + #""}}"#)
            #expect(tooLarge.status == .contentTooLarge)
            let wayTooLarge = try await api.call(.post, "\(base)/echo/instances", json: String(repeating: " ", count: 3_000_000))
            #expect(wayTooLarge.status == .contentTooLarge)
            #expect(wayTooLarge.body["success"] == .bool(false))
            #expect(try await api.call(.get, "\(base)/echo/instances?per_page=0").status == .badRequest)
            #expect(try await api.call(.get, "\(base)/echo/instances?status=sleeping").status == .badRequest)
            #expect(try await api.call(.get, "\(base)/echo/instances?cursor=garbage").status == .badRequest)
            #expect(try await api.call(.get, "\(base)/echo/instances/nope").status == .notFound)
            let unknownRoute = try await api.call(.get, "/client/v4/nothing-here")
            #expect(unknownRoute.status == .notFound)
            #expect(unknownRoute.body["success"] == .bool(false))
            let badStatus = try await api.call(.patch, "\(base)/echo/instances/dup/status", json: #"{"status": "explode"}"#)
            #expect(badStatus.status == .badRequest)
        }
    }

    @Test func batchCreateAndCursorPaging() async throws {
        try await ServerHarness.run { api in
            let items = (0..<25).map { #"{"instance_id": "n\#(String(format: "%02d", $0))", "params": {}}"# }.joined(separator: ",")
            let batch = try await api.call(.post, "\(base)/napper/instances/batch", json: "[\(items)]")
            #expect(batch.body["result"]?.array?.count == 25)
            #expect(try await api.call(.post, "\(base)/napper/instances/batch", json: "[]").status == .badRequest)
            var seen: [String] = []
            var cursor: String?
            repeat {
                let query = cursor.map { "&cursor=\($0.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)" } ?? ""
                let page = try await api.call(.get, "\(base)/napper/instances?per_page=10&direction=asc\(query)")
                seen += page.body["result"]?.array?.compactMap { $0["id"]?.string } ?? []
                cursor = page.body["result_info"]?["cursor"]?.string
            } while cursor != nil
            #expect(seen == (0..<25).map { String(format: "n%02d", $0) })
            let third = try await api.call(.get, "\(base)/napper/instances?per_page=10&page=3&direction=asc")
            #expect(third.body["result"]?.array?.compactMap { $0["id"]?.string } == (20..<25).map { String(format: "n%02d", $0) })
            try await eventually("all parked") {
                (try await api.brigade.runtime.instanceCounts(tenant: "acme", workflow: "napper"))[.waiting] == 25
            }
            let waiting = try await api.call(.get, "\(base)/napper/instances?status=waiting&per_page=100")
            #expect(waiting.body["result"]?.array?.count == 25)
            #expect(try await api.call(.get, "\(base)/napper/instances?status=complete").body["result"]?.array?.count == 0)
        }
    }

    @Test func listingFiltersByCreationDate() async throws {
        try await ServerHarness.run { api in
            // Three instances an hour apart on the manual clock.
            var created: [Date] = []
            for id in ["a", "b", "c"] {
                created.append(api.brigade.clock.now())
                try await api.call(.post, "\(base)/napper/instances", json: #"{"instance_id": "\#(id)"}"#)
                api.brigade.clock.advance(by: .hours(1))
            }
            let iso = ISO8601DateFormatter()
            iso.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
            func ids(_ query: String) async throws -> [String]? {
                try await api.call(.get, "\(base)/napper/instances?direction=asc&\(query)").body["result"]?.array?.compactMap {
                    $0["id"]?.string
                }
            }
            let start = iso.string(from: created[1]).addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
            let end = iso.string(from: created[1].addingTimeInterval(60)).addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
            #expect(try await ids("date_start=\(start)") == ["b", "c"])
            #expect(try await ids("date_end=\(start)") == ["a", "b"])
            #expect(try await ids("date_start=\(start)&date_end=\(end)") == ["b"])
            #expect(try await ids("date_start=\(start)&date_end=\(end)&per_page=1&page=2") == [])
            let bad = try await api.call(.get, "\(base)/napper/instances?date_start=yesterday")
            #expect(bad.status == .badRequest)
            #expect(bad.body["errors"]?[0]?["message"]?.string?.contains("ISO 8601") == true)
            #expect(try await api.call(.get, "\(base)/napper/instances?date_start=\(end)&date_end=\(start)").status == .badRequest)
        }
    }

    @Test func pauseResumeTerminateRestartAndEvents() async throws {
        try await ServerHarness.run { api in
            try await api.call(.post, "\(base)/listener/instances", json: #"{"instance_id": "l1"}"#)
            let key = InstanceKey(tenant: "acme", workflow: "listener", id: "l1")
            try await eventually("waiting") { try await api.brigade.runtime.instanceRow(key).status == .waiting }
            let paused = try await api.call(.patch, "\(base)/listener/instances/l1/status", json: #"{"status": "pause"}"#)
            #expect(paused.body["result"]?["status"] == .string("paused"))
            let resumed = try await api.call(.patch, "\(base)/listener/instances/l1/status", json: #"{"status": "resume"}"#)
            #expect(resumed.status == .ok)
            let sent = try await api.call(.post, "\(base)/listener/instances/l1/events/approval", json: #"{"by": "ada"}"#)
            #expect(sent.status == .ok)
            do {
                try await eventually("l1 complete", timeout: .seconds(10)) {
                    try await api.brigade.runtime.instanceRow(key).status == .complete
                }
            } catch {
                let row = try await api.brigade.runtime.instanceRow(key)
                let history = try await api.brigade.runtime.history(key).map { "\($0.entry.type.rawValue)" }
                Issue.record(
                    "DIAG status=\(row.status) due=\(String(describing: row.dueAt)) now=\(api.brigade.clock.nowMilliseconds()) history=\(history) steps=\(try await api.brigade.runtime.steps(key).map { "\($0.displayName):\($0.status)" })"
                )
                throw error
            }
            #expect(try await api.call(.get, "\(base)/listener/instances/l1").body["result"]?["output"] == .object(["by": .string("ada")]))
            let badType = try await api.call(.post, "\(base)/listener/instances/l1/events/bad.type", json: "{}")
            #expect(badType.status == .badRequest)

            try await api.call(.post, "\(base)/napper/instances", json: #"{"instance_id": "t1"}"#)
            let terminated = try await api.call(.patch, "\(base)/napper/instances/t1/status", json: #"{"status": "terminate"}"#)
            #expect(terminated.body["result"]?["status"] == .string("terminated"))
            let again = try await api.call(.patch, "\(base)/napper/instances/t1/status", json: #"{"status": "terminate"}"#)
            #expect(again.status == .conflict)
            let restarted = try await api.call(.patch, "\(base)/napper/instances/t1/status", json: #"{"status": "restart"}"#)
            #expect(restarted.status == .ok)
            let describe = try await api.call(.get, "\(base)/napper/instances/t1")
            #expect(describe.body["result"]?["status"] != .string("terminated"))
        }
    }

    @Test func batchDeleteAndTerminateAll() async throws {
        try await ServerHarness.run { api in
            let items = (0..<5).map { #"{"instance_id": "d\#($0)"}"# }.joined(separator: ",")
            try await api.call(.post, "\(base)/napper/instances/batch", json: "[\(items)]")
            try await eventually("all parked") {
                (try await api.brigade.runtime.instanceCounts(tenant: "acme", workflow: "napper"))[.waiting] == 5
            }
            // An invalid id fails the whole call before anything is deleted.
            let invalid = try await api.call(
                .post, "\(base)/napper/instances/batch/delete", json: #"{"instances": ["d0", "-not an id"]}"#)
            #expect(invalid.status == .badRequest)
            for count in [0, 101] {
                let ids = (0..<count).map { #""d\#($0)""# }.joined(separator: ",")
                let sized = try await api.call(.post, "\(base)/napper/instances/batch/delete", json: #"{"instances": [\#(ids)]}"#)
                #expect(sized.status == .badRequest, "\(count) ids: \(sized.body)")
                #expect(sized.body["errors"]?[0]?["message"]?.string?.contains("batch.invalid") == true)
            }
            #expect((try await api.brigade.runtime.instanceCounts(tenant: "acme", workflow: "napper"))[.waiting] == 5)
            // Cloudflare's shape: deleted per input position (a duplicate reported twice), errors with their ids.
            let deleted = try await api.call(
                .post, "\(base)/napper/instances/batch/delete", json: #"{"instances": ["d0", "d1", "d0", "missing"]}"#)
            #expect(deleted.body["result"]?["deleted"] == .array([.object(["id": "d0"]), .object(["id": "d1"]), .object(["id": "d0"])]))
            #expect(deleted.body["result"]?["errors"]?[0]?["id"] == .string("missing"))
            #expect(deleted.body["result"]?["errors"]?[0]?["code"]?.number == 10_400)
            #expect(
                deleted.body["result"]?["errors"]?[0]?["message"]?.string == "(instance.not_found) No instance \"missing\" in workflow \"napper\".",
                "the same words as any other instance not found")
            #expect(deleted.body["result"]?["errors"]?.array?.count == 1)
            let all = try await api.call(.put, "\(base)/napper/instances/terminate")
            #expect(all.body["result"]?["status"] == .string("ok"))
            let counts = try await api.brigade.runtime.instanceCounts(tenant: "acme", workflow: "napper")
            #expect(counts[.terminated] == 3)
        }
    }

    /// Every instance route, with globex's own token and path, asked about acme's instance:
    /// 404, exactly as for an id that does not exist; and globex's lists show none of acme's rows.
    @Test func anotherTenantsInstancesAre404OnEveryRoute() async throws {
        try await ServerHarness.run { api in
            try await api.call(.post, "\(base)/listener/instances", json: #"{"instance_id": "secret"}"#)
            let theirs = ServerHarness.workflows("globex") + "/listener/instances"
            let token = api.globex
            let calls: [(HTTPRequestMethod, String, String?)] = [
                (.get, "\(theirs)/secret", nil),
                (.get, "\(theirs)/secret/step?name=approval-1", nil),
                (.patch, "\(theirs)/secret/status", #"{"status": "pause"}"#),
                (.patch, "\(theirs)/secret/status", #"{"status": "terminate"}"#),
                (.patch, "\(theirs)/secret/status", #"{"status": "restart"}"#),
                (.post, "\(theirs)/secret/events/approval", "{}"),
            ]
            for (method, path, json) in calls {
                let response = try await api.call(method.method, path, token: token, json: json)
                #expect(response.status == .notFound, "\(method) \(path)")
            }
            let deleted = try await api.call(.post, "\(theirs)/batch/delete", token: token, json: #"{"instances": ["secret"]}"#)
            #expect(deleted.body["result"]?["deleted"] == .array([]))
            let created = try await api.call(.post, theirs, token: token, json: #"{"instance_id": "secret"}"#)
            #expect(created.status == .ok, "ids are per tenant: globex may use the same id")
            let list = try await api.call(.get, theirs, token: token)
            #expect(list.body["result"]?.array?.count == 1)
            let workflow = try await api.call(.get, ServerHarness.workflows("globex") + "/listener", token: token)
            let counted = workflow.body["result"]?["instances"].map { value -> Double in
                guard case .object(let counts) = value else { return -1 }
                return counts.values.compactMap(\.number).reduce(0, +)
            }
            #expect(counted == 1)
            // acme's instance was untouched by all of it.
            let mine = try await api.brigade.runtime.instanceRow(InstanceKey(tenant: "acme", workflow: "listener", id: "secret"))
            #expect(mine.status == .waiting || mine.status == .running)
        }
    }
}

/// `HTTPRequest.Method` spelled for the table above.
enum HTTPRequestMethod: CustomStringConvertible {
    case get, post, patch, put
    var method: HTTPRequest.Method {
        switch self {
        case .get: .get
        case .post: .post
        case .patch: .patch
        case .put: .put
        }
    }
    var description: String { "\(method)" }
}
