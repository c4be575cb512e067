import Foundation

extension JSONValue {
    /// The value as compact JSON with sorted object keys: the same bytes every time.
    ///
    /// Hand-written because history entries are serialized on every step: `JSONEncoder`'s
    /// generic machinery cost more than the rest of the write.
    public func jsonData() -> Data {
        var output: [UInt8] = []
        output.reserveCapacity(64)
        append(to: &output)
        return Data(output)
    }

    private func append(to output: inout [UInt8]) {
        switch self {
        case .null:
            output.append(contentsOf: "null".utf8)
        case .bool(let value):
            output.append(contentsOf: (value ? "true" : "false").utf8)
        case .number(let value):
            Self.appendNumber(value, to: &output)
        case .string(let value):
            Self.appendString(value, to: &output)
        case .array(let values):
            output.append(UInt8(ascii: "["))
            for (index, value) in values.enumerated() {
                if index > 0 { output.append(UInt8(ascii: ",")) }
                value.append(to: &output)
            }
            output.append(UInt8(ascii: "]"))
        case .object(let members):
            output.append(UInt8(ascii: "{"))
            for (index, key) in members.keys.sorted().enumerated() {
                if index > 0 { output.append(UInt8(ascii: ",")) }
                Self.appendString(key, to: &output)
                output.append(UInt8(ascii: ":"))
                members[key]!.append(to: &output)
            }
            output.append(UInt8(ascii: "}"))
        }
    }

    private static func appendNumber(_ value: Double, to output: inout [UInt8]) {
        guard value.isFinite else {
            output.append(contentsOf: "null".utf8)  // JSON has no NaN or infinity
            return
        }
        output.append(contentsOf: numberText(value).utf8)
    }

    /// The value as JSON cut to `limit` bytes (see `String.cut`), for quoting what a client sent
    /// in an error message without echoing a megabyte back.
    public func jsonText(limit: Int) -> String {
        String(decoding: jsonData(), as: UTF8.self).cut(toUTF8Bytes: limit)
    }

    /// A finite number as JSON writes it, and Prometheus' text format reads it: a whole number
    /// without a fraction (`3`, not `3.0`), any other in Swift's shortest round-tripping form.
    package static func numberText(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 9.007_199_254_740_992e15 ? String(Int64(value)) : "\(value)"
    }

    private static func appendString(_ value: String, to output: inout [UInt8]) {
        output.append(UInt8(ascii: "\""))
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "\""): output.append(contentsOf: "\\\"".utf8)
            case UInt8(ascii: "\\"): output.append(contentsOf: "\\\\".utf8)
            case 0x0A: output.append(contentsOf: "\\n".utf8)
            case 0x0D: output.append(contentsOf: "\\r".utf8)
            case 0x09: output.append(contentsOf: "\\t".utf8)
            case 0x00..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                output.append(contentsOf: "\\u00".utf8)
                output.append(hex[Int(byte >> 4)])
                output.append(hex[Int(byte & 0x0F)])
            default: output.append(byte)
            }
        }
        output.append(UInt8(ascii: "\""))
    }
}

extension JSONValue {
    /// `value` as Brigade stores a step's result: JSON with dates as milliseconds since 1970 and
    /// sorted keys. For seams that stand in for a step (a test's mocked result).
    public static func storedForm<T: Encodable>(of value: T) throws -> Data {
        try JSONCoding.encode(value)
    }
}

extension StepConfig {
    /// The config as the JSON value stored and shown in history (`delay` and `timeout` in ms).
    public var jsonValue: JSONValue {
        var object: [String: JSONValue] = [
            "retries": .object([
                "limit": .number(Double(retries.limit)), "delay": .number(Double(retries.delay.wholeMilliseconds)),
                "backoff": .string(retries.backoff.rawValue),
            ]),
            "timeout": .number(Double(timeout.wholeMilliseconds)),
        ]
        if sensitiveOutput { object["sensitive"] = "output" }
        return .object(object)
    }
}
