import Sandbox
import Testing

@Suite("What a command may ask for")
struct SandboxCommandTests {
    @Test("a pre-started bash is for argv commands only; a shell line that asks for one is refused, not run otherwise")
    func prestartedBashIsForArguments() throws {
        let script = SandboxCommand.arguments(["bash", "-c", "true"], workingDirectory: "/workspace", allowsPrestartedBash: true)
        #expect(script.allowsPrestartedBash)
        try script.validate()
        #expect(!SandboxCommand.arguments(["bash", "-c", "true"]).allowsPrestartedBash, "off unless asked for")

        var line = SandboxCommand.shell("true")
        line.allowsPrestartedBash = true
        let error = #expect(throws: SandboxError.self) { try line.validate() }
        #expect(error?.code == .invalidArgument && error?.message.contains("pre-started bash") == true)
    }
}
