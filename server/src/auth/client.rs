//! Who is on the other end of a request behind reverse proxies (security review
//! L3): `X-Forwarded-For` and `X-Forwarded-Proto` count only when the TCP peer is
//! one of `web.trusted_proxies`, and the client is then the right-most forwarded
//! address that is not itself a trusted proxy (a client can put anything in front,
//! never behind, what its proxy appends).
use std::net::IpAddr;

use actix_web::HttpRequest;

use crate::config::Settings;

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

/// Whether `ip` is one of the configured trusted proxies (entries that do not parse
/// were refused when the settings were loaded, and match nothing here).
fn trusted(settings: &Settings, ip: IpAddr) -> bool {
    settings
        .web
        .trusted_proxies
        .iter()
        .filter_map(|p| ProxyNet::parse(p).ok())
        .any(|net| net.contains(ip))
}

fn peer_is_trusted(req: &HttpRequest, settings: &Settings) -> bool {
    req.peer_addr()
        .is_some_and(|peer| trusted(settings, peer.ip()))
}

/// The client's address, for login throttling: the TCP peer; or, when the peer is
/// a trusted proxy, the right-most `X-Forwarded-For` address that is not a trusted
/// proxy (the left-most when all of them are).
#[must_use]
pub fn client_address(req: &HttpRequest, settings: &Settings) -> String {
    let peer = req
        .peer_addr()
        .map(|a| a.ip().to_string())
        .unwrap_or_default();
    if !peer_is_trusted(req, settings) {
        return peer;
    }
    let hops: Vec<&str> = req
        .headers()
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|h| !h.is_empty())
        .collect();
    for hop in hops.iter().rev() {
        match hop.parse::<IpAddr>() {
            Ok(ip) if trusted(settings, ip) => {}
            _ => return (*hop).to_owned(),
        }
    }
    hops.first().map_or(peer, |h| (*h).to_owned())
}

/// Whether this request came over TLS as far as cookies and HSTS are concerned:
/// `web.secure_cookies` (Gantry is only served over TLS), or a trusted proxy's
/// `X-Forwarded-Proto: https`.
#[must_use]
pub fn is_secure(req: &HttpRequest, settings: &Settings) -> bool {
    settings.web.secure_cookies
        || (peer_is_trusted(req, settings)
            && req
                .headers()
                .get("x-forwarded-proto")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.split(',').next())
                .is_some_and(|v| v.trim().eq_ignore_ascii_case("https")))
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
