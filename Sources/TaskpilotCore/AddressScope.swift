/// Whether an IP address is on the public internet, and if not, what it is: webhooks go only to public addresses
/// unless the operator allows private ones, so a user cannot make the server call into its own network (cloud
/// metadata at 169.254.169.254, an admin port on localhost, a database on 10.x).
public enum AddressScope {
    /// What kind of non-public address `bytes` (4 bytes of IPv4 or 16 of IPv6) is, e.g. "loopback"; nil when public.
    public static func nonPublicKind(_ bytes: [UInt8]) -> String? {
        switch bytes.count {
        case 4: ipv4Kind(bytes[0], bytes[1], bytes[2], bytes[3])
        case 16: ipv6Kind(bytes)
        default: "malformed"
        }
    }

    private static func ipv4Kind(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8) -> String? {
        switch (a, b, c) {
        case (0, _, _): "unspecified (0.0.0.0/8)"
        case (10, _, _), (172, 16...31, _), (192, 168, _): "private network"
        case (100, 64...127, _): "shared carrier-grade NAT"
        case (127, _, _): "loopback"
        case (169, 254, _): "link-local (cloud metadata lives here)"
        case (192, 0, 0), (192, 0, 2), (198, 51, 100), (203, 0, 113), (198, 18...19, _): "reserved"
        case (224...239, _, _): "multicast"
        case (240...255, _, _): "reserved"
        default: nil
        }
    }

    private static func ipv6Kind(_ bytes: [UInt8]) -> String? {
        let embedded = Array(bytes[12..<16])
        if bytes[0..<10].allSatisfy({ $0 == 0 }) && bytes[10] == 0xff && bytes[11] == 0xff {
            // ::ffff:a.b.c.d reaches the IPv4 address a.b.c.d.
            return nonPublicKind(embedded)
        }
        if bytes[0..<12] == [0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0] {
            // 64:ff9b::a.b.c.d, NAT64: reaches a.b.c.d through the translator.
            return nonPublicKind(embedded)
        }
        if bytes[0..<15].allSatisfy({ $0 == 0 }) {
            return bytes[15] == 1 ? "loopback" : bytes[15] == 0 ? "unspecified" : "reserved"
        }
        if bytes[0..<12].allSatisfy({ $0 == 0 }) { return "reserved" }
        switch (bytes[0], bytes[1]) {
        case (0xfc...0xfd, _): return "private network (unique local)"
        case (0xfe, 0x80...0xbf): return "link-local"
        case (0xfe, 0xc0...0xff): return "private network (site-local)"
        case (0xff, _): return "multicast"
        case (0x20, 0x01) where bytes[2] == 0x0d && bytes[3] == 0xb8: return "reserved"
        default: return nil
        }
    }
}
