import Brigade
import Foundation
import Hummingbird

extension BrigadeServer {
    /// A success in Cloudflare's envelope.
    static func envelope(_ result: JSONValue, resultInfo: JSONValue? = nil) -> Response {
        var body: [String: JSONValue] = ["success": .bool(true), "errors": .array([]), "messages": .array([]), "result": result]
        if let resultInfo { body["result_info"] = resultInfo }
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: JSONValue.object(body).jsonData())))
    }

    /// The request body as JSON (`nil` for an empty body). The body is read up to the
    /// context's limit and refused with 413 past it, without buffering the rest, and within
    /// ``ConnectionLimits/bodyTimeout`` (408 past it): a client that dribbles a body holds a
    /// connection and a task for that long at most.
    func requestBody(_ request: Request, _ context: BrigadeRequestContext) async throws -> JSONValue? {
        let data = try await rawBody(request, context)
        if data.isEmpty { return nil }
        do {
            return try WireFormat.decoder.decode(JSONValue.self, from: data)
        } catch {
            throw APIError.badRequest(
                .invalidJSON, "The request body is not valid JSON; send a JSON document with Content-Type: application/json.")
        }
    }

    /// The request's body as sent, within the upload size and the body timeout.
    func rawBody(_ request: Request, _ context: BrigadeRequestContext) async throws -> Data {
        if let length = request.headers[.contentLength].flatMap(Int.init), length > context.maxUploadSize {
            throw APIError.payloadTooLarge(limit: context.maxUploadSize)
        }
        let limit = context.maxUploadSize
        let timeout = gate.limits.bodyTimeout
        let buffer: ByteBuffer
        do {
            buffer = try await withThrowingTaskGroup(of: ByteBuffer?.self) { group in
                group.addTask { try await request.body.collect(upTo: limit) }
                group.addTask {
                    try await Task.sleep(for: timeout)
                    return nil
                }
                defer { group.cancelAll() }
                guard let first = try await group.next(), let buffer = first else { throw APIError.requestTimeout(timeout) }
                return buffer
            }
        } catch let error as APIError {
            throw error
        } catch {
            // A chunked body that runs past the limit: reading stops there.
            throw APIError.payloadTooLarge(limit: context.maxUploadSize)
        }
        return Data(buffer.readableBytesView)
    }

    /// The tenant set by ``TenantAuthenticator``.
    static func tenant(_ context: BrigadeRequestContext) throws -> String {
        guard let tenant = context.tenant else { throw APIError.unauthenticated("no tenant for this request") }
        return tenant
    }

    /// The path's workflow name, which must be one of the tenant's workflows (registered in
    /// Swift, or its own definition): 404 otherwise, exactly as for a name no one has.
    func workflowName(_ context: BrigadeRequestContext) async throws -> String {
        let name = try context.parameters.require("workflow")
        _ = try await runtime.definition(tenant: try Self.tenant(context), named: name)
        return name
    }

    func instanceKey(_ context: BrigadeRequestContext) async throws -> InstanceKey {
        InstanceKey(tenant: try Self.tenant(context), workflow: try await workflowName(context), id: try context.parameters.require("id"))
    }

    static func string(_ value: JSONValue?, _ field: String) throws -> String? {
        switch value {
        case nil, .null?: return nil
        case .string(let text)?: return text
        default: throw APIError.badRequest(.invalidRequestField, "\"\(field)\" must be a string.")
        }
    }

    static func object(_ value: JSONValue?, _ what: String) throws -> [String: JSONValue] {
        guard case .object(let object)? = value else {
            throw APIError.badRequest(.invalidRequestBody, "\(what) must be a JSON object.")
        }
        return object
    }

    /// `instance_retention: {success_retention, error_retention}` as duration strings or, as in
    /// Cloudflare's API, numbers of milliseconds.
    /// The range (0 to the server's longest retention) is the runtime's rule, checked there.
    static func retention(_ value: JSONValue?, field: String = "instance_retention") throws -> Retention? {
        guard let value, value != .null else { return nil }
        let object = try object(value, field)
        func duration(_ key: String) throws -> Duration? {
            switch object[key] {
            case nil, .null?: return nil
            case let value?: return try DurationParser.parse(value, unitMilliseconds: 1, what: "\(field).\(key)")
            }
        }
        return Retention(success: try duration("success_retention"), error: try duration("error_retention"))
    }

    /// `limits: {steps}` of a workflow definition or a deploy: a whole number (its range is the
    /// runtime's rule), or nil when absent.
    static func stepLimit(_ limits: JSONValue) throws -> Int? {
        switch try object(limits, "limits")["steps"] {
        case nil, .null?: return nil
        case let steps?:
            guard let number = steps.wholeNumber(in: Int(Int32.min)...Int(Int32.max)) else {
                throw APIError.badRequest(
                    .invalidDefinition, "limits.steps must be a whole number such as 1000; got \(steps.jsonText(limit: 40)).")
            }
            return number
        }
    }
}
