public import Foundation

extension UUID {
    /// A random (version 4) UUID from the system's random generator. `UUID()` on Linux opens, reads and closes
    /// `/dev/urandom` for each one: three system calls for every request id and event id.
    public static func random() -> UUID {
        var generator = SystemRandomNumberGenerator()
        var value = (generator.next() as UInt64, generator.next() as UInt64)
        return withUnsafeMutableBytes(of: &value) { bytes in
            bytes[6] = (bytes[6] & 0x0F) | 0x40 // version 4
            bytes[8] = (bytes[8] & 0x3F) | 0x80 // RFC 4122 variant
            return UUID(uuid: bytes.load(as: uuid_t.self))
        }
    }
}
