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
    FileHandle.standardError.write(Data("Password: ".utf8))
    var saved = termios()
    guard tcgetattr(STDIN_FILENO, &saved) == 0 else { return readLine(strippingNewline: true) }
    var hidden = saved
    hidden.c_lflag &= ~tcflag_t(ECHO)
    hidden.c_lflag |= tcflag_t(ECHONL)
    _ = tcsetattr(STDIN_FILENO, TCSAFLUSH, &hidden)
    defer { _ = tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved) }
    return readLine(strippingNewline: true)
}
