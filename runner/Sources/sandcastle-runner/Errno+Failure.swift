import CRunnerSupport
import RunnerProtocol

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// `strerror` text, e.g. "No such file or directory".
func errnoDescription(_ code: Int32) -> String {
    guard let text = strerror(code) else { return "errno \(code)" }
    return String(cString: text)
}

extension RunnerFailure.Code {
    /// The code a host can act on for an errno from a file system call.
    static func forErrno(_ code: Int32) -> RunnerFailure.Code {
        switch code {
        case ENOENT: .notFound
        case EISDIR: .isDirectory
        case ENOTDIR: .notDirectory
        case EACCES, EPERM: .permissionDenied
        case EROFS: .readOnlyFileSystem
        case EEXIST: .alreadyExists
        case ENOSPC, EDQUOT: .noSpace
        case ENOTEMPTY: .notEmpty
        default: .io
        }
    }
}

extension RunnerFailure {
    /// A failed system call on a path, worded like "open /etc/x: Read-only file system".
    static func system(_ code: Int32, _ operation: String, _ path: String) -> RunnerFailure {
        RunnerFailure(code: .forErrno(code), errno: code, message: "\(operation) \(path): \(errnoDescription(code))")
    }

    static func invalid(_ message: String) -> RunnerFailure {
        RunnerFailure(code: .invalidRequest, message: message)
    }
}

/// Monotonic nanoseconds; all runner deadlines and durations use this clock.
@inline(__always)
func monotonicNow() -> UInt64 { crs_monotonic_ns() }

let nanosecondsPerMillisecond: UInt64 = 1_000_000

/// Runs a system call again while it fails with EINTR.
@inline(__always)
func retryingInterrupts<T: BinaryInteger>(_ call: () -> T) -> T {
    while true {
        let result = call()
        if result >= 0 || errno != EINTR { return result }
    }
}

/// Writes everything to a blocking fd (regular files), or returns the errno.
func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Int32? {
    guard var cursor = bytes.baseAddress else { return nil }
    var remaining = bytes.count
    while remaining > 0 {
        let written = retryingInterrupts { write(fd, cursor, remaining) }
        if written < 0 { return errno }
        cursor += written
        remaining -= written
    }
    return nil
}

func closeIfOpen(_ fd: inout Int32) {
    if fd >= 0 {
        close(fd)
        fd = -1
    }
}

/// Calls `body` with a NULL-terminated `char *const *` built from `strings`.
func withCStringArray<R>(_ strings: [String], _ body: (UnsafePointer<UnsafeMutablePointer<CChar>?>) -> R) -> R {
    var pointers: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
    pointers.append(nil)
    defer { for pointer in pointers { free(pointer) } }
    return pointers.withUnsafeBufferPointer { buffer in
        // The array always holds at least the terminating nil, so it has storage.
        guard let base = buffer.baseAddress else { fatalError("C string array without storage") }
        return body(base)
    }
}

/// The runner's own environment as `KEY=VALUE` strings.
func processEnvironment() -> [String] {
    var result: [String] = []
    var cursor = crs_environ()
    while let entry = cursor?.pointee {
        result.append(String(cString: entry))
        cursor = cursor?.successor()
    }
    return result
}

/// `base` with `overrides` applied: an override replaces the entry with the same key.
func mergeEnvironment(_ base: [String], _ overrides: [String]) -> [String] {
    if overrides.isEmpty { return base }
    func key(_ entry: String) -> Substring {
        entry.utf8.firstIndex(of: UInt8(ascii: "=")).map { entry[..<$0] } ?? Substring(entry)
    }
    var result: [String] = []
    result.reserveCapacity(base.count + overrides.count)
    var overridden = Set<Substring>()
    for entry in overrides where entry.utf8.contains(UInt8(ascii: "=")) { overridden.insert(key(entry)) }
    for entry in base where !overridden.contains(key(entry)) { result.append(entry) }
    var seen = Set<Substring>()
    // The last override for a key wins, as with repeated `export`.
    for entry in overrides.reversed() where entry.utf8.contains(UInt8(ascii: "=")) {
        if seen.insert(key(entry)).inserted { result.append(entry) }
    }
    return result
}

func environmentValue(_ environment: [String], _ name: String) -> String? {
    let prefix = name + "="
    for entry in environment where entry.hasPrefix(prefix) {
        return String(entry.dropFirst(prefix.count))
    }
    return nil
}

/// Makes `path` absolute against `base` and removes `.`, `..` and repeated slashes
/// lexically. Used for the paths the runner reports and opens, so a host sees the
/// same spelling whatever it sent.
func absolutePath(_ path: String, relativeTo base: String) -> String {
    let joined = path.hasPrefix("/") ? path : base + "/" + path
    var parts: [Substring] = []
    for part in joined.split(separator: "/", omittingEmptySubsequences: true) {
        if part == "." { continue }
        if part == ".." {
            if !parts.isEmpty { parts.removeLast() }
            continue
        }
        parts.append(part)
    }
    return "/" + parts.joined(separator: "/")
}

func lastPathComponent(_ path: String) -> String {
    guard let slash = path.lastIndex(of: "/") else { return path }
    let name = path[path.index(after: slash)...]
    return name.isEmpty ? "/" : String(name)
}

func parentPath(_ path: String) -> String {
    guard let slash = path.lastIndex(of: "/") else { return "." }
    return slash == path.startIndex ? "/" : String(path[..<slash])
}
