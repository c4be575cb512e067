import Brigade
import HTTPTypes
import NIOCore
import NIOHTTP1
import NIOHTTPTypes

/// The first handler of every connection after HTTP decoding: admits the connection through the
/// server's ``ConnectionGate``, or answers 503 with the reason and closes it, and gives its
/// place back when the connection closes.
final class ConnectionGateHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundOut = HTTPResponsePart

    private let gate: ConnectionGate
    /// The client address, once admitted (released when the handler goes with its connection).
    private var admitted: String?
    private var refused = false

    init(gate: ConnectionGate) {
        self.gate = gate
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let client = context.channel.remoteAddress?.ipAddress ?? "unknown"
        switch gate.admitConnection(from: client) {
        case nil:
            admitted = client
        case let refusal?:
            refused = true
            let reason =
                refusal == .server
                ? "the server has \(gate.limits.maxConnections) connections open, its limit"
                : "this client has \(gate.limits.maxConnectionsPerClient) connections open, the limit for one address"
            refuse(context, reason: reason)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        if let admitted { gate.releaseConnection(from: admitted) }
        admitted = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        // A refused connection's request is never handled: the answer is already on its way.
        guard !refused else { return }
        context.fireChannelRead(data)
    }

    /// A request that is not HTTP/1.1 the decoder can read — a URL or headers past its 80 KiB,
    /// a malformed request line — is answered here in the envelope, saying what was wrong,
    /// instead of with the bare 400 the server would send; then the connection is closed.
    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let parserError = error as? HTTPParserError, !refused else {
            context.fireErrorCaught(error)
            return
        }
        refused = true
        let message =
            parserError == .headerOverflow
            ? APIError.render(
                .requestTooLarge, "The request's URL and headers are larger than the server reads (80 KiB); shorten them and send large data in the body.")
            : APIError.render(.invalidHTTP, "The request is not valid HTTP/1.1 (\(parserError)); send a well-formed request.")
        respond(context, status: parserError == .headerOverflow ? .init(code: 431, reasonPhrase: "Request Header Fields Too Large") : .badRequest,
            code: parserError == .headerOverflow ? 10_431 : 10_400, message: message)
    }

    /// A 503 in the API's error envelope, then the connection is closed.
    private func refuse(_ context: ChannelHandlerContext, reason: String) {
        respond(
            context, status: .serviceUnavailable, code: 10_503,
            message: APIError.render(.serverBusy, "Connection refused: \(reason). Close idle connections or retry later."), retryAfter: 1)
    }

    /// An answer in the API's error envelope, then the connection is closed.
    private func respond(_ context: ChannelHandlerContext, status: HTTPResponse.Status, code: Int, message: String, retryAfter: Int? = nil) {
        let envelope: JSONValue = [
            "success": false, "errors": [["code": .number(Double(code)), "message": .string(message)]], "messages": [], "result": nil,
        ]
        let body = ByteBuffer(bytes: envelope.jsonData())
        var head = HTTPResponse(status: status)
        head.headerFields[.contentType] = "application/json"
        head.headerFields[.contentLength] = "\(body.readableBytes)"
        head.headerFields[.connection] = "close"
        if let retryAfter { head.headerFields[.retryAfter] = "\(retryAfter)" }
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(body)), promise: nil)
        // The close waits for the answer to be written; the context stays on its event loop.
        let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in bound.value.close(promise: nil) }
    }
}
