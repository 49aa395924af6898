import Foundation
import Hummingbird

/// Offset paging for the list pages whose filters live in the address (`?page=2&severity=high`):
/// which page was asked for, and the links to the pages around it that keep the same filters.
struct PageLinks: Sendable {
    /// 1-based; a missing or nonsense `page` is the first, an absurd one is capped.
    var page: Int
    var size: Int
    var offset: Int { (page - 1) * size }

    /// The largest page number read from an address (10,000 pages of 50 is more than any list shows).
    static let maxPage = 10_000

    init(asked: String?, size: Int) {
        self.page = max(1, min(Self.maxPage, asked.flatMap { Int($0) } ?? 1))
        self.size = size
    }

    /// `path?filters&page=n` with every filter value percent-encoded; empty filters are left out.
    static func link(_ path: String, _ filters: [(String, String)], page: Int? = nil) -> String {
        let items = filters.filter { !$0.1.isEmpty } + (page.map { [("page", String($0))] } ?? [])
        guard !items.isEmpty else { return path }
        return path + "?" + items.map { "\($0.0)=\(Self.queryEncoded($0.1))" }.joined(separator: "&")
    }

    /// The previous page's link, if this is not the first.
    func previous(_ path: String, _ filters: [(String, String)]) -> String? {
        page > 1 ? Self.link(path, filters, page: page - 1) : nil
    }

    /// The next page's link, if `total` items go beyond this page.
    func next(_ path: String, _ filters: [(String, String)], total: Int) -> String? {
        offset + size < total && page < Self.maxPage ? Self.link(path, filters, page: page + 1) : nil
    }

    /// A query value: everything but unreserved characters encoded (`&`, `=`, `+`, `#` included).
    static func queryEncoded(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
    }
}

extension Dashboard {
    /// A query parameter of the address, decoded as a browser's GET form encodes it (`+` is a
    /// space: Hummingbird's `queryParameters` leaves it a `+`), trimmed; nil when absent or
    /// empty. Values longer than `limit` are refused (a filter longer than anything stored can
    /// match nothing anyway).
    static func queryValue(_ request: Request, _ name: String, limit: Int = 200) throws -> String? {
        let query = try FormInput.parse(request.uri.query ?? "")
        guard let value = query[name]?.trimmingCharacters(in: .whitespacesAndNewlines), !value.isEmpty else { return nil }
        guard value.count <= limit, !value.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else {
            throw DashboardError(.invalidInput, "the filter \(name) must be at most \(limit) printable characters")
        }
        return value
    }
}
