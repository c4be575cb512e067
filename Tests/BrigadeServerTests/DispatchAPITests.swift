import Brigade
import BrigadeTesting
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

/// A tenant module as the seed writes it: its `fetch` handler served at `/dispatch/…`, with
/// `env.WORKFLOWS` bound to the tenant's own workflow, from the handler and from steps.
@Suite struct DispatchAPITests {
    let base = ServerHarness.workflows()

    /// The seed's module, unchanged: the repository's `examples/seed.js`, which the README drives.
    static let seed: String = {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return try! String(contentsOf: root.appendingPathComponent("examples/seed.js"), encoding: .utf8)
    }()

    static func upload(_ source: String) -> String {
        #"{"source": \#(String(decoding: try! JSONEncoder().encode(source), as: UTF8.self))}"#
    }

    @Test func theSeedsModuleRunsUnchanged() async throws {
        try await ServerHarness.run { api in
            #expect(try await api.call(.put, "\(base)/seed/code", json: Self.upload(Self.seed)).status == .ok)
            let answer = try await api.call(.post, "/dispatch/acme/seed/", json: #"{"name": "Alice"}"#)
            #expect(answer.status == .ok, "\(answer.body)")
            #expect(answer.headers[.contentType] == "application/json")
            let id = try #require(answer.body["id"]?.string)
            try await eventually("the instance completed") {
                try await api.call(.get, "\(base)/seed/instances/\(id)").body["result"]?["status"] == "complete"
            }
            let described = try await api.call(.get, "\(base)/seed/instances/\(id)").body["result"]
            #expect(described?["output"] == "Hello, Alice!")
            #expect(described?["trigger"] == ["source": "binding"])
            // Another account has no such workflow, and its name cannot reach acme's.
            #expect(try await api.call(.post, "/dispatch/globex/seed/", json: #"{"name": "Eve"}"#).status == .notFound)
            #expect(try await api.call(.post, "/dispatch/nobody/seed/", json: #"{"name": "Eve"}"#).status == .notFound)
            // A workflow of the server's own program has no fetch handler.
            let none = try await api.call(.get, "/dispatch/acme/echo/")
            #expect(none.status == .notFound)
            #expect(none.body["errors"]?[0]?["message"]?.string?.contains("code.no_fetch_handler") == true)
        }
    }

    static let routes = """
        export class TenantWorkflow {
          async run(event, step) {
            if (event.payload.spawn) {
              // From a step, with an id: a retry of the step does not make a second instance.
              const made = await step.do('spawn', { retries: { limit: 2, delay: '1 second', backoff: 'constant' } }, async (ctx) => {
                const child = await this.env.WORKFLOWS.create({ id: `spawned-${event.instanceId}`, params: { note: 'from a step' } });
                if (ctx.attempt === 1) throw new Error('fail after creating, to be retried');
                return child.id;
              });
              return { made };
            }
            return step.do('note', async () => event.payload.note ?? 'none');
          }
        }

        export default {
          async fetch(request, env) {
            const url = new URL(request.url);
            if (request.method === 'GET' && url.pathname === '/status') {
              const instance = await env.WORKFLOWS.get(url.searchParams.get('id'));
              return Response.json(await instance.status());
            }
            if (request.method === 'POST' && url.pathname === '/spawn') {
              const instance = await env.WORKFLOWS.create({ id: 'spawner', params: { spawn: true } });
              return Response.json({ id: instance.id }, { status: 201, headers: { 'x-made': 'yes' } });
            }
            if (url.pathname === '/bytes') {
              // Bytes in, bytes out: each byte of the request, plus one.
              const bytes = new Uint8Array(await request.arrayBuffer());
              return new Response(bytes.map((b) => (b + 1) & 255), { headers: { 'content-type': 'application/octet-stream' } });
            }
            if (url.pathname === '/stream') {
              const encoder = new TextEncoder();
              return new Response(new ReadableStream({ start(c) { c.enqueue(encoder.encode('one ')); c.enqueue(encoder.encode('two')); c.close(); } }));
            }
            if (url.pathname === '/endless') {
              // A body that never ends: kilobyte after kilobyte, each asked for by the reader.
              return new Response(new ReadableStream({ pull(c) { c.enqueue(new Uint8Array(1024)); } }));
            }
            if (url.pathname === '/never') return new Response(new ReadableStream({}));
            if (url.pathname === '/boom') throw new Error('secret internals');
            if (url.pathname === '/not-a-response') return { status: 200 };
            if (url.pathname === '/duplicate') {
              try {
                await env.WORKFLOWS.create({ id: 'spawner' });
                return new Response('created twice');
              } catch (e) {
                return new Response(`refused: ${e.message}`, { status: 409 });
              }
            }
            const headers = new Headers(request.headers);
            return new Response(`${request.method} ${url.pathname}${url.search} ${headers.get('x-Custom')} ${await request.text()}`);
          },
        };
        """

    @Test func theHandlerSeesTheRequestAndItsBindingIsTheTenantsOwn() async throws {
        try await ServerHarness.run { api in
            let deployed = try await api.call(.put, "\(base)/routes/code", json: Self.upload(Self.routes))
            #expect(deployed.status == .ok, "the module deploys: \(deployed.body)")
            // Method, the rest of the path, the query, the headers and the body reach the handler.
            var headers = HTTPFields()
            headers[HTTPField.Name("x-custom")!] = "hi"
            let echoed = try await api.client.execute(
                uri: "/dispatch/acme/routes/a/b?c=d", method: .put, headers: headers, body: ByteBuffer(string: "the body")
            ) { response in (response.status, String(buffer: response.body)) }
            #expect(echoed.0 == .ok)
            #expect(echoed.1 == "PUT /a/b?c=d hi the body")

            // A body that is not UTF-8 arrives and leaves byte for byte; a streamed one is sent whole.
            let bytes = try await api.client.execute(
                uri: "/dispatch/acme/routes/bytes", method: .post, body: ByteBuffer(bytes: [0xff, 0x00, 0xc3, 0x41])
            ) { response in (response.status, Array(response.body.readableBytesView), response.headers[.contentType]) }
            #expect(bytes.0 == .ok && bytes.1 == [0x00, 0x01, 0xc4, 0x42] && bytes.2 == "application/octet-stream")
            let streamed = try await api.client.execute(uri: "/dispatch/acme/routes/stream", method: .get) { String(buffer: $0.body) }
            #expect(streamed == "one two")

            // A create from the handler, then one from a step that fails after creating and is
            // retried: the id makes the second create the same instance.
            let spawned = try await api.call(.post, "/dispatch/acme/routes/spawn", json: "{}")
            #expect(spawned.status == .created && spawned.headers[HTTPField.Name("x-made")!] == "yes")
            #expect(spawned.body["id"] == "spawner")
            try await eventually("the spawner completed") {
                api.brigade.clock.advance(by: .seconds(1))
                return try await api.call(.get, "\(base)/routes/instances/spawner").body["result"]?["status"] == "complete"
            }
            #expect(try await api.call(.get, "\(base)/routes/instances/spawner").body["result"]?["output"] == ["made": "spawned-spawner"])
            try await eventually("the spawned instance completed") {
                try await api.call(.get, "\(base)/routes/instances/spawned-spawner").body["result"]?["status"] == "complete"
            }
            let listed = try await api.call(.get, "\(base)/routes/instances").body["result"]?.array?.compactMap { $0["id"]?.string }
            #expect(listed?.sorted() == ["spawned-spawner", "spawner"], "the retried step made one instance, not two")

            // status() through the binding, with the routing metadata readable.
            let status = try await api.call(.get, "/dispatch/acme/routes/status?id=spawned-spawner")
            #expect(status.body["status"] == "complete" && status.body["output"] == "from a step")
            #expect(status.body["__dispatcherMetadata"]?["tenantId"] == "acme")

            // An id taken is the binding's error, which the handler catches.
            let duplicate = try await api.call(.get, "/dispatch/acme/routes/duplicate")
            #expect(duplicate.status == .conflict)
            #expect(duplicate.body.string?.contains("instance.already_exists") == true, "\(duplicate.body)")

            // A handler that throws, or returns something else than a Response: 500, nothing of it told.
            for path in ["boom", "not-a-response"] {
                let failed = try await api.call(.get, "/dispatch/acme/routes/\(path)")
                #expect(failed.status == .internalServerError)
                #expect(!"\(failed.body)".contains("secret"), "\(failed.body)")
            }

            // The same module deployed by globex reaches globex's instances only.
            _ = try await api.call(
                .put, ServerHarness.workflows("globex") + "/routes/code", token: api.globex, json: Self.upload(Self.routes))
            let theirs = try await api.call(.get, "/dispatch/globex/routes/status?id=spawner")
            #expect(theirs.status == .internalServerError, "acme's instance is not found through globex's binding: \(theirs.body)")
        }
    }

    /// The seed's routing: a listener of its own, the account in `x-tenant-id`, the workflow first in the path.
    @Test func aDispatchListenerRoutesByTheTenantHeader() async throws {
        try await ServerHarness.run { api in
            let deployed = try await api.call(.put, "\(base)/routes/code", json: Self.upload(Self.routes))
            #expect(deployed.status == .ok)
            let dispatch = try #require(api.server.dispatch)
            try await Application(router: api.server.dispatchRouter(dispatch)).test(.router) { client in
                var headers = HTTPFields()
                headers[HTTPField.Name("x-tenant-id")!] = "acme"
                headers[HTTPField.Name("x-custom")!] = "seed"
                let answer = try await client.execute(
                    uri: "/routes/x/y?z=1", method: .post, headers: headers, body: ByteBuffer(string: "b")
                ) {
                    ($0.status, String(buffer: $0.body))
                }
                #expect(answer.0 == .ok)
                #expect(answer.1 == "POST /x/y?z=1 seed b")
                // Another account's header reaches that account's workflows only; none is a 400.
                headers[HTTPField.Name("x-tenant-id")!] = "globex"
                #expect(try await client.execute(uri: "/routes/x", method: .get, headers: headers) { $0.status } == .notFound)
                #expect(try await client.execute(uri: "/routes/x", method: .get) { $0.status } == .badRequest)
            }
        }
    }

    @Test func aDispatchTokenClosesTheRoutes() async throws {
        try await ServerHarness.run(dispatchToken: "let-me-in") { api in
            let deployed = try await api.call(.put, "\(base)/seed/code", json: Self.upload(Self.seed))
            #expect(deployed.status == .ok)
            #expect(try await api.call(.post, "/dispatch/acme/seed/", json: #"{"name": "Alice"}"#).status == .unauthorized)
            var headers = HTTPFields()
            headers[HTTPField.Name("x-brigade-dispatch-token")!] = "let-me-in"
            let admitted = try await api.client.execute(
                uri: "/dispatch/acme/seed/", method: .post, headers: headers, body: ByteBuffer(string: #"{"name": "Bob"}"#)
            ) { response in response.status }
            #expect(admitted == .ok)
        }
        try await ServerHarness.run(dispatchToken: nil) { api in
            let answer = try await api.call(.post, "/dispatch/acme/seed/", json: #"{"name": "Alice"}"#)
            #expect(answer.status == .notFound, "no dispatch routes")
        }
    }

    /// A handler's body that never ends, or never comes: stopped by the sandbox's limits or seen
    /// to wait on nothing — a 500 each, and the server goes on answering.
    @Test func aBodyThatNeverEndsOrNeverComesIsStopped() async throws {
        try await ServerHarness.run { api in
            let deployed = try await api.call(.put, "\(base)/routes/code", json: Self.upload(Self.routes))
            #expect(deployed.status == .ok)
            for path in ["endless", "never"] {
                let failed = try await api.call(.get, "/dispatch/acme/routes/\(path)")
                #expect(failed.status == .internalServerError, "\(path): \(failed.status)")
            }
            let after = try await api.client.execute(uri: "/dispatch/acme/routes/stream", method: .get) { String(buffer: $0.body) }
            #expect(after == "one two")
        }
    }
}
