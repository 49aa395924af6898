import Foundation
import Hummingbird
import Testing

@testable import ServerCompat
@testable import ServerCore

/// The readers that take request bodies apart while they arrive, fed in pieces of every size
/// (down to one byte, so every boundary, escape and base64 group straddles two of them).
@Suite("Streamed request bodies")
struct StreamingBodyTests {
    /// A body delivered in pieces of `size` bytes.
    static func body(_ bytes: [UInt8], pieces size: Int) -> AsyncStream<ByteBuffer> {
        AsyncStream { continuation in
            var offset = 0
            while offset < bytes.count {
                let end = min(offset + size, bytes.count)
                continuation.yield(ByteBuffer(bytes: bytes[offset..<end]))
                offset = end
            }
            continuation.finish()
        }
    }

    static func parts(_ text: String, pieces: Int, limit: Int = 1 << 20) async throws -> [(MultipartPartHead, [UInt8])] {
        let reader = try MultipartReader(body: body(Array(text.utf8), pieces: pieces), boundary: "XyZ", limit: limit)
        var parts: [(MultipartPartHead, [UInt8])] = []
        while let head = try await reader.nextPart() {
            var content: [UInt8] = []
            for try await chunk in reader.content { content += chunk }
            parts.append((head, content))
        }
        return parts
    }

    static let pieceSizes = [1, 2, 3, 7, 64, 1 << 20]

    @Test(arguments: pieceSizes)
    func multipartFormSplitsParts(pieces: Int) async throws {
        let form =
            "--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"/tmp/a b.txt\"\r\nContent-Type: text/plain\r\n\r\n"
            + "line1\r\nline2\r\n--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"/tmp/c\"\r\n\r\n\r\n--XyZ--\r\n"
        #expect(MultipartForm.boundary(contentType: "multipart/form-data; boundary=XyZ") == "XyZ")
        let parts = try await Self.parts(form, pieces: pieces)
        #expect(parts.count == 2)
        #expect(parts.first?.0 == MultipartPartHead(name: "file", filename: "/tmp/a b.txt"))
        #expect(parts.first.map { String(decoding: $0.1, as: UTF8.self) } == "line1\r\nline2")
        #expect(parts.last?.1.isEmpty == true)
    }

    @Test func multipartPartsSkippedUnreadAndFieldsCollected() async throws {
        let form =
            "--XyZ\r\nContent-Disposition: form-data; name=\"skip\"\r\n\r\nnot read\r\n"
            + "--XyZ\r\nContent-Disposition: form-data; name=\"path\"\r\n\r\n/workspace/sub\r\n--XyZ--"
        let reader = try MultipartReader(body: Self.body(Array(form.utf8), pieces: 5), boundary: "XyZ", limit: 1000)
        #expect(try await reader.nextPart()?.name == "skip")
        #expect(try await reader.nextPart()?.name == "path")
        #expect(try await reader.collect(limit: 100) == Array("/workspace/sub".utf8))
        #expect(try await reader.nextPart() == nil)
    }

    @Test(arguments: pieceSizes)
    func multipartFormCutShortIsMalformed(pieces: Int) async throws {
        let whole = "--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a\"\r\n\r\nA\r\n--XyZ"
        #expect(try await Self.parts(whole + "--\r\n", pieces: pieces).count == 1)
        // A whole first part is not enough: the body stops before the form's close delimiter.
        for cut in [whole, whole + "\r\n", whole + "\r\nContent-Disposition: form-da", whole + "\r\n\r\nhalf a bod", "garbage"] {
            await #expect(throws: ServerError.self, "\(cut)") { _ = try await Self.parts(cut, pieces: pieces) }
            do {
                _ = try await Self.parts(cut, pieces: pieces)
            } catch let error as ServerError {
                #expect(error.code == .invalidInput && error.message.hasPrefix("malformed multipart body"), "\(error)")
            }
        }
    }

    @Test func multipartOverTheLimitIsRefusedWhileReading() async throws {
        let form = "--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a\"\r\n\r\n" + String(repeating: "x", count: 5000) + "\r\n--XyZ--"
        do {
            _ = try await Self.parts(form, pieces: 100, limit: 1000)
            Issue.record("a form over its limit was read")
        } catch let error as ServerError {
            #expect(error.code == .bodyTooLarge)
        }
    }

    // MARK: Sandkasten fs/write

    static func write(_ json: String, pieces: Int, limit: Int = 1 << 20) async throws -> (fields: [String], content: [UInt8]) {
        let reader = SandkastenWriteBody(body: body(Array(json.utf8), pieces: pieces), limit: limit)
        var fields: [String] = []
        var content: [UInt8] = []
        while let field = try await reader.nextField() {
            switch field {
            case .path(let path): fields.append("path=\(path)")
            case .text, .base64:
                fields.append(field == .text ? "text" : "base64")
                for try await chunk in reader.content { content += chunk }
            }
        }
        return (fields, content)
    }

    @Test(arguments: pieceSizes)
    func sandkastenWriteBodyDecodesWhileReading(pieces: Int) async throws {
        let text = #"{"path":"a\/b.txt","extra":{"n":[1,2.5e3,true,null,"}"]},"text":"é\n\"q\" \ud83d\ude00 \u00e9"}"#
        let read = try await Self.write(text, pieces: pieces)
        #expect(read.fields == ["path=a/b.txt", "text"])
        #expect(String(decoding: read.content, as: UTF8.self) == "é\n\"q\" 😀 é")

        let payload = (0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        let encoded = Data(payload).base64EncodedString()
        let binary = try await Self.write(#"  {"content_base64" : ""# + encoded + #"", "path": "x", "text": null}  "#, pieces: pieces)
        #expect(binary.fields == ["base64", "path=x"])
        #expect(binary.content == payload)
    }

    @Test func sandkastenWriteBodyRefusesWhatJSONDecoderRefused() async throws {
        for bad in [
            #"{"path":"a","content_base64":"QQ=="#, // cut short
            #"{"path":"a","content_base64":"QQ==QQ=="}"#, // padding inside
            #"{"path":"a","content_base64":"QQ="}"#, // not groups of four
            #"{"path":"a","text":"x"} trailing"#,
            #"{"path":"a" "text":"x"}"#,
            #"{"path":1}"#,
            #"["path"]"#,
            #"{"path":"a","text":"\ud800"}"#,
        ] {
            await #expect(throws: ServerError.self, "\(bad)") { _ = try await Self.write(bad, pieces: 3) }
        }
        do {
            _ = try await Self.write(#"{"path":"a","text":""# + String(repeating: "x", count: 5000) + #""}"#, pieces: 100, limit: 1000)
            Issue.record("a body over its limit was read")
        } catch let error as ServerError {
            #expect(error.code == .sandkastenInvalidRequest && error.message.contains("limited to 1000 bytes"))
        }
    }

    @Test func base64StreamEncoderMatchesWholeEncoding() {
        let payload = (0..<1001).map { UInt8(truncatingIfNeeded: $0 &* 13) }
        for size in [1, 2, 3, 4, 100, 2000] {
            var encoder = Base64StreamEncoder()
            var out: [UInt8] = []
            var offset = 0
            while offset < payload.count {
                out += encoder.encode(payload[offset..<min(offset + size, payload.count)])
                offset += size
            }
            out += encoder.finish()
            #expect(String(decoding: out, as: UTF8.self) == Data(payload).base64EncodedString(), "pieces of \(size)")
        }
    }
}
