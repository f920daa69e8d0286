import Foundation

/// A `.env` file as shells and Docker Compose read it: `KEY=value` lines; blank lines and `#` comments skipped; an
/// optional `export ` before the key; a value in double quotes (with `\n`, `\"` and `\\` escapes) or single quotes
/// (as written) keeps its spaces and `#`; an unquoted value ends at ` #` (a comment) and is trimmed.
enum DotEnv {
    /// The variables of a file, in order of appearance (a later line wins); throws ``Settings/Invalid`` naming a line
    /// that is not `KEY=value`.
    static func parse(_ contents: String, file: String = ".env") throws(Settings.Invalid) -> [String: String] {
        var values: [String: String] = [:]
        for (number, rawLine) in contents.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            var line = rawLine.trimmingCharacters(in: .whitespaces)
            guard !line.isEmpty, !line.hasPrefix("#") else { continue }
            if line.hasPrefix("export ") { line = String(line.dropFirst(7)).trimmingCharacters(in: .whitespaces) }
            guard let equals = line.firstIndex(of: "="), case let key = line[..<equals].trimmingCharacters(in: .whitespaces),
                !key.isEmpty, key.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" })
            else {
                throw Settings.Invalid(key: "\(file) line \(number + 1)", problem: "is not KEY=value (e.g. TASKPILOT_PORT=8080)")
            }
            values[key] = try value(String(line[line.index(after: equals)...]).trimmingCharacters(in: .whitespaces), key: key)
        }
        return values
    }

    /// The value after `=`: unquoted, or in matching quotes.
    private static func value(_ text: String, key: String) throws(Settings.Invalid) -> String {
        guard let quote = text.first, quote == "\"" || quote == "'" else {
            // An unquoted value ends where a comment starts.
            let end = text.range(of: " #")?.lowerBound ?? text.range(of: "\t#")?.lowerBound ?? text.endIndex
            return text[..<end].trimmingCharacters(in: .whitespaces)
        }
        var result = ""
        var escaped = false
        for (offset, character) in text.dropFirst().enumerated() {
            if escaped {
                result.append(character == "n" ? "\n" : character == "t" ? "\t" : character)
                escaped = false
            } else if character == "\\" && quote == "\"" {
                escaped = true
            } else if character == quote {
                let rest = text.dropFirst(offset + 2).trimmingCharacters(in: .whitespaces)
                guard rest.isEmpty || rest.hasPrefix("#") else { break }
                return result
            } else {
                result.append(character)
            }
        }
        throw Settings.Invalid(key: key, problem: "has an opening \(quote) without its closing one in .env")
    }
}
