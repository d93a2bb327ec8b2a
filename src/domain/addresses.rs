//! W1: the addresses a webhook may be delivered to: globally routable unicast only, by the IANA
//! special-purpose address registries for IPv4 and IPv6, with every IPv6 form that carries an IPv4
//! address (mapped, NAT64, 6to4, Teredo) judged by the IPv4 address it reaches.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// IPv4 blocks that are not globally reachable unicast: (network, prefix length).
const V4_REFUSED: [(u32, u8); 15] = [
    (0x0000_0000, 8),  // 0.0.0.0/8 "this network"
    (0x0a00_0000, 8),  // 10.0.0.0/8 private
    (0x6440_0000, 10), // 100.64.0.0/10 shared (carrier-grade NAT)
    (0x7f00_0000, 8),  // 127.0.0.0/8 loopback
    (0xa9fe_0000, 16), // 169.254.0.0/16 link-local (cloud metadata)
    (0xac10_0000, 12), // 172.16.0.0/12 private
    (0xc000_0000, 24), // 192.0.0.0/24 IETF protocol assignments
    (0xc000_0200, 24), // 192.0.2.0/24 documentation (TEST-NET-1)
    (0xc058_6300, 24), // 192.88.99.0/24 6to4 relay anycast (deprecated)
    (0xc0a8_0000, 16), // 192.168.0.0/16 private
    (0xc612_0000, 15), // 198.18.0.0/15 benchmarking
    (0xc633_6400, 24), // 198.51.100.0/24 documentation (TEST-NET-2)
    (0xcb00_7100, 24), // 203.0.113.0/24 documentation (TEST-NET-3)
    (0xe000_0000, 4),  // 224.0.0.0/4 multicast
    (0xf000_0000, 4),  // 240.0.0.0/4 reserved, and 255.255.255.255 broadcast
];

/// IPv6 blocks inside global unicast (2000::/3) that are not globally reachable.
const V6_REFUSED: [(u128, u8); 3] = [
    (0x2001_0000 << 96, 23), // 2001::/23 IETF protocol assignments (but the ones below)
    (0x2001_0db8 << 96, 32), // 2001:db8::/32 documentation
    (0x3fff_0000 << 96, 20), // 3fff::/20 documentation
];

/// Blocks of 2001::/23 that the registry lists as globally reachable unicast (its anycast
/// addresses stay refused, like 192.0.0.9 and 192.0.0.10).
const V6_GLOBAL_IN_REFUSED: [(u128, u8); 4] = [
    (0x2001_0003 << 96, 32),                    // 2001:3::/32 AMT
    ((0x2001_0004 << 96) | (0x0112 << 80), 48), // 2001:4:112::/48 AS112-v6
    (0x2001_0020 << 96, 28),                    // 2001:20::/28 ORCHIDv2
    (0x2001_0030 << 96, 28),                    // 2001:30::/28 drone remote ID
];

fn in_block(bits: u128, width: u8, (network, len): (u128, u8)) -> bool {
    let shift = width - len;
    len == 0 || bits >> shift == network >> shift
}

/// W1: whether a delivery may go to `ip`: a globally routable unicast address, and for an IPv6
/// address that reaches an IPv4 one, that IPv4 address too.
pub fn address_allowed(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4_global(v4),
        IpAddr::V6(v6) => match embedded_ipv4(v6) {
            Some(reached) => reached.iter().all(|v4| v4_global(*v4)),
            None => v6_global(v6),
        },
    }
}

/// The IPv4 addresses that an IPv6 address stands for or tunnels to: IPv4-mapped
/// (`::ffff:0:0/96`), NAT64 (`64:ff9b::/96`), 6to4 (`2002::/16`) and Teredo (`2001::/32`: its
/// server and its de-obfuscated client). None for any other address.
pub(crate) fn embedded_ipv4(ip: Ipv6Addr) -> Option<Vec<Ipv4Addr>> {
    let bits = u128::from(ip);
    let low32 = Ipv4Addr::from(bits as u32);
    if in_block(bits, 128, (0xffff << 32, 96)) || in_block(bits, 128, (0x0064_ff9b << 96, 96)) {
        Some(vec![low32])
    } else if in_block(bits, 128, (0x2002 << 112, 16)) {
        Some(vec![Ipv4Addr::from((bits >> 80) as u32)])
    } else if in_block(bits, 128, (0x2001_0000 << 96, 32)) {
        Some(vec![Ipv4Addr::from((bits >> 64) as u32), Ipv4Addr::from(!(bits as u32))])
    } else {
        None
    }
}

fn v4_global(ip: Ipv4Addr) -> bool {
    let bits = u128::from(u32::from(ip));
    !V4_REFUSED.iter().any(|&(net, len)| in_block(bits, 32, (u128::from(net), len)))
}

/// Global unicast is 2000::/3; everything outside it (`::/8` with the loopback, the unspecified,
/// IPv4-compatible and -translated forms, `100::/64` discard, `64:ff9b:1::/48` local NAT64,
/// `fc00::/7` unique local, `fe80::/10` link-local, `fec0::/10` site-local, `ff00::/8`
/// multicast) is refused, and so are the special blocks inside it.
fn v6_global(ip: Ipv6Addr) -> bool {
    let bits = u128::from(ip);
    in_block(bits, 128, (0x2000 << 112, 3))
        && (!V6_REFUSED.iter().any(|&b| in_block(bits, 128, b))
            || V6_GLOBAL_IN_REFUSED.iter().any(|&b| in_block(bits, 128, b)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn w1_refuses_every_address_that_is_not_globally_routable_unicast() {
        // The whole table of the hostile caller's addresses is in tests/webhooks.rs.
        for bad in ["127.0.0.1", "198.18.0.1", "::127.0.0.1", "64:ff9b::a9fe:a9fe", "2002:a00:1::", "ff02::1"] {
            assert!(!address_allowed(bad.parse().unwrap()), "{bad} must be refused");
        }
        for good in ["1.1.1.1", "2606:4700:4700::1111", "::ffff:1.1.1.1", "64:ff9b::101:101", "2002:101:101::1"] {
            assert!(address_allowed(good.parse().unwrap()), "{good} must be allowed");
        }
    }

    #[test]
    fn w1_decodes_the_ipv4_address_that_each_ipv6_form_reaches() {
        let v4 = |s: &str| embedded_ipv4(s.parse().unwrap());
        let one = |s: &str| Some(vec![s.parse::<Ipv4Addr>().unwrap()]);
        assert_eq!(v4("::ffff:127.0.0.1"), one("127.0.0.1"));
        assert_eq!(v4("::ffff:0:127.0.0.1"), None, "IPv4-translated is outside 2000::/3, refused as such");
        assert_eq!(v4("64:ff9b::a9fe:a9fe"), one("169.254.169.254"));
        assert_eq!(v4("2002:a00:1::"), one("10.0.0.1"));
        assert_eq!(
            v4("2001:0:4136:e378:8000:63bf:3fff:fdd2"),
            Some(vec!["65.54.227.120".parse().unwrap(), "192.0.2.45".parse().unwrap()])
        );
        assert_eq!(v4("2606:4700:4700::1111"), None);
    }
}
