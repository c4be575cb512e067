import Brigade
import BrigadeTesting
import Foundation
import HTTPTypes
import PropertyBased
import Testing

@testable import BrigadeServer

/// Generated request values through the real routes: every one answers 200 or a 4xx with the
/// envelope, never a 5xx or a trap.
@Suite struct RequestPropertyTests {
    static let numbers = Gen.oneOf(
        Gen.double(in: -1e300...1e300), Gen.double(in: -1e7...1e7),
        Gen<Double?>.element(of: [0, -0.0, 0.5, 1, 9.3e15, 1e19, -1, 1e300, 2_147_483_648]).map { $0 ?? 0 })

    static func jsonNumber(_ value: Double) -> String { JSONValue.number(value).jsonText(limit: 64) }

    @Test func numbersInEveryNumericFieldAnswer200Or400() async throws {
        try await ServerHarness.run { api in
            let base = ServerHarness.workflows()
            try await api.call(.post, "\(base)/echo/instances", json: #"{"instance_id": "r"}"#)
            _ = try await api.brigade.runtime.waitForCompletion(InstanceKey(tenant: "acme", workflow: "echo", id: "r"))
            await propertyCheck(count: 150, input: Self.numbers) { value in
                let number = Self.jsonNumber(value)
                let requests: [(HTTPRequest.Method, String, String)] = [
                    (.post, "\(base)/echo/instances", #"{"instance_retention": {"success_retention": \#(number)}}"#),
                    (.post, "\(base)/echo/instances/batch", #"[{"instance_retention": {"error_retention": \#(number)}}]"#),
                    (.put, "\(base)/mine", #"{"class_name": "echo", "limits": {"steps": \#(number)}, "default_retention": {"error_retention": \#(number)}}"#),
                    (.patch, "\(base)/echo/instances/r/status", #"{"status": "restart", "from": {"name": "echo", "count": \#(number)}}"#),
                ]
                for (method, path, body) in requests {
                    let response = try? await api.call(method, path, json: body)
                    let status = response?.status.code ?? 0
                    #expect(status == 200 || status == 400 || status == 409, "\(method) \(path) \(body): \(status) \(String(describing: response?.body))")
                    if status == 400 { #expect(response?.body["errors"]?[0]?["message"]?.string?.isEmpty == false) }
                }
            }
        }
    }

    /// A date is accepted exactly when the calendar has it. ISO 8601 dates are proleptic
    /// Gregorian; Foundation's Gregorian calendar is Julian before October 1582 (1500-02-29
    /// exists there, 1582-10-10 does not), so it is the oracle from 1583 on and the years before
    /// are checked by their rule.
    @Test func aDateFilterIsAcceptedExactlyWhenTheCalendarHasIt() async throws {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        for (text, exists) in [
            ("1500-02-29", false), ("1600-02-29", true), ("1582-10-10", true), ("0004-02-29", true), ("0100-02-29", false),
            ("0001-01-01", true),
        ] {
            #expect(BrigadeServer.hasCalendarFields(text) == exists, "\(text)")
        }
        await propertyCheck(
            count: 3_000, input: Gen.int(in: 1_583...9_999), Gen.int(in: 0...13), Gen.int(in: 0...32)
        ) { year, month, day in
            let text = String(format: "%04d-%02d-%02d", year, month, day)
            let real = (1...12).contains(month) && (1...31).contains(day)
                && calendar.date(from: DateComponents(year: year, month: month, day: day)).map { calendar.component(.day, from: $0) == day } == true
            #expect(BrigadeServer.hasCalendarFields(text) == real, "\(text)")
        }
        await propertyCheck(count: 2_000, input: Gen.int(in: 0...25), Gen.int(in: 0...61), Gen.int(in: 0...61)) { hour, minute, second in
            let text = String(format: "2026-11-23T%02d:%02d:%02dZ", hour, minute, second)
            #expect(BrigadeServer.hasCalendarFields(text) == (hour < 24 && minute < 60 && second < 60), "\(text)")
        }
    }
}
