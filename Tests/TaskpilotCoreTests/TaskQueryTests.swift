import Foundation
import Testing

@testable import TaskpilotCore

@Suite("List queries")
struct TaskQueryTests {
    @Test("every parameter is read")
    func parameters() throws {
        let query = try TaskQuery(
            parameters: [
                "status": "pending", "priority": "high,urgent", "tags": "Work,#home", "q": "invoice march", "due_before": "2026-12-01",
                "due_after": "2026-11-01T00:00:00Z", "overdue": "true", "sort": "due_at:asc,priority:desc", "limit": "20",
            ],
            timeZone: zone("UTC")
        )
        #expect(query.filter.status == .pending)
        #expect(query.filter.priorities == [.high, .urgent])
        #expect(query.filter.tags == ["home", "work"])
        #expect(query.filter.searchTerms == ["invoice", "march"])
        #expect(query.filter.overdue == true)
        #expect(query.sort == [TaskSort(.dueAt), TaskSort(.priority, descending: true)])
        #expect(query.limit == 20)
    }

    @Test("each name of TaskFilter.flagNames is read as true or false", arguments: TaskFilter.flagNames)
    func flags(_ name: String) throws {
        #expect(throws: TaskpilotError.invalidParameter(field: name, message: "must be true or false")) {
            try TaskFilter(parameters: [name: "maybe"], timeZone: zone("UTC"))
        }
        #expect(try TaskFilter(parameters: [name: "true"], timeZone: zone("UTC")) != TaskFilter())
    }

    @Test("defaults: every status, newest first, 50 per page")
    func defaults() throws {
        let query = try TaskQuery(parameters: [:], timeZone: zone("UTC"))
        #expect(query.filter.status == nil)
        #expect(query.sort == TaskQuery.defaultSort)
        #expect(query.limit == 50)
    }

    @Test(
        "bad parameters are refused with the parameter's name",
        arguments: [
            ("status", "maybe"), ("priority", "p9"), ("sort", "colour:asc"), ("sort", "title:sideways"), ("sort", "title,title"),
            ("limit", "0"), ("limit", "501"), ("limit", "ten"), ("due_before", "soon"), ("due_after", "2026-02-30"), ("overdue", "perhaps"),
            ("cursor", "not-a-cursor"), ("tags", "a b"),
        ]
    )
    func refused(_ name: String, _ value: String) {
        #expect {
            try TaskQuery(parameters: [name: value], timeZone: zone("UTC"))
        } throws: { error in
            guard case .invalidParameter(let field, _) = error as? TaskpilotError else { return false }
            return field == name
        }
    }

    @Test("a cursor survives its opaque encoding")
    func cursorRoundTrip() {
        let cursor = TaskCursor(values: [.int(-9_223_372_036_854_775_807), .string("ünïcode / title")], id: 42)
        #expect(TaskCursor(encoded: cursor.encoded) == cursor)
        let sorted = TaskCursor(values: [.string("b")], id: 7, sort: "title:asc")
        #expect(TaskCursor(encoded: sorted.encoded) == sorted)
    }

    @Test("a cursor answers only for the order it was made in; one made before cursors said their order, for its count of keys")
    func cursorOrder() throws {
        let utc = TimeZone(identifier: "UTC")!
        let cursor = TaskCursor(values: [.string("b")], id: 7, sort: "title:asc").encoded
        #expect(try TaskQuery(parameters: ["sort": "title:asc", "cursor": cursor], timeZone: utc).cursor?.id == 7)
        #expect(try TaskQuery(parameters: ["sort": "title", "cursor": cursor], timeZone: utc).cursor?.id == 7)
        for sort in ["title:desc", "due_at:asc", "created_at:desc"] {
            #expect(throws: TaskpilotError.invalidParameter(field: "cursor", message: "is not a cursor of this listing; start again without it")) {
                try TaskQuery(parameters: ["sort": sort, "cursor": cursor], timeZone: utc)
            }
        }
        let older = TaskCursor(values: [.string("b")], id: 7).encoded
        #expect(try TaskQuery(parameters: ["sort": "due_at:asc", "cursor": older], timeZone: utc).cursor?.id == 7)
    }

    @Test("a cursor answers only for the filters it was made with: others would skip the tasks between")
    func cursorFilters() throws {
        let utc = TimeZone(identifier: "UTC")!
        let made = try TaskQuery(parameters: ["priority": "high,urgent", "tags": "work"], timeZone: utc)
        let cursor = TaskCursor(values: [.int(5)], id: 7, sort: TaskSort.text(made.sort), filter: made.filter.fingerprint).encoded
        // The same filters, said in another order or case, keep their place.
        for same in [["priority": "urgent,high", "tags": "Work"], ["tags": "work", "priority": "high,urgent"]] {
            #expect(try TaskQuery(parameters: same.merging(["cursor": cursor]) { a, _ in a }, timeZone: utc).cursor?.id == 7)
        }
        for other in [
            [:], ["priority": "high"], ["priority": "high,urgent"], ["priority": "high,urgent", "tags": "work", "status": "pending"],
            ["priority": "high,urgent", "tags": "work", "q": "report"],
        ] as [[String: String]] {
            #expect(throws: TaskpilotError.invalidParameter(field: "cursor", message: "is not a cursor of this listing; start again without it")) {
                try TaskQuery(parameters: other.merging(["cursor": cursor]) { a, _ in a }, timeZone: utc)
            }
        }
    }

    @Test("a cursor is base64url without padding, for every length of its text", arguments: 0..<8)
    func base64URL(_ extra: Int) {
        // Bytes that come out as '+' and '/' in plain base64, at every remainder of the length by three.
        let bytes = [UInt8](repeating: 0xFB, count: 3) + [UInt8](repeating: 0xFF, count: extra)
        let plain = Data(bytes).base64EncodedString()
        let expected = String(plain.map { $0 == "+" ? "-" : $0 == "/" ? "_" : $0 }.filter { $0 != "=" })
        #expect(TaskCursor.base64URL(bytes) == expected)
        #expect(expected.hasPrefix("-_"))
    }

    @Test("full-text terms keep letters and digits only")
    func searchTerms() {
        var filter = TaskFilter()
        filter.text = "\"Rent\" OR *; DROP TABLE tasks -- café 2026"
        #expect(filter.searchTerms == ["rent", "or", "drop", "table", "tasks", "café", "2026"])
    }
}
