import Foundation

/// The child a `step.child` record points at, kept as the record's `config` JSON
/// (`{"child": {"workflow", "id"}}`) from the moment the step starts, so that describe shows the
/// link and a terminate can reach the children of an instance.
public struct ChildReference: Sendable, Hashable {
    public var workflow: String
    public var id: String

    public init(workflow: String, id: String) {
        self.workflow = workflow
        self.id = id
    }

    /// Reads a record's config; nil when it holds no child.
    public init?(config: Data?) {
        guard let config, case .object(let object)? = try? JSONCoding.decode(JSONValue.self, from: config),
            case .object(let child)? = object["child"], case .string(let workflow)? = child["workflow"], case .string(let id)? = child["id"]
        else { return nil }
        self.init(workflow: workflow, id: id)
    }

    public var config: Data { JSONValue.object(["child": .object(["workflow": .string(workflow), "id": .string(id)])]).jsonData() }
}
