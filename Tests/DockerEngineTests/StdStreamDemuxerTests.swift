import Testing

@testable import DockerEngine

@Suite struct StdStreamDemuxerTests {
    @Test func framesSplitAtEveryByteBoundary() throws {
        let wire =
            StdStreamDemuxer.encode(.stdout, Array("hello".utf8)) + StdStreamDemuxer.encode(.stderr, Array("oops\n".utf8))
            + StdStreamDemuxer.encode(.stdout, [])
            + StdStreamDemuxer.encode(.stdout, Array("!".utf8))
        for split in 0...wire.count {
            var demuxer = StdStreamDemuxer()
            var frames = try demuxer.feed(wire[0..<split])
            frames += try demuxer.feed(wire[split...])
            #expect(
                frames == [
                    .init(stream: .stdout, payload: Array("hello".utf8)),
                    .init(stream: .stderr, payload: Array("oops\n".utf8)),
                    .init(stream: .stdout, payload: []),
                    .init(stream: .stdout, payload: Array("!".utf8)),
                ])
            #expect(demuxer.bufferedByteCount == 0)
        }
    }

    @Test func byteByByte() throws {
        let payload = (0..<1000).map { UInt8(truncatingIfNeeded: $0) }
        let wire = StdStreamDemuxer.encode(.stderr, payload)
        var demuxer = StdStreamDemuxer()
        var frames: [StdStreamDemuxer.Frame] = []
        for byte in wire { frames += try demuxer.feed([byte]) }
        #expect(frames == [.init(stream: .stderr, payload: payload)])
    }

    @Test func incompleteFrameWaits() throws {
        var demuxer = StdStreamDemuxer()
        demuxer.append([1, 0, 0, 0, 0, 0, 0, 5, 65, 66])
        #expect(try demuxer.next() == nil)
        #expect(demuxer.bufferedByteCount == 10)
        demuxer.append([67, 68, 69])
        #expect(try demuxer.next() == .init(stream: .stdout, payload: Array("ABCDE".utf8)))
    }

    @Test func bigEndianSize() throws {
        let payload = [UInt8](repeating: 7, count: 0x01_02_03)
        let wire = StdStreamDemuxer.encode(.stdout, payload)
        #expect(Array(wire[4..<8]) == [0, 0x01, 0x02, 0x03])
        var demuxer = StdStreamDemuxer()
        #expect(try demuxer.feed(wire).first?.payload.count == payload.count)
    }

    @Test func ttyBytesAreRejected() {
        var demuxer = StdStreamDemuxer()
        demuxer.append(Array("hello world\n".utf8))
        #expect(throws: DockerError.self) { try demuxer.next() }
    }

    @Test func oversizedFrameIsRejected() {
        var demuxer = StdStreamDemuxer(maxFrameSize: 16)
        demuxer.append([1, 0, 0, 0, 0, 0, 0, 17])
        #expect(throws: DockerError.self) { try demuxer.next() }
    }

    @Test func manySmallFramesInOneChunk() throws {
        var wire: [UInt8] = []
        for i in 0..<500 { wire += StdStreamDemuxer.encode(i % 2 == 0 ? .stdout : .stderr, Array("line \(i)\n".utf8)) }
        var demuxer = StdStreamDemuxer()
        let frames = try demuxer.feed(wire)
        #expect(frames.count == 500)
        #expect(frames[499] == .init(stream: .stderr, payload: Array("line 499\n".utf8)))
    }
}
