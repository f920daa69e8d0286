import Foundation
import TaskpilotCore
import Testing

@Suite("Random UUIDs")
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
}
