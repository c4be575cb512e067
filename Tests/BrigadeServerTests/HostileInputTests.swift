import Brigade
import BrigadeServer
import BrigadeTesting
import Foundation
import HTTPTypes
import Testing

/// What a hostile tenant sends with an ordinary token: numbers no conversion can hold, stored
/// values shaped like the runtime's own, impossible dates. Each answers a clear 400 (or is stored
/// and read back as plain data); none may trap the process, which would end this whole test run.
@Suite struct HostileInputTests {
    let base = ServerHarness.workflows()

    /// Numbers past every integer type, fractions, negatives and NaN's JSON neighbours in every
    /// numeric field of a request.
    static let hostileNumbers = ["1e300", "-1e300", "9.3e15", "1e19", "-1", "-5", "0.5", "1.5e-300"]

    @Test(arguments: hostileNumbers)
    func aHostileRetentionIsA400(_ number: String) async throws {
        try await ServerHarness.run { api in
            for field in ["success_retention", "error_retention"] {
                let create = try await api.call(
                    .post, "\(base)/echo/instances", json: #"{"instance_retention": {"\#(field)": \#(number)}}"#)
                try Self.expectClear400OrOK(create, number: number)
                let batch = try await api.call(
                    .post, "\(base)/echo/instances/batch", json: #"[{"instance_retention": {"\#(field)": \#(number)}}]"#)
                try Self.expectClear400OrOK(batch, number: number)
                let put = try await api.call(
                    .put, "\(base)/mine", json: #"{"class_name": "echo", "default_retention": {"\#(field)": \#(number)}}"#)
                try Self.expectClear400OrOK(put, number: number)
            }
            // The server still answers.
            #expect(try await api.call(.get, base).status == .ok)
        }
    }

    /// A retention either fits (0 to the longest retention, in milliseconds as Cloudflare's API
    /// counts them) or is refused with a message naming the field; never a 5xx.
    static func expectClear400OrOK(
        _ response: (status: HTTPResponse.Status, headers: HTTPFields, body: JSONValue), number: String
    ) throws {
        let value = Double(number)!
        let fits = value >= 0 && value <= 365 * 86_400_000
        if fits {
            #expect(response.status == .ok, "\(number): \(response.body)")
        } else {
            #expect(response.status == .badRequest, "\(number): \(response.body)")
            let message = response.body["errors"]?[0]?["message"]?.string ?? ""
            #expect(message.contains("retention"), "\(number): \(message)")
        }
    }

    @Test func negativeRetentionsAreRefusedAsNumbersAndAsStrings() async throws {
        try await ServerHarness.run { api in
            let number = try await api.call(.post, "\(base)/echo/instances", json: #"{"instance_retention": {"success_retention": -5}}"#)
            let text = try await api.call(.post, "\(base)/echo/instances", json: #"{"instance_retention": {"success_retention": "-5 days"}}"#)
            #expect(number.status == .badRequest)
            #expect(text.status == .badRequest)
            let tooLong = try await api.call(.post, "\(base)/echo/instances", json: #"{"instance_retention": {"error_retention": "400 days"}}"#)
            #expect(tooLong.status == .badRequest)
            #expect(tooLong.body["errors"]?[0]?["message"]?.string?.contains("365 days") == true)
        }
    }

    @Test(arguments: ["1e19", "1e300", "-1", "0", "1.5", "\"2\"", "true"])
    func aHostileRestartCountIsA400(_ count: String) async throws {
        try await ServerHarness.run { api in
            try await api.call(.post, "\(base)/echo/instances", json: #"{"instance_id": "r1"}"#)
            _ = try await api.brigade.runtime.waitForCompletion(InstanceKey(tenant: "acme", workflow: "echo", id: "r1"))
            for id in ["r1", "unknown-instance"] {
                let response = try await api.call(
                    .patch, "\(base)/echo/instances/\(id)/status", json: #"{"status": "restart", "from": {"name": "echo", "count": \#(count)}}"#)
                #expect(response.status == .badRequest, "count \(count) for \(id): \(response.body)")
                #expect(response.body["errors"]?[0]?["message"]?.string?.contains("from.count") == true)
            }
        }
    }

    @Test(arguments: ["1e300", "-1", "0", "2.5", "\"ten\"", "1e19"])
    func aHostileStepLimitIsA400(_ steps: String) async throws {
        try await ServerHarness.run { api in
            let put = try await api.call(.put, "\(base)/mine", json: #"{"class_name": "echo", "limits": {"steps": \#(steps)}}"#)
            #expect(put.status == .badRequest, "\(steps): \(put.body)")
            #expect(put.body["errors"]?[0]?["message"]?.string?.contains("limits.steps") == true)
        }
    }

    /// Params shaped like the dispatcher's envelope are the tenant's own data in a workflow that
    /// has no envelopes: stored, listed and described as given, never read as routing.
    @Test func paramsShapedLikeTheEnvelopeAreJustData() async throws {
        try await ServerHarness.run { api in
            for (id, version) in [("p1", "1e300"), ("p2", "-3"), ("p3", "2"), ("p4", "\"x\"")] {
                let params = #"{"__dispatcherMetadata": {"version": \#(version), "tenantId": "globex"}, "params": {}}"#
                let created = try await api.call(.post, "\(base)/echo/instances", json: #"{"instance_id": "\#(id)", "params": \#(params)}"#)
                #expect(created.status == .ok)
                _ = try await api.brigade.runtime.waitForCompletion(InstanceKey(tenant: "acme", workflow: "echo", id: id))
                let described = try await api.call(.get, "\(base)/echo/instances/\(id)")
                #expect(described.status == .ok)
                #expect(described.body["result"]?["code_version"] == nil)
                #expect(described.body["result"]?["status"] == .string("complete"))
                #expect(described.body["result"]?["params"]?["__dispatcherMetadata"]?["tenantId"] == .string("globex"))
            }
            let list = try await api.call(.get, "\(base)/echo/instances")
            #expect(list.status == .ok)
            #expect(list.body["result"]?.array?.count == 4)
            #expect(list.body["result"]?.array?.allSatisfy { $0["code_version"] == nil } == true)
        }
    }

    @Test(arguments: [
        "2026-02-30", "2026-02-29", "2026-13-01", "2026-00-10", "2026-04-31", "2026-11-23T24:00:00Z", "2026-11-23T10:60:00Z",
        "2026-11-23T10:00:61Z", "99999-01-01", "2026-1-1",
    ])
    func anImpossibleDateIsA400(_ date: String) async throws {
        try await ServerHarness.run { api in
            let response = try await api.call(.get, "\(base)/echo/instances?date_start=\(date)")
            #expect(response.status == .badRequest, "\(date): \(response.body)")
            #expect(response.body["errors"]?[0]?["message"]?.string?.contains("date_start") == true)
        }
    }

    @Test(arguments: ["2024-02-29", "2026-11-23", "2026-11-23T23:59:59Z", "2026-11-23T10:00:00.123+02:00"])
    func aRealDateIsAccepted(_ date: String) async throws {
        try await ServerHarness.run { api in
            let encoded = date.replacingOccurrences(of: "+", with: "%2B")
            let response = try await api.call(.get, "\(base)/echo/instances?date_end=\(encoded)")
            #expect(response.status == .ok, "\(date): \(response.body)")
        }
    }

    @Test func aHugeQueryValueIsQuotedShort() async throws {
        try await ServerHarness.run { api in
            let huge = String(repeating: "9", count: 10_000)
            let response = try await api.call(.get, "\(base)/echo/instances?per_page=\(huge)")
            #expect(response.status == .badRequest)
            let message = response.body["errors"]?[0]?["message"]?.string ?? ""
            #expect(message.contains("per_page") && message.count < 300, "\(message.count) characters")
        }
    }
}
