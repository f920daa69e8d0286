import Foundation

extension StringProtocol {
    /// The length limits of the API count this: Unicode code points, as JSON Schema's `minLength`/`maxLength` in
    /// /openapi.yaml and PostgreSQL's `char_length` do (`count` counts grapheme clusters, fewer for combining marks).
    public var codePointCount: Int { unicodeScalars.count }
}

extension String {
    /// The text without the whitespace it starts or ends with, as `trimmingCharacters(in: .whitespaces)`. Text that
    /// starts and ends with a visible ASCII character, as nearly every query parameter and tag does, is returned as it
    /// is: the Foundation call costs about a microsecond even when there is nothing to trim.
    public var trimmingWhitespace: String {
        guard let first = utf8.first, let last = utf8.last, (0x21..<0x7F).contains(first), (0x21..<0x7F).contains(last) else {
            return trimmingCharacters(in: .whitespaces)
        }
        return self
    }
}
