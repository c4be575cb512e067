import AsyncHTTPClient
@_spi(Sandbox) import Brigade
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// Performs tenant code's `fetch()` for it, under its tenant's ``EgressPolicy``: the name is
/// resolved here, every address checked, and the connection made to the checked address (the
/// client's DNS override), with redirects followed here so that each hop is checked the same
/// way. The wait for a response is on the event loops, never on a VM's thread: it is not CPU
/// time of the tenant.
final class OutboundFetcher: Sendable {
    private let inFlight = Mutex<[String: Int]>([:])

    /// The request as the prelude sends it (`{method, url, headers, body | bodyBase64}`), answered
    /// as `{status, statusText, headers, body | bodyBase64, url, redirected}`: a body that is
    /// UTF-8 as text, any other as base64.
    func fetch(_ request: JSONValue, tenant: String, policy: EgressPolicy) async throws -> JSONValue {
        let admitted = inFlight.withLock { counts -> Bool in
            guard counts[tenant, default: 0] < policy.maxConcurrentPerTenant else { return false }
            counts[tenant, default: 0] += 1
            return true
        }
        guard admitted else {
            throw OutboundFetchError(
                "fetch: this tenant already has \(policy.maxConcurrentPerTenant) requests in flight; wait for one to end")
        }
        defer { inFlight.withLock { $0[tenant, default: 1] -= 1 } }
        guard case .string(var method)? = request["method"], case .string(let urlText)? = request["url"] else {
            throw OutboundFetchError("fetch: the request did not read back")
        }
        var headers: [(String, String)] = []
        if case .array(let pairs)? = request["headers"] {
            for pair in pairs {
                if case .string(let name)? = pair[0], case .string(let value)? = pair[1] { headers.append((name, value)) }
            }
        }
        var body: Data?
        if case .string(let text)? = request["body"] { body = Data(text.utf8) }
        if case .string(let text)? = request["bodyBase64"] {
            guard let bytes = Data(base64Encoded: text) else { throw OutboundFetchError("fetch: the request body did not read back") }
            body = bytes
        }
        if let body, body.count > policy.maxRequestBytes {
            throw OutboundFetchError("fetch: the request body is \(body.count) bytes; the limit is \(policy.maxRequestBytes)")
        }
        var url = try Self.parse(urlText)
        let deadline = ContinuousClock.now + policy.timeout
        for hop in 0...policy.maxRedirects {
            let answer = try await send(method: method, url: url, headers: headers, body: body, policy: policy, deadline: deadline)
            let status = Int(answer.status.code)
            guard [301, 302, 303, 307, 308].contains(status), let location = answer.headers.first(name: "location") else {
                var response: [String: JSONValue] = [
                    "status": .number(Double(status)), "statusText": .string(answer.status.reasonPhrase),
                    "headers": .array(answer.headers.map { .array([.string($0.name.lowercased()), .string($0.value)]) }),
                    "url": .string(url.absoluteString), "redirected": .bool(hop > 0),
                ]
                let (key, value) = Self.bodyField(answer.body)
                response[key] = value
                return .object(response)
            }
            guard let next = URL(string: location, relativeTo: url)?.absoluteURL else {
                throw OutboundFetchError("fetch: a redirect to \(location.prefix(200)) is not a URL")
            }
            url = try Self.parse(next.absoluteString)
            // As fetch does: a 303, and a 301 or 302 of a POST, go on as a GET without a body.
            if status == 303 || ((status == 301 || status == 302) && method == "POST") {
                method = "GET"
                body = nil
                headers.removeAll { ["content-type", "content-length"].contains($0.0.lowercased()) }
            }
        }
        throw OutboundFetchError("fetch: more than \(policy.maxRedirects) redirects")
    }

    /// A body for the prelude: `body` when it is UTF-8 (text crosses without a copy into
    /// base64 and back), `bodyBase64` otherwise.
    static func bodyField(_ data: Data) -> (String, JSONValue) {
        if let text = String(validating: data, as: UTF8.self) { return ("body", .string(text)) }
        return ("bodyBase64", .string(data.base64EncodedString()))
    }

    private static func parse(_ text: String) throws -> URL {
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
            let host = url.host, !host.isEmpty
        else {
            throw OutboundFetchError("fetch: \(text.prefix(200)) is not an http or https URL")
        }
        return url
    }

    /// One request to `url`, connected to an address of its host that the policy allows, with
    /// its body read (up to the policy's limit).
    private func send(
        method: String, url: URL, headers: [(String, String)], body: Data?, policy: EgressPolicy, deadline: ContinuousClock.Instant
    ) async throws -> (status: HTTPResponseStatus, headers: HTTPHeaders, body: Data) {
        let host = (url.host ?? "").lowercased()
        let port = url.port ?? (url.scheme?.lowercased() == "https" ? 443 : 80)
        // A private exception the operator gave is a host the tenant may reach.
        let excepted = policy.privateExceptions.contains("\(host):\(port)")
        guard policy.allows(host: host) || excepted else {
            throw OutboundFetchError("fetch: \(host.prefix(100)) is not a host this tenant may reach")
        }
        let left = deadline - ContinuousClock.now
        guard left > .zero else { throw OutboundFetchError("fetch: timed out") }
        let addresses = try await IPAddress.resolve(host.trimmingCharacters(in: CharacterSet(charactersIn: "[]")), timeout: left)
        guard let address = addresses.first(where: { $0.isPublic || excepted }) else {
            throw OutboundFetchError(
                "fetch: \(host.prefix(100)) resolves to \(addresses.map(\.description).joined(separator: ", ")), which tenant code may not reach (private, loopback, link-local or reserved)"
            )
        }
        var configuration = HTTPClient.Configuration(redirectConfiguration: .disallow, decompression: .enabled(limit: .ratio(20)))
        // Connect to the address just checked; TLS still checks the name.
        configuration.dnsOverride = [host: address.description]
        let client = HTTPClient(eventLoopGroup: MultiThreadedEventLoopGroup.singleton, configuration: configuration)
        do {
            var request = HTTPClientRequest(url: url.absoluteString)
            request.method = HTTPMethod(rawValue: method)
            for (name, value) in headers where name.lowercased() != "host" { request.headers.add(name: name, value: value) }
            if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
            let remaining = deadline - ContinuousClock.now
            guard remaining > .zero else { throw OutboundFetchError("fetch: timed out") }
            let nanoseconds = remaining.components.seconds * 1_000_000_000 + remaining.components.attoseconds / 1_000_000_000
            let response = try await client.execute(request, timeout: .nanoseconds(nanoseconds))
            var buffer = ByteBuffer()
            for try await var chunk in response.body {
                if buffer.readableBytes + chunk.readableBytes > policy.maxResponseBytes {
                    throw OutboundFetchError("fetch: the response body is larger than \(policy.maxResponseBytes) bytes")
                }
                if ContinuousClock.now > deadline { throw OutboundFetchError("fetch: timed out reading the response") }
                buffer.writeBuffer(&chunk)
            }
            try? await client.shutdown()
            return (response.status, response.headers, Data(buffer.readableBytesView))
        } catch let error as OutboundFetchError {
            try? await client.shutdown()
            throw error
        } catch {
            try? await client.shutdown()
            throw OutboundFetchError("fetch: \(Self.describe(error))")
        }
    }

    static func describe(_ error: any Error) -> String {
        if let error = error as? HTTPClientError {
            switch error {
            case .deadlineExceeded, .readTimeout, .connectTimeout: return "timed out"
            default: return "\(error)".prefix(200).description
            }
        }
        return "\(error)".prefix(200).description
    }
}
