//! A trusted reverse proxy as `web.trusted_proxies` names it: one address or a CIDR
//! block, IPv4-mapped IPv6 addresses compared as IPv4.
use std::net::IpAddr;

/// A trusted proxy: one address, or a CIDR block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProxyNet {
    base: IpAddr,
    prefix: u8,
}

impl ProxyNet {
    /// Parses `10.0.0.0/8`, `192.0.2.10`, `fd00::/8` or `::1`.
    ///
    /// # Errors
    /// A message naming what is wrong.
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let (address, prefix) = match text.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (text, None),
        };
        let base: IpAddr = address
            .parse()
            .map_err(|_| format!("`{text}` is not an address or CIDR block"))?;
        let max = if base.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            Some(p) => p
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= max)
                .ok_or_else(|| format!("`{text}`: the prefix must be 0 to {max}"))?,
        };
        Ok(Self {
            base: canonical(base),
            prefix,
        })
    }

    /// Whether `ip` is in this block (IPv4-mapped IPv6 addresses as IPv4).
    #[must_use]
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.base, canonical(ip)) {
            (IpAddr::V4(base), IpAddr::V4(ip)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(base) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(base), IpAddr::V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(base) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        IpAddr::V4(_) => ip,
    }
}

#[cfg(test)]
mod tests {
    use super::ProxyNet;

    #[test]
    fn proxy_blocks_contain_their_addresses_only() {
        let net = ProxyNet::parse("10.20.0.0/16").unwrap();
        assert!(net.contains("10.20.3.4".parse().unwrap()));
        assert!(net.contains("::ffff:10.20.3.4".parse().unwrap()));
        assert!(!net.contains("10.21.0.1".parse().unwrap()));
        let one = ProxyNet::parse("::1").unwrap();
        assert!(one.contains("::1".parse().unwrap()));
        assert!(!one.contains("::2".parse().unwrap()));
        assert!(ProxyNet::parse("0.0.0.0/0")
            .unwrap()
            .contains("8.8.8.8".parse().unwrap()));
        assert!(ProxyNet::parse("10.0.0.0/33").is_err());
        assert!(ProxyNet::parse("proxy.local").is_err());
    }
}
