//! W1: the addresses a webhook URL may and may not name, as tables for the tests of the guard.

/// W1: every address the hostile caller got past the guard, and the other special-purpose blocks.
/// Refused: loopback, private, link-local, unspecified, shared, multicast, reserved,
/// documentation, benchmarking, and each IPv6 form that carries or reaches one.
pub const REFUSED: [&str; 44] = [
    "127.0.0.1",
    "10.1.2.3",
    "172.16.0.1",
    "192.168.1.1",
    "169.254.169.254",
    "0.0.0.0",
    "100.64.0.1",
    "224.0.0.1",
    "240.0.0.1",
    "255.255.255.255",
    "198.18.0.1",
    "192.0.0.1",
    "192.0.2.1",
    "198.51.100.1",
    "203.0.113.1",
    "192.88.99.1",
    "::1",
    "::",
    "fe80::1",
    "fd00::1",
    "fec0::1",
    "ff02::1",
    "100::1",
    "::ffff:127.0.0.1",
    "::ffff:10.0.0.1",
    "::127.0.0.1",
    "::1.1.1.1",
    "::ffff:0:127.0.0.1",
    "64:ff9b::7f00:1",
    "64:ff9b::a9fe:a9fe",
    "64:ff9b::a00:1",
    "64:ff9b:1::a9fe:a9fe",
    "2002:7f00:1::",
    "2002:a9fe:a9fe::",
    "2002:a00:1::",
    "2002:c0a8:101::1",
    // Teredo: the RFC 4380 example (client 192.0.2.45), and a client at 127.0.0.1.
    "2001:0:4136:e378:8000:63bf:3fff:fdd2",
    "2001:0:4136:e378:8000:63bf:80ff:fffe",
    // Teredo with a loopback server.
    "2001:0:7f00:1:8000:63bf:fefe:fefe",
    "2001:db8::1",
    "2001:2::1",
    "3fff::1",
    "5f00::1",
    "fc00::1",
];

/// Allowed: global unicast, and IPv6 forms that reach a global IPv4 address.
pub const ALLOWED: [&str; 9] = [
    "93.184.215.14",
    "1.1.1.1",
    "8.8.8.8",
    "2606:4700:4700::1111",
    "2a00:1450:4001:82b::200e",
    "::ffff:1.1.1.1",
    "64:ff9b::101:101",
    "2002:101:101::1",
    "2001:0:4136:e378:8000:63bf:fefe:fefe",
];

pub fn url_of(address: &str) -> String {
    if address.contains(':') {
        format!("http://[{address}]/hook")
    } else {
        format!("http://{address}/hook")
    }
}
