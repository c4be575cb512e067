@_spi(Stores) import Brigade
import BrigadeServer
import BrigadeTesting
import Foundation
import Hummingbird
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Slow, greedy and stubborn clients against a real listening server: idle and half-sent
/// requests are closed, dribbled bodies time out, one address and one tenant cannot take every
/// connection or stream, and streams end when their instance has ended whatever cursor they
/// resume from.
@Suite struct ConnectionTests {
    static func limits() -> ConnectionLimits {
        var limits = ConnectionLimits()
        limits.idleTimeout = .seconds(1)
        limits.bodyTimeout = .seconds(1)
        limits.maxConnectionsPerClient = 4
        limits.maxStreamsPerTenant = 2
        limits.streamHeartbeat = .milliseconds(200)
        return limits
    }

    @Test func aClientThatSendsHalfItsHeadersIsClosed() async throws {
        try await LiveServer.run(limits: Self.limits()) { server in
            let client = try RawClient(port: server.port)
            try client.send("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
            let started = ContinuousClock.now
            let (_, closed) = try await client.read(for: .seconds(5))
            #expect(closed, "the server closed the connection")
            #expect(ContinuousClock.now - started < .seconds(4))
        }
    }

    /// What the HTTP decoder cannot read is answered in the envelope, saying what was wrong.
    @Test func anOverlongURLAndAMalformedRequestAreAnsweredInTheEnvelope() async throws {
        try await LiveServer.run(limits: Self.limits()) { server in
            let long = try RawClient(port: server.port)
            try long.send("GET /healthz?x=\(String(repeating: "a", count: 100_000)) HTTP/1.1\r\nHost: x\r\n\r\n")
            let (tooLong, _) = try await long.read(for: .seconds(3), until: "}")
            #expect(tooLong.hasPrefix("HTTP/1.1 431"), "\(tooLong.prefix(200))")
            #expect(tooLong.contains("request.too_large"))
            let garbage = try RawClient(port: server.port)
            try garbage.send("NOT HTTP AT ALL\r\n\r\n")
            let (malformed, _) = try await garbage.read(for: .seconds(3), until: "}")
            #expect(malformed.hasPrefix("HTTP/1.1 400"), "\(malformed.prefix(200))")
            #expect(malformed.contains("request.invalid_http"))
            // The server goes on.
            let next = try RawClient(port: server.port)
            try next.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            let (served, _) = try await next.read(for: .seconds(3), until: "ok\n")
            #expect(served.hasPrefix("HTTP/1.1 200"))
        }
    }

    @Test func aDribbledBodyAnswers408() async throws {
        try await LiveServer.run(limits: Self.limits()) { server in
            let client = try RawClient(port: server.port)
            try client.send(
                "POST \(ServerHarness.workflows())/echo/instances HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(server.token)\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"
            )
            // A byte every 300 ms: never idle for a second, never done.
            var answer = ""
            for _ in 0..<20 {
                try? client.send(" ")
                let (text, closed) = try await client.read(for: .milliseconds(300))
                answer += text
                if closed || answer.contains("\r\n\r\n") { break }
            }
            #expect(answer.hasPrefix("HTTP/1.1 408"), "\(answer.prefix(200))")
            #expect(answer.contains("request.timeout"))
        }
    }

    @Test func oneClientCannotHoldEveryConnection() async throws {
        try await LiveServer.run(limits: Self.limits()) { server in
            let held = try (0..<4).map { _ in try RawClient(port: server.port) }
            // All four admitted before the fifth knocks (a loaded machine accepts them late).
            try await eventually("the four connections admitted", timeout: .seconds(20)) { server.gateConnections() == 4 }
            let refused = try RawClient(port: server.port)
            let (answer, _) = try await refused.read(for: .seconds(3), until: "}")
            #expect(answer.hasPrefix("HTTP/1.1 503"), "\(answer.prefix(200))")
            #expect(answer.contains("server.busy") && answer.contains("this client has 4 connections open"))
            // One goes: a new connection is served again.
            held[0].close()
            try await eventually("the closed one released", timeout: .seconds(20)) { server.gateConnections() < 4 }
            let next = try RawClient(port: server.port)
            try next.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            let (served, _) = try await next.read(for: .seconds(3), until: "ok\n")
            #expect(served.hasPrefix("HTTP/1.1 200"), "\(served.prefix(200))")
            withExtendedLifetime(held) {}
        }
    }

    @Test func aTenantsStreamsAreCapped() async throws {
        try await LiveServer.run(limits: Self.limits()) { server in
            let base = ServerHarness.workflows()
            var streams: [RawClient] = []
            for id in ["w1", "w2", "w3"] {
                let created = try RawClient(port: server.port)
                let body = #"{"instance_id": "\#(id)"}"#
                try created.send(
                    "POST \(base)/listener/instances HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(server.token)\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"
                )
                _ = try await created.read(for: .seconds(3), until: "}")
            }
            for id in ["w1", "w2"] {
                let stream = try RawClient(port: server.port)
                try stream.send(
                    "GET \(base)/listener/instances/\(id)/subscribe HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(server.token)\r\n\r\n")
                let (head, _) = try await stream.read(for: .seconds(3), until: "retry: 1000")
                #expect(head.hasPrefix("HTTP/1.1 200"), "\(head.prefix(200))")
                streams.append(stream)
            }
            let third = try RawClient(port: server.port)
            try third.send(
                "GET \(base)/listener/instances/w3/subscribe HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(server.token)\r\n\r\n")
            let (refused, _) = try await third.read(for: .seconds(3), until: "}")
            #expect(refused.hasPrefix("HTTP/1.1 429"), "\(refused.prefix(200))")
            #expect(refused.contains("stream.limit"))
            // A stream that ends gives its place back.
            streams[0].close()
            try await eventually("the stream's place to be given back", timeout: .seconds(5)) { server.gateStreams() < 2 }
            let fourth = try RawClient(port: server.port)
            try fourth.send(
                "GET \(base)/listener/instances/w3/subscribe HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(server.token)\r\n\r\n")
            let (served, _) = try await fourth.read(for: .seconds(3), until: "retry: 1000")
            #expect(served.hasPrefix("HTTP/1.1 200"), "\(served.prefix(200))")
        }
    }

    /// Resumed at the terminal event, or past it, or with an id from the future: the stream has
    /// nothing more to send, ever, and ends at once instead of waiting for events that will not
    /// come.
    @Test(arguments: [0, 1, 1_000_000])
    func aStreamResumedAtOrPastTheEndEnds(_ pastEnd: Int64) async throws {
        try await ServerHarness.run { api in
            let base = ServerHarness.workflows()
            try await api.call(.post, "\(base)/echo/instances", json: #"{"instance_id": "done"}"#)
            let key = InstanceKey(tenant: "acme", workflow: "echo", id: "done")
            _ = try await api.brigade.runtime.waitForCompletion(key)
            let history = try await api.brigade.runtime.history(key)
            let last = try #require(history.last)
            #expect(last.entry.type.isTerminal)
            let cursor = pastEnd == 0 ? last.id : last.id + pastEnd
            let response = try await withThrowingTaskGroup(of: String?.self) { group in
                group.addTask {
                    let answer = try await api.call(.get, "\(base)/echo/instances/done/subscribe?cursor=\(cursor)")
                    return answer.body.string ?? ""
                }
                group.addTask {
                    try await Task.sleep(for: .seconds(10))
                    return nil
                }
                defer { group.cancelAll() }
                return try await group.next()!
            }
            let text = try #require(response, "the stream did not end within 10 s")
            #expect(!text.contains("event:"), "nothing after the cursor: \(text)")
        }
    }
}

/// A real `brigade` HTTP server on a free loopback port, over a fresh database, with tenant
/// `acme` and the harness's workflows.
struct LiveServer: Sendable {
    let port: Int
    let token: String
    let brigade: TestBrigade
    let gateStreams: @Sendable () -> Int
    /// Connections the server's gate has admitted and not yet seen close.
    let gateConnections: @Sendable () -> Int

    static func run(limits: ConnectionLimits, _ body: @Sendable (LiveServer) async throws -> Void) async throws {
        try await TestBrigade.run(register: {
            try $0.register(Echo())
            try $0.register(Listener())
        }) { brigade in
            let token = TenantToken.generate()
            try await brigade.store.createTenant(TenantRecord(id: "acme", tokenHash: TenantToken.hash(token), createdAt: 0))
            let server = BrigadeServer(runtime: brigade.runtime, tenants: brigade.store, connectionLimits: limits)
            let (ports, portSink) = AsyncStream.makeStream(of: Int.self)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    try await server.application(host: "127.0.0.1", port: 0) { port in portSink.yield(port) }.runService()
                }
                var iterator = ports.makeAsyncIterator()
                guard let port = await iterator.next() else { throw TestTimeout(description: "the server did not start") }
                try await body(
                    LiveServer(
                        port: port, token: token, brigade: brigade, gateStreams: { server.openStreams },
                        gateConnections: { server.openConnections }))
                group.cancelAll()
            }
        }
    }
}

/// A TCP client that sends exactly the bytes it is told to, when it is told to.
final class RawClient: @unchecked Sendable {
    private let descriptor: Int32

    init(port: Int) throws {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw TestTimeout(description: "connect failed: errno \(errno)") }
        // Reads wait 20 ms at most, so that a test's wait is a loop of short ones (never a
        // cooperative thread blocked for seconds).
        var wait = timeval(tv_sec: 0, tv_usec: 20_000)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &wait, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close() }

    func send(_ text: String) throws {
        let bytes = Array(text.utf8)
        let sent = bytes.withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        guard sent == bytes.count else { throw TestTimeout(description: "send failed: errno \(errno)") }
    }

    /// What arrives within `duration` (stopping early once `marker` has arrived), and whether
    /// the server closed the connection.
    func read(for duration: Duration, until marker: String? = nil) async throws -> (String, closed: Bool) {
        let deadline = ContinuousClock.now + duration
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while ContinuousClock.now < deadline {
            let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            if count == 0 { return (String(decoding: received, as: UTF8.self), true) }
            if count > 0 {
                received += buffer[..<count]
                if let marker, String(decoding: received, as: UTF8.self).contains(marker) { break }
                continue
            }
            if errno == ECONNRESET { return (String(decoding: received, as: UTF8.self), true) }
            try await Task.sleep(for: .milliseconds(10))
        }
        return (String(decoding: received, as: UTF8.self), false)
    }

    private var closed = false
    func close() {
        guard !closed else { return }
        closed = true
        _ = Glibc.close(descriptor)
    }
}
