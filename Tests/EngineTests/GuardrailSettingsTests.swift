import Foundation
import Guardrails
import ModelProviders
import Testing
import Workflow

@testable import EngineService

/// The guardrail settings of issue 15 (`PRIVACY_*`, `COMPLIANCE_MODE`, `DATA_RESIDENCY`): read
/// once with the engine's others, Sandcastle's defaults, a bad value named with its value.
@Suite struct GuardrailSettingsTests {
    @Test func theDefaultsAreSandcastles() throws {
        let settings = try EngineSettings.load(environment: [:])
        #expect(!settings.privacy.enabled)
        #expect(settings.privacy.entities == [.email, .phone, .ssn, .creditCard])
        #expect(settings.privacy.applyTo == [.outputs, .webhooks])
        #expect(settings.complianceMode == nil && settings.dataResidency == nil)
        #expect(settings.validationOptions.complianceMode == nil)
    }

    @Test func theVariablesAreRead() throws {
        let settings = try EngineSettings.load(environment: [
            "PRIVACY_ENABLED": "TRUE", "PRIVACY_ENTITIES": "email, ip_address,IBAN", "PRIVACY_APPLY_TO": "prompts,webhooks",
            "COMPLIANCE_MODE": "eu_ai_act", "DATA_RESIDENCY": "local",
        ])
        #expect(settings.privacy == PrivacySettings(enabled: true, entities: [.email, .ipAddress, .iban], applyTo: [.prompts, .webhooks]))
        #expect(settings.complianceMode == .euAIAct)
        #expect(settings.validationOptions.complianceMode == .euAIAct)
        #expect(settings.dataResidency == .local)
    }

    @Test func theConfigFileGivesThemToo() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("guardrails-\(UUID().uuidString).yaml")
        try "engine:\n  compliance_mode: eu_ai_act\n  data_residency: eu\n  privacy_enabled: true\n".write(
            to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let settings = try EngineSettings.load(environment: ["DATA_RESIDENCY": "local"], configFile: file.path)
        #expect(settings.complianceMode == .euAIAct && settings.privacy.enabled)
        #expect(settings.dataResidency == .local, "the environment wins over the file")
    }

    @Test(arguments: [
        ("PRIVACY_ENABLED", "maybe"), ("PRIVACY_ENTITIES", "email,passport"), ("PRIVACY_APPLY_TO", "outputs,logs"),
        ("COMPLIANCE_MODE", "strict"), ("DATA_RESIDENCY", "us"),
    ])
    func aBadValueIsNamedWithItsValue(variable: String, value: String) {
        let error = #expect(throws: EngineServiceError.self) { try EngineSettings.load(environment: [variable: value]) }
        #expect(error?.code == .invalidSetting)
        #expect(error?.message.contains(variable) == true && error?.message.contains("'\(value)'") == true, "\(error?.message ?? "")")
    }
}
