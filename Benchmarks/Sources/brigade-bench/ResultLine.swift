import Brigade
import Foundation

/// One line of the harness's results file: the workload's parameters and metrics with the run's
/// conditions, versions and set-up.
struct ResultLine: Encodable {
    var runId: String
    var ts: String
    var engine: String
    var variant: String
    var workload: String
    var params: [String: JSONValue]
    /// The result's fields in snake case (the keys the peers' drivers write).
    var metrics: JSONValue
    var conditions: JSONValue
    var versions: [String: JSONValue]
    var setup: [String: JSONValue]

    enum CodingKeys: String, CodingKey {
        case runId = "run_id"
        case ts, engine, variant, workload, params, metrics, conditions, versions, setup
    }

    /// `result` as the line's `metrics`.
    static func metrics(_ result: some BenchmarkResult) throws -> JSONValue {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        // A percentile of no samples is NaN; the line must still be written.
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return try JSONDecoder().decode(JSONValue.self, from: encoder.encode(result))
    }

    /// Appends the line to `path` (created if missing).
    func append(to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        var data = try encoder.encode(self)
        data.append(0x0A)
        if !FileManager.default.fileExists(atPath: path) {
            _ = FileManager.default.createFile(atPath: path, contents: nil)
        }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: data)
    }

    /// A run id for a line made without the harness: the time, to the second.
    static func runId() -> String {
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyyMMdd-HHmmss"
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: Date())
    }
}
