import Foundation
import RunnerProtocol
import Sandbox
import Testing

@testable import SandboxDocker

/// The image reference grammar, checked before any engine sees a reference, and the errno
/// classes of the runner's file failures: both decide whether a caller gets a 4xx or a 500.
@Suite struct ImageReferenceTests {
    @Test(arguments: [
        "base", "python", "sandcastle/base", "sandcastle/base:latest", "sandcastle/my-image_2:v1.2-rc",
        "sandcastle/base@sha256:" + String(repeating: "a", count: 64),
        "sandcastle/base:1@sha256:" + String(repeating: "0", count: 64),
        "registry.example.com:5000/team/image:tag", "localhost/x", "a__b", "a---b", "a.b", "base:_x",
    ])
    func wellFormedReferencesPass(reference: String) {
        #expect(ImageReference.problem(reference) == nil, "\(reference)")
    }

    @Test(arguments: [
        ("Base", "must be lowercase ('Base')"),
        ("sandcastle/Python", "must be lowercase ('Python')"),
        ("sandcastle/base@sha256:zz", "its digest must be sha256: and 64 lowercase hex digits, not 'sha256:zz'"),
        ("sandcastle/base@sha256:" + String(repeating: "A", count: 64), "64 lowercase hex digits"),
        ("sandcastle/base@md5", "must be algorithm:hex"),
        ("", "it is empty"),
        ("base:", "its tag '' must be"),
        ("base:-x", "its tag '-x' must be"),
        ("a..b", "repository name part 'a..b'"),
        ("-a", "repository name part '-a'"),
        ("a/", "repository name part ''"),
        (":tag", "it has no repository name"),
        ("sandcastle/base image", "it contains whitespace (U+0020)"),
        ("base\u{7}", "it contains a control character (U+0007)"),
        ("\u{00B7}", "it contains '\u{00B7}' (U+00B7); image references are ASCII"),
        ("bad_host.example.com/x", "its registry 'bad_host.example.com'"),
        (String(repeating: "a", count: 256), "longer than 255"),
    ])
    func malformedReferencesSayWhy(reference: String, why: String) {
        let problem = ImageReference.problem(reference)
        #expect(problem?.contains(why) == true, "\(reference.debugDescription): \(problem ?? "accepted")")
    }

    /// The runner reports errnos it has no code for as `io` with the errno; the kernel refusing
    /// what was asked of a path is the caller's error, the runner running short is not.
    @Test func runnerIOFailuresAreClassedByTheirErrno() {
        func code(_ errno: Int32) -> SandboxError.Code {
            DockerSandbox.translate(RunnerFailure(code: .io, errno: errno, message: "write x: \(errno)"), message: "m").code
        }
        for errno in [EINVAL, ENXIO, ELOOP, ENAMETOOLONG, EFBIG, ESPIPE, ENODEV, EOPNOTSUPP, EXDEV, EMLINK] {
            #expect(code(errno) == .invalidArgument, "errno \(errno)")
        }
        #expect(code(EBUSY) == .inUse)
        #expect(code(ETXTBSY) == .inUse)
        for errno in [EIO, ENOMEM, EMFILE, ENFILE] { #expect(code(errno) == .runnerFailed, "errno \(errno)") }
        // Without an errno an I/O failure stays the runner's.
        #expect(DockerSandbox.translate(RunnerFailure(code: .io, message: "m"), message: "m").code == .runnerFailed)
    }
}
