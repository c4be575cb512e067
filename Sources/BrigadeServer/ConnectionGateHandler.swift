import HTTPTypes
import NIOCore
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

    /// A 503 in the API's error envelope, then the connection is closed.
    private func refuse(_ context: ChannelHandlerContext, reason: String) {
        let body = ByteBuffer(
            string:
                #"{"success":false,"errors":[{"code":10503,"message":"(server.busy) Connection refused: \#(reason). Close idle connections or retry later."}],"messages":[],"result":null}"#
        )
        var head = HTTPResponse(status: .serviceUnavailable)
        head.headerFields[.contentType] = "application/json"
        head.headerFields[.contentLength] = "\(body.readableBytes)"
        head.headerFields[.connection] = "close"
        head.headerFields[.retryAfter] = "1"
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(body)), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in context.close(promise: nil) }
    }
}
