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
    // Echo goes off before the prompt shows: TCSAFLUSH drops what was typed before it, and a password typed (or
    // pasted) as soon as the prompt appears would be dropped too, leaving the command waiting for a line.
    _ = tcsetattr(STDIN_FILENO, TCSAFLUSH, &hidden)
    // TCSANOW: what is typed after the password (the next command, say) is kept.
    defer { _ = tcsetattr(STDIN_FILENO, TCSANOW, &saved) }
    FileHandle.standardError.write(prompt)
    return readLine(strippingNewline: true)
}
