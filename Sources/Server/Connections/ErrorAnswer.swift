import Foundation
import Hummingbird
import NIOCore
import ServerCore

/// An error answer written straight onto a connection, below Hummingbird: for requests that
/// never reach a route (a refused connection, a head too large or malformed, a client too
/// slow). Same JSON shape and security headers as every other error, and `Connection: close`:
/// the connection ends after it.
enum ErrorAnswer {
    static func bytes(_ error: ServerError, allocator: ByteBufferAllocator) -> ByteBuffer {
        let body = ServerError.jsonBody(code: error.code, message: error.message)
        let head =
            "HTTP/1.1 \(error.status.code) \(error.status.reasonPhrase)\r\n"
            + "Content-Type: application/json; charset=utf-8\r\n"
            + "Content-Length: \(body.count)\r\n"
            + "Connection: close\r\n"
            + SecurityHeaders.fields.map { "\($0.name): \($0.value)\r\n" }.joined()
            + "Server: sandcastle\r\n\r\n"
        var buffer = allocator.buffer(capacity: head.utf8.count + body.count)
        buffer.writeString(head)
        buffer.writeBytes(body)
        return buffer
    }
}
