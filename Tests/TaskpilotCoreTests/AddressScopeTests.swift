import TaskpilotCore
import Testing

@Suite("Address scope")
struct AddressScopeTests {
    static func v4(_ text: String) -> [UInt8] { text.split(separator: ".").map { UInt8($0)! } }

    static func v6(_ groups: [UInt16]) -> [UInt8] { groups.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xff)] } }

    @Test(
        "IPv4: public unicast passes, everything else names what it is",
        arguments: [
            ("8.8.8.8", nil), ("93.184.215.14", nil), ("172.15.255.255", nil), ("172.32.0.1", nil), ("100.63.255.255", nil),
            ("100.128.0.1", nil), ("192.169.0.1", nil), ("223.255.255.255", nil),
            ("127.0.0.1", "loopback"), ("127.255.0.9", "loopback"), ("10.1.2.3", "private network"), ("172.16.0.1", "private network"),
            ("172.31.255.254", "private network"), ("192.168.0.10", "private network"), ("169.254.169.254", "link-local"),
            ("100.64.0.1", "shared carrier-grade NAT"), ("0.0.0.0", "unspecified"), ("224.0.0.1", "multicast"),
            ("255.255.255.255", "reserved"), ("192.0.2.1", "reserved"), ("198.18.0.1", "reserved"),
        ] as [(String, String?)]
    )
    func ipv4(_ address: String, _ kind: String?) {
        let found = AddressScope.nonPublicKind(Self.v4(address))
        if let kind {
            #expect(found?.hasPrefix(kind) == true, "\(address): \(found ?? "public")")
        } else {
            #expect(found == nil, "\(address): \(found ?? "public")")
        }
    }

    @Test("IPv6: loopback, unique local, link-local, multicast, and IPv4 inside IPv6 judged as IPv4")
    func ipv6() {
        #expect(AddressScope.nonPublicKind(Self.v6([0x2606, 0x4700, 0, 0, 0, 0, 0, 0x1111])) == nil)
        #expect(AddressScope.nonPublicKind(Self.v6([0, 0, 0, 0, 0, 0, 0, 1])) == "loopback")
        #expect(AddressScope.nonPublicKind(Self.v6([0, 0, 0, 0, 0, 0, 0, 0])) == "unspecified")
        #expect(AddressScope.nonPublicKind(Self.v6([0xfd00, 0, 0, 0, 0, 0, 0, 5]))?.hasPrefix("private network") == true)
        #expect(AddressScope.nonPublicKind(Self.v6([0xfe80, 0, 0, 0, 0, 0, 0, 1])) == "link-local")
        #expect(AddressScope.nonPublicKind(Self.v6([0xff02, 0, 0, 0, 0, 0, 0, 1])) == "multicast")
        #expect(AddressScope.nonPublicKind(Self.v6([0x2001, 0x0db8, 0, 0, 0, 0, 0, 1])) == "reserved")
        // ::ffff:127.0.0.1 and 64:ff9b::10.0.0.1 reach IPv4 addresses; ::ffff:8.8.8.8 is public.
        #expect(AddressScope.nonPublicKind(Self.v6([0, 0, 0, 0, 0, 0xffff, 0x7f00, 0x0001])) == "loopback")
        #expect(AddressScope.nonPublicKind(Self.v6([0x64, 0xff9b, 0, 0, 0, 0, 0x0a00, 0x0001])) == "private network")
        #expect(AddressScope.nonPublicKind(Self.v6([0, 0, 0, 0, 0, 0xffff, 0x0808, 0x0808])) == nil)
        #expect(AddressScope.nonPublicKind([1, 2, 3]) == "malformed")
    }
}
