import Foundation
import HTTPTypes
import Hummingbird
import Synchronization

/// A webhook receiver on loopback: records each POST's raw body and signature header.
final class WebhookReceiver: Sendable {
    struct Hook: Sendable {
        var body: [UInt8]
        var signature: String?
    }

    private let hooks = Mutex<[Hook]>([])
    private let task = Mutex<Task<Void, any Error>?>(nil)
    let port = Mutex(0)

    var received: [Hook] { hooks.withLock { $0 } }
    var url: String { "http://127.0.0.1:\(port.withLock { $0 })/hook" }

    static func start() async throws -> WebhookReceiver {
        let receiver = WebhookReceiver()
        let router = Router()
        router.post("/hook") { request, _ -> HTTPResponse.Status in
            var body: [UInt8] = []
            for try await buffer in request.body { body.append(contentsOf: buffer.readableBytesView) }
            let signature = HTTPField.Name("X-Sandcastle-Signature").flatMap { request.headers[$0] }
            receiver.hooks.withLock { $0.append(Hook(body: body, signature: signature)) }
            return .ok
        }
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let app = Application(
            router: router, configuration: ApplicationConfiguration(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in continuation.yield(channel.localAddress?.port ?? 0) })
        receiver.task.withLock { $0 = Task { try await app.runService() } }
        var iterator = ports.makeAsyncIterator()
        let port = await iterator.next() ?? 0
        receiver.port.withLock { $0 = port }
        return receiver
    }

    func stop() {
        task.withLock { $0?.cancel() }
    }
}
