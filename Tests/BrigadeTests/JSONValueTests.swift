import Brigade
import Foundation
import Testing

@Suite struct JSONValueTests {
    @Test func serializationRoundTripsThroughFoundationsDecoder() throws {
        let value: JSONValue = .object([
            "quote\"and\\slash/": .string("line\nbreak\ttab\r\u{01}\u{1F} é ✓ 𝄞"),
            "int": .number(42), "negative": .number(-7), "fraction": .number(0.25), "big": .number(1e300),
            "list": .array([.null, .bool(true), .bool(false), .object([:]), .array([])]),
            "nested": .object(["z": .number(1), "a": .string("")]),
        ])
        let data = value.jsonData()
        #expect(try JSONDecoder().decode(JSONValue.self, from: data) == value)
        let text = String(decoding: data, as: UTF8.self)
        #expect(text.contains(#""int":42"#), "whole numbers are written without a fraction")
        #expect(text.contains(#""nested":{"a":"","z":1}"#), "keys are sorted")
        #expect(text.contains(#"\u0001"#))
        #expect(JSONValue.number(.nan).jsonData() == Data("null".utf8))
    }

    @Test func stepConfigJSONValueMatchesItsCodableForm() throws {
        let config = StepConfig(retries: .init(limit: 3, delay: .milliseconds(1500), backoff: .linear), timeout: .seconds(30))
        let coded = try JSONDecoder().decode(JSONValue.self, from: JSONEncoder().encode(config))
        #expect(config.jsonValue == coded)
    }
}
