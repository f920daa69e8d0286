import Foundation
import Testing

@testable import TaskpilotCore

/// The hand-written JSON writer and parser against the standard and against Foundation.
@Suite("JSON text")
struct JSONTextTests {
    @Test(
        "accepted documents",
        arguments: [
            ("null", JSONValue.null),
            (" true ", .bool(true)),
            ("false", .bool(false)),
            ("0", .number(0)),
            ("-12.5e2", .number(-1250)),
            ("1E-2", .number(0.01)),
            (#""plain""#, .string("plain")),
            (#""a\"b\\c\/d\b\f\n\r\t""#, .string("a\"b\\c/d\u{08}\u{0C}\n\r\t")),
            (#""caf\u00e9 \ud83d\ude00 é""#, .string("café 😀 é")),
            ("[]", .array([])),
            ("[1, [2, {}], \"x\"]", .array([.number(1), .array([.number(2), .object([:])]), .string("x")])),
            ("{ \"a\" : 1 , \"b\" : [ null ] }", .object(["a": .number(1), "b": .array([.null])])),
            ("{\"a\":1,\"a\":2}", .object(["a": .number(2)])),
        ]
    )
    func accepted(_ text: String, _ expected: JSONValue) {
        #expect(JSONValue.parse(text) == expected)
    }

    @Test(
        "rejected documents",
        arguments: [
            "", " ", "{", "}", "[1,]", "[1 2]", "{\"a\" 1}", "{\"a\":1,}", "{a:1}", "01", "1.", ".5", "-", "1e", "+1", "tru", "nul",
            "\"open", "\"bad \\x escape\"", "\"\\u12\"", "\"raw \n newline\"", "{\"a\":1}x", "[] []", "NaN", "1e999",
        ]
    )
    func rejected(_ text: String) {
        #expect(JSONValue.parse(text) == nil)
    }

    @Test("nesting is limited, so hostile input cannot exhaust the stack")
    func nesting() {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect(JSONValue.parse(deep) == nil)
        let fine = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        #expect(JSONValue.parse(fine) != nil)
    }

    @Test("request bodies: the parser's verdicts, and not UTF-8 is refused")
    func requestBodies() throws {
        #expect(try JSONValue.parseObject(Data(#"{"title":"x"}"#.utf8)) == ["title": .string("x")])
        #expect(throws: TaskpilotError.self) { try JSONValue.parseObject(Data("[1]".utf8)) }
        #expect(throws: TaskpilotError.self) { try JSONValue.parseObject(Data([0x7B, 0x22, 0xFF, 0x22, 0x3A, 0x31, 0x7D])) }
        #expect(throws: TaskpilotError.self) { try JSONValue.parseObject(Data()) }
    }

    @Test("written text parses back to the same value, and Foundation reads it the same way")
    func roundTrip() throws {
        var random = SeededRandom(seed: 20_261_123)
        for _ in 0..<400 {
            let value = Self.randomValue(depth: 0, using: &random)
            let text = value.jsonText
            #expect(JSONValue.parse(text) == value, "\(text)")
            let foundation = try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
            #expect(foundation == value, "\(text)")
        }
    }

    @Test("control characters are escaped and keys come out sorted")
    func writing() {
        let value: JSONValue = ["b": .string("tab\there \u{01} \"q\" \\"), "a": .array([.number(1.5), .bool(false), .null, .number(.infinity)])]
        #expect(value.jsonText == #"{"a":[1.5,false,null,null],"b":"tab\there \u0001 \"q\" \\"}"#)
    }

    /// A value with strings full of quotes, escapes, control characters and non-ASCII scalars.
    static func randomValue(depth: Int, using random: inout SeededRandom) -> JSONValue {
        let alphabet: [Unicode.Scalar] = ["a", "Z", " ", "\"", "\\", "/", "\n", "\t", "\u{01}", "\u{1F}", "é", "€", "😀", "\u{7F}", "\u{2028}"]
        func text() -> String {
            var scalars = String.UnicodeScalarView()
            for _ in 0..<Int.random(in: 0...12, using: &random) { scalars.append(alphabet.randomElement(using: &random)!) }
            return String(scalars)
        }
        switch Int.random(in: 0..<(depth > 3 ? 4 : 6), using: &random) {
        case 0: return .null
        case 1: return .bool(Bool.random(using: &random))
        case 2:
            return Bool.random(using: &random)
                ? .number(Double(Int.random(in: -1_000_000_000...1_000_000_000, using: &random)))
                : .number(Double.random(in: -1e6...1e6, using: &random))
        case 3: return .string(text())
        case 4: return .array((0..<Int.random(in: 0...4, using: &random)).map { _ in randomValue(depth: depth + 1, using: &random) })
        default:
            var fields: [String: JSONValue] = [:]
            for _ in 0..<Int.random(in: 0...4, using: &random) { fields[text()] = randomValue(depth: depth + 1, using: &random) }
            return .object(fields)
        }
    }
}

/// SplitMix64: a reproducible sequence for generated cases.
struct SeededRandom: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
