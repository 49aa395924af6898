import Foundation
import Sandbox
import TestSupport
import Testing

@testable import Server
@testable import ServerCompat
@testable import ServerCore

@Suite("E2B compatibility")
struct E2BCompatTests {
    @Suite("Connect framing and envd messages")
    struct Wire {
        @Test func envelopeHasFlagsAndBigEndianLength() {
            let buffer = Connect.envelope(Array(#"{"a":1}"#.utf8))
            let bytes = Array(buffer.readableBytesView)
            #expect(bytes.prefix(5) == [0, 0, 0, 0, 7])
            #expect(String(decoding: bytes.dropFirst(5), as: UTF8.self) == #"{"a":1}"#)
        }

        @Test func endOfStreamCarriesTheError() throws {
            let ok = Array(Connect.endOfStream().readableBytesView)
            #expect(ok == [2, 0, 0, 0, 2] + Array("{}".utf8))
            let failed = Array(Connect.endOfStream(ConnectError(.deadlineExceeded, "late")).readableBytesView)
            #expect(failed[0] == 2)
            let json = try JSONSerialization.jsonObject(with: Data(failed.dropFirst(5))) as? [String: [String: String]]
            #expect(json?["error"]?["code"] == "deadline_exceeded")
            #expect(json?["error"]?["message"] == "late")
        }

        @Test func requestEnvelopesSplitAndSkipEndOfStream() throws {
            let body =
                Array(Connect.envelope(Array("{}".utf8)).readableBytesView)
                + Array(Connect.envelope(Array(#"{"x":2}"#.utf8)).readableBytesView)
                + Array(Connect.endOfStream().readableBytesView)
            let messages = try Connect.messages(in: body)
            #expect(messages.map { String(decoding: $0, as: UTF8.self) } == ["{}", #"{"x":2}"#])
            #expect(throws: ConnectError.self) { try Connect.messages(in: [0, 0, 0, 0, 9, 1]) }
        }

        @Test func errorsMapToConnectCodes() {
            let missing = ConnectError.from(E2BSandboxMissing(id: "abc"))
            #expect(missing.code == .unavailable && missing.message.contains("was not found"))
            #expect(ConnectError.from(ServerError(.notFound, "x")).code == .notFound)
            #expect(ConnectError.from(ServerError(.conflict, "x")).code == .alreadyExists)
            #expect(ConnectError.Code.notFound.httpStatus.code == 404 && ConnectError.Code.deadlineExceeded.httpStatus.code == 504)
            #expect(E2BAPIError.from(ServerError(.expired, "gone")).status.code == 404)
        }

        @Test func endEventFollowsGoProcessState() throws {
            let clean = ProcessResult(exitCode: 0, duration: .nanoseconds(1)).e2bEnd
            #expect(clean.exitCode == nil && clean.exited == true && clean.status == "exit status 0")
            let failed = ProcessResult(exitCode: 3, duration: .nanoseconds(1)).e2bEnd
            #expect(failed.exitCode == 3 && failed.status == "exit status 3")
            let killed = ProcessResult(exitCode: 137, signal: 9, duration: .nanoseconds(1)).e2bEnd
            #expect(killed.exitCode == -1 && killed.exited == nil && killed.status == "signal: killed")
        }

        @Test func entryInfoIsProto3JSON() throws {
            let info = FileInfo(
                name: "a.txt", path: "/tmp/a.txt", kind: .file, size: 10, mode: 0o644,
                modifiedNanoseconds: 1_700_000_000_000_000_000)
            let json = try JSONSerialization.jsonObject(with: Connect.encoder.encode(E2BEnvd.EntryInfo(info))) as? [String: Any]
            #expect(json?["type"] as? String == "FILE_TYPE_FILE")
            #expect(json?["size"] as? String == "10")
            #expect(json?["permissions"] as? String == "-rw-r--r--")
            #expect(json?["modifiedTime"] as? String == "2023-11-14T22:13:20.000Z")
            #expect(E2BEnvd.EntryInfo.permissions(kind: .directory, mode: 0o755) == "drwxr-xr-x")
        }

        @Test func selectorsAcceptNumbersAndStrings() throws {
            let number = try JSONDecoder().decode(E2BEnvd.SelectorRequest.self, from: Data(#"{"process":{"pid":42}}"#.utf8))
            let text = try JSONDecoder().decode(E2BEnvd.SelectorRequest.self, from: Data(#"{"process":{"pid":"42"}}"#.utf8))
            #expect(number.process?.pid == 42 && text.process?.pid == 42)
            let signal = try JSONDecoder().decode(
                E2BEnvd.SendSignalRequest.self,
                from: Data(#"{"process":{"pid":1},"signal":"SIGNAL_SIGKILL"}"#.utf8))
            #expect(try signal.signalNumber == 9)
        }

        @Test func listMetadataFilterIsDecoded() {
            // The SDK URL-encodes keys and values, then the pairs, then the query.
            #expect(E2BControlPlane.metadataFilter("suite=a%20b&role=x") == ["suite": "a b", "role": "x"])
            #expect(E2BControlPlane.metadataFilter(nil).isEmpty)
        }

        @Test func templatesFromEnvironment() {
            let map = E2BCompat.templates(fromEnvironment: ["SANDCASTLE_E2B_TEMPLATES": "code-interpreter-v1=python, js=node,bad"])
            #expect(map == ["code-interpreter-v1": "python", "js": "node"])
        }
    }

    /// The official SDK against a live server on the real engine: scripts/compat-e2b installs
    /// e2b==2.63.0 in a venv, serves, runs compat/e2b/sdk_scenario.py and checks for leftovers.
    /// Without Docker, python3 or PyPI it fails (the script exits non-zero), never skips.
    @Test(.timeLimit(.minutes(10)))
    func officialSDKScenarioSuite() async throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let script = try await runChild("/bin/bash", [root.appendingPathComponent("scripts/compat-e2b").path], directory: root)
        let (status, text) = (script.status, script.text)
        print(text)
        #expect(status == 0, "scripts/compat-e2b failed:\n\(text)")
        #expect(text.contains("all E2B SDK checks passed"))
        #expect(!text.contains("FAIL "))
    }
}
