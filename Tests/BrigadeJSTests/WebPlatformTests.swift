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
              r.absent = [typeof TextEncoder, typeof TextDecoder, typeof structuredClone, typeof fetch, typeof setTimeout, typeof AbortController,
                typeof atob, typeof btoa, typeof crypto];
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
            // Not provided yet: absent (a use is a ReferenceError), never half there.
            #expect(r["absent"] == .array(Array(repeating: "undefined", count: 9)))
        }
    }
}
