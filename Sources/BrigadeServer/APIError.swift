import Brigade
import Foundation
import HTTPTypes
import Hummingbird

/// An error answered in Cloudflare's v4 envelope: `{success: false, errors: [{code, message}]}`
/// with the matching HTTP status. The message is always `(word) what was wrong and what to do`,
/// rendered here only (``render(_:_:)``): the word is a ``BrigadeError/Code``, the engine's or
/// the HTTP layer's own (`BrigadeError+HTTPCodes.swift`), and no message repeats it. Hummingbird
/// renders it as an `HTTPResponseError`.
struct APIError: Error, Sendable, HTTPResponseError {
    var status: HTTPResponse.Status
    var code: Int
    var message: String
    var retryAfterSeconds: Int?

    /// The one spelling of an error's message on the wire.
    static func render(_ word: BrigadeError.Code, _ message: String) -> String { "(\(word.rawValue)) \(message)" }

    init(status: HTTPResponse.Status, code: Int, _ word: BrigadeError.Code, _ message: String, retryAfterSeconds: Int? = nil) {
        self.init(status: status, code: code, message: Self.render(word, message), retryAfterSeconds: retryAfterSeconds)
    }

    /// Without a word: Cloudflare's own messages (`Authentication error: …`) and the 500 that
    /// says nothing of the internals.
    init(status: HTTPResponse.Status, code: Int, message: String, retryAfterSeconds: Int? = nil) {
        self.status = status
        self.code = code
        self.message = message
        self.retryAfterSeconds = retryAfterSeconds
    }

    static func unauthenticated(_ message: String) -> APIError {
        APIError(status: .unauthorized, code: 10_000, message: "Authentication error: \(message)")
    }

    static func notFound(code: Int, _ word: BrigadeError.Code, _ message: String) -> APIError {
        APIError(status: .notFound, code: code, word, message)
    }

    /// A body past `limit` bytes, whether announced by Content-Length or found while reading.
    static func payloadTooLarge(limit: Int) -> APIError {
        APIError(
            status: .contentTooLarge, code: 10_413, .payloadTooLarge,
            "The request body is larger than the server accepts (\(limit / 1_048_576) MiB; params and event payloads at most 1 MiB)."
        )
    }

    /// A body that did not arrive whole within `timeout`.
    static func requestTimeout(_ timeout: Duration) -> APIError {
        APIError(
            status: .requestTimeout, code: 10_408, .requestTimeout,
            "The request body did not arrive within \(timeout.components.seconds) seconds; send it whole, at once, and try again."
        )
    }

    /// A tenant holding as many event streams as it may.
    static func tooManyStreams(limit: Int) -> APIError {
        APIError(
            status: .tooManyRequests, code: 10_429, .streamLimit,
            "This account has \(limit) event streams open, its limit; close one (or resume it with Last-Event-ID later) before opening another.",
            retryAfterSeconds: 1)
    }

    static func badRequest(_ word: BrigadeError.Code, _ message: String) -> APIError {
        APIError(status: .badRequest, code: 10_100, word, message)
    }

    /// The HTTP form of any error a handler let through. Brigade's own errors carry their code
    /// as the message's word, as Cloudflare's do (`(instance.not_found) …`); anything else is a
    /// 500 that says nothing of the internals.
    init(_ error: any Error) {
        switch error {
        case let error as APIError:
            self = error
        case let error as BrigadeError:
            self.init(status: Self.status(of: error.code), code: Self.cloudflareCode(of: error.code), error.code, error.message)
            if let retryAfter = error.retryAfter {
                let (seconds, attoseconds) = retryAfter.components
                retryAfterSeconds = max(1, Int(seconds) + (attoseconds > 0 ? 1 : 0))
            }
        case let error as HTTPError:
            switch error.status {
            case .contentTooLarge:
                self = .payloadTooLarge(limit: BrigadeRequestContext.bodyLimit)
            case .notFound:
                self.init(status: .notFound, code: 10_404, .routeNotFound, "No such route; see openapi.yaml for the ones there are.")
            case .methodNotAllowed:
                self.init(status: .methodNotAllowed, code: 10_405, .routeMethodNotAllowed, "This route does not take that method.")
            default:
                self.init(status: error.status, code: 10_000 + error.status.code, message: error.body ?? error.status.reasonPhrase)
            }
        default:
            self.init(status: .internalServerError, code: 10_001, message: "workflows.api.error.internal_server")
        }
    }

    private static func status(of code: BrigadeError.Code) -> HTTPResponse.Status {
        switch code {
        case .instanceNotFound, .workflowNotRegistered, .tenantNotFound, .codeNotFound, .noFetchHandler: .notFound
        case .instanceAlreadyExists, .tenantAlreadyExists, .cannotTerminate, .cannotRestart, .instanceFinished,
            .workflowCannotDelete, .workflowHasInstances, .workflowNameTaken:
            .conflict
        case .payloadTooLarge, .stepOutputTooLarge, .codeTooLarge: .contentTooLarge
        case .rateLimited, .queueFull: .tooManyRequests
        case .storageFull: HTTPResponse.Status(code: 507, reasonPhrase: "Insufficient Storage")
        case .storageUnavailable: .serviceUnavailable
        default: .badRequest
        }
    }

    private static func cloudflareCode(of code: BrigadeError.Code) -> Int {
        switch code {
        case .instanceNotFound: 10_400
        case .workflowNotRegistered: 10_501
        case .instanceAlreadyExists, .tenantAlreadyExists: 10_409
        case .cannotTerminate, .cannotRestart, .instanceFinished, .workflowCannotDelete, .workflowHasInstances, .workflowNameTaken: 10_410
        case .payloadTooLarge, .stepOutputTooLarge, .codeTooLarge: 10_413
        case .rateLimited, .queueFull: 10_429
        case .storageFull: 10_507
        case .storageUnavailable: 10_503
        default: 10_100
        }
    }

    func response(from request: Request, context: some RequestContext) throws -> Response { response() }

    func response() -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        if let retryAfterSeconds { headers[.retryAfter] = String(retryAfterSeconds) }
        let body: JSONValue = .object([
            "success": .bool(false), "errors": .array([.object(["code": .number(Double(code)), "message": .string(message)])]),
            "messages": .array([]), "result": .null,
        ])
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: body.jsonData())))
    }
}
