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

    /// A time-ordered (version 7, RFC 9562) UUID: the Unix time of `date` in milliseconds in its first 48 bits, then
    /// 74 random bits. Ids made one after another sort together (as bytes and as lowercase text), so a unique index of
    /// them grows at its end: random ids put every new row on a random page of the index, which SQLite then writes
    /// again in full to its log (and PostgreSQL to its WAL) at the next commit.
    public static func timeOrdered(at date: Date = Date()) -> UUID {
        let milliseconds = UInt64(max(0, (date.timeIntervalSince1970 * 1000).rounded(.down))) & 0xFFFF_FFFF_FFFF
        var generator = SystemRandomNumberGenerator()
        // 48 bits of time, the version (7) and 12 random bits; then the variant and 62 random bits.
        let high = milliseconds << 16 | 0x7000 | UInt64((generator.next() as UInt16) & 0x0FFF)
        let low = (generator.next() as UInt64) & 0x3FFF_FFFF_FFFF_FFFF | 0x8000_0000_0000_0000
        var value = (high.bigEndian, low.bigEndian)
        return withUnsafeBytes(of: &value) { UUID(uuid: $0.load(as: uuid_t.self)) }
    }
}
