import Foundation
import Testing

@testable import Webhooks

@Suite struct SignerTests {
    @Test func theSignatureIsLowercaseHexHMACSHA256OfTheRawBody() {
        // RFC 4231, test case 2.
        let signature = WebhookSigner.signature(of: Array("what do ya want for nothing?".utf8), secret: WebhookSecret("Jefe"))
        #expect(signature == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    }

    @Test func verificationAcceptsOnlyTheExactBody() {
        let secret = WebhookSecret("whsec-test")
        let body = Array(#"{"event":"workflow.completed","run_id":"r"}"#.utf8)
        let signature = WebhookSigner.signature(of: body, secret: secret)
        #expect(WebhookSigner.verify(body: body, signature: signature, secret: secret))
        #expect(WebhookSigner.verify(body: body, signature: signature.uppercased(), secret: secret))
        // One byte more, a space, another secret, a cut or malformed signature: all false.
        #expect(!WebhookSigner.verify(body: body + [0x20], signature: signature, secret: secret))
        #expect(!WebhookSigner.verify(body: Array(#"{"event": "workflow.completed","run_id":"r"}"#.utf8), signature: signature, secret: secret))
        #expect(!WebhookSigner.verify(body: body, signature: signature, secret: WebhookSecret("whsec-other")))
        #expect(!WebhookSigner.verify(body: body, signature: String(signature.dropLast(2)), secret: secret))
        #expect(!WebhookSigner.verify(body: body, signature: String(signature.dropLast()), secret: secret))
        #expect(!WebhookSigner.verify(body: body, signature: "sha256=" + signature, secret: secret))
        #expect(!WebhookSigner.verify(body: body, signature: String(repeating: "zz", count: 32), secret: secret))
        #expect(!WebhookSigner.verify(body: body, signature: "", secret: secret))
    }

    @Test func headersCarryTheEventAndTheSignatureOnlyWithASecret() throws {
        let body = try WebhookPayload(event: .approvalRequested, runID: "r", workflow: "w", status: "awaiting_approval").encoded()
        let signed = WebhookSigner(secret: WebhookSecret("s")).headers(for: body)
        #expect(signed["Content-Type"] == "application/json")
        #expect(signed["User-Agent"] == "Sandcastle-Webhook/1.0")
        #expect(signed["X-Sandcastle-Event"] == "approval.requested")
        #expect(signed["X-Sandcastle-Signature"] == WebhookSigner.signature(of: body.bytes, secret: WebhookSecret("s")))

        for unsigned in [WebhookSigner(secret: nil), WebhookSigner(secret: WebhookSecret(""))] {
            let headers = unsigned.headers(for: body)
            #expect(headers["X-Sandcastle-Signature"] == nil)
            #expect(headers["X-Sandcastle-Event"] == "approval.requested")
            #expect(unsigned.signature(of: body.bytes) == nil)
        }
    }

    @Test func theSecretNeverShowsItself() {
        let secret = WebhookSecret("hunter2-secret-value")
        #expect("\(secret)" == "[redacted]")
        #expect(String(reflecting: secret) == "[redacted]")
        var dumped = ""
        dump(secret, to: &dumped)
        #expect(dumped == "- [redacted]\n", "\(dumped)")
        #expect("\(WebhookSigner(secret: secret))".contains("hunter2") == false)
        #expect(secret == WebhookSecret("hunter2-secret-value"))
        #expect(secret != WebhookSecret("hunter3-secret-value"))
    }

    @Test func settingsComeFromTheEnvironment() throws {
        #expect(WebhookSecret.fromEnvironment([:]) == nil)
        #expect(WebhookSecret.fromEnvironment(["WEBHOOK_SECRET": ""]) == nil)
        #expect(WebhookSecret.fromEnvironment(["WEBHOOK_SECRET": "abc"]) == WebhookSecret("abc"))

        #expect(try WebhookPolicy.fromEnvironment([:]) == WebhookPolicy())
        #expect(try WebhookPolicy.fromEnvironment(["SANDCASTLE_WEBHOOK_ALLOW_PRIVATE_NETWORKS": "true"]).allowPrivateNetworks)
        #expect(try WebhookPolicy.fromEnvironment(["SANDCASTLE_WEBHOOK_ALLOW_PRIVATE_NETWORKS": " 1 "]).allowPrivateNetworks)
        #expect(try !WebhookPolicy.fromEnvironment(["SANDCASTLE_WEBHOOK_ALLOW_PRIVATE_NETWORKS": "off"]).allowPrivateNetworks)
        let error = #expect(throws: WebhookError.self) { try WebhookPolicy.fromEnvironment(["SANDCASTLE_WEBHOOK_ALLOW_PRIVATE_NETWORKS": "maybe"]) }
        #expect(error?.code == .invalidConfiguration)
        #expect(error?.message == "SANDCASTLE_WEBHOOK_ALLOW_PRIVATE_NETWORKS must be true or false, not 'maybe'")
    }
}
