import Store
import Testing
import Workflow

/// The workflow parser (which cannot import the store) and the vault check credential names
/// with two copies of one rule; these names keep the copies equal.
@Suite struct CredentialNameAgreementTests {
    @Test(arguments: [
        "github:default", "a:b", "aws.s3:prod-eu_1", "postgresql:analytics", "", "github", "GitHub:default", "github:",
        ":default", "a:b:c", "../etc:passwd", "git hub:x", "a\u{0}:b", "<script>:x", "é:x", "a:b/c",
        String(repeating: "a", count: 50) + ":" + String(repeating: "b", count: 49),
        String(repeating: "a", count: 50) + ":" + String(repeating: "b", count: 50),
    ])
    func theParserAndTheVaultAgree(name: String) {
        #expect((CredentialDeclaration.nameProblem(name) == nil) == (CredentialName.problem(name) == nil), "\(name.debugDescription)")
    }
}
