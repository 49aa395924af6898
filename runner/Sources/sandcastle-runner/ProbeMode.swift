import CRunnerSupport

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

// `sandcastle-runner probe [options] [names…]`: the isolation self-test. The host
// (`sandcastle profile verify`) spawns it inside a sandbox like any agent process, so it
// runs with the same uid, capabilities, seccomp filter and no_new_privs as agent code,
// and reports what the kernel answered. Judging is the host's job; this only observes.
//
// Output, one line per probe (fields never contain a tab or newline):
//
//     name <TAB> outcome <TAB> detail
//
// outcome: `ok` (the call succeeded), an errno name such as `EPERM` (it failed so),
// `value` (a fact, in detail), or `skip` (could not run here; detail says why).
// Lines starting with `#` are comments (a header, memhog progress).

/// Entry point of probe mode; returns the process exit status.
func runProbeMode() -> Int32 {
    var options = ProbeOptions()
    var names: [String] = []
    for argument in CommandLine.arguments.dropFirst(2) {
        if argument.hasPrefix("--") {
            guard options.parse(argument) else {
                writeStderr("sandcastle-runner probe: unknown or malformed option \(argument)")
                writeStderr(ProbeOptions.usage)
                return 2
            }
        } else {
            names.append(argument)
        }
    }
    var output = ProbeOutput()
    if options.list {
        for index in 0..<crp_probe_count() { output.line(String(cString: crp_probe_name(index))) }
        output.line("connect(LABEL:PORT)")
        output.line("forkbomb")
        output.line("memhog")
        output.flush()
        return 0
    }
    output.line("# sandcastle-probe 1 pid=\(getpid()) uid=\(getuid()) gid=\(getgid())")
    if names.isEmpty {
        for index in 0..<crp_probe_count() { output.run(index) }
        let targets = options.targets.isEmpty ? [ConnectTarget.fallback] : options.targets
        for target in targets { output.connect(target, timeoutMilliseconds: options.timeoutMilliseconds) }
    } else {
        for name in names { output.run(named: name, options: options) }
    }
    output.flush()
    return 0
}

struct ConnectTarget {
    var label: String
    var address: String
    var port: Int32

    static let fallback = ConnectTarget(label: "1.1.1.1", address: "1.1.1.1", port: 80)

    var probeName: String { "connect(\(label):\(port))" }

    /// `LABEL@IP:PORT`, or `IP:PORT` (IPv6 as `[addr]:port`).
    init?(_ text: String) {
        var rest = Substring(text)
        var label: Substring?
        if let at = rest.firstIndex(of: "@") {
            label = rest[..<at]
            rest = rest[rest.index(after: at)...]
        }
        guard let colon = rest.lastIndex(of: ":"), let port = Int32(rest[rest.index(after: colon)...]), port > 0, port < 65536 else {
            return nil
        }
        var address = rest[..<colon]
        if address.hasPrefix("[") && address.hasSuffix("]") { address = address.dropFirst().dropLast() }
        guard !address.isEmpty else { return nil }
        self.init(label: String(label ?? address), address: String(address), port: port)
    }

    init(label: String, address: String, port: Int32) {
        self.label = label
        self.address = address
        self.port = port
    }
}

struct ProbeOptions {
    var targets: [ConnectTarget] = []
    var timeoutMilliseconds: Int32 = 3000
    var maxForks: Int32 = 4096
    var maxMebibytes = 4096
    var list = false

    static let usage = """
        usage: sandcastle-runner probe [--list] [--connect=LABEL@IP:PORT]... [--timeout-ms=N]
                                       [--max-forks=N] [--max-mib=N] [NAME...]
        Without names every probe of --list runs except forkbomb and memhog.
        """

    mutating func parse(_ argument: String) -> Bool {
        if argument == "--list" {
            list = true
            return true
        }
        guard let equals = argument.firstIndex(of: "=") else { return false }
        let key = argument[..<equals]
        let value = String(argument[argument.index(after: equals)...])
        switch key {
        case "--connect":
            guard let target = ConnectTarget(value) else { return false }
            targets.append(target)
        case "--timeout-ms":
            guard let number = Int32(value), number > 0 else { return false }
            timeoutMilliseconds = number
        case "--max-forks":
            guard let number = Int32(value), number > 0 else { return false }
            maxForks = number
        case "--max-mib":
            guard let number = Int(value), number > 0 else { return false }
            maxMebibytes = number
        default:
            return false
        }
        return true
    }
}

/// Collects lines and writes them to stdout, so a probe that forks never inherits
/// half-written output.
struct ProbeOutput {
    private var pending: [UInt8] = []

    mutating func line(_ text: String) {
        pending.append(contentsOf: text.utf8)
        pending.append(UInt8(ascii: "\n"))
    }

    mutating func report(_ name: String, _ result: crp_result) {
        var copy = result
        let detail = withUnsafeBytes(of: &copy.detail) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        let outcome: String
        switch result.kind {
        case CRP_SUCCEEDED: outcome = "ok"
        case CRP_FAILED: outcome = crp_errno_name(result.error).map { String(cString: $0) } ?? "E\(result.error)"
        case CRP_VALUE: outcome = "value"
        default: outcome = "skip"
        }
        line("\(Self.field(name))\t\(outcome)\t\(Self.field(detail))")
        // Each probe's line is out before the next probe runs (and possibly forks or is killed).
        flush()
    }

    mutating func run(_ index: Int32) {
        var result = crp_result()
        crp_probe_run(index, &result)
        report(String(cString: crp_probe_name(index)), result)
    }

    mutating func connect(_ target: ConnectTarget, timeoutMilliseconds: Int32) {
        var result = crp_result()
        crp_probe_connect(target.address, target.port, timeoutMilliseconds, &result)
        report(target.probeName, result)
    }

    mutating func run(named name: String, options: ProbeOptions) {
        switch name {
        case "forkbomb":
            var result = crp_result()
            crp_probe_forkbomb(options.maxForks, &result)
            report(name, result)
        case "memhog":
            var result = crp_result()
            flush()
            crp_probe_memhog(options.maxMebibytes, &result)
            report(name, result)
        case "connect":
            let targets = options.targets.isEmpty ? [ConnectTarget.fallback] : options.targets
            for target in targets { connect(target, timeoutMilliseconds: options.timeoutMilliseconds) }
        default:
            for index in 0..<crp_probe_count() where String(cString: crp_probe_name(index)) == name {
                run(index)
                return
            }
            line("\(Self.field(name))\tskip\tno such probe")
        }
    }

    mutating func flush() {
        var offset = 0
        while offset < pending.count {
            let written = pending.withUnsafeBytes { bytes -> Int in
                guard let base = bytes.baseAddress else { return 0 }
                return write(1, base + offset, bytes.count - offset)
            }
            if written > 0 {
                offset += written
            } else if written < 0 && errno == EAGAIN {
                var descriptor = pollfd(fd: 1, events: Int16(POLLOUT), revents: 0)
                _ = poll(&descriptor, 1, -1)
            } else if written < 0 && errno == EINTR {
                continue
            } else {
                break // stdout is gone (or written == 0): nothing more can be reported
            }
        }
        pending.removeAll(keepingCapacity: true)
    }

    /// Tabs and line breaks would break the line format; nothing else is changed.
    static func field(_ text: String) -> String {
        String(text.map { $0 == "\t" || $0 == "\n" || $0 == "\r" ? " " : $0 })
    }
}
