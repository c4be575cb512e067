import Foundation

/// One header of a tenant fetch request or response, in order (a name may repeat).
public struct HTTPHeaderField: Sendable, Hashable {
    public var name: String
    public var value: String

    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }
}

/// An HTTP request for a tenant module's `fetch` handler (`export default { fetch(request, env, ctx) }`).
public struct TenantFetchRequest: Sendable, Hashable {
    public var method: String
    /// The whole URL the handler sees, such as `http://host/dispatch/acme/greeter/a/b?c=d`.
    public var url: String
    public var headers: [HTTPHeaderField]
    public var body: Data

    public init(method: String, url: String, headers: [HTTPHeaderField], body: Data) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
    }
}

/// What a tenant's `fetch` handler answered.
public struct TenantFetchResponse: Sendable, Hashable {
    public var status: Int
    public var headers: [HTTPHeaderField]
    public var body: Data

    public init(status: Int, headers: [HTTPHeaderField], body: Data) {
        self.status = status
        self.headers = headers
        self.body = body
    }
}

extension BrigadeError.Code {
    /// The module has no `fetch` handler (`export default { fetch }`), or the workflow no code.
    public static let noFetchHandler = Self(rawValue: "code.no_fetch_handler")
    /// The tenant's `fetch` handler threw or answered something that is not a `Response`.
    public static let fetchHandlerFailed = Self(rawValue: "code.fetch_failed")
}
