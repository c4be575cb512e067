import Brigade
import Foundation
import Hummingbird
import Synchronization

/// The dashboard's signed-in browsers: a random session id in an HttpOnly, SameSite=Strict
/// cookie, mapped here to the account it acts as and the CSRF token its pages send with every
/// change (`x-brigade-csrf`). Held in memory: a restart signs everyone out, and each node of a
/// cluster has its own (a browser stays on the node it signed in to, or signs in again).
final class DashboardSessions: Sendable {
    struct Session: Sendable, Hashable {
        /// The account the pages and the API calls act as (the tenant of the token typed in).
        var account: String
        /// Signed in with the admin token: may switch to any account.
        var isAdmin: Bool
        var csrf: String
        var expiresAt: ContinuousClock.Instant
    }

    static let cookieName = "brigade_session"
    static let lifetime: Duration = .seconds(12 * 3_600)
    /// Sessions held at once; past it the oldest goes (a flood of sign-ins cannot grow memory).
    static let capacity = 10_000

    private let sessions = Mutex<[String: Session]>([:])

    /// A new session for `account`, and its id for the cookie.
    func open(account: String, isAdmin: Bool) -> (id: String, session: Session) {
        let session = Session(
            account: account, isAdmin: isAdmin, csrf: TenantToken.generate(), expiresAt: .now + Self.lifetime)
        let id = TenantToken.generate()
        sessions.withLock { sessions in
            let now = ContinuousClock.now
            if sessions.count >= Self.capacity {
                sessions = sessions.filter { $0.value.expiresAt > now }
                if sessions.count >= Self.capacity, let oldest = sessions.min(by: { $0.value.expiresAt < $1.value.expiresAt }) {
                    sessions[oldest.key] = nil
                }
            }
            sessions[id] = session
        }
        return (id, session)
    }

    /// The request's session, if its cookie names a live one.
    func session(for request: Request) -> (id: String, session: Session)? {
        guard let id = Self.cookie(request) else { return nil }
        return sessions.withLock { sessions in
            guard let session = sessions[id] else { return nil }
            guard session.expiresAt > .now else {
                sessions[id] = nil
                return nil
            }
            return (id, session)
        }
    }

    func update(_ id: String, _ change: (inout Session) -> Void) {
        sessions.withLock { sessions in
            if var session = sessions[id] {
                change(&session)
                sessions[id] = session
            }
        }
    }

    func close(_ id: String) {
        sessions.withLock { $0[id] = nil }
    }

    /// The session cookie's value, from the request's `Cookie` headers.
    static func cookie(_ request: Request) -> String? {
        for header in request.headers[values: .cookie] {
            for pair in header.split(separator: ";") {
                let parts = pair.split(separator: "=", maxSplits: 1)
                guard parts.count == 2, parts[0].trimmingCharacters(in: .whitespaces) == cookieName else { continue }
                let value = parts[1].trimmingCharacters(in: .whitespaces)
                // A session id is 64 hex digits (TenantToken.generate); anything else is no session.
                guard value.count <= 128, value.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-") }) else {
                    return nil
                }
                return value
            }
        }
        return nil
    }

    static func setCookie(_ id: String) -> String {
        "\(cookieName)=\(id); Path=/; HttpOnly; SameSite=Strict; Max-Age=\(Int(lifetime.components.seconds))"
    }

    static let clearCookie = "\(cookieName)=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"
}
