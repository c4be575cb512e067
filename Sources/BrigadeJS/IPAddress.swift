import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// An address a host name resolved to, and whether it is on the public internet.
struct IPAddress: Sendable, Hashable, CustomStringConvertible {
    /// 4 bytes (IPv4) or 16 (IPv6), in network order.
    let bytes: [UInt8]

    var description: String {
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        var raw = bytes
        let family = bytes.count == 4 ? AF_INET : AF_INET6
        return raw.withUnsafeMutableBytes { pointer in
            inet_ntop(family, pointer.baseAddress, &text, socklen_t(text.count)).map { String(cString: $0) } ?? "?"
        }
    }

    /// Not loopback, private (RFC 1918, unique local), link-local, carrier-grade NAT, multicast,
    /// documentation, benchmarking or otherwise reserved.
    var isPublic: Bool {
        if bytes.count == 4 { return Self.isPublicV4(bytes) }
        let b = bytes
        if b[0..<15].allSatisfy({ $0 == 0 }) { return false }  // :: and ::1
        // IPv4-mapped (::ffff:a.b.c.d) and NAT64 (64:ff9b::a.b.c.d): the IPv4 address decides.
        if b[0..<10].allSatisfy({ $0 == 0 }) && b[10] == 0xff && b[11] == 0xff { return Self.isPublicV4(Array(b[12..<16])) }
        if b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b { return Self.isPublicV4(Array(b[12..<16])) }
        if b[0] & 0xfe == 0xfc { return false }  // fc00::/7 unique local
        if b[0] == 0xfe && b[1] & 0xc0 == 0x80 { return false }  // fe80::/10 link-local
        if b[0] == 0xff { return false }  // multicast
        if b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d && b[3] == 0xb8 { return false }  // 2001:db8::/32 documentation
        return true
    }

    private static func isPublicV4(_ b: [UInt8]) -> Bool {
        switch (b[0], b[1]) {
        case (0, _), (10, _), (127, _): return false
        case (100, 64...127): return false  // carrier-grade NAT
        case (169, 254): return false  // link-local, cloud metadata
        case (172, 16...31), (192, 168): return false
        case (192, 0) where b[2] == 0 || b[2] == 2: return false  // IETF protocol assignments, TEST-NET-1
        case (198, 18...19): return false  // benchmarking
        case (198, 51) where b[2] == 100, (203, 0) where b[2] == 113: return false  // TEST-NET-2, -3
        case (224...255, _): return false  // multicast, reserved, broadcast
        default: return true
        }
    }

    /// The addresses `host` resolves to (getaddrinfo, on a thread of its own: it blocks), or a
    /// failure once `timeout` has passed (the lookup is left to end on its thread: a resolver
    /// that does not answer holds no fetch longer than its time).
    static func resolve(_ host: String, timeout: Duration) async throws -> [IPAddress] {
        let waiter = Waiter()
        return try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<[IPAddress], any Error>) in
            waiter.continuation.withLock { $0 = continuation }
            let timer = Task {
                // Cancelled: the lookup answered first.
                guard (try? await Task.sleep(for: timeout)) != nil else { return }
                waiter.finish(.failure(OutboundFetchError("fetch: resolving \(host.prefix(100)) timed out")))
            }
            Thread.detachNewThread {
                let result = Result { try lookup(host) }
                timer.cancel()
                waiter.finish(result)
            }
        }
    }

    /// Resumes a lookup's caller once: with the answer, or with the timeout's failure.
    private final class Waiter: Sendable {
        let continuation = Mutex<CheckedContinuation<[IPAddress], any Error>?>(nil)
        func finish(_ result: Result<[IPAddress], any Error>) {
            continuation.withLock { $0.take() }?.resume(with: result)
        }
    }

    /// getaddrinfo itself: blocks until the resolver answers.
    private static func lookup(_ host: String) throws -> [IPAddress] {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, nil, &hints, &result)
        guard status == 0, let first = result else {
            throw OutboundFetchError("fetch: the host \(host.prefix(100)) could not be resolved")
        }
        defer { freeaddrinfo(first) }
        var addresses: [IPAddress] = []
        var next: UnsafeMutablePointer<addrinfo>? = first
        while let info = next {
            if info.pointee.ai_family == AF_INET, let address = info.pointee.ai_addr {
                address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { v4 in
                    var raw = v4.pointee.sin_addr
                    addresses.append(IPAddress(bytes: withUnsafeBytes(of: &raw) { Array($0) }))
                }
            } else if info.pointee.ai_family == AF_INET6, let address = info.pointee.ai_addr {
                address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { v6 in
                    var raw = v6.pointee.sin6_addr
                    addresses.append(IPAddress(bytes: withUnsafeBytes(of: &raw) { Array($0) }))
                }
            }
            next = info.pointee.ai_next
        }
        var seen = Set<IPAddress>()
        return addresses.filter { seen.insert($0).inserted }
    }
}

/// Why an outbound fetch failed: tenant code sees it as a `TypeError` with this message, as
/// Workers' fetch fails.
struct OutboundFetchError: Error, CustomStringConvertible {
    let message: String
    init(_ message: String) { self.message = message }
    var description: String { message }
}
