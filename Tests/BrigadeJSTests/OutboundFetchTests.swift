import Brigade
import BrigadeJS
import BrigadeTesting
import Foundation
import Hummingbird
import NIOCore
import Synchronization
import Testing

/// A local HTTP server for tenant code's fetch(): answers, redirects, a slow answer held until
/// the test lets it go, and a body past the limit.
struct LocalServer {
    let port: Int
    let release: @Sendable () -> Void

    static func run(_ body: (LocalServer) async throws -> Void) async throws {
        let held = Gate()
        let router = Router()
        router.get("/ok") { _, _ in "hello from the server" }
        router.post("/echo") { request, _ -> String in
            let text = String(buffer: try await request.body.collect(upTo: 1 << 20))
            return "\(request.method) \(request.headers[.init("x-custom")!] ?? "-") \(text)"
        }
        router.get("/to-ok") { _, _ in Response(status: .found, headers: [.location: "/ok"]) }
        router.get("/to-private") { _, _ in Response(status: .found, headers: [.location: "http://10.255.255.1/secret"]) }
        router.get("/to-metadata") { _, _ in
            Response(status: .temporaryRedirect, headers: [.location: "http://169.254.169.254/latest/meta-data/"])
        }
        router.get("/big") { _, _ in String(repeating: "x", count: 300_000) }
        router.get("/bytes") { _, _ in Response(status: .ok, body: ResponseBody(byteBuffer: ByteBuffer(bytes: Array(0...255)))) }
        router.post("/echo-bytes") { request, _ in
            Response(status: .ok, body: ResponseBody(byteBuffer: try await request.body.collect(upTo: 1 << 20)))
        }
        router.get("/hold") { _, _ -> String in
            await held.wait()
            return "released"
        }
        let ports = AsyncStream<Int>.makeStream()
        let app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in
                ports.continuation.yield(channel.localAddress?.port ?? 0)
            })
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await app.runService() }
            var iterator = ports.stream.makeAsyncIterator()
            let port = await iterator.next() ?? 0
            defer { group.cancelAll() }
            try await body(LocalServer(port: port, release: { held.open() }))
            held.open()
        }
    }
}

/// A JSON string's text, or the JSON itself.
func text(_ value: JSONValue?) -> String {
    if case .string(let text)? = value { return text }
    return value.map { String(decoding: $0.jsonData(), as: UTF8.self) } ?? "nil"
}

/// fetch() from tenant code: performed by the host, under the tenant's egress policy.
@Suite struct OutboundFetchTests {
    static let source = """
        export class TenantWorkflow {
          async run(event, step) {
            const base = event.payload.base;
            const r = {};
            r.ok = await step.do('ok', async () => {
              const response = await fetch(`${base}/ok`);
              return { status: response.status, ok: response.ok, text: await response.text(), type: response.headers.get('content-type'), redirected: response.redirected };
            });
            r.echo = await step.do('echo', async () => {
              const response = await fetch(new Request(`${base}/echo`, { method: 'POST', body: 'payload', headers: { 'X-Custom': 'yes' } }));
              return await response.text();
            });
            r.followed = await step.do('followed', async () => {
              const response = await fetch(`${base}/to-ok`);
              return [response.redirected, response.url, await response.text()];
            });
            // Bytes both ways, byte for byte, and a response body read as a stream.
            r.binary = await step.do('binary', async () => {
              const got = new Uint8Array(await (await fetch(`${base}/bytes`)).arrayBuffer());
              const sent = await fetch(`${base}/echo-bytes`, { method: 'POST', body: new Uint8Array([0, 255, 7, 0xc3]) });
              const back = new Uint8Array(await sent.arrayBuffer());
              const streamed = await fetch(`${base}/ok`);
              let length = 0;
              for await (const chunk of streamed.body) length += chunk.length;
              return [got.length, got[0], got[128], got[255], [...back], length, streamed.bodyUsed];
            });
            // An aborted signal rejects the fetch with its reason.
            r.aborted = await step.do('aborted', async () => {
              const controller = new AbortController();
              const pending = fetch(`${base}/ok`, { signal: controller.signal });
              controller.abort();
              try { await pending; return 'fetched'; } catch (e) { return e.name; }
            });
            const failure = async (name, url) => step.do(name, { retries: { limit: 0 } }, async () => {
              try { await fetch(url); return 'fetched'; } catch (e) { return `${e.name}: ${e.message}`; }
            });
            r.toPrivate = await failure('to-private', `${base}/to-private`);
            r.toMetadata = await failure('to-metadata', `${base}/to-metadata`);
            r.big = await failure('big', `${base}/big`);
            r.notHttp = await failure('not-http', 'file:///etc/passwd');
            // A loopback literal (a name would depend on this machine's resolver).
            r.loopback = await failure('loopback', 'http://127.0.0.1:1/');
            return r;
          }
        }
        """

    @Test func fetchReachesWhatThePolicyAllowsAndNothingElse() async throws {
        try await LocalServer.run { server in
            let base = "http://127.0.0.1:\(server.port)"
            let egress: @Sendable (String) -> EgressPolicy? = { tenant in
                var policy = EgressPolicy()
                if tenant == "acme" { policy.privateExceptions = ["127.0.0.1:\(server.port)"] }
                policy.maxResponseBytes = 100_000
                return tenant == "offline" ? nil : policy
            }
            try await JSTest.run(egress: egress) { test in
                try await test.deploy(Self.source, tenant: "acme")
                let row = try await test.wait(
                    try await test.create(tenant: "acme", params: ["base": .string(base)]), for: .complete, timeout: .seconds(60))
                let r = try #require(try test.output(row))
                #expect(
                    r["ok"] == [
                        "status": 200, "ok": true, "text": "hello from the server", "type": "text/plain; charset=utf-8",
                        "redirected": false,
                    ])
                #expect(r["echo"] == "POST yes payload")
                #expect(r["binary"] == [256, 0, 128, 255, [0, 255, 7, 0xc3], 21, true])
                #expect(r["aborted"] == "AbortError")
                #expect(r["followed"] == [true, .string("\(base)/ok"), "hello from the server"])
                #expect(
                    text(r["toPrivate"]).hasPrefix(
                        "TypeError: fetch: 10.255.255.1 resolves to 10.255.255.1, which tenant code may not reach"),
                    "\(text(r["toPrivate"]))")
                #expect(
                    text(r["toMetadata"]).contains("169.254.169.254") && text(r["toMetadata"]).hasPrefix("TypeError"),
                    "\(text(r["toMetadata"]))")
                #expect(r["big"] == "TypeError: fetch: the response body is larger than 100000 bytes")
                #expect(
                    text(r["notHttp"]).hasPrefix("TypeError: fetch: file:///etc/passwd is not an http or https URL"),
                    "\(text(r["notHttp"]))")
                #expect(text(r["loopback"]).contains("may not reach"), "\(text(r["loopback"]))")

                // Without the exception, the same server is out of reach; without a policy, everything is.
                try await test.deploy(
                    "export class TenantWorkflow { async run(event, step) { return step.do('f', { retries: { limit: 0 } }, async () => { try { await fetch(event.payload.url); return 'fetched'; } catch (e) { return e.name + ': ' + e.message; } }); } }",
                    tenant: "globex")
                let globex = try await test.wait(
                    try await test.create(tenant: "globex", params: ["url": .string("\(base)/ok")]), for: .complete)
                let globexSaid = text(try test.output(globex))
                #expect(globexSaid.contains("may not reach"), "\(globexSaid)")
                try await test.deploy(
                    "export class TenantWorkflow { async run(event, step) { return step.do('f', { retries: { limit: 0 } }, async () => { try { await fetch(event.payload.url); return 'fetched'; } catch (e) { return e.name + ': ' + e.message; } }); } }",
                    tenant: "offline")
                let offline = try await test.wait(
                    try await test.create(tenant: "offline", params: ["url": .string("\(base)/ok")]), for: .complete)
                #expect(try test.output(offline) == "TypeError: fetch: this tenant's code may not reach the network")
            }
        }
    }

    @Test func aSlowServerHoldsNoOtherTenant() async throws {
        try await LocalServer.run { server in
            let base = "http://127.0.0.1:\(server.port)"
            let egress: @Sendable (String) -> EgressPolicy? = { _ in
                var policy = EgressPolicy()
                policy.privateExceptions = ["127.0.0.1:\(server.port)"]
                return policy
            }
            let source =
                "export class TenantWorkflow { async run(event, step) { return step.do('f', async () => (await fetch(event.payload.url)).text()); } }"
            try await JSTest.run(egress: egress) { test in
                try await test.deploy(source, tenant: "slow")
                try await test.deploy(source, tenant: "quick")
                let slow = try await test.create(tenant: "slow", params: ["url": .string("\(base)/hold")])
                try await eventually("the slow tenant's fetch is in flight") { try await test.runtime.instanceRow(slow).status == .running }
                // The held request waits on the network, not on a VM: another tenant's runs on.
                let quick = try await test.wait(
                    try await test.create(tenant: "quick", params: ["url": .string("\(base)/ok")]), for: .complete)
                #expect(try test.output(quick) == "hello from the server")
                #expect(try await test.runtime.instanceRow(slow).status == .running, "the slow one is still waiting")
                server.release()
                #expect(try test.output(try await test.wait(slow, for: .complete)) == "released")
            }
        }
    }
}
