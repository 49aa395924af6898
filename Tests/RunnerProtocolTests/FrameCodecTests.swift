import RunnerProtocol
import Testing

@Suite("Runner frame codec")
struct FrameCodecTests {
    static let samples: [RunnerMessage] = [
        .hello(Hello()),
        .shellExec(ShellExecRequest(command: "echo 'héllo' | tr a-z A-Z", timeoutMilliseconds: 1500, maxOutputBytes: 1 << 20, rawOutput: true)),
        .spawn(
            SpawnRequest(
                arguments: ["python3", "-c", "print(1)"], environment: ["A=1", "B="], workingDirectory: "/workspace",
                timeoutMilliseconds: 10, maxOutputBytes: 7, openStdin: true)),
        .spawn(SpawnRequest(arguments: ["bash", "-c", "true"], workingDirectory: "/workspace/sub", allowsPrestartedBash: true)),
        .ptyOpen(PTYOpenRequest(arguments: [], environment: ["TERM=xterm"], workingDirectory: "", size: WindowSize(rows: 40, columns: 120))),
        .input([0, 1, 2, 255]),
        .input([]),
        .resize(WindowSize(rows: 1, columns: 65535)),
        .signal(15),
        .cancel,
        .writeFile(WriteFileRequest(path: "a/b.bin", mode: 0o600, append: true, createParents: false)),
        .readFile(ReadFileRequest(path: "/etc/hostname", offset: 3, length: 9)),
        .stat(path: "x"),
        .list(path: "/"),
        .makeDirectory(path: "d/e", parents: true, mode: 0o700),
        .remove(path: "d", recursive: true),
        .move(from: "a", to: "b", overwrite: false),
        .data(Array(0...255)),
        .endOfData,
        .ready(Ready(shell: "/bin/bash", runnerPID: 1, uid: 1000)),
        .started(pid: 4242),
        .output(.stderr, Array("oops\n".utf8)),
        .execFinished(
            ExecResult(
                exitCode: 137, signal: 9, workingDirectory: "/tmp/dir with spaces", durationNanoseconds: 123_456_789,
                outputBytes: 1 << 33, truncated: true, timedOut: true, cancelled: false)),
        .fileInfo(FileInfo(name: "f", path: "/workspace/f", kind: .file, size: 10, mode: 0o644, modifiedNanoseconds: -5)),
        .entries([
            FileInfo(name: "a", path: "/a", kind: .directory, size: 0, mode: 0o755, modifiedNanoseconds: 1),
            FileInfo(name: "l", path: "/l", kind: .symlink, size: 1, mode: 0o777, modifiedNanoseconds: 2, symlinkTarget: "/a"),
        ]),
        .entries([]),
        .ok,
        .failure(RunnerFailure(code: .readOnlyFileSystem, errno: 30, message: "open /etc/x: Read-only file system")),
    ]

    @Test("every message survives an encode/decode round trip", arguments: Array(samples.enumerated()))
    func roundTrip(index: Int, message: RunnerMessage) throws {
        let frame = Frame(id: UInt32(index + 1), message)
        var decoder = FrameDecoder()
        decoder.append(frame.encoded())
        #expect(try decoder.next() == frame)
        #expect(try decoder.next() == nil)
        #expect(decoder.bufferedByteCount == 0)
    }

    @Test("frames split at every byte boundary reassemble in order")
    func byteByByte() throws {
        let frames = Self.samples.enumerated().map { Frame(id: UInt32($0.offset), $0.element) }
        let stream = frames.flatMap { $0.encoded() }
        var decoder = FrameDecoder()
        var decoded: [Frame] = []
        for byte in stream {
            decoder.append([byte])
            while let frame = try decoder.next() { decoded.append(frame) }
        }
        #expect(decoded == frames)
    }

    @Test("an unknown tag fails that frame only; the next frame still decodes")
    func unknownTagIsSkipped() throws {
        var bad = Frame(id: 9, .ok).encoded()
        bad[4] = 0x7F // the tag byte
        let good = Frame(id: 10, .cancel)
        var decoder = FrameDecoder()
        decoder.append(bad + good.encoded())
        #expect(throws: RunnerProtocolError.unknownTag(0x7F)) { try decoder.next() }
        #expect(try decoder.next() == good)
    }

    @Test("a truncated body and an oversized length are reported, not trapped on")
    func malformedInput() throws {
        var truncated = Frame(id: 1, .stat(path: "abcdef")).encoded()
        truncated.removeLast(3)
        // Patch the length so the frame looks complete but its string runs past the end.
        let length = UInt32(truncated.count - 4)
        truncated[0...3] = [UInt8(length >> 24), UInt8(length >> 16 & 0xFF), UInt8(length >> 8 & 0xFF), UInt8(length & 0xFF)]
        var decoder = FrameDecoder()
        decoder.append(truncated)
        #expect(throws: RunnerProtocolError.self) { try decoder.next() }

        var huge = FrameDecoder(maxFrameSize: 1024)
        huge.append([0, 0, 0x10, 0x00, 0x87, 0, 0, 0, 1])
        #expect(throws: RunnerProtocolError.frameTooLarge(4096)) { try huge.next() }
    }

    @Test("a spawn frame from a host that predates allowsPrestartedBash decodes without it")
    func spawnWithoutTheLastField() throws {
        let request = SpawnRequest(arguments: ["bash", "-c", "true"], environment: ["A=1"], timeoutMilliseconds: 5, openStdin: false)
        var old = Frame(id: 3, .spawn(request)).encoded()
        old.removeLast() // the field is the frame's last byte
        let length = UInt32(old.count - 4)
        old[0...3] = [UInt8(length >> 24), UInt8(length >> 16 & 0xFF), UInt8(length >> 8 & 0xFF), UInt8(length & 0xFF)]
        var decoder = FrameDecoder()
        decoder.append(old)
        #expect(try decoder.next() == Frame(id: 3, .spawn(request)))

        // And the other way round: a runner reading only the older fields stops before it, so
        // the new field is the last byte of the body and nothing else moved.
        let allowed = Frame(id: 3, .spawn(SpawnRequest(arguments: ["bash", "-c", "true"], allowsPrestartedBash: true))).encoded()
        let plain = Frame(id: 3, .spawn(SpawnRequest(arguments: ["bash", "-c", "true"]))).encoded()
        #expect(allowed.count == plain.count && allowed.last == 1 && plain.last == 0)
        #expect(allowed.dropFirst(4).dropLast() == plain.dropFirst(4).dropLast())
    }

    @Test("failure codes print as words")
    func failureDescriptions() {
        #expect(RunnerFailure.Code.notFound.description == "not found")
        #expect(RunnerFailure.Code(rawValue: 999).description == "runner error 999")
    }
}
