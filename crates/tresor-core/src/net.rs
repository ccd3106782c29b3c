//! IP address verification (seed manual, User Properties → Advanced): the addresses or networks an account may
//! connect from. Loopback is always allowed, so that an administrator on the server can mend a wrong setting.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

/// One allowed address (`10.1.2.3`, `::1`) or network (`10.0.0.0/8`, `fd00::/8`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AddressRule {
    network: IpAddr,
    prefix: u8,
}

impl AddressRule {
    pub fn contains(&self, addr: IpAddr) -> bool {
        let addr = canonical(addr);
        match (self.network, addr) {
            (IpAddr::V4(net), IpAddr::V4(a)) => prefix_match(&net.octets(), &a.octets(), self.prefix),
            (IpAddr::V6(net), IpAddr::V6(a)) => prefix_match(&net.octets(), &a.octets(), self.prefix),
            _ => false,
        }
    }
}

/// An IPv4 address seen through an IPv6 socket (`::ffff:10.0.0.1`) is the IPv4 address.
fn canonical(addr: IpAddr) -> IpAddr {
    match addr {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(addr, IpAddr::V4),
        v4 => v4,
    }
}

fn prefix_match(net: &[u8], addr: &[u8], prefix: u8) -> bool {
    let full = usize::from(prefix / 8);
    let rest = prefix % 8;
    if net[..full] != addr[..full] {
        return false;
    }
    if rest == 0 {
        return true;
    }
    let mask = 0xffu8 << (8 - rest);
    (net[full] & mask) == (addr[full] & mask)
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("'{0}' is not an IP address or network (examples: 10.1.2.3, 10.0.0.0/8, fd00::/8)")]
pub struct AddressRuleError(String);

impl FromStr for AddressRule {
    type Err = AddressRuleError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || AddressRuleError(s.chars().take(64).collect());
        let (addr, prefix) = match s.trim().split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s.trim(), None),
        };
        let network = canonical(IpAddr::from_str(addr).map_err(|_| err())?);
        let max = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            Some(p) => p.parse::<u8>().ok().filter(|p| *p <= max).ok_or_else(err)?,
            None => max,
        };
        let rule = AddressRule { network, prefix };
        // Store the network address itself, so that `10.1.2.3/8` and `10.0.0.0/8` are the same rule.
        let network = match network {
            IpAddr::V4(v4) => IpAddr::V4(masked(v4.octets(), prefix).into()),
            IpAddr::V6(v6) => IpAddr::V6(masked(v6.octets(), prefix).into()),
        };
        Ok(AddressRule { network, ..rule })
    }
}

fn masked<const N: usize>(mut octets: [u8; N], prefix: u8) -> [u8; N] {
    for (i, byte) in octets.iter_mut().enumerate() {
        let bits_before = i * 8;
        let keep = usize::from(prefix).saturating_sub(bits_before).min(8);
        *byte &= if keep == 0 { 0 } else { 0xffu8 << (8 - keep) };
    }
    octets
}

impl fmt::Display for AddressRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let max = if self.network.is_ipv4() { 32 } else { 128 };
        if self.prefix == max { write!(f, "{}", self.network) } else { write!(f, "{}/{}", self.network, self.prefix) }
    }
}

/// Whether `addr` may connect under `rules`: loopback always, anything when there are no rules.
pub fn address_allowed(rules: &[AddressRule], addr: IpAddr) -> bool {
    canonical(addr).is_loopback() || rules.is_empty() || rules.iter().any(|r| r.contains(addr))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(s: &str) -> AddressRule {
        s.parse().unwrap_or_else(|e| panic!("{e}"))
    }
    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn networks_contain_their_addresses() {
        assert!(rule("10.0.0.0/8").contains(ip("10.200.3.4")));
        assert!(!rule("10.0.0.0/8").contains(ip("11.0.0.1")));
        assert!(rule("192.168.1.0/25").contains(ip("192.168.1.127")));
        assert!(!rule("192.168.1.0/25").contains(ip("192.168.1.128")));
        assert!(rule("fd00::/8").contains(ip("fd12::1")));
        assert!(!rule("fd00::/8").contains(ip("fe80::1")));
        assert!(rule("10.1.2.3").contains(ip("::ffff:10.1.2.3")));
        assert!(rule("0.0.0.0/0").contains(ip("8.8.8.8")));
    }

    #[test]
    fn rules_are_normalised_and_printed_back() {
        assert_eq!(rule("10.1.2.3/8").to_string(), "10.0.0.0/8");
        assert_eq!(rule(" 10.1.2.3 ").to_string(), "10.1.2.3");
        assert_eq!(rule("fd00::1/8").to_string(), "fd00::/8");
    }

    #[test]
    fn garbage_is_refused() {
        for bad in ["", "10.0.0", "10.0.0.0/33", "::/129", "host.example", "10.0.0.0/x", "1.2.3.4/-1"] {
            assert!(bad.parse::<AddressRule>().is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn loopback_is_always_allowed() {
        let rules = [rule("10.0.0.0/8")];
        assert!(address_allowed(&rules, ip("127.0.0.1")));
        assert!(address_allowed(&rules, ip("::1")));
        assert!(address_allowed(&rules, ip("10.9.9.9")));
        assert!(!address_allowed(&rules, ip("192.168.0.1")));
        assert!(address_allowed(&[], ip("192.168.0.1")));
    }
}
