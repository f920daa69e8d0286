import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads a password from standard input: at a terminal after a "Password: " prompt, without showing what is typed;
/// otherwise (piped) one line as it comes. Nil at the end of the input.
func readPassword() -> String? {
    guard isatty(STDIN_FILENO) != 0 else { return readLine(strippingNewline: true) }
    let prompt = Data("Password: ".utf8)
    var saved = termios()
    guard tcgetattr(STDIN_FILENO, &saved) == 0 else {
        FileHandle.standardError.write(prompt)
        return readLine(strippingNewline: true)
    }
    var hidden = saved
    hidden.c_lflag &= ~tcflag_t(ECHO)
    hidden.c_lflag |= tcflag_t(ECHONL)
    TerminalRestore.arm(saved)
    // Echo goes off before the prompt shows: TCSAFLUSH drops what was typed before it, and a password typed (or
    // pasted) as soon as the prompt appears would be dropped too, leaving the command waiting for a line.
    _ = tcsetattr(STDIN_FILENO, TCSAFLUSH, &hidden)
    defer {
        // TCSANOW: what is typed after the password (the next command, say) is kept.
        _ = tcsetattr(STDIN_FILENO, TCSANOW, &saved)
        TerminalRestore.disarm()
    }
    FileHandle.standardError.write(prompt)
    return readLine(strippingNewline: true)
}

/// Puts the terminal's settings back when the command is stopped (Ctrl-C) while a password is read, so that the shell
/// it returns to shows what is typed again.
private enum TerminalRestore {
    static let signals = [SIGINT, SIGTERM, SIGHUP, SIGQUIT]
    /// Set before echo goes off and read only by the handler (a signal handler cannot capture it).
    nonisolated(unsafe) static var saved = termios()

    static func arm(_ settings: termios) {
        saved = settings
        for number in signals { _ = signal(number, restoreAndStop) }
    }

    static func disarm() {
        for number in signals { _ = signal(number, SIG_DFL) }
    }
}

/// The handler: settings back, a new line after the prompt, then the signal's own effect (the process stops).
private func restoreAndStop(_ number: Int32) {
    _ = tcsetattr(STDIN_FILENO, TCSANOW, &TerminalRestore.saved)
    _ = write(STDERR_FILENO, "\n", 1)
    _ = signal(number, SIG_DFL)
    _ = raise(number)
}
