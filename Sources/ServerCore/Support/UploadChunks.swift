import Hummingbird

/// The request body as `[UInt8]` chunks for a sandbox file write, refusing more than `limit` bytes.
package struct UploadChunks: AsyncSequence, Sendable {
    package typealias Element = [UInt8]
    let body: RequestBody
    let limit: Int

    package init(body: RequestBody, limit: Int) {
        self.body = body
        self.limit = limit
    }

    package struct AsyncIterator: AsyncIteratorProtocol {
        var base: RequestBody.AsyncIterator
        let limit: Int
        var total = 0

        package mutating func next() async throws -> [UInt8]? {
            let next: ByteBuffer?
            do {
                next = try await base.next()
            } catch {
                throw ServerError.bodyCutShort(error)
            }
            guard let buffer = next else { return nil }
            total += buffer.readableBytes
            guard total <= limit else { throw ServerError(.bodyTooLarge, "the upload exceeds \(limit) bytes") }
            return Array(buffer.readableBytesView)
        }
    }

    package func makeAsyncIterator() -> AsyncIterator { AsyncIterator(base: body.makeAsyncIterator(), limit: limit) }
}
