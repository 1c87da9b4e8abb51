//! A member's gateway address: an IP socket address (`10.0.0.2:8080`,
//! `[fd00::2]:8080`) or a DNS name with a port
//! (`dfaas-1.dfaas.edge.svc.cluster.local:8080`), resolved at connect time
//! so that a peer whose address changes (a restarted pod) is found again.

use std::fmt;
use std::net::SocketAddr;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Longest DNS name (RFC 1035), without the trailing dot.
const MAX_NAME: usize = 253;
/// Longest DNS label.
const MAX_LABEL: usize = 63;

/// Where a member's gateway is reached.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PeerAddress {
    /// An IP address and port.
    Ip(SocketAddr),
    /// A DNS name (letters, digits, `-` inside labels, `.` between them) and a port.
    Name(String, u16),
}

/// True when `name` is a DNS host name: labels of 1 to 63 letters, digits
/// and inner hyphens, 253 characters in all, not all digits (that would be
/// an IP address written wrong).
fn valid_dns_name(name: &str) -> bool {
    let name = name.strip_suffix('.').unwrap_or(name);
    !name.is_empty()
        && name.len() <= MAX_NAME
        && !name.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && name.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= MAX_LABEL
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

impl FromStr for PeerAddress {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        if let Ok(a) = s.parse::<SocketAddr>() {
            return Ok(PeerAddress::Ip(a));
        }
        let (host, port) = s.rsplit_once(':').ok_or_else(|| format!("{s:?} has no port (host:port)"))?;
        let port: u16 = port.parse().map_err(|_| format!("{s:?}: the port {port:?} is not a number 0..=65535"))?;
        if host.starts_with('[') || host.contains(':') {
            return Err(format!("{s:?}: not a valid IPv6 socket address (write [addr]:port)"));
        }
        if !valid_dns_name(host) {
            return Err(format!(
                "{s:?}: {host:?} is neither an IP address nor a DNS name (labels of letters, digits and inner hyphens)"
            ));
        }
        Ok(PeerAddress::Name(host.to_ascii_lowercase(), port))
    }
}

impl fmt::Display for PeerAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PeerAddress::Ip(a) => write!(f, "{a}"),
            PeerAddress::Name(h, p) => write!(f, "{h}:{p}"),
        }
    }
}

impl Serialize for PeerAddress {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for PeerAddress {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ip_and_dns_addresses_parse_and_print_back() {
        for s in ["127.0.0.1:8080", "[::1]:9000", "dfaas-1.dfaas.edge.svc.cluster.local:8080", "node-a:1"] {
            let a: PeerAddress = s.parse().unwrap();
            assert_eq!(a.to_string(), s);
        }
        assert!(matches!("10.0.0.2:80".parse::<PeerAddress>().unwrap(), PeerAddress::Ip(_)));
        assert_eq!("Edge-1.Example:80".parse::<PeerAddress>().unwrap(), PeerAddress::Name("edge-1.example".into(), 80));
        assert_eq!("edge-1.:80".parse::<PeerAddress>().unwrap(), PeerAddress::Name("edge-1.".into(), 80));
    }

    #[test]
    fn bad_addresses_are_refused_with_the_reason() {
        let cases = [
            ("node-a", "no port"),
            ("node-a:http", "not a number"),
            ("node-a:70000", "not a number"),
            ("::1:80", "IPv6"),
            ("-a.b:80", "neither"),
            ("a..b:80", "neither"),
            ("a_b:80", "neither"),
            ("10.0.0.300:80", "neither"),
            (":80", "neither"),
        ];
        for (s, want) in cases {
            let e = s.parse::<PeerAddress>().unwrap_err();
            assert!(e.contains(want), "{s}: {e}");
        }
        let long = format!("{}:80", "a".repeat(64));
        assert!(long.parse::<PeerAddress>().is_err(), "a 64-letter label");
    }
}
