import Foundation
import TaskpilotCore
import Testing

@Suite("Random and time-ordered UUIDs")
struct RandomUUIDTests {
    @Test("version 4 with the RFC 4122 variant, and never the same twice")
    func versionAndVariant() {
        var seen = Set<UUID>()
        for _ in 0..<10_000 {
            let id = UUID.random()
            let text = id.uuidString
            #expect(Array(text)[14] == "4", "\(text)")
            #expect("89AB".contains(Array(text)[19]), "\(text)")
            #expect(UUID(uuidString: text) == id)
            seen.insert(id)
        }
        #expect(seen.count == 10_000)
    }

    @Test("version 7: the time in milliseconds first, then random bits with the version and the variant")
    func timeOrderedLayout() {
        let date = Date(timeIntervalSince1970: 1_796_457_600.123_9) // 2026-12-05T08:00:00.123Z
        var seen = Set<UUID>()
        for _ in 0..<10_000 {
            let id = UUID.timeOrdered(at: date)
            let text = id.uuidString.lowercased()
            let hex = text.replacingOccurrences(of: "-", with: "")
            #expect(UInt64(hex.prefix(12), radix: 16) == 1_796_457_600_123, "\(text)")
            #expect(Array(text)[14] == "7", "\(text)")
            #expect("89ab".contains(Array(text)[19]), "\(text)")
            #expect(UUID(uuidString: text) == id)
            seen.insert(id)
        }
        #expect(seen.count == 10_000)
    }

    @Test("ids of later milliseconds sort after earlier ones, as text and as bytes")
    func timeOrderedSorts() {
        let start = Date(timeIntervalSince1970: 1_796_457_600)
        let ids = (0..<2_000).map { UUID.timeOrdered(at: start.addingTimeInterval((Double($0) + 0.5) / 1000)) }
        let texts = ids.map { $0.uuidString.lowercased() }
        #expect(texts == texts.sorted())
        let bytes = ids.map { withUnsafeBytes(of: $0.uuid) { Array($0) } }
        #expect(bytes == bytes.sorted { $0.lexicographicallyPrecedes($1) })
        // Before 1970 (a clock gone wrong) is the start of the range, not a crash.
        #expect(UUID.timeOrdered(at: Date(timeIntervalSince1970: -5)).uuidString.hasPrefix("00000000-0000-7"))
    }
}
