import Hummingbird
import HummingbirdWebSocket
import Logging
import NIOCore

/// The request context of every route: Hummingbird's core storage, the WebSocket upgrade
/// slot (so the terminal route lives on the same kind of router), and who is calling.
public struct ServerRequestContext: RequestContext, WebSocketRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let webSocket: WebSocketHandlerReference<Self>
    /// The caller's API key id, set by ``AuthMiddleware``; nil in open mode.
    public var apiKeyID: String?
    /// Who is calling (key, tenant, restrictions), set by ``AuthMiddleware`` (``APICaller/open``
    /// in open mode); nil on a public route, which must then not act for anyone.
    public var caller: APICaller?
    /// The connection the request arrived on (see ``clientConnection()``).
    public let channel: any Channel

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.webSocket = .init()
        self.channel = source.channel
    }
}

extension ServerRequestContext {
    /// The `:name` of a workspace route (shared by the native and Sandkasten workspace routes).
    package func workspaceName() throws -> String {
        guard let name = parameters.get("name"), !name.isEmpty else { throw ServerError(.invalidInput, "missing workspace name") }
        return name
    }
}
