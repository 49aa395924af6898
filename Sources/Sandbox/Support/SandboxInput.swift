/// Checks on what callers hand a sandbox, shared by every backend.
///
/// A NUL byte ends a C string: a path, argument or variable carrying one would be cut where the
/// runner (or envd) hands it to the kernel, and the sandbox would act on something other than
/// what was asked (`a\u{0}b` written as `a`). Such input is refused, never shortened.
public enum SandboxInput {
    /// Throws ``SandboxError`` `invalidArgument` when `value` contains a NUL byte.
    public static func check(_ value: String, _ what: @autoclosure () -> String) throws {
        if value.utf8.contains(0) {
            throw SandboxError(.invalidArgument, "\(what()) contains a NUL byte, which a sandbox cannot take: \(value.debugDescription)")
        }
    }

    public static func checkPath(_ path: String) throws {
        try check(path, "the path")
    }

    public static func checkEnvironment(_ environment: [String: String]) throws {
        for (name, value) in environment {
            try check(name, "an environment variable's name")
            try check(value, "the value of environment variable \(name)")
        }
    }
}

extension SandboxSpec {
    /// What every backend checks before creating a sandbox.
    public func validate() throws {
        try SandboxInput.checkEnvironment(environment)
    }
}

extension TerminalRequest {
    /// What every backend checks before opening a terminal.
    public func validate() throws {
        for argument in arguments { try SandboxInput.check(argument, "an argument") }
        try SandboxInput.checkEnvironment(environment)
        if let workingDirectory { try SandboxInput.check(workingDirectory, "the working directory") }
    }
}
