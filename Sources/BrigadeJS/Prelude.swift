/// The JavaScript evaluated in every tenant context before the tenant's code.
///
/// It gives tenant code the seed's programming model — `WorkflowEntrypoint`, `NonRetryableError`,
/// `cloudflare:workers` / `cloudflare:workflows` imports, `console` — and a `step` object whose
/// every method is one call into the host, where the engine's real `WorkflowStep` runs it; the
/// `fetch` handler's entry with `env.WORKFLOWS`; and the web platform subset Workers code takes
/// for granted (URL, Headers, Request, Response, ReadableStream, TextEncoder, atob,
/// structuredClone, timers, crypto, AbortController), written to the WHATWG standards, with what
/// needs the host (random bytes, digests, HMAC, timers, fetch) asked of it.
/// Nothing about replay, retries or durability is decided here: this file only marshals.
///
/// The host functions are captured by this closure and removed from the global object, so tenant
/// code cannot call them with forged invocation ids. The value of the script is the control
/// object the host keeps (`start`, `callFn`, `makeError`, `bind`).
enum Prelude {
    static let source = #"""
    (function (host) {
      "use strict";
      delete globalThis.__brigadeHost;
      // Tenant code gets no WebAssembly: its CPU time could not be bounded the same way.
      delete globalThis.WebAssembly;

      class NonRetryableError extends Error {
        constructor(message, name) {
          super(message);
          this.name = name === undefined ? "NonRetryableError" : String(name);
        }
      }
      class WorkflowEntrypoint {
        constructor(ctx, env) {
          this.ctx = ctx;
          this.env = env;
        }
      }
      const modules = {
        "cloudflare:workers": Object.freeze({ WorkflowEntrypoint, NonRetryableError }),
        "cloudflare:workflows": Object.freeze({ NonRetryableError }),
      };
      function require(name) {
        const found = modules[name];
        if (found === undefined) {
          const error = new Error(`Cannot import "${name}": tenant code is a single module, and only cloudflare:workers and cloudflare:workflows can be imported`);
          // The host reports a refused import at its line in the uploaded source.
          error.refusedImport = String(name);
          throw error;
        }
        return found;
      }

      function describe(value) {
        if (typeof value === "string") return value;
        if (value instanceof Error) return value.stack ? `${value.name}: ${value.message}\n${value.stack}` : `${value.name}: ${value.message}`;
        // JSON, as a log line shows an object, but with what JSON cannot carry spelled out
        // instead of the whole value falling back to "[object Object]": a reference back to an
        // object being written as "[Circular]" (an object met twice side by side is written
        // twice), a BigInt as 10n.
        const ancestors = [];
        function readable(key, item) {
          if (typeof item === "bigint") return `${item}n`;
          if (item === null || typeof item !== "object") return item;
          // `this` is the object holding `item`: drop the ancestors whose members are all written.
          while (ancestors.length > 0 && ancestors[ancestors.length - 1] !== this) ancestors.pop();
          if (ancestors.includes(item)) return "[Circular]";
          ancestors.push(item);
          return item;
        }
        try {
          const text = JSON.stringify(value, readable);
          return text === undefined ? String(value) : text;
        } catch (e) {
          return String(value);
        }
      }
      const console = {};
      for (const level of ["debug", "info", "log", "warn", "error"]) {
        console[level] = (...args) => { host.log(level, args.map(describe).join(" ")); };
      }

      function errorJSON(error) {
        const isError = error instanceof Error;
        const name = isError ? error.name : (error !== null && typeof error === "object" && error.name !== undefined ? String(error.name) : "Error");
        const message = isError ? error.message : (error !== null && typeof error === "object" && error.message !== undefined ? error.message : describe(error));
        return JSON.stringify({
          name: String(name),
          message: String(message),
          stack: isError && error.stack ? String(error.stack) : undefined,
          nonRetryable: error instanceof NonRetryableError || name === "NonRetryableError",
        });
      }
      function serialize(value) {
        const text = JSON.stringify(value);
        return text === undefined ? "null" : text;
      }
      // Waits for what run or a step's function returned (a value, a promise, or a throw turned
      // into a rejection by the caller) and reports it as JSON; `notJSON` makes the error for a
      // value JSON cannot carry.
      function report(result, settled, notJSON) {
        Promise.resolve(result).then(
          (value) => {
            let text;
            try { text = serialize(value); } catch (e) {
              settled(false, errorJSON(notJSON(e)));
              return;
            }
            settled(true, text);
          },
          (error) => { settled(false, errorJSON(error)); });
      }
      function durationArgument(duration) {
        return typeof duration === "number" ? duration : String(duration);
      }

      let TenantWorkflow = undefined;
      // The module's default export, when it has one (`export default { fetch }`).
      let DefaultExport = undefined;

      // The part of the web platform a fetch handler takes for granted, as the WHATWG specs
      // define it for what is here: Headers (names case-blind, in order, get joining repeats
      // with ", "), Request and Response with text bodies. What is not here is not half here.
      const headerName = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
      class Headers {
        #list = [];
        constructor(init) {
          if (init === undefined || init === null) return;
          const pairs = init instanceof Headers ? init.entries()
            : typeof init[Symbol.iterator] === "function" ? init : Object.entries(init);
          for (const pair of pairs) {
            const [name, value, ...rest] = pair;
            if (rest.length > 0 || pair.length !== 2) throw new TypeError("Headers: each header is a [name, value] pair");
            this.append(name, value);
          }
        }
        static #check(name) {
          const text = String(name);
          if (!headerName.test(text)) throw new TypeError(`Headers: "${text.slice(0, 40)}" is not a valid header name`);
          return text.toLowerCase();
        }
        static #value(value) {
          const text = String(value).replace(/^[\t\n\r ]+|[\t\n\r ]+$/g, "");
          if (/[\0\r\n]/.test(text)) throw new TypeError("Headers: a header value cannot hold NUL, CR or LF");
          return text;
        }
        append(name, value) { this.#list.push([Headers.#check(name), Headers.#value(value)]); }
        set(name, value) {
          const key = Headers.#check(name);
          const index = this.#list.findIndex(([n]) => n === key);
          this.#list = this.#list.filter(([n], i) => n !== key || i === index);
          if (index === -1) this.#list.push([key, Headers.#value(value)]);
          else this.#list[this.#list.findIndex(([n]) => n === key)][1] = Headers.#value(value);
        }
        get(name) {
          const key = Headers.#check(name);
          const values = this.#list.filter(([n]) => n === key).map(([, v]) => v);
          return values.length === 0 ? null : values.join(", ");
        }
        has(name) { const key = Headers.#check(name); return this.#list.some(([n]) => n === key); }
        delete(name) { const key = Headers.#check(name); this.#list = this.#list.filter(([n]) => n !== key); }
        // Sorted by name, repeats combined, as the spec's iteration does (set-cookie apart).
        *entries() {
          const names = [...new Set(this.#list.map(([n]) => n))].sort();
          for (const name of names) {
            if (name === "set-cookie") { for (const [n, v] of this.#list) if (n === name) yield [n, v]; }
            else yield [name, this.get(name)];
          }
        }
        *keys() { for (const [n] of this.entries()) yield n; }
        *values() { for (const [, v] of this.entries()) yield v; }
        forEach(callback, thisArg) { for (const [n, v] of this.entries()) callback.call(thisArg, v, n, this); }
        [Symbol.iterator]() { return this.entries(); }
      }
      // URLSearchParams and URL as the WHATWG URL Standard defines them, for URLs with an ASCII
      // host: a host that would need IDNA is refused (TypeError), not half-parsed.
      function percentEncode(text, keep) {
        let out = "";
        for (const ch of String(text)) {
          if (keep(ch)) { out += ch; continue; }
          for (const byte of utf8Encode(ch)) out += "%" + byte.toString(16).toUpperCase().padStart(2, "0");
        }
        return out;
      }
      function utf8Encode(text) {
        const bytes = [];
        for (const ch of String(text)) {
          let code = ch.codePointAt(0);
          if (code >= 0xd800 && code <= 0xdfff) code = 0xfffd;
          if (code < 0x80) bytes.push(code);
          else if (code < 0x800) bytes.push(0xc0 | (code >> 6), 0x80 | (code & 63));
          else if (code < 0x10000) bytes.push(0xe0 | (code >> 12), 0x80 | ((code >> 6) & 63), 0x80 | (code & 63));
          else bytes.push(0xf0 | (code >> 18), 0x80 | ((code >> 12) & 63), 0x80 | ((code >> 6) & 63), 0x80 | (code & 63));
        }
        return bytes;
      }
      // The Encoding Standard's UTF-8 decoder: each maximal invalid subpart becomes one U+FFFD,
      // or, when `fatal`, a TypeError.
      function utf8Decode(bytes, fatal) {
        let out = "";
        let codePoint = 0, needed = 0, seen = 0, lower = 0x80, upper = 0xbf;
        const fail = () => {
          if (fatal) throw new TypeError("The encoded data was not valid utf-8");
          out += "\ufffd";
        };
        for (let i = 0; i < bytes.length; i++) {
          const b = bytes[i];
          if (needed === 0) {
            if (b <= 0x7f) out += String.fromCharCode(b);
            else if (b >= 0xc2 && b <= 0xdf) { needed = 1; codePoint = b & 0x1f; }
            else if (b >= 0xe0 && b <= 0xef) { if (b === 0xe0) lower = 0xa0; if (b === 0xed) upper = 0x9f; needed = 2; codePoint = b & 0xf; }
            else if (b >= 0xf0 && b <= 0xf4) { if (b === 0xf0) lower = 0x90; if (b === 0xf4) upper = 0x8f; needed = 3; codePoint = b & 0x7; }
            else fail();
            continue;
          }
          if (b < lower || b > upper) {
            codePoint = needed = seen = 0; lower = 0x80; upper = 0xbf;
            fail();
            i -= 1;
            continue;
          }
          lower = 0x80; upper = 0xbf;
          codePoint = (codePoint << 6) | (b & 0x3f);
          seen += 1;
          if (seen === needed) { out += String.fromCodePoint(codePoint); codePoint = needed = seen = 0; }
        }
        if (needed !== 0) fail();
        return out;
      }
      // Percent-decoding as the standard does it: a % not followed by two hex digits stays.
      function percentDecode(text) {
        const bytes = [];
        const input = utf8Encode(text);
        for (let i = 0; i < input.length; i++) {
          const hex = String.fromCharCode(input[i + 1] ?? 0, input[i + 2] ?? 0);
          if (input[i] === 0x25 && /^[0-9A-Fa-f]{2}$/.test(hex)) { bytes.push(parseInt(hex, 16)); i += 2; } else bytes.push(input[i]);
        }
        return utf8Decode(bytes);
      }
      const formKeep = (ch) => /^[A-Za-z0-9*\-._]$/.test(ch);
      function formEncode(text) { return percentEncode(text, (ch) => formKeep(ch) || ch === " ").replace(/ /g, "+"); }
      class URLSearchParams {
        #list = [];
        #url = null;
        constructor(init) {
          if (init === undefined || init === null) return;
          if (typeof init === "object" && typeof init[Symbol.iterator] === "function") {
            for (const pair of init) {
              const items = [...pair];
              if (items.length !== 2) throw new TypeError("URLSearchParams: each pair must have exactly two items");
              this.#list.push([String(items[0]), String(items[1])]);
            }
          } else if (typeof init === "object") {
            for (const key of Object.keys(init)) this.#list.push([key, String(init[key])]);
          } else {
            this.#parse(String(init).replace(/^\?/, ""));
          }
        }
        #parse(text) {
          this.#list = [];
          for (const piece of text.split("&")) {
            if (piece === "") continue;
            const at = piece.indexOf("=");
            const name = at === -1 ? piece : piece.slice(0, at);
            const value = at === -1 ? "" : piece.slice(at + 1);
            this.#list.push([percentDecode(name.replace(/\+/g, " ")), percentDecode(value.replace(/\+/g, " "))]);
          }
        }
        // A URL's own params: changes write back to its query.
        static attach(params, url, query) { params.#url = url; params.#parse(query); return params; }
        static reparse(params, query) { params.#parse(query); }
        #update() { if (this.#url !== null) URL.setQueryFromParams(this.#url, this.toString()); }
        get size() { return this.#list.length; }
        append(name, value) { this.#list.push([String(name), String(value)]); this.#update(); }
        delete(name, value) {
          const key = String(name);
          this.#list = this.#list.filter(([n, v]) => n !== key || (value !== undefined && v !== String(value)));
          this.#update();
        }
        get(name) { const found = this.#list.find(([n]) => n === String(name)); return found === undefined ? null : found[1]; }
        getAll(name) { return this.#list.filter(([n]) => n === String(name)).map(([, v]) => v); }
        has(name, value) { return this.#list.some(([n, v]) => n === String(name) && (value === undefined || v === String(value))); }
        set(name, value) {
          const key = String(name);
          const index = this.#list.findIndex(([n]) => n === key);
          if (index === -1) this.#list.push([key, String(value)]);
          else {
            this.#list[index][1] = String(value);
            this.#list = this.#list.filter(([n], i) => n !== key || i === index);
          }
          this.#update();
        }
        sort() {
          const units = (s) => Array.from({ length: s.length }, (_, i) => s.charCodeAt(i));
          const compare = (a, b) => { const x = units(a), y = units(b); for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i] - y[i]; return x.length - y.length; };
          this.#list = this.#list.map((pair, i) => [pair, i]).sort((a, b) => compare(a[0][0], b[0][0]) || a[1] - b[1]).map(([pair]) => pair);
          this.#update();
        }
        toString() { return this.#list.map(([n, v]) => `${formEncode(n)}=${formEncode(v)}`).join("&"); }
        *entries() { for (const [n, v] of this.#list) yield [n, v]; }
        *keys() { for (const [n] of this.#list) yield n; }
        *values() { for (const [, v] of this.#list) yield v; }
        forEach(callback, thisArg) { for (const [n, v] of this.#list) callback.call(thisArg, v, n, this); }
        [Symbol.iterator]() { return this.entries(); }
      }
      const specialPorts = { "http:": "80", "https:": "443", "ws:": "80", "wss:": "443", "ftp:": "21", "file:": "" };
      const isC0 = (ch) => ch <= "\u001f" || ch > "\u007e";
      const pathKeep = (ch) => !isC0(ch) && !" \"#<>?`{}".includes(ch);
      const queryKeep = (special) => (ch) => !isC0(ch) && !" \"#<>".includes(ch) && !(special && ch === "'");
      const fragmentKeep = (ch) => !isC0(ch) && !" \"<>`".includes(ch);
      const userKeep = (ch) => pathKeep(ch) && !"/:;=@[\\]^|".includes(ch);
      class URL {
        #protocol = ""; #username = ""; #password = ""; #hostname = ""; #port = ""; #path = ""; #query = null; #fragment = null;
        #special = false; #opaque = false; #params = null;
        static canParse(input, base) { try { new URL(input, base); return true; } catch { return false; } }
        constructor(input, base) {
          let text = String(input).replace(/^[\u0000-\u0020]+|[\u0000-\u0020]+$/g, "").replace(/[\t\n\r]/g, "");
          const invalid = () => new TypeError(`Invalid URL: ${String(input).slice(0, 200)}`);
          const scheme = /^([A-Za-z][A-Za-z0-9+\-.]*):/.exec(text);
          let baseURL = null;
          if (base !== undefined) baseURL = base instanceof URL ? base : new URL(base);
          if (scheme) {
            this.#protocol = scheme[1].toLowerCase() + ":";
            text = text.slice(scheme[0].length);
          } else {
            if (baseURL === null) throw invalid();
            this.#protocol = baseURL.#protocol;
          }
          this.#special = this.#protocol in specialPorts;
          if (this.#special) text = text.replace(/\\/g, "/");
          const hashAt = text.indexOf("#");
          if (hashAt !== -1) { this.#fragment = percentEncode(text.slice(hashAt + 1), fragmentKeep); text = text.slice(0, hashAt); }
          const queryAt = text.indexOf("?");
          if (queryAt !== -1) { this.#query = percentEncode(text.slice(queryAt + 1), queryKeep(this.#special)); text = text.slice(0, queryAt); }
          const relative = !scheme || (this.#special && baseURL !== null && baseURL.#protocol === this.#protocol && !text.startsWith("/"));
          if (text.startsWith("//") || (this.#special && scheme && !relative)) {
            // A file: URL's host may be empty (file:///etc); other special schemes skip any slashes.
            text = this.#protocol === "file:" ? text.replace(/^\/\//, "") : text.replace(/^\/*/, "");
            const end = text.search(/[\/]/);
            const authority = end === -1 ? text : text.slice(0, end);
            text = end === -1 ? "" : text.slice(end);
            this.#parseAuthority(authority, invalid);
            this.#path = this.#normalize(text === "" && this.#special ? "/" : text);
          } else if (!scheme && baseURL !== null) {
            if (baseURL.#opaque) throw invalid();
            this.#username = baseURL.#username; this.#password = baseURL.#password;
            this.#hostname = baseURL.#hostname; this.#port = baseURL.#port;
            if (text === "") {
              this.#path = baseURL.#path;
              if (queryAt === -1) this.#query = baseURL.#query;
            } else if (text.startsWith("/")) {
              this.#path = this.#normalize(text);
            } else {
              const directory = baseURL.#path.slice(0, baseURL.#path.lastIndexOf("/") + 1) || "/";
              this.#path = this.#normalize(directory + text);
            }
          } else if (this.#special) {
            throw invalid();
          } else if (text.startsWith("/")) {
            this.#path = this.#normalize(text);
          } else {
            this.#opaque = true;
            this.#path = percentEncode(text, (ch) => !isC0(ch));
          }
          this.#params = URLSearchParams.attach(new URLSearchParams(), this, this.#query ?? "");
        }
        #parseAuthority(authority, invalid) {
          let hostPort = authority;
          const at = authority.lastIndexOf("@");
          if (at !== -1) {
            const info = authority.slice(0, at);
            hostPort = authority.slice(at + 1);
            const colon = info.indexOf(":");
            this.#username = percentEncode(colon === -1 ? info : info.slice(0, colon), userKeep);
            this.#password = colon === -1 ? "" : percentEncode(info.slice(colon + 1), userKeep);
          }
          let host = hostPort;
          const portMatch = /:([0-9]*)$/.exec(hostPort);
          if (portMatch && !hostPort.endsWith("]")) {
            host = hostPort.slice(0, portMatch.index);
            if (portMatch[1] !== "") {
              const port = Number(portMatch[1]);
              if (port > 65535) throw invalid();
              this.#port = String(port) === specialPorts[this.#protocol] ? "" : String(port);
            }
          } else if (/:[^\]]*$/.test(hostPort) && !hostPort.startsWith("[")) throw invalid();
          host = percentDecode(host);
          if (this.#special && host === "" && this.#protocol !== "file:") throw invalid();
          // ASCII hosts only: no IDNA here, so a host that needs it is refused, never mangled.
          if (/[^\x21-\x7e]|[#%/:<>?@\[\\\]^|]/.test(host.replace(/^\[[0-9A-Fa-f:.]+\]$/, "v6"))) throw invalid();
          this.#hostname = this.#special ? host.toLowerCase() : host;
        }
        #normalize(path) {
          const segments = path.split("/");
          const out = [];
          for (let i = 1; i < segments.length; i++) {
            const segment = segments[i];
            const lower = segment.toLowerCase();
            const last = i === segments.length - 1;
            if (lower === ".." || lower === ".%2e" || lower === "%2e." || lower === "%2e%2e") { out.pop(); if (last) out.push(""); }
            else if (lower === "." || lower === "%2e") { if (last) out.push(""); }
            else out.push(percentEncode(segment, pathKeep));
          }
          return path.startsWith("/") || segments.length > 1 ? "/" + out.join("/") : out.join("/");
        }
        static setQueryFromParams(url, text) { url.#query = text === "" ? null : text; }
        get protocol() { return this.#protocol; }
        get username() { return this.#username; }
        get password() { return this.#password; }
        get hostname() { return this.#hostname; }
        get port() { return this.#port; }
        get host() { return this.#port === "" ? this.#hostname : `${this.#hostname}:${this.#port}`; }
        get origin() { return this.#special && this.#protocol !== "file:" ? `${this.#protocol}//${this.host}` : "null"; }
        get pathname() { return this.#path; }
        get search() { return this.#query === null || this.#query === "" ? "" : `?${this.#query}`; }
        set search(value) {
          const text = String(value).replace(/^\?/, "");
          this.#query = text === "" ? null : percentEncode(text, queryKeep(this.#special));
          URLSearchParams.reparse(this.#params, this.#query ?? "");
        }
        get searchParams() { return this.#params; }
        get hash() { return this.#fragment === null || this.#fragment === "" ? "" : `#${this.#fragment}`; }
        set hash(value) { const text = String(value).replace(/^#/, ""); this.#fragment = text === "" ? null : percentEncode(text, fragmentKeep); }
        get href() {
          const credentials = this.#username !== "" || this.#password !== ""
            ? `${this.#username}${this.#password !== "" ? ":" + this.#password : ""}@` : "";
          const authority = this.#opaque || (!this.#special && this.#hostname === "" && !this.#path.startsWith("//")) && credentials === "" && !this.#special
            ? "" : `//${credentials}${this.host}`;
          return `${this.#protocol}${authority}${this.#path}${this.#query === null ? "" : "?" + this.#query}${this.#fragment === null ? "" : "#" + this.#fragment}`;
        }
        toString() { return this.href; }
        toJSON() { return this.href; }
      }

      // DOMException, for the errors the platform names (AbortError, InvalidCharacterError, …).
      class DOMException extends Error {
        constructor(message = "", name = "Error") {
          super(String(message));
          Object.defineProperty(this, "name", { value: String(name), configurable: true, writable: true });
        }
      }
      class TextEncoder {
        get encoding() { return "utf-8"; }
        encode(input = "") { return new Uint8Array(utf8Encode(String(input))); }
        encodeInto(source, destination) {
          if (!(destination instanceof Uint8Array)) throw new TypeError("TextEncoder.encodeInto writes into a Uint8Array");
          let read = 0, written = 0;
          for (const ch of String(source)) {
            const bytes = utf8Encode(ch);
            if (written + bytes.length > destination.length) break;
            destination.set(bytes, written);
            written += bytes.length;
            read += ch.length;
          }
          return { read, written };
        }
      }
      class TextDecoder {
        #fatal; #ignoreBOM;
        constructor(label = "utf-8", options) {
          const name = String(label).trim().toLowerCase();
          if (!["utf-8", "utf8", "unicode-1-1-utf-8", "unicode11utf8", "unicode20utf8", "x-unicode20utf8"].includes(name)) {
            throw new RangeError(`TextDecoder: the encoding "${String(label).slice(0, 40)}" is not supported here (utf-8 is)`);
          }
          this.#fatal = Boolean(options && options.fatal);
          this.#ignoreBOM = Boolean(options && options.ignoreBOM);
        }
        get encoding() { return "utf-8"; }
        get fatal() { return this.#fatal; }
        get ignoreBOM() { return this.#ignoreBOM; }
        decode(input, options) {
          if (options && options.stream) throw new TypeError("TextDecoder: streaming decode is not supported here");
          let bytes;
          if (input === undefined) bytes = new Uint8Array(0);
          else if (ArrayBuffer.isView(input)) bytes = new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
          else if (input instanceof ArrayBuffer) bytes = new Uint8Array(input);
          else throw new TypeError("TextDecoder.decode takes an ArrayBuffer or a view of one");
          if (!this.#ignoreBOM && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) bytes = bytes.subarray(3);
          return utf8Decode(bytes, this.#fatal);
        }
      }
      // Forgiving-base64, as HTML defines atob and btoa.
      const base64Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
      function btoa(data) {
        const text = String(data);
        let out = "";
        for (let i = 0; i < text.length; i += 3) {
          const codes = [text.charCodeAt(i), text.charCodeAt(i + 1), text.charCodeAt(i + 2)];
          for (const code of codes) if (code > 255) throw new DOMException("btoa: the string has a character outside Latin-1", "InvalidCharacterError");
          const [a, b, c] = codes;
          out += base64Alphabet[a >> 2] + base64Alphabet[((a & 3) << 4) | (Number.isNaN(b) ? 0 : b >> 4)];
          out += Number.isNaN(b) ? "=" : base64Alphabet[((b & 15) << 2) | (Number.isNaN(c) ? 0 : c >> 6)];
          out += Number.isNaN(c) ? "=" : base64Alphabet[c & 63];
        }
        return out;
      }
      function atob(data) {
        let text = String(data).replace(/[\t\n\f\r ]/g, "");
        if (text.length % 4 === 0) text = text.replace(/={1,2}$/, "");
        if (text.length % 4 === 1 || /[^A-Za-z0-9+/]/.test(text)) {
          throw new DOMException("atob: the string is not correctly encoded", "InvalidCharacterError");
        }
        let out = "", buffer = 0, bits = 0;
        for (const ch of text) {
          buffer = (buffer << 6) | base64Alphabet.indexOf(ch);
          bits += 6;
          if (bits >= 8) { bits -= 8; out += String.fromCharCode((buffer >> bits) & 255); }
        }
        return out;
      }
      // Bytes as base64 and back: how bodies and digests that are not text cross to the host.
      const base64Codes = new Uint8Array(128);
      for (let i = 0; i < 64; i++) base64Codes[base64Alphabet.charCodeAt(i)] = i;
      function bytesToBase64(bytes) {
        const parts = [];
        for (let i = 0; i < bytes.length; i += 3) {
          const a = bytes[i], b = bytes[i + 1], c = bytes[i + 2];
          parts.push(base64Alphabet[a >> 2] + base64Alphabet[((a & 3) << 4) | ((b ?? 0) >> 4)]
            + (b === undefined ? "=" : base64Alphabet[((b & 15) << 2) | ((c ?? 0) >> 6)])
            + (c === undefined ? "=" : base64Alphabet[c & 63]));
        }
        return parts.join("");
      }
      function base64ToBytes(text) {
        const clean = String(text).replace(/=+$/, "");
        const out = new Uint8Array(Math.floor(clean.length * 3 / 4));
        let buffer = 0, bits = 0, j = 0;
        for (let i = 0; i < clean.length; i++) {
          buffer = ((buffer << 6) | base64Codes[clean.charCodeAt(i) & 127]) & 0xffffff;
          bits += 6;
          if (bits >= 8) { bits -= 8; out[j++] = (buffer >> bits) & 255; }
        }
        return out;
      }
      // A copy of what a BufferSource argument holds, or a TypeError naming the argument.
      function bufferSourceBytes(value, what) {
        if (value instanceof ArrayBuffer) return new Uint8Array(value.slice(0));
        if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer.slice(value.byteOffset, value.byteOffset + value.byteLength));
        throw new TypeError(`${what} must be an ArrayBuffer or a view of one (such as a Uint8Array)`);
      }

      // ReadableStream, as the Streams Standard defines its default (not byte) streams: an
      // underlying source's start, pull and cancel, a queue held to its high-water mark, one
      // reader at a time, async iteration and tee. Pipes and WritableStream are not provided.
      const streamKey = Symbol("stream");
      class ReadableStreamDefaultController {
        #s;
        constructor(key, s) {
          if (key !== streamKey) throw new TypeError("Illegal constructor: a controller comes from new ReadableStream({ start(controller) { … } })");
          this.#s = s;
        }
        get desiredSize() {
          const s = this.#s;
          return s.state === "errored" ? null : s.state === "closed" ? 0 : s.highWaterMark - s.queue.length;
        }
        enqueue(chunk) {
          const s = this.#s;
          if (s.closeRequested || s.state !== "readable") throw new TypeError("ReadableStream: cannot enqueue into a stream that is closed or errored");
          if (s.reads.length > 0) s.reads.shift().resolve({ value: chunk, done: false });
          else s.queue.push(chunk);
          pullIfNeeded(s);
        }
        close() {
          const s = this.#s;
          if (s.closeRequested || s.state !== "readable") throw new TypeError("ReadableStream: the stream is already closed or errored");
          s.closeRequested = true;
          if (s.queue.length === 0) finishClose(s);
        }
        error(reason) { if (this.#s.state === "readable") failStream(this.#s, reason); }
      }
      function finishClose(s) {
        s.state = "closed";
        for (const read of s.reads.splice(0)) read.resolve({ value: undefined, done: true });
        s.closedResolve();
      }
      function failStream(s, reason) {
        s.state = "errored";
        s.error = reason;
        s.queue = [];
        for (const read of s.reads.splice(0)) read.reject(reason);
        s.closedReject(reason);
      }
      function pullIfNeeded(s) {
        if (!s.started || s.state !== "readable" || s.closeRequested || s.pull === null) return;
        if (s.highWaterMark - s.queue.length <= 0 && s.reads.length === 0) return;
        if (s.pulling) { s.pullAgain = true; return; }
        s.pulling = true;
        Promise.resolve().then(() => s.pull(s.controller)).then(() => {
          s.pulling = false;
          if (s.pullAgain) { s.pullAgain = false; pullIfNeeded(s); }
        }, (reason) => { if (s.state === "readable") failStream(s, reason); });
      }
      function cancelStream(s, reason) {
        s.disturbed = true;
        if (s.state === "closed") return Promise.resolve();
        if (s.state === "errored") return Promise.reject(s.error);
        s.queue = [];
        finishClose(s);
        return Promise.resolve().then(() => s.cancel === null ? undefined : s.cancel(reason)).then(() => undefined);
      }
      class ReadableStreamDefaultReader {
        #s;
        #closed;
        constructor(stream) {
          if (!(stream instanceof ReadableStream)) throw new TypeError("ReadableStreamDefaultReader reads a ReadableStream");
          const s = stream[streamKey];
          if (s.reader !== null) throw new TypeError("ReadableStream is locked to a reader");
          s.reader = this;
          this.#s = s;
          this.#closed = s.closed;
        }
        get closed() { return this.#closed; }
        read() {
          const s = this.#s;
          if (s === null) return Promise.reject(new TypeError("This reader was released"));
          s.disturbed = true;
          if (s.queue.length > 0) {
            const value = s.queue.shift();
            if (s.closeRequested && s.queue.length === 0) finishClose(s); else pullIfNeeded(s);
            return Promise.resolve({ value, done: false });
          }
          if (s.state === "closed") return Promise.resolve({ value: undefined, done: true });
          if (s.state === "errored") return Promise.reject(s.error);
          return new Promise((resolve, reject) => {
            s.reads.push({ resolve, reject });
            pullIfNeeded(s);
          });
        }
        releaseLock() {
          const s = this.#s;
          if (s === null) return;
          for (const read of s.reads.splice(0)) read.reject(new TypeError("The reader was released"));
          s.reader = null;
          this.#s = null;
          this.#closed = Promise.reject(new TypeError("The reader was released"));
          this.#closed.catch(() => {});
        }
        cancel(reason) { return this.#s === null ? Promise.reject(new TypeError("This reader was released")) : cancelStream(this.#s, reason); }
      }
      class ReadableStream {
        #s;
        constructor(source, strategy) {
          const underlying = source === undefined || source === null ? {} : source;
          if (typeof underlying !== "object" && typeof underlying !== "function") throw new TypeError("ReadableStream takes an underlying source object");
          if (underlying.type !== undefined) throw new RangeError(`ReadableStream: type ${String(underlying.type).slice(0, 20)} is not supported here (default streams are)`);
          const mark = strategy === undefined || strategy === null || strategy.highWaterMark === undefined ? 1 : Number(strategy.highWaterMark);
          if (Number.isNaN(mark) || mark < 0) throw new RangeError("ReadableStream: highWaterMark must be a non-negative number");
          let closedResolve, closedReject;
          const closed = new Promise((resolve, reject) => { closedResolve = resolve; closedReject = reject; });
          closed.catch(() => {});
          const method = (name) => {
            const fn = underlying[name];
            if (fn === undefined) return null;
            if (typeof fn !== "function") throw new TypeError(`ReadableStream: the source's ${name} must be a function`);
            return (argument) => fn.call(underlying, argument);
          };
          const s = {
            state: "readable", queue: [], reads: [], reader: null, disturbed: false, closeRequested: false, started: false,
            pulling: false, pullAgain: false, highWaterMark: mark, pull: method("pull"), cancel: method("cancel"), error: undefined,
            closed, closedResolve, closedReject,
          };
          const start = method("start");
          s.controller = new ReadableStreamDefaultController(streamKey, s);
          this.#s = s;
          Promise.resolve(start === null ? undefined : start(s.controller)).then(() => {
            s.started = true;
            pullIfNeeded(s);
          }, (reason) => { if (s.state === "readable") failStream(s, reason); });
        }
        get [streamKey]() { return this.#s; }
        get locked() { return this.#s.reader !== null; }
        getReader(options) {
          if (options !== undefined && options !== null && options.mode !== undefined) {
            throw new RangeError("ReadableStream.getReader: only the default reader is provided here (not mode: 'byob')");
          }
          return new ReadableStreamDefaultReader(this);
        }
        cancel(reason) {
          if (this.locked) return Promise.reject(new TypeError("ReadableStream is locked to a reader"));
          return cancelStream(this.#s, reason);
        }
        tee() {
          const reader = this.getReader();
          const branches = [];
          let reading = false;
          const pull = () => {
            if (reading) return undefined;
            reading = true;
            return reader.read().then(({ value, done }) => {
              reading = false;
              for (const branch of branches) {
                try { if (done) branch.close(); else branch.enqueue(value); } catch (e) { /* a cancelled branch */ }
              }
            }, (reason) => { for (const branch of branches) branch.error(reason); });
          };
          return [0, 1].map(() => new ReadableStream({ start(controller) { branches.push(controller); }, pull }));
        }
        values(options) {
          const reader = this.getReader();
          const preventCancel = Boolean(options && options.preventCancel);
          return {
            next() {
              return reader.read().then((result) => { if (result.done) reader.releaseLock(); return result; });
            },
            async return(value) {
              if (!preventCancel) await reader.cancel(value);
              reader.releaseLock();
              return { value, done: true };
            },
            [Symbol.asyncIterator]() { return this; },
          };
        }
        [Symbol.asyncIterator](options) { return this.values(options); }
        static from(iterable) {
          if (iterable instanceof ReadableStream) return iterable;
          const iterator = iterable !== null && iterable !== undefined && typeof iterable[Symbol.asyncIterator] === "function"
            ? iterable[Symbol.asyncIterator]() : iterable !== null && iterable !== undefined && typeof iterable[Symbol.iterator] === "function"
            ? iterable[Symbol.iterator]() : null;
          if (iterator === null) throw new TypeError("ReadableStream.from takes an iterable or an async iterable");
          return new ReadableStream({
            async pull(controller) {
              const { value, done } = await iterator.next();
              if (done) controller.close(); else controller.enqueue(value);
            },
            async cancel(reason) { if (typeof iterator.return === "function") await iterator.return(reason); },
          }, { highWaterMark: 0 });
        }
      }
      // A whole stream of Uint8Array chunks, read into one.
      async function readAllBytes(stream) {
        const reader = stream.getReader();
        const chunks = [];
        let length = 0;
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          if (!(value instanceof Uint8Array)) {
            await reader.cancel();
            throw new TypeError("A body stream's chunks must be Uint8Arrays");
          }
          chunks.push(value);
          length += value.length;
        }
        const all = new Uint8Array(length);
        let offset = 0;
        for (const chunk of chunks) { all.set(chunk, offset); offset += chunk.length; }
        return all;
      }

      const responseFrom = Symbol("responseFrom");
      const bodyPayload = Symbol("bodyPayload");
      const bodyClone = Symbol("bodyClone");
      // What fetch's "extract a body" makes of a body init: the source (text, bytes or a stream)
      // and the content type it implies.
      function extractBody(body) {
        if (body === undefined || body === null) return { source: null, type: null };
        if (typeof body === "string") return { source: body, type: "text/plain;charset=UTF-8" };
        if (body instanceof ArrayBuffer || ArrayBuffer.isView(body)) return { source: bufferSourceBytes(body, "A body"), type: null };
        if (body instanceof URLSearchParams) return { source: body.toString(), type: "application/x-www-form-urlencoded;charset=UTF-8" };
        if (body instanceof ReadableStream) {
          if (body.locked || body[streamKey].disturbed) throw new TypeError("A body stream must not be locked or already read");
          return { source: body, type: null };
        }
        // Blob and FormData are not provided: any other value is its string, as WebIDL converts it.
        return { source: String(body), type: "text/plain;charset=UTF-8" };
      }
      // A body: text, bytes or a ReadableStream, read once — with text(), json(), arrayBuffer(),
      // bytes(), or through its stream.
      class Body {
        #source;
        #used = false;
        constructor(source) { this.#source = source; }
        get body() {
          const source = this.#source;
          if (source === null) return null;
          if (!(source instanceof ReadableStream)) {
            const bytes = typeof source === "string" ? new Uint8Array(utf8Encode(source)) : source;
            this.#source = new ReadableStream({ start(controller) { if (bytes.length > 0) controller.enqueue(bytes); controller.close(); } });
            if (this.#used) this.#source[streamKey].disturbed = true;
          }
          return this.#source;
        }
        get bodyUsed() { return this.#used || (this.#source instanceof ReadableStream && this.#source[streamKey].disturbed); }
        async #consume() {
          if (this.bodyUsed) throw new TypeError("Body has already been used");
          this.#used = true;
          const source = this.#source;
          if (source === null) return "";
          if (source instanceof ReadableStream) {
            if (source.locked) throw new TypeError("The body's stream is locked to a reader");
            return readAllBytes(source);
          }
          return source;
        }
        async text() { const content = await this.#consume(); return typeof content === "string" ? content : utf8Decode(content, false); }
        async json() { return JSON.parse(await this.text()); }
        async bytes() { const content = await this.#consume(); return typeof content === "string" ? new Uint8Array(utf8Encode(content)) : content; }
        async arrayBuffer() { const bytes = await this.bytes(); return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength); }
        async blob() { throw new TypeError("Body.blob(): Blob is not provided here; use arrayBuffer() or bytes()"); }
        async formData() { throw new TypeError("Body.formData(): FormData is not provided here; read text() into a URLSearchParams"); }
        // The body for the host: { body } as text, { bodyBase64 } as bytes, {} for none.
        async [bodyPayload]() {
          if (this.#source === null) return {};
          const content = await this.#consume();
          return typeof content === "string" ? { body: content } : { bodyBase64: bytesToBase64(content) };
        }
        // The source a clone starts from (a stream is teed, one branch kept here).
        [bodyClone]() {
          if (this.bodyUsed) throw new TypeError("Body has already been used: it cannot be cloned");
          if (!(this.#source instanceof ReadableStream)) return this.#source;
          const [kept, given] = this.#source.tee();
          this.#source = kept;
          return given;
        }
      }
      // structuredClone, as HTML's structured serialization defines it for what tenant code can
      // hold: primitives, wrappers, Date, RegExp, ArrayBuffer and its views, Map, Set, Error,
      // arrays and plain objects, with shared and circular references kept. Functions, symbols,
      // promises, weak collections and the platform's own objects throw a DataCloneError.
      const unclonable = [Promise, WeakMap, WeakSet, typeof WeakRef === "function" ? WeakRef : Promise];
      const errorTypes = { Error, EvalError, RangeError, ReferenceError, SyntaxError, TypeError, URIError };
      function structuredClone(value, options) {
        if (options !== undefined && options !== null && options.transfer !== undefined && [...options.transfer].length > 0) {
          throw new DOMException("structuredClone: transferring objects is not supported here", "DataCloneError");
        }
        const memory = new Map();
        const refuse = (what) => new DOMException(`${what} could not be cloned`, "DataCloneError");
        function clone(v) {
          if (typeof v === "symbol") throw refuse(String(v));
          if (typeof v === "function") throw refuse(`function ${v.name || "(anonymous)"}`);
          if (v === null || typeof v !== "object") return v;
          if (memory.has(v)) return memory.get(v);
          let out;
          if (v instanceof Boolean || v instanceof Number || v instanceof String || v instanceof BigInt) out = Object(v.valueOf());
          else if (v instanceof Date) out = new Date(v.getTime());
          else if (v instanceof RegExp) out = new RegExp(v.source, v.flags);
          else if (v instanceof ArrayBuffer) out = v.slice(0);
          else if (ArrayBuffer.isView(v)) {
            const buffer = clone(v.buffer);
            out = v instanceof DataView ? new DataView(buffer, v.byteOffset, v.byteLength) : new v.constructor(buffer, v.byteOffset, v.length);
          } else if (v instanceof Map) {
            out = new Map();
            memory.set(v, out);
            for (const [key, item] of v) out.set(clone(key), clone(item));
            return out;
          } else if (v instanceof Set) {
            out = new Set();
            memory.set(v, out);
            for (const item of v) out.add(clone(item));
            return out;
          } else if (v instanceof DOMException) {
            out = new DOMException(v.message, v.name);
          } else if (v instanceof Error) {
            const name = Object.hasOwn(errorTypes, v.name) ? v.name : "Error";
            out = new errorTypes[name](Object.hasOwn(v, "message") ? String(v.message) : "");
            if (typeof v.stack === "string") Object.defineProperty(out, "stack", { value: v.stack, writable: true, configurable: true });
          } else if (unclonable.some((type) => v instanceof type) || platformTypes.some((type) => v instanceof type)) {
            throw refuse(`${v.constructor && v.constructor.name ? v.constructor.name : "This object"}`);
          } else if (Array.isArray(v)) {
            out = new Array(v.length);
            memory.set(v, out);
            for (const key of Object.keys(v)) out[key] = clone(v[key]);
            return out;
          } else {
            out = {};
            memory.set(v, out);
            for (const key of Object.keys(v)) out[key] = clone(v[key]);
            return out;
          }
          memory.set(v, out);
          return out;
        }
        return clone(value);
      }

      // setTimeout and clearTimeout within an entry: the host waits (not CPU time of the tenant)
      // and the callback runs in the same invocation. When the run or the handler ends, the
      // timers it left are dropped; a workflow that means to wait uses step.sleep, which is durable.
      let nextTimer = 0;
      function setTimeout(callback, delay, ...args) {
        if (typeof callback !== "function") throw new TypeError("setTimeout takes a function (a string of code is not evaluated here)");
        // As WebIDL's long: wrapped to 32 bits, and below 0 is 0.
        const ms = Math.max(0, Number(delay) | 0);
        const id = ++nextTimer;
        settledWith(host.timer(ms, id)).then(() => {
          try { callback(...args); } catch (error) { console.error(error); }
        });
        return id;
      }
      function clearTimeout(id) {
        const number = Number(id);
        if (Number.isInteger(number) && number > 0) host.clearTimer(number);
      }

      // crypto.subtle: digests (SHA-1, SHA-256, SHA-384, SHA-512) and HMAC keys to sign and
      // verify with, computed by the host; every other operation rejects with NotSupportedError.
      const digestNames = { "SHA-1": "SHA-1", "SHA-256": "SHA-256", "SHA-384": "SHA-384", "SHA-512": "SHA-512" };
      function hashName(algorithm, what) {
        const raw = typeof algorithm === "string" ? algorithm : algorithm !== null && typeof algorithm === "object" ? algorithm.name : undefined;
        const name = typeof raw === "string" ? digestNames[raw.toUpperCase()] : undefined;
        if (name === undefined) throw new DOMException(`${what}: the hash must be SHA-1, SHA-256, SHA-384 or SHA-512`, "NotSupportedError");
        return name;
      }
      const keyMaterial = Symbol("keyMaterial");
      class CryptoKey {
        constructor(key) { if (key !== keyMaterial) throw new TypeError("Illegal constructor: a CryptoKey comes from crypto.subtle.importKey"); }
      }
      function hmacKey(key, usage, what) {
        if (!(key instanceof CryptoKey) || key[keyMaterial] === undefined) throw new TypeError(`${what}: the key must be a CryptoKey from importKey`);
        if (key.algorithm.name !== "HMAC") throw new DOMException(`${what}: the key is not an HMAC key`, "InvalidAccessError");
        if (!key.usages.includes(usage)) throw new DOMException(`${what}: the key's usages do not include "${usage}"`, "InvalidAccessError");
        return key[keyMaterial];
      }
      function isHMAC(algorithm) {
        const name = typeof algorithm === "string" ? algorithm : algorithm !== null && typeof algorithm === "object" ? algorithm.name : undefined;
        return typeof name === "string" && name.toUpperCase() === "HMAC";
      }
      const unsupported = (operation) => async () => {
        throw new DOMException(`crypto.subtle.${operation} is not provided here (digest, and importKey, sign, verify and exportKey with HMAC, are)`, "NotSupportedError");
      };
      const subtle = Object.freeze({
        async digest(algorithm, data) {
          const name = hashName(algorithm, "crypto.subtle.digest");
          const bytes = bufferSourceBytes(data, "crypto.subtle.digest's data");
          return base64ToBytes(host.digest(name, bytesToBase64(bytes))).buffer;
        },
        async importKey(format, keyData, algorithm, extractable, usages) {
          if (format !== "raw") throw new DOMException(`crypto.subtle.importKey: format ${String(format).slice(0, 20)} is not provided here (raw is)`, "NotSupportedError");
          if (!isHMAC(algorithm)) throw new DOMException("crypto.subtle.importKey: only HMAC keys are provided here", "NotSupportedError");
          const hash = hashName(algorithm.hash, "crypto.subtle.importKey");
          const bytes = bufferSourceBytes(keyData, "crypto.subtle.importKey's key data");
          if (bytes.length === 0) throw new DOMException("crypto.subtle.importKey: an HMAC key must not be empty", "DataError");
          const list = [...usages].map(String);
          const wrong = list.find((usage) => usage !== "sign" && usage !== "verify");
          if (wrong !== undefined) throw new SyntaxError(`crypto.subtle.importKey: an HMAC key's usages are sign and verify, not ${wrong.slice(0, 20)}`);
          if (list.length === 0) throw new SyntaxError("crypto.subtle.importKey: give the key's usages, [\"sign\"] or [\"verify\"] or both");
          const key = new CryptoKey(keyMaterial);
          Object.defineProperties(key, {
            type: { value: "secret", enumerable: true },
            extractable: { value: Boolean(extractable), enumerable: true },
            algorithm: { value: Object.freeze({ name: "HMAC", hash: Object.freeze({ name: hash }), length: bytes.length * 8 }), enumerable: true },
            usages: { value: Object.freeze(list), enumerable: true },
            [keyMaterial]: { value: Object.freeze({ hash, key: bytesToBase64(bytes) }) },
          });
          return key;
        },
        async exportKey(format, key) {
          if (format !== "raw") throw new DOMException("crypto.subtle.exportKey: only raw is provided here", "NotSupportedError");
          if (!(key instanceof CryptoKey) || key[keyMaterial] === undefined) throw new TypeError("crypto.subtle.exportKey: the key must be a CryptoKey");
          if (!key.extractable) throw new DOMException("crypto.subtle.exportKey: the key is not extractable", "InvalidAccessError");
          return base64ToBytes(key[keyMaterial].key).buffer;
        },
        async sign(algorithm, key, data) {
          if (!isHMAC(algorithm)) throw new DOMException("crypto.subtle.sign: only HMAC is provided here", "NotSupportedError");
          const material = hmacKey(key, "sign", "crypto.subtle.sign");
          return base64ToBytes(host.hmac(material.hash, material.key, bytesToBase64(bufferSourceBytes(data, "crypto.subtle.sign's data")))).buffer;
        },
        async verify(algorithm, key, signature, data) {
          if (!isHMAC(algorithm)) throw new DOMException("crypto.subtle.verify: only HMAC is provided here", "NotSupportedError");
          const material = hmacKey(key, "verify", "crypto.subtle.verify");
          const given = bufferSourceBytes(signature, "crypto.subtle.verify's signature");
          const expected = base64ToBytes(host.hmac(material.hash, material.key, bytesToBase64(bufferSourceBytes(data, "crypto.subtle.verify's data"))));
          // Every byte compared, whichever differs first.
          let difference = given.length ^ expected.length;
          for (let i = 0; i < expected.length; i++) difference |= expected[i] ^ (given[i] ?? 0);
          return difference === 0;
        },
        encrypt: unsupported("encrypt"), decrypt: unsupported("decrypt"), generateKey: unsupported("generateKey"),
        deriveKey: unsupported("deriveKey"), deriveBits: unsupported("deriveBits"), wrapKey: unsupported("wrapKey"),
        unwrapKey: unsupported("unwrapKey"),
      });
      // crypto.getRandomValues and randomUUID, from the host's system random source.
      const integerArrays = [Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array, BigInt64Array, BigUint64Array];
      const crypto = Object.freeze({
        subtle,
        getRandomValues(array) {
          if (!integerArrays.some((type) => array instanceof type)) {
            throw new DOMException("getRandomValues fills an integer typed array", "TypeMismatchError");
          }
          if (array.byteLength > 65536) throw new DOMException("getRandomValues fills at most 65536 bytes", "QuotaExceededError");
          const hex = host.randomBytes(array.byteLength);
          const bytes = new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
          for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(hex.substr(i * 2, 2), 16);
          return array;
        },
        randomUUID() {
          const b = crypto.getRandomValues(new Uint8Array(16));
          b[6] = (b[6] & 0x0f) | 0x40;
          b[8] = (b[8] & 0x3f) | 0x80;
          const hex = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
          return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
        },
      });
      // EventTarget, Event, AbortController and AbortSignal, as the DOM Standard defines them
      // for what a fetch handler does with them.
      class Event {
        #type;
        constructor(type) { this.#type = String(type); }
        get type() { return this.#type; }
      }
      class EventTarget {
        #listeners = new Map();
        addEventListener(type, listener, options) {
          if (typeof listener !== "function" && !(listener && typeof listener.handleEvent === "function")) return;
          const list = this.#listeners.get(String(type)) ?? [];
          if (list.some((entry) => entry.listener === listener)) return;
          list.push({ listener, once: Boolean(options && typeof options === "object" && options.once) });
          this.#listeners.set(String(type), list);
        }
        removeEventListener(type, listener) {
          const list = this.#listeners.get(String(type));
          if (list) this.#listeners.set(String(type), list.filter((entry) => entry.listener !== listener));
        }
        dispatchEvent(event) {
          const type = event.type;
          const handler = this["on" + type];
          for (const entry of [...(this.#listeners.get(type) ?? [])]) {
            if (entry.once) this.removeEventListener(type, entry.listener);
            try {
              if (typeof entry.listener === "function") entry.listener.call(this, event); else entry.listener.handleEvent(event);
            } catch (error) { console.error(error); }
          }
          if (typeof handler === "function") { try { handler.call(this, event); } catch (error) { console.error(error); } }
          return true;
        }
      }
      const abortKey = Symbol("abort");
      class AbortSignal extends EventTarget {
        #aborted = false;
        #reason = undefined;
        constructor(key) {
          super();
          if (key !== abortKey) throw new TypeError("Illegal constructor: an AbortSignal comes from an AbortController or AbortSignal.abort()");
          this.onabort = null;
        }
        get aborted() { return this.#aborted; }
        get reason() { return this.#reason; }
        throwIfAborted() { if (this.#aborted) throw this.#reason; }
        static abort(reason) { const signal = new AbortSignal(abortKey); signal[abortKey](reason); return signal; }
        [abortKey](reason) {
          if (this.#aborted) return;
          this.#aborted = true;
          this.#reason = reason === undefined ? new DOMException("This operation was aborted", "AbortError") : reason;
          this.dispatchEvent(new Event("abort"));
        }
      }
      class AbortController {
        #signal = new AbortSignal(abortKey);
        get signal() { return this.#signal; }
        abort(reason) { this.#signal[abortKey](reason); }
      }

      // What the code sees as env: the values deployed with it, the embedder's bindings (each an
      // object whose every method is one call into the host) and WORKFLOWS.
      function makeEnv(id, envText, bindingNamesText) {
        const env = JSON.parse(envText);
        for (const name of JSON.parse(bindingNamesText)) env[name] = makeHostBinding(id, name);
        env.WORKFLOWS = makeBinding(id);
        return env;
      }
      function makeHostBinding(id, name) {
        return new Proxy(Object.freeze({}), {
          get(_, method) {
            // Not a thenable, and no symbol methods: `await env.NAME` is the binding itself.
            if (typeof method !== "string" || method === "then") return undefined;
            return (...args) => {
              let text;
              try { text = serialize(args); } catch (e) {
                return Promise.reject(new TypeError(`env.${name}.${method}: its arguments must be JSON: ${e && e.message}`));
              }
              return settledWith(host.hostBinding(id, name, method, text));
            };
          },
        });
      }

      // fetch(), performed by the host under the tenant's egress policy; its failures are
      // TypeErrors, as Workers' are. The host reads the whole response (up to the policy's size
      // limit) before the Response is made; its body is then a stream like any other.
      function fetch(input, init) {
        try {
          const request = new Request(input, init);
          const signal = request.signal;
          if (signal.aborted) return Promise.reject(signal.reason);
          return new Promise((resolve, reject) => {
            // An abort rejects at once with the signal's reason; the host's request ends on its own.
            const onAbort = () => reject(signal.reason);
            signal.addEventListener("abort", onAbort, { once: true });
            request[bodyPayload]().then((payload) => {
              if (signal.aborted) throw signal.reason;
              const message = JSON.stringify({ method: request.method, url: request.url, headers: [...request.headers], ...payload });
              return settledWith(host.fetch(message));
            }).then((raw) => Response[responseFrom](raw)).then(resolve, reject)
              .finally(() => signal.removeEventListener("abort", onAbort));
          });
        } catch (error) {
          return Promise.reject(error);
        }
      }

      // env.WORKFLOWS: the tenant's binding to its own workflow (Cloudflare's Workflow binding).
      // Each call is one request to the host, which holds the tenant and the workflow: nothing
      // passed here can name another tenant.
      function makeBinding(id) {
        function call(operation, args) {
          let text;
          try { text = serialize(args); } catch (e) {
            return Promise.reject(new TypeError(`env.WORKFLOWS.${operation}: its arguments must be JSON: ${e && e.message}`));
          }
          return settledWith(host.binding(id, operation, text));
        }
        function handle(instanceId) {
          const on = (operation) => () => call(operation, { id: instanceId }).then(() => undefined);
          return Object.freeze({
            id: instanceId,
            status: () => call("status", { id: instanceId }),
            pause: on("pause"), resume: on("resume"), terminate: on("terminate"), restart: on("restart"),
            sendEvent: (event) => {
              if (event === null || typeof event !== "object") return Promise.reject(new TypeError("sendEvent takes { type, payload }"));
              return call("sendEvent", { id: instanceId, type: event.type, payload: event.payload }).then(() => undefined);
            },
          });
        }
        return Object.freeze({
          create: (options) => call("create", options === undefined || options === null ? {} : options).then((made) => handle(made.id)),
          createBatch: (list) => {
            if (!Array.isArray(list)) return Promise.reject(new TypeError("env.WORKFLOWS.createBatch takes an array of { id?, params? }"));
            return call("createBatch", list).then((made) => made.map((one) => handle(one.id)));
          },
          get: (instanceId) => call("get", { id: String(instanceId) }).then((found) => handle(found.id)),
        });
      }
      class Request extends Body {
        #method; #url; #headers; #signal; #redirect;
        constructor(input, init) {
          const options = init === undefined || init === null ? {} : init;
          const base = input instanceof Request ? input : null;
          const method = String(options.method ?? (base ? base.method : "GET")).toUpperCase();
          if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(method)) throw new TypeError(`Request: ${method.slice(0, 40)} is not a valid method`);
          if (["CONNECT", "TRACE", "TRACK"].includes(method)) throw new TypeError(`Request: the method ${method} is forbidden`);
          // A Request given as the input lends its body (a clone of it) when init has none.
          const given = options.body !== undefined ? extractBody(options.body) : base ? { source: base[bodyClone](), type: null } : extractBody(null);
          if ((method === "GET" || method === "HEAD") && given.source !== null) throw new TypeError("Request with GET/HEAD method cannot have body");
          super(given.source);
          this.#method = method;
          // Absolute, as the standard parses it (there is no base URL here).
          this.#url = base ? base.url : new URL(String(input)).href;
          this.#headers = new Headers(options.headers ?? (base ? base.headers : undefined));
          if (given.type !== null && !this.#headers.has("content-type")) this.#headers.set("content-type", given.type);
          if (options.signal !== undefined && options.signal !== null && !(options.signal instanceof AbortSignal)) {
            throw new TypeError("Request: signal must be an AbortSignal");
          }
          this.#signal = options.signal ?? (base ? base.signal : new AbortController().signal);
          const redirect = String(options.redirect ?? (base ? base.redirect : "follow"));
          if (redirect !== "follow") throw new TypeError(`Request: redirect "${redirect.slice(0, 20)}" is not supported here (fetch follows redirects, checking each)`);
          this.#redirect = redirect;
        }
        get method() { return this.#method; }
        get url() { return this.#url; }
        get headers() { return this.#headers; }
        get signal() { return this.#signal; }
        get redirect() { return this.#redirect; }
        clone() {
          if (this.bodyUsed) throw new TypeError("Body has already been used: it cannot be cloned");
          return new Request(this, {});
        }
      }
      const nullBodyStatuses = [101, 204, 205, 304];
      class Response extends Body {
        #status; #statusText; #headers;
        constructor(body, init) {
          const options = init === undefined || init === null ? {} : init;
          const status = options.status === undefined ? 200 : Number(options.status);
          if (!Number.isInteger(status) || status < 200 || status > 599) throw new RangeError(`Response: status ${options.status} is not in 200–599`);
          const given = extractBody(body);
          if (nullBodyStatuses.includes(status) && given.source !== null) {
            throw new TypeError(`Response with null body status ${status} cannot have body`);
          }
          super(given.source);
          this.#status = status;
          this.#statusText = options.statusText === undefined ? "" : String(options.statusText);
          this.#headers = new Headers(options.headers);
          // A clone keeps the headers it had, exactly.
          if (given.type !== null && !options[bodyClone] && !this.#headers.has("content-type")) this.#headers.set("content-type", given.type);
        }
        static json(data, init) {
          const text = JSON.stringify(data);
          if (text === undefined) throw new TypeError("Response.json: the value is not JSON");
          const response = new Response(text, init);
          response.headers.set("content-type", "application/json");
          return response;
        }
        static redirect(url, status = 302) {
          if (![301, 302, 303, 307, 308].includes(Number(status))) throw new RangeError(`Response.redirect: ${status} is not a redirect status`);
          return new Response(null, { status: Number(status), headers: { location: new URL(String(url)).href } });
        }
        // What fetch() answered: its final URL and whether a redirect led there.
        #url = "";
        #redirected = false;
        static [responseFrom](raw) {
          const nullBody = nullBodyStatuses.includes(raw.status);
          const body = nullBody ? null : raw.bodyBase64 !== undefined ? base64ToBytes(raw.bodyBase64) : raw.body;
          const response = new Response(body, { status: raw.status, statusText: raw.statusText, headers: raw.headers });
          response.#url = raw.url;
          response.#redirected = raw.redirected;
          return response;
        }
        get url() { return this.#url; }
        get redirected() { return this.#redirected; }
        get status() { return this.#status; }
        get statusText() { return this.#statusText; }
        get ok() { return this.#status >= 200 && this.#status <= 299; }
        get headers() { return this.#headers; }
        get type() { return "default"; }
        clone() {
          const copy = new Response(this[bodyClone](), { status: this.#status, statusText: this.#statusText, headers: this.#headers, [bodyClone]: true });
          copy.#url = this.#url;
          copy.#redirected = this.#redirected;
          return copy;
        }
      }
      // A step the journal answers comes back from the host as its value, a step still to run as
      // a promise: Promise.resolve makes the first a settled promise and returns the second as
      // it is, so the tenant always gets a promise, with the same ticks as before. Captured now,
      // before tenant code can replace it.
      const settledWith = Promise.resolve.bind(Promise);

      // What JSON cannot carry in a step's config, spelled so that the host can answer it instead
      // of the value vanishing: a function (a dynamic delay) and Infinity (unlimited retries).
      function configValue(key, value) {
        if (typeof value === "function") return { $function: true };
        if (value === Infinity) return "Infinity";
        return value;
      }

      // Saga rollbacks (contract §1.12) are kept here, per invocation: each step.do that passes
      // { rollback } registers it as it is called — replayed or not — and when run rejects they
      // run last-registered first, each one durable pseudo-step of the host's. A rollback's
      // identity is its step's name and count, counted here in call order over every step call
      // of that name, as the engine counts them.
      const duringRollback = "Cannot execute steps during rollback phase";
      function makeStep(id) {
        const saga = { counts: new Map(), registered: [], rollingBack: false, terminating: false };
        function count(name) {
          const next = (saga.counts.get(name) || 0) + 1;
          saga.counts.set(name, next);
          return next;
        }
        const step = Object.freeze({
          do(name, second, third, fourth) {
            if (saga.rollingBack) return Promise.reject(new Error(duringRollback));
            const fn = typeof second === "function" ? second : third;
            if (typeof fn !== "function") {
              return Promise.reject(new TypeError(`step.do("${name}"): pass the step's function as the last argument, or before the rollback options`));
            }
            const config = typeof second === "function" ? undefined : second;
            const options = typeof second === "function" ? third : fourth;
            let rollback;
            if (options !== undefined && options !== null) {
              if (typeof options !== "object" || typeof options.rollback !== "function") {
                return Promise.reject(new TypeError(`step.do("${name}"): the options after the step's function are { rollback: async ({ ctx, error, output, stepName }) => …, rollbackConfig? }`));
              }
              const unknown = Object.keys(options).find((key) => key !== "rollback" && key !== "rollbackConfig");
              if (unknown !== undefined) {
                return Promise.reject(new TypeError(`step.do("${name}"): unknown option ${String(unknown).slice(0, 40)}; the options after the step's function take rollback and rollbackConfig`));
              }
              const rollbackConfig = options.rollbackConfig;
              rollback = {
                name: String(name), handler: options.rollback, output: undefined,
                config: rollbackConfig === undefined || rollbackConfig === null ? null : JSON.stringify(rollbackConfig, configValue),
              };
            }
            const stepName = String(name);
            const stepCount = count(stepName);
            // The host keeps fn only while the step can still call it (never for a step the
            // journal answers), so nothing here tracks it.
            // A dynamic retry delay stays here, called by the host after a failed attempt.
            const delay = config !== null && typeof config === "object" && config.retries !== null && typeof config.retries === "object"
              && typeof config.retries.delay === "function" ? config.retries.delay : undefined;
            const promise = settledWith(host.stepDo(id, stepName, config === undefined || config === null ? null : JSON.stringify(config, configValue), fn, delay));
            if (rollback !== undefined) {
              rollback.count = stepCount;
              saga.registered.push(rollback);
              promise.then((value) => { rollback.output = value; }, () => {});
            }
            return promise;
          },
          sleep(name, duration) {
            if (saga.rollingBack) return Promise.reject(new Error(duringRollback));
            count(String(name));
            return settledWith(host.sleep(id, String(name), durationArgument(duration)));
          },
          sleepUntil(name, timestamp) {
            if (saga.rollingBack) return Promise.reject(new Error(duringRollback));
            count(String(name));
            const ms = timestamp instanceof Date ? timestamp.getTime() : typeof timestamp === "number" ? timestamp : Date.parse(String(timestamp));
            return settledWith(host.sleepUntil(id, String(name), ms));
          },
          waitForEvent(name, options) {
            if (saga.rollingBack) return Promise.reject(new Error(duringRollback));
            count(String(name));
            const o = options === undefined || options === null ? {} : options;
            const timeout = o.timeout === undefined || o.timeout === null ? null : durationArgument(o.timeout);
            // The host answers { type, payload, timestamp: Date } itself.
            return settledWith(host.waitForEvent(id, String(name), o.type === undefined ? "" : String(o.type), timeout));
          },
          // Brigade's own: starts an instance of another of the tenant's workflows and waits for
          // it durably; resolves with its output, rejects with a ChildWorkflowError.
          child(name, options) {
            if (saga.rollingBack) return Promise.reject(new Error(duringRollback));
            if (options === null || typeof options !== "object" || typeof options.workflow !== "string") {
              return Promise.reject(new TypeError(`step.child("${String(name).slice(0, 80)}"): pass { workflow: "<one of your workflows>", params?, timeout? }`));
            }
            const unknown = Object.keys(options).find((key) => key !== "workflow" && key !== "params" && key !== "timeout");
            if (unknown !== undefined) {
              return Promise.reject(new TypeError(`step.child("${String(name).slice(0, 80)}"): unknown option ${String(unknown).slice(0, 40)}; it takes workflow, params and timeout`));
            }
            let params;
            try { params = serialize(options.params === undefined ? {} : options.params); } catch (e) {
              return Promise.reject(new TypeError(`step.child("${String(name).slice(0, 80)}"): params must be JSON: ${e && e.message}`));
            }
            count(String(name));
            const timeout = options.timeout === undefined || options.timeout === null ? null : durationArgument(options.timeout);
            return settledWith(host.child(id, String(name), options.workflow, params, timeout));
          },
        });
        // Runs the registered rollbacks, last first, after run rejected with `error` (or a
        // terminate stopped it); stops at the first that fails for good (the host recorded it).
        // Resolves either way; the chain runs once, whoever asks for it again.
        function rollBack(error) {
          if (saga.chain === undefined) saga.chain = runChain(error);
          return saga.chain;
        }
        async function runChain(error) {
          saga.rollingBack = true;
          for (let i = saga.registered.length - 1; i >= 0; i--) {
            const r = saga.registered[i];
            try {
              await host.rollback(id, r.name, r.count, r.config,
                (ctx) => r.handler({ ctx, error, output: r.output, stepName: r.name }));
            } catch (e) {
              return;
            }
          }
        }
        saga.rollBack = rollBack;
        return { step, saga };
      }

      // The platform's own objects, which structuredClone refuses (as it refuses a browser's).
      const platformTypes = [
        Headers, Request, Response, URL, URLSearchParams, ReadableStream, ReadableStreamDefaultReader, ReadableStreamDefaultController,
        AbortController, EventTarget, Event, TextEncoder, TextDecoder, CryptoKey,
      ];

      globalThis.require = require;
      globalThis.console = console;
      globalThis.WorkflowEntrypoint = WorkflowEntrypoint;
      globalThis.Headers = Headers;
      globalThis.Request = Request;
      globalThis.Response = Response;
      globalThis.URL = URL;
      globalThis.fetch = fetch;
      globalThis.DOMException = DOMException;
      globalThis.TextEncoder = TextEncoder;
      globalThis.TextDecoder = TextDecoder;
      globalThis.atob = atob;
      globalThis.btoa = btoa;
      globalThis.crypto = crypto;
      globalThis.Event = Event;
      globalThis.EventTarget = EventTarget;
      globalThis.AbortSignal = AbortSignal;
      globalThis.AbortController = AbortController;
      globalThis.URLSearchParams = URLSearchParams;
      globalThis.ReadableStream = ReadableStream;
      globalThis.ReadableStreamDefaultReader = ReadableStreamDefaultReader;
      globalThis.ReadableStreamDefaultController = ReadableStreamDefaultController;
      globalThis.CryptoKey = CryptoKey;
      globalThis.structuredClone = structuredClone;
      globalThis.setTimeout = setTimeout;
      globalThis.clearTimeout = clearTimeout;
      globalThis.NonRetryableError = NonRetryableError;

      return Object.freeze({
        // Called once after the tenant's script ran: finds its TenantWorkflow class.
        bind(exports) {
          const found = exports === undefined || exports === null ? undefined : exports.TenantWorkflow;
          if (typeof found !== "function") {
            const names = exports === undefined || exports === null ? [] : Object.keys(exports);
            return `the module does not export a class named TenantWorkflow (its exports: ${names.length ? names.join(", ") : "none"}); declare \`export class TenantWorkflow { async run(event, step) { … } }\``;
          }
          if (typeof found.prototype.run !== "function") {
            return "class TenantWorkflow has no run(event, step) method";
          }
          TenantWorkflow = found;
          DefaultExport = exports.default;
          return null;
        },
        // A request for the module's fetch handler: answers { status, headers, body } as JSON.
        fetch(id, requestText, envText, bindingNamesText) {
          const handler = DefaultExport;
          if (handler === undefined || handler === null || typeof handler.fetch !== "function") {
            const error = new Error("the module has no fetch handler: export default { async fetch(request, env, ctx) { … } }");
            error.name = "NoFetchHandler";
            host.runSettled(id, false, errorJSON(error));
            return;
          }
          const raw = JSON.parse(requestText);
          const body = raw.bodyBase64 !== undefined ? base64ToBytes(raw.bodyBase64) : raw.body;
          const hasBody = raw.method !== "GET" && raw.method !== "HEAD" && body !== undefined;
          const request = new Request(raw.url, { method: raw.method, headers: raw.headers, body: hasBody ? body : null });
          const env = makeEnv(id, envText, bindingNamesText);
          const ctx = Object.freeze({ waitUntil() {}, passThroughOnException() {} });
          let result;
          try {
            result = handler.fetch(request, env, ctx);
          } catch (error) {
            result = Promise.reject(error);
          }
          Promise.resolve(result).then(async (response) => {
            if (!(response instanceof Response)) throw new TypeError("the fetch handler must return a Response");
            const payload = await response[bodyPayload]();
            return JSON.stringify({ status: response.status, headers: [...response.headers], ...payload });
          }).then((text) => host.runSettled(id, true, text), (error) => host.runSettled(id, false, errorJSON(error)));
        },
        start(id, eventText, envText, bindingNamesText) {
          const raw = JSON.parse(eventText);
          const fields = {
            payload: raw.payload, timestamp: new Date(raw.timestamp), instanceId: raw.instanceId, workflowName: raw.workflowName,
          };
          // Present only on an instance a cron schedule created, as on Cloudflare.
          if (raw.schedule) fields.schedule = Object.freeze(raw.schedule);
          const event = Object.freeze(fields);
          const env = makeEnv(id, envText, bindingNamesText);
          const { step, saga } = makeStep(id);
          // No microtask before run: a throwing constructor is caught here instead.
          let result;
          try {
            const workflow = new TenantWorkflow({}, env);
            if (workflow.env === undefined) workflow.env = env;
            result = workflow.run(event, step);
          } catch (error) {
            result = Promise.reject(error);
          }
          // A run that rejects rolls back what its steps registered, then rejects as it did.
          result = Promise.resolve(result).catch(async (error) => {
            await saga.rollBack(error);
            throw error;
          });
          report(result, (ok, text) => host.runSettled(id, ok, text),
            (e) => new TypeError(`run returned a value that is not JSON: ${e.message}`));
          // The host keeps it for a terminate with rollback (control.terminate).
          return saga;
        },
        callFn(id, fn, callId, contextText) {
          if (typeof fn !== "function") {
            host.fnSettled(id, callId, false, errorJSON(new Error("the step's function is no longer available")));
            return;
          }
          let result;
          try {
            result = fn(JSON.parse(contextText));
          } catch (error) {
            result = Promise.reject(error);
          }
          report(result, (ok, text) => host.fnSettled(id, callId, ok, text),
            (e) => new NonRetryableError(`the step returned a value that is not JSON: ${e.message}`, "TypeError"));
        },
        // A terminate with rollback stopped run at a step it had not finished: run the chain,
        // then end run with the termination (whatever run itself still awaits is abandoned).
        terminate(saga, id, name, message) {
          if (saga.terminating) return;
          saga.terminating = true;
          const error = new Error(message);
          error.name = name;
          saga.rollBack(error).then(() => { host.runSettled(id, false, errorJSON(error)); });
        },
        // A step's retries.delay function, after a failed attempt: Cloudflare's ({ ctx, error })
        // answered with milliseconds or a duration string. What it throws comes back as
        // { thrown }, so that the step fails, not the whole run.
        callDelay(fn, contextText, name, message) {
          try {
            const error = new Error(message);
            error.name = name;
            const value = fn({ ctx: JSON.parse(contextText), error });
            if (typeof value === "number" || typeof value === "string") return value;
            return { thrown: `it returned ${describe(value).slice(0, 100)}, not a number of milliseconds or a duration string` };
          } catch (e) {
            return { thrown: e instanceof Error ? `${e.name}: ${e.message}` : describe(e) };
          }
        },
        makeError(name, message, nonRetryable) {
          const error = nonRetryable ? new NonRetryableError(message, name) : new Error(message);
          error.name = name;
          return error;
        },
      });
    })(globalThis.__brigadeHost)
    """#
}
