import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Puts the local terminal into raw mode for an interactive sandbox shell and restores it.
struct TerminalMode: ~Copyable {
    private var saved = termios()
    private let fd: Int32
    private var active = false

    init(fd: Int32 = STDIN_FILENO) {
        self.fd = fd
    }

    static var isInteractive: Bool { isatty(STDIN_FILENO) == 1 && isatty(STDOUT_FILENO) == 1 }

    /// The window size of the local terminal, or 24x80 when it is not a terminal.
    static func windowSize() -> (rows: UInt16, columns: UInt16) {
        var size = winsize()
        if ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_row > 0, size.ws_col > 0 {
            return (size.ws_row, size.ws_col)
        }
        return (24, 80)
    }

    mutating func enterRaw() throws {
        guard tcgetattr(fd, &saved) == 0 else {
            throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .ENOTTY)
        }
        var raw = saved
        cfmakeraw(&raw)
        guard tcsetattr(fd, TCSANOW, &raw) == 0 else {
            throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .ENOTTY)
        }
        active = true
    }

    mutating func restore() {
        guard active else { return }
        var original = saved
        tcsetattr(fd, TCSANOW, &original)
        active = false
    }

    deinit {
        if active {
            var original = saved
            tcsetattr(fd, TCSANOW, &original)
        }
    }
}
