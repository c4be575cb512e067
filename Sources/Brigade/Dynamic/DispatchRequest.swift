/// What a ``DynamicWorkflow`` hands its `loadRunner`: whose instance this is and where its
/// creator asked it to be routed.
public struct DispatchRequest: Sendable {
    /// The tenant that owns the instance: the one whose credential created it. Route on this,
    /// never on a tenant named in the metadata.
    public let tenant: String
    /// The workflow name the instance was created under.
    public let workflow: String
    public let instanceId: String
    /// The envelope's `__dispatcherMetadata`, as the wrapped binding tagged it (routing only).
    public let metadata: [String: JSONValue]
}
