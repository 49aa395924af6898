import NIOCore

extension ServerRequestContext {
    /// Whom a per-caller limit counts a request against: its API key when it has one, else the
    /// address it came from (open mode). The one place that decides it (tenants, once keys have
    /// them, replace the key here).
    package var rateLimitCaller: String {
        if let apiKeyID { return "key:\(apiKeyID)" }
        return "ip:\(channel.remoteAddress?.ipAddress ?? "unknown")"
    }
}
