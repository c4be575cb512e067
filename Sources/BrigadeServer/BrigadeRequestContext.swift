import Hummingbird
import Logging

/// The request context of Brigade's routes: Hummingbird's core storage plus the tenant the
/// bearer token belongs to, set by ``TenantAuthenticator``.
public struct BrigadeRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The authenticated tenant. Never taken from the path, a header or the body.
    public var tenant: String?

    public init(source: Source) {
        coreContext = .init(source: source)
    }

    /// Requests carry JSON of at most 1 MiB params plus envelope; larger bodies are refused
    /// while being read (413), never buffered whole.
    public var maxUploadSize: Int { Self.bodyLimit }

    /// The largest request body read: 2 MiB (params and event payloads are at most 1 MiB).
    public static let bodyLimit = 2 * 1_048_576
}
