/// The params of an instance created through a wrapped binding:
/// `{ "__dispatcherMetadata": {…}, "params": {…} }` (Cloudflare's Dynamic Workflows shape).
///
/// The metadata rides with the instance so that every run — after a sleep, a crash or a deploy —
/// can be routed back to the code it belongs to. It is routing, never authorization: the tenant
/// that owns an instance is the one whose credential created it.
public enum DispatcherEnvelope {
    public static let metadataKey = "__dispatcherMetadata"
    public static let paramsKey = "params"

    public static func wrap(params: JSONValue, metadata: [String: JSONValue]) -> JSONValue {
        .object([metadataKey: .object(metadata), paramsKey: params])
    }

    /// The metadata and the tenant's own params, or nil when `value` is not an envelope.
    public static func unwrap(_ value: JSONValue) -> (metadata: [String: JSONValue], params: JSONValue)? {
        guard case .object(let fields) = value, case .object(let metadata)? = fields[metadataKey] else { return nil }
        return (metadata, fields[paramsKey] ?? .null)
    }
}
