import Brigade
import BrigadeJS
import BrigadeTesting
import Foundation
import Testing

/// The web platform subset tenant code gets (URL, URLSearchParams, Headers, Request, Response),
/// spot-checked against what the WHATWG standards define, and what is not there is absent, not
/// half there.
@Suite struct WebPlatformTests {
    static let checks = """
        function thrown(fn) { try { fn(); return 'none'; } catch (e) { return e.name; } }
        export class TenantWorkflow {
          async run(event, step) {
            return step.do('check', async () => {
              const r = {};
              r.normalized = new URL('HTTPS://EXAMPLE.com:443/a/./b/../c?x=1 2#f g').href;
              r.relative = new URL('../d?q', 'http://h/a/b/c').href;
              r.schemeRelative = new URL('//other/p', 'https://h/x').href;
              r.queryOnly = new URL('?y=2', 'http://h/a/b?x').href;
              r.backslashes = new URL('http:\\\\\\\\h\\\\a\\\\b').href;
              const u = new URL('http://user:pw@h:8080');
              r.parts = [u.protocol, u.username, u.password, u.hostname, u.port, u.host, u.origin, u.pathname];
              r.canParse = [URL.canParse('nope'), URL.canParse('x', 'http://h/')];
              const mail = new URL('mailto:a@b.c');
              r.mail = [mail.pathname, mail.origin, mail.href];
              r.badPort = thrown(() => new URL('http://h:70000/'));
              r.noHost = thrown(() => new URL('http://'));
              r.extraSlashes = new URL('http:///x').href;
              r.file = [new URL('file:///etc/passwd').href, new URL('file:///etc/passwd').host, new URL('file://server/share').host];
              r.idna = thrown(() => new URL('http://münchen.de/'));
              const p = new URLSearchParams('?a=1&b=x+y&a=%zz&c=%E2%82%AC');
              r.params = [p.getAll('a'), p.get('b'), p.get('c'), p.get('none'), p.size];
              r.encoded = new URLSearchParams({ q: 'a b&c', e: '€' }).toString();
              const live = new URL('http://h/p?x=1');
              live.searchParams.set('k', 'v w');
              live.searchParams.delete('x');
              r.live = live.href;
              live.search = '?z=9';
              r.reparsed = live.searchParams.get('z');
              const sorted = new URLSearchParams('b=2&a=1&b=1');
              sorted.sort();
              r.sorted = sorted.toString();
              const h = new Headers({ 'Content-Type': 'text/a' });
              h.append('X-Many', '1');
              h.append('x-many', '2');
              r.headers = [h.get('content-type'), h.get('X-MANY'), [...h].map(([k]) => k), h.has('nope'), h.get('nope')];
              r.badHeader = thrown(() => new Headers({ 'bad name': 'x' }));
              r.badValue = thrown(() => h.set('x', 'a\\r\\nb'));
              const json = Response.json({ a: 1 }, { status: 201 });
              r.json = [json.status, json.ok, json.headers.get('content-type'), await json.json()];
              r.bodyUsed = json.bodyUsed;
              r.noContent = new Response(null, { status: 204 }).status;
              r.badStatus = thrown(() => new Response('x', { status: 99 }));
              r.bodyOn204 = thrown(() => new Response('x', { status: 204 }));
              const req = new Request('http://h/x', { method: 'post', body: 'hi', headers: [['A', '1']] });
              r.request = [req.method, req.url, req.headers.get('a'), await req.text()];
              r.getWithBody = thrown(() => new Request('http://h/', { method: 'GET', body: 'x' }));
              const enc = new TextEncoder();
              r.encoded8 = [...enc.encode('a€😀')];
              const into = new Uint8Array(5);
              r.encodeInto = [enc.encodeInto('a€😀', into), [...into]];
              const dec = new TextDecoder();
              r.decoded = [dec.decode(new Uint8Array([0xef, 0xbb, 0xbf, 0x61, 0xe2, 0x82, 0xac])), dec.decode(new Uint8Array([0x61, 0xe2, 0x82, 0x62])),
                dec.decode(new Uint8Array([0xf0, 0x9f, 0x98, 0x80]).buffer), dec.decode(new Uint8Array([0xed, 0xa0, 0x80]))];
              r.fatal = thrown(() => new TextDecoder('utf-8', { fatal: true }).decode(new Uint8Array([0xff])));
              r.otherEncoding = thrown(() => new TextDecoder('utf-16le'));
              r.base64 = [btoa('hello'), btoa(''), btoa('\\u00ff\\u00fe'), atob('aGVsbG8='), atob(' aGVs bG8 '), atob('aGVsbG8')];
              r.base64Errors = [thrown(() => btoa('€')), thrown(() => atob('a')), thrown(() => atob('a*bc'))];
              const uuid = crypto.randomUUID();
              r.uuid = [/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(uuid), uuid !== crypto.randomUUID()];
              const random = crypto.getRandomValues(new Uint32Array(8));
              r.random = [random.length, random.some((x) => x !== 0)];
              r.randomErrors = [thrown(() => crypto.getRandomValues(new Float64Array(2))), thrown(() => crypto.getRandomValues(new Uint8Array(65537)))];
              const controller = new AbortController();
              const heard = [];
              controller.signal.addEventListener('abort', (e) => heard.push(e.type));
              controller.signal.onabort = () => heard.push('onabort');
              r.beforeAbort = controller.signal.aborted;
              controller.abort();
              controller.abort('again');
              r.abort = [controller.signal.aborted, controller.signal.reason.name, heard, thrown(() => controller.signal.throwIfAborted())];
              r.abortedSignal = [AbortSignal.abort('why').reason, thrown(() => new AbortSignal())];
              r.absent = [typeof Blob, typeof FormData, typeof setInterval, typeof WritableStream, thrown(() => new Blob([]))];
              r.fetchThere = typeof fetch;
              r.relativeRequest = thrown(() => new Request('/relative'));
              return r;
            });
          }
        }
        """

    @Test func theSubsetBehavesAsTheStandardsSay() async throws {
        try await JSTest.run { test in
            try await test.deploy(Self.checks)
            let row = try await test.wait(try await test.create(), for: .complete)
            let r = try #require(try test.output(row))
            #expect(r["normalized"] == "https://example.com/a/c?x=1%202#f%20g")
            #expect(r["relative"] == "http://h/a/d?q")
            #expect(r["schemeRelative"] == "https://other/p")
            #expect(r["queryOnly"] == "http://h/a/b?y=2")
            #expect(r["backslashes"] == "http://h/a/b")
            #expect(r["parts"] == ["http:", "user", "pw", "h", "8080", "h:8080", "http://h:8080", "/"])
            #expect(r["canParse"] == [false, true])
            #expect(r["mail"] == ["a@b.c", "null", "mailto:a@b.c"])
            #expect(r["badPort"] == "TypeError")
            #expect(r["noHost"] == "TypeError")
            #expect(r["extraSlashes"] == "http://x/")
            #expect(r["file"] == ["file:///etc/passwd", "", "server"])
            // A host that needs IDNA is refused here (the standard would map it to punycode).
            #expect(r["idna"] == "TypeError")
            #expect(r["params"] == [["1", "%zz"], "x y", "€", .null, 4])
            #expect(r["encoded"] == "q=a+b%26c&e=%E2%82%AC")
            #expect(r["live"] == "http://h/p?k=v+w")
            #expect(r["reparsed"] == "9")
            #expect(r["sorted"] == "a=1&b=2&b=1")
            #expect(r["headers"] == ["text/a", "1, 2", ["content-type", "x-many"], false, .null])
            #expect(r["badHeader"] == "TypeError")
            #expect(r["badValue"] == "TypeError")
            #expect(r["json"] == [201, true, "application/json", ["a": 1]])
            #expect(r["bodyUsed"] == true)
            #expect(r["noContent"] == 204)
            #expect(r["badStatus"] == "RangeError")
            #expect(r["bodyOn204"] == "TypeError")
            #expect(r["request"] == ["POST", "http://h/x", "1", "hi"])
            #expect(r["getWithBody"] == "TypeError")
            #expect(r["encoded8"] == [0x61, 0xe2, 0x82, 0xac, 0xf0, 0x9f, 0x98, 0x80])
            #expect(r["encodeInto"] == [["read": 2, "written": 4], [0x61, 0xe2, 0x82, 0xac, 0]])
            // The BOM dropped; a maximal invalid subpart is one U+FFFD; a surrogate's bytes are invalid.
            #expect(r["decoded"] == ["a€", "a\u{FFFD}b", "😀", "\u{FFFD}\u{FFFD}\u{FFFD}"])
            #expect(r["fatal"] == "TypeError")
            #expect(r["otherEncoding"] == "RangeError")
            #expect(r["base64"] == ["aGVsbG8=", "", "//4=", "hello", "hello", "hello"])
            #expect(r["base64Errors"] == ["InvalidCharacterError", "InvalidCharacterError", "InvalidCharacterError"])
            #expect(r["uuid"] == [true, true])
            #expect(r["random"] == [8, true])
            #expect(r["randomErrors"] == ["TypeMismatchError", "QuotaExceededError"])
            #expect(r["beforeAbort"] == false)
            #expect(r["abort"] == [true, "AbortError", ["abort", "onabort"], "AbortError"])
            #expect(r["abortedSignal"] == ["why", "TypeError"])
            // Not provided: absent (a use is a ReferenceError), never half there.
            #expect(r["absent"] == ["undefined", "undefined", "undefined", "undefined", "ReferenceError"])
            #expect(r["fetchThere"] == "function")
            #expect(r["relativeRequest"] == "TypeError")
        }
    }

    static let additions = """
        function thrown(fn) { try { fn(); return 'none'; } catch (e) { return e.name; } }
        async function rejected(promise) { try { await promise; return 'none'; } catch (e) { return e.name; } }
        const hex = (buffer) => [...new Uint8Array(buffer)].map((b) => b.toString(16).padStart(2, '0')).join('');
        const utf8 = (text) => new TextEncoder().encode(text);
        export class TenantWorkflow {
          async run(event, step) {
            // A timer between steps: the host waits, and the run goes on.
            await new Promise((resolve) => setTimeout(resolve, 5));
            const streams = await step.do('streams', async () => {
              const r = {};
              const chunks = [];
              const listed = new ReadableStream({ start(c) { c.enqueue('a'); c.enqueue('b'); c.close(); } });
              for await (const chunk of listed) chunks.push(chunk);
              r.iterated = [chunks, listed.locked];
              let n = 0;
              const pulled = new ReadableStream({ pull(c) { n += 1; if (n > 2) c.close(); else c.enqueue(n); } }, { highWaterMark: 0 });
              const reader = pulled.getReader();
              r.pulls = [await reader.read(), await reader.read(), await reader.read(), await reader.read()];
              r.lockedTwice = thrown(() => pulled.getReader());
              new ReadableStream({ start(c) { c.close(); r.enqueueAfterClose = thrown(() => c.enqueue(1)); } });
              r.errored = await rejected(new ReadableStream({ start(c) { c.error(new RangeError('x')); } }).getReader().read());
              let reason;
              await new ReadableStream({ cancel(why) { reason = why; } }).cancel('enough');
              r.cancelled = reason;
              const [left, right] = ReadableStream.from(['x', 'y']).tee();
              const all = async (stream) => { const out = []; for await (const c of stream) out.push(c); return out; };
              r.tee = [await all(left), await all(right)];
              r.byob = thrown(() => new ReadableStream().getReader({ mode: 'byob' }));
              return r;
            });
            const bodies = await step.do('bodies', async () => {
              const r = {};
              const binary = new Response(new Uint8Array([0xff, 0, 1]));
              r.binary = [[...new Uint8Array(await binary.arrayBuffer())], binary.headers.get('content-type')];
              const form = new Response(new URLSearchParams({ a: '1 2' }));
              r.form = [await form.text(), form.headers.get('content-type')];
              const encoder = new TextEncoder();
              const streamed = new Response(new ReadableStream({ start(c) { c.enqueue(encoder.encode('stre')); c.enqueue(encoder.encode('amed')); c.close(); } }));
              r.streamed = await streamed.text();
              const read = new Response('by reader');
              const bodyReader = read.body.getReader();
              const first = await bodyReader.read();
              r.byReader = [first.value instanceof Uint8Array, new TextDecoder().decode(first.value), read.bodyUsed, (await bodyReader.read()).done];
              const original = new Response('twice', { headers: { 'x-a': '1' } });
              const copy = original.clone();
              r.clone = [await original.text(), await copy.text(), copy.headers.get('x-a')];
              const teed = new Response(ReadableStream.from([encoder.encode('t')]));
              const teedCopy = teed.clone();
              r.cloneStream = [await teed.text(), await teedCopy.text()];
              const redirect = Response.redirect('http://h/x', 301);
              r.redirect = [redirect.status, redirect.headers.get('location'), thrown(() => Response.redirect('http://h/', 200))];
              const used = new Response('once');
              await used.text();
              r.usedTwice = await rejected(used.text());
              r.notBytes = await rejected(new Response(new ReadableStream({ start(c) { c.enqueue('text'); c.close(); } })).text());
              r.blob = await rejected(new Response('x').blob());
              r.request = await new Request('http://h/', { method: 'POST', body: new Uint8Array([104, 105]) }).text();
              r.forbidden = thrown(() => new Request('http://h/', { method: 'TRACE' }));
              return r;
            });
            const cloned = await step.do('structuredClone', async () => {
              const r = {};
              const original = { name: 'a', when: new Date(0), list: [1, 2], map: new Map([[1, { x: 1 }]]), set: new Set(['s']), re: /a+/gi, bytes: new Uint8Array([1, 2]), big: 10n, boxed: new String('b') };
              original.self = original;
              const c = structuredClone(original);
              r.values = [c !== original, c.self === c, c.when instanceof Date && c.when.getTime() === 0, c.map.get(1).x, [...c.set], `${c.re.source}/${c.re.flags}`, [...c.bytes], typeof c.big, c.list !== original.list, c.boxed instanceof String];
              const shared = {};
              const pair = structuredClone([shared, shared]);
              r.shared = pair[0] === pair[1] && pair[0] !== shared;
              const error = structuredClone(new RangeError('bad'));
              r.error = [error.name, error.message, error instanceof RangeError];
              const dom = structuredClone(new DOMException('gone', 'AbortError'));
              r.domException = [dom instanceof DOMException, dom.name, dom.message];
              class Point { constructor() { this.x = 1; } get y() { return 2; } }
              const point = structuredClone(new Point());
              r.classInstance = [Object.getPrototypeOf(point) === Object.prototype, point.x, point.y === undefined];
              r.refused = [thrown(() => structuredClone(() => 1)), thrown(() => structuredClone({ s: Symbol('s') })), thrown(() => structuredClone(new Headers())),
                thrown(() => structuredClone(Promise.resolve())), thrown(() => structuredClone(new Uint8Array(1), { transfer: [new ArrayBuffer(1)] }))];
              return r;
            });
            const timers = await step.do('timers', async () => {
              const r = {};
              const order = [];
              await new Promise((resolve) => {
                setTimeout(() => order.push('late'), 60);
                setTimeout(() => order.push('early'), 1);
                const cancelled = setTimeout(() => order.push('cancelled'), 5);
                clearTimeout(cancelled);
                clearTimeout(1e300);
                clearTimeout('nonsense');
                setTimeout(resolve, 150);
              });
              r.order = order;
              r.args = await new Promise((resolve) => setTimeout((x, y) => resolve(x + y), 0, 2, 3));
              r.notAFunction = thrown(() => setTimeout('1 + 1', 0));
              r.id = Number.isInteger(setTimeout(() => {}, 2 ** 40));
              return r;
            });
            const subtle = await step.do('subtle', async () => {
              const r = {};
              r.sha256 = hex(await crypto.subtle.digest('SHA-256', utf8('abc')));
              r.sha1 = hex(await crypto.subtle.digest({ name: 'SHA-1' }, utf8('abc')));
              r.sha384 = hex(await crypto.subtle.digest('sha-384', utf8('abc'))).slice(0, 16);
              r.sha512 = hex(await crypto.subtle.digest('SHA-512', new Uint8Array(0))).slice(0, 16);
              const key = await crypto.subtle.importKey('raw', utf8('key'), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']);
              const fox = utf8('The quick brown fox jumps over the lazy dog');
              const signature = await crypto.subtle.sign('HMAC', key, fox);
              r.hmac = hex(signature);
              r.verify = [await crypto.subtle.verify('HMAC', key, signature, fox), await crypto.subtle.verify('HMAC', key, signature, utf8('tampered')),
                await crypto.subtle.verify({ name: 'HMAC' }, key, signature.slice(1), fox)];
              r.key = [key.type, key.algorithm.name, key.algorithm.hash.name, key.extractable, key.usages, key instanceof CryptoKey];
              r.errors = [await rejected(crypto.subtle.digest('MD5', new Uint8Array(1))), await rejected(crypto.subtle.encrypt()),
                await rejected(crypto.subtle.exportKey('raw', key)), await rejected(crypto.subtle.digest('SHA-256', 'text')),
                await rejected(crypto.subtle.importKey('raw', utf8('k'), { name: 'HMAC', hash: 'SHA-256' }, false, ['encrypt']))];
              return r;
            });
            return { streams, bodies, cloned, timers, subtle };
          }
        }
        """

    @Test func streamsBodiesClonesTimersAndDigestsBehaveAsTheStandardsSay() async throws {
        try await JSTest.run { test in
            try await test.deploy(Self.additions)
            let row = try await test.wait(try await test.create(), for: .complete)
            let output = try #require(try test.output(row))
            let streams = try #require(output["streams"])
            #expect(streams["iterated"] == [["a", "b"], false])
            #expect(streams["pulls"] == [["value": 1, "done": false], ["value": 2, "done": false], ["done": true], ["done": true]])
            #expect(streams["lockedTwice"] == "TypeError")
            #expect(streams["enqueueAfterClose"] == "TypeError")
            #expect(streams["errored"] == "RangeError")
            #expect(streams["cancelled"] == "enough")
            #expect(streams["tee"] == [["x", "y"], ["x", "y"]])
            #expect(streams["byob"] == "RangeError")
            let bodies = try #require(output["bodies"])
            #expect(bodies["binary"] == [[255, 0, 1], .null])
            #expect(bodies["form"] == ["a=1+2", "application/x-www-form-urlencoded;charset=UTF-8"])
            #expect(bodies["streamed"] == "streamed")
            #expect(bodies["byReader"] == [true, "by reader", true, true])
            #expect(bodies["clone"] == ["twice", "twice", "1"])
            #expect(bodies["cloneStream"] == ["t", "t"])
            #expect(bodies["redirect"] == [301, "http://h/x", "RangeError"])
            #expect(bodies["usedTwice"] == "TypeError")
            #expect(bodies["notBytes"] == "TypeError")
            #expect(bodies["blob"] == "TypeError")
            #expect(bodies["request"] == "hi")
            #expect(bodies["forbidden"] == "TypeError")
            let cloned = try #require(output["cloned"])
            #expect(cloned["values"] == [true, true, true, 1, ["s"], "a+/gi", [1, 2], "bigint", true, true])
            #expect(cloned["shared"] == true)
            #expect(cloned["error"] == ["RangeError", "bad", true])
            #expect(cloned["domException"] == [true, "AbortError", "gone"])
            #expect(cloned["classInstance"] == [true, 1, true])
            #expect(cloned["refused"] == .array(Array(repeating: "DataCloneError", count: 5)))
            let timers = try #require(output["timers"])
            #expect(timers["order"] == ["early", "late"])
            #expect(timers["args"] == 5)
            #expect(timers["notAFunction"] == "TypeError")
            #expect(timers["id"] == true)
            let subtle = try #require(output["subtle"])
            #expect(subtle["sha256"] == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
            #expect(subtle["sha1"] == "a9993e364706816aba3e25717850c26c9cd0d89d")
            #expect(subtle["sha384"] == "cb00753f45a35e8b")
            #expect(subtle["sha512"] == "cf83e1357eefb8bd")
            #expect(subtle["hmac"] == "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8")
            #expect(subtle["verify"] == [true, false, false])
            #expect(subtle["key"] == ["secret", "HMAC", "SHA-256", false, ["sign", "verify"], true])
            #expect(subtle["errors"] == ["NotSupportedError", "NotSupportedError", "InvalidAccessError", "TypeError", "SyntaxError"])
        }
    }

    /// Hostile timers: thousands of them, one that a clearTimeout leaves the run waiting on, one
    /// set while the module loads. Each ends with a clear error; none holds the run or the VM.
    @Test func timersAreBoundedAndEndWithTheirInvocation() async throws {
        let source = """
            let atLoad = 'none';
            try { setTimeout(() => {}, 1); } catch (e) { atLoad = e.message; }
            export class TenantWorkflow {
              async run(event, step) {
                if (event.payload.cleared) {
                  // The only thing that would settle this is a timer cleared at once.
                  await new Promise((resolve) => clearTimeout(setTimeout(resolve, 10)));
                  return 'settled';
                }
                return step.do('many', async () => {
                  let made = 0;
                  try { for (;;) { setTimeout(() => {}, 3600000); made += 1; } } catch (e) { return { made, message: e.message, atLoad }; }
                });
              }
            }
            """
        try await JSTest.run { test in
            try await test.deploy(source)
            let many = try #require(try test.output(try await test.wait(try await test.create(params: [:]), for: .complete)))
            #expect(many["made"] == 1_000)
            #expect(many["message"] == "setTimeout: this invocation already has 1000 timers pending")
            #expect(many["atLoad"] == "setTimeout works only while the workflow or a fetch handler runs")
            let cleared = try await test.wait(try await test.create(params: ["cleared": true]), for: .errored)
            #expect(cleared.error?.name == "WorkflowNeverSettlesError")
        }
    }
}
