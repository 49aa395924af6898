/// Whether an ``HTTPClient``'s TCP and TLS requests go through a proxy. Unix-socket endpoints
/// never do, whatever the setting (libcurl does not mix the two, and a local socket needs none).
public enum ProxySetting: Sendable, Hashable {
    /// libcurl decides from the process environment (`http_proxy`, `HTTPS_PROXY`, `ALL_PROXY`,
    /// `NO_PROXY`, …), as it always has.
    case libcurlDefault
    /// Connect directly, even if the process environment names a proxy.
    case direct
    /// Through `url` (`http://proxy:3128`, credentials allowed), except for the hosts `noProxy`
    /// lists (libcurl's `NO_PROXY` syntax: comma-separated names, domains and addresses, `*` for all).
    case proxy(url: String, noProxy: String?)

    /// The setting libcurl would pick for `endpoint` from `environment`, made explicit so that a
    /// caller can pass an environment of its own (tests, a per-run environment) instead of the
    /// process's.
    ///
    /// libcurl's rules: `https_proxy` then `HTTPS_PROXY` for HTTPS; only the lower-case
    /// `http_proxy` for plain HTTP (the upper-case one can be set by a CGI request's `Proxy:`
    /// header); then `all_proxy`/`ALL_PROXY`; `no_proxy`/`NO_PROXY` exempts hosts. Empty values
    /// count as unset.
    public static func fromEnvironment(_ environment: [String: String], for endpoint: HTTPEndpoint) -> ProxySetting {
        func value(_ names: String...) -> String? {
            for name in names {
                if let value = environment[name], !value.isEmpty { return value }
            }
            return nil
        }
        let proxy: String?
        switch endpoint.transport {
        case .unixSocket: return .direct
        case .tcp: proxy = value("http_proxy", "all_proxy", "ALL_PROXY")
        case .tls: proxy = value("https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY")
        }
        guard let proxy else { return .direct }
        return .proxy(url: proxy, noProxy: value("no_proxy", "NO_PROXY"))
    }
}
