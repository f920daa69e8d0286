extension StringProtocol {
    /// The length limits of the API count this: Unicode code points, as JSON Schema's `minLength`/`maxLength` in
    /// /openapi.yaml and PostgreSQL's `char_length` do (`count` counts grapheme clusters, fewer for combining marks).
    public var codePointCount: Int { unicodeScalars.count }
}
