import Brigade

/// The words of the errors only the HTTP layer raises, beside the engine's own
/// (``BrigadeError/Code``): each is written once here, and an error's message never repeats it
/// (``APIError`` renders `(word) message`).
extension BrigadeError.Code {
    static let accountNotFound = Self(rawValue: "account.not_found")
    static let adminDisabled = Self(rawValue: "admin.disabled")
    /// A change from a dashboard session without its CSRF token.
    static let csrfMissing = Self(rawValue: "session.csrf_missing")
    static let codeNotSupported = Self(rawValue: "code.not_supported")
    static let invalidRequestBody = Self(rawValue: "request.invalid_body")
    static let invalidRequestCursor = Self(rawValue: "request.invalid_cursor")
    static let invalidRequestField = Self(rawValue: "request.invalid_field")
    static let invalidHTTP = Self(rawValue: "request.invalid_http")
    static let invalidJSON = Self(rawValue: "request.invalid_json")
    static let invalidRequestQuery = Self(rawValue: "request.invalid_query")
    static let requestTimeout = Self(rawValue: "request.timeout")
    static let requestTooLarge = Self(rawValue: "request.too_large")
    static let routeMethodNotAllowed = Self(rawValue: "route.method_not_allowed")
    static let routeNotFound = Self(rawValue: "route.not_found")
    static let serverBusy = Self(rawValue: "server.busy")
    static let stepNotFound = Self(rawValue: "step.not_found")
    static let streamLimit = Self(rawValue: "stream.limit")
    static let invalidTenantId = Self(rawValue: "tenant.invalid_id")
    static let versionNotFound = Self(rawValue: "version.not_found")
    static let invalidDefinition = Self(rawValue: "workflow.invalid_definition")
}
