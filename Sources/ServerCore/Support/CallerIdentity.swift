import NIOCore

extension ServerRequestContext {
    /// Whom a per-caller limit counts a request against: its tenant (every key of a tenant shares
    /// one budget, as in Sandcastle), else its API key, else the address it came from (open mode).
    /// The one place that decides it.
    package var rateLimitCaller: String {
        if let tenant = caller?.tenantID { return "tenant:\(tenant)" }
        if let apiKeyID { return "key:\(apiKeyID)" }
        return "ip:\(channel.remoteAddress?.ipAddress ?? "unknown")"
    }
}
