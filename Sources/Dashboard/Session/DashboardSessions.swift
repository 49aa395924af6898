import Crypto
import Foundation
import ServerCore
import Synchronization

/// The dashboard's signed-in browsers. A session is made when an API key signs in and is then
/// named by a random token in an HttpOnly cookie, so the key itself is never kept by the browser,
/// put in a URL or sent again. The server keeps only the token's SHA-256 (a memory dump does not
/// yield live cookies), the caller the key stood for, and the session's CSRF token. Sessions
/// live in memory: a restart signs everyone out, which is the safe side.
public final class DashboardSessions: Sendable {
    public struct Session: Sendable {
        public var caller: APICaller
        /// Put in every form; a POST must carry it back.
        public var csrfToken: String
        var created: Date
        var lastSeen: Date
    }

    /// A session unused this long ends.
    public let idleTimeout: TimeInterval
    /// A session ends this long after sign-in, used or not.
    public let maxAge: TimeInterval
    /// More sessions than this: the least recently used ends first (a sign-in loop cannot fill memory).
    public let capacity: Int
    private let sessions = Mutex<[String: Session]>([:])

    public init(idleTimeout: TimeInterval = 8 * 3600, maxAge: TimeInterval = 24 * 3600, capacity: Int = 10_000) {
        self.idleTimeout = idleTimeout
        self.maxAge = maxAge
        self.capacity = capacity
    }

    /// A new session for `caller`; returns the cookie's token.
    public func open(for caller: APICaller, now: Date = Date()) -> (token: String, session: Session) {
        let token = Self.randomToken()
        let session = Session(caller: caller, csrfToken: Self.randomToken(), created: now, lastSeen: now)
        sessions.withLock { sessions in
            if sessions.count >= capacity, let oldest = sessions.min(by: { $0.value.lastSeen < $1.value.lastSeen })?.key {
                sessions.removeValue(forKey: oldest)
            }
            sessions[Self.digest(token)] = session
        }
        return (token, session)
    }

    /// The live session the cookie's token names (touched), or nil.
    public func session(token: String, now: Date = Date()) -> Session? {
        let key = Self.digest(token)
        return sessions.withLock { sessions in
            guard var session = sessions[key] else { return nil }
            guard now.timeIntervalSince(session.lastSeen) < idleTimeout, now.timeIntervalSince(session.created) < maxAge else {
                sessions.removeValue(forKey: key)
                return nil
            }
            session.lastSeen = now
            sessions[key] = session
            return session
        }
    }

    /// Ends the session (sign-out).
    public func close(token: String) {
        _ = sessions.withLock { $0.removeValue(forKey: Self.digest(token)) }
    }

    /// Ends every session of a key (it was revoked or rotated away).
    public func close(keyID: String) {
        sessions.withLock { sessions in sessions = sessions.filter { $0.value.caller.keyID != keyID } }
    }

    public var count: Int { sessions.withLock { $0.count } }

    /// 32 random bytes, base64url without padding.
    static func randomToken() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        return Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func digest(_ token: String) -> String {
        SHA256.hash(data: Data(token.utf8)).map { String(format: "%02x", $0) }.joined()
    }
}
