import Foundation
import HTTPTransport
import ProviderDouble
import Testing

/// The double's own time (`sandcastle bench api` takes it out of a run's wall time): every model
/// request counted, summed and as the union of the intervals in hand, in Swift and over HTTP.
@Suite struct ProviderDoubleTimesTests {
    @Test func theDoubleCountsItsOwnTimeForEveryModelRequestAndNoOther() async throws {
        let script = ProviderScriptFile(defaultScript: ProviderScript(turns: [.reply("Hello.")], repeats: true))
        try await withDouble(ProviderDouble.Configuration(script: script)) { double in
            #expect(double.times == DoubleTimes())
            let client = try ProviderDoubleTests.client(double)
            let chat = #"{"model":"m","messages":[{"role":"user","content":"hi"}]}"#
            let streamed = #"{"model":"m","stream":true,"messages":[{"role":"user","content":"hi"}]}"#
            let before = double.times
            // Three at once and one streamed: the union can only be at most the sum.
            try await withThrowingTaskGroup(of: Void.self) { group in
                for body in [chat, chat, chat, streamed] {
                    group.addTask {
                        let answer = try await ProviderDoubleTests.post(client, "/v1/chat/completions", body, headers: [("authorization", "Bearer k")])
                        #expect(answer.status == 200 && answer.body.contains("Hello."))
                    }
                }
                try await group.waitForAll()
            }
            _ = try await client.send(HTTPRequest(path: "/_double/health", timeout: .seconds(30)))
            let during = before.until(double.times)
            #expect(during.requests == 4, "the health check is not a model request")
            #expect(during.busy > .zero)
            #expect(during.busy <= during.handling)

            let response = try await client.send(HTTPRequest(path: "/_double/times", timeout: .seconds(30)))
            #expect(response.status == 200)
            let object = try #require(try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any])
            #expect(object["requests"] as? Int == 4)
            let busy = try #require(object["busy_ms"] as? Double)
            let handling = try #require(object["handling_ms"] as? Double)
            #expect(busy > 0 && busy <= handling)
        }
    }
}
