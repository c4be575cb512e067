import ArgumentParser
import Brigade
import Foundation

/// The peer harness's context file (its driver contract): where to write, which PostgreSQL to
/// use, the run's id and the conditions it measured. Without `--ctx`, every field is empty and
/// the driver measures the machine itself.
struct HarnessContext {
    private var fields: [String: JSONValue] = [:]

    init() {}

    init(path: String) throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        guard case .object(let fields) = try JSONDecoder().decode(JSONValue.self, from: data) else {
            throw ValidationError("the context file \(path) is not a JSON object")
        }
        self.fields = fields
    }

    subscript(_ key: String) -> JSONValue? { fields[key] }

    func string(_ key: String) -> String? {
        if case .string(let value)? = fields[key] { return value }
        return nil
    }

    /// The harness's parameter `name` for `workload`, if it gave one.
    func parameter(_ workload: String, _ name: String) -> Int? {
        guard case .object(let params)? = fields["params"], case .object(let ofWorkload)? = params[workload] else { return nil }
        return ofWorkload[name]?.wholeNumber(in: Int.min...Int.max)
    }

    /// The URL of the PostgreSQL database the harness offers (with `BRIGADE_NEEDS_PG=1`).
    var postgresURL: String? {
        guard case .object(let postgres)? = fields["postgres"], case .string(let url)? = postgres["url"] else { return nil }
        return url
    }

    func object(_ key: String) -> [String: JSONValue] {
        if case .object(let value)? = fields[key] { return value }
        return [:]
    }
}
