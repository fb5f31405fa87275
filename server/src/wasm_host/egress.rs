//! Outbound HTTP for plugins, with address checks that hold even if a caller forgets
//! one: every name is resolved here (DNS or the operator's fixed `hosts`), every
//! address is checked, and the HTTP client connects only to addresses that passed.
//! Loopback, private, shared, link-local (cloud metadata), multicast, reserved and
//! unspecified addresses are refused unless the operator allowed the host name in
//! `plugins.http.allow_private`. IP literals in URLs are checked the same way before
//! any socket exists. No proxy from the environment is used and no redirect is
//! followed, so nothing can route a request around the checks.
use std::collections::{BTreeMap, HashSet};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

use crate::config::HttpSettings;

/// Whether `ip` is an address plugins may not reach by default.
#[must_use]
pub fn is_forbidden(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => forbidden_v4(v4),
        IpAddr::V6(v6) => forbidden_v6(v6),
    }
}

fn forbidden_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local() // 169.254.0.0/16, cloud metadata included
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0 // "this network"
        || (a == 100 && (64..128).contains(&b)) // shared address space (CGNAT)
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 198 && (b == 18 || b == 19)) // benchmarking
        || a >= 240 // reserved
}

fn forbidden_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return forbidden_v4(v4);
    }
    let seg = ip.segments();
    // IPv4-translated addresses (::ffff:0:a.b.c.d, RFC 2765) reach IPv4 through a
    // translator: refused whatever they embed, like the other translation prefixes.
    if seg[..6] == [0, 0, 0, 0, 0xffff, 0] {
        return true;
    }
    // NAT64 (64:ff9b::/96) and IPv4-compatible addresses embed an IPv4 address.
    if seg[..6] == [0x64, 0xff9b, 0, 0, 0, 0]
        || (seg[..6] == [0; 6] && !ip.is_loopback() && !ip.is_unspecified())
    {
        let embedded = Ipv4Addr::new(
            (seg[6] >> 8) as u8,
            seg[6] as u8,
            (seg[7] >> 8) as u8,
            seg[7] as u8,
        );
        return forbidden_v4(embedded);
    }
    ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_multicast()
        || (seg[0] & 0xfe00) == 0xfc00 // unique local, fd00:ec2::254 metadata included
        || (seg[0] & 0xffc0) == 0xfe80 // link-local
        || (seg[0] & 0xffc0) == 0xfec0 // site-local (deprecated)
        || seg[0] == 0x2002 // 6to4 relays
        || (seg[0] == 0x2001 && seg[1] == 0x0db8) // documentation
        || (seg[0] == 0x2001 && seg[1] == 0) // Teredo (2001::/32) tunnels to IPv4
        || seg[..3] == [0x64, 0xff9b, 1] // local-use NAT64 (64:ff9b:1::/48, RFC 8215)
        || seg[..4] == [0x100, 0, 0, 0] // discard-only (100::/64, RFC 6666)
}

/// Resolves names for the plugin HTTP client, keeping only allowed addresses.
#[derive(Debug)]
struct GuardedResolver {
    allow_private: HashSet<String>,
    hosts: BTreeMap<String, Vec<IpAddr>>,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_ascii_lowercase();
        let fixed = self.hosts.get(&host).cloned();
        let private_ok = self.allow_private.contains(&host);
        Box::pin(async move {
            let found: Vec<IpAddr> = match fixed {
                Some(ips) => ips,
                None => tokio::net::lookup_host((host.as_str(), 0))
                    .await?
                    .map(|a| a.ip())
                    .collect(),
            };
            let allowed: Vec<SocketAddr> = found
                .iter()
                .filter(|ip| private_ok || !is_forbidden(**ip))
                .map(|ip| SocketAddr::new(*ip, 0))
                .collect();
            if allowed.is_empty() {
                let err: Box<dyn std::error::Error + Send + Sync> = Box::new(Refused(format!(
                    "{host} resolves only to refused addresses ({found:?})"
                )));
                return Err(err);
            }
            let addrs: Addrs = Box::new(allowed.into_iter());
            Ok(addrs)
        })
    }
}

/// A refusal by the address checks.
#[derive(Debug, thiserror::Error)]
#[error("refused: {0}")]
pub struct Refused(pub String);

/// The HTTP client plugins use, with its address policy.
#[derive(Debug, Clone)]
pub struct Egress {
    client: reqwest::Client,
    allow_private: Arc<HashSet<String>>,
}

impl Egress {
    /// Builds the client from the operator's settings.
    ///
    /// # Errors
    /// When the TLS backend cannot be set up.
    pub fn new(settings: &HttpSettings) -> anyhow::Result<Self> {
        let allow_private: HashSet<String> = settings
            .allow_private
            .iter()
            .map(|h| h.to_ascii_lowercase())
            .collect();
        let resolver = GuardedResolver {
            allow_private: allow_private.clone(),
            hosts: settings
                .hosts
                .iter()
                .map(|(k, v)| (k.to_ascii_lowercase(), v.clone()))
                .collect(),
        };
        let client = reqwest::Client::builder()
            .dns_resolver(Arc::new(resolver))
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(Duration::from_millis(settings.connect_timeout_ms))
            .user_agent(concat!("gantry-plugin/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Self {
            client,
            allow_private: Arc::new(allow_private),
        })
    }

    /// Checks a URL before any connection: `http` or `https`, a host, and when the
    /// host is an IP literal, an allowed address. Returns the host as written in
    /// capabilities (`example.com`, `10.0.0.1`, `[::1]`).
    ///
    /// # Errors
    /// [`Refused`] with the reason.
    pub fn check_url(&self, url: &reqwest::Url) -> Result<String, Refused> {
        if !matches!(url.scheme(), "http" | "https") {
            return Err(Refused(format!(
                "only http and https URLs, not {}",
                url.scheme()
            )));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(Refused(
                "credentials in URLs are not allowed; use a secret header".into(),
            ));
        }
        let host = match url.host() {
            None => return Err(Refused("the URL has no host".into())),
            Some(url::Host::Domain(d)) => return Ok(d.to_ascii_lowercase()),
            Some(url::Host::Ipv4(ip)) => (IpAddr::V4(ip), ip.to_string()),
            Some(url::Host::Ipv6(ip)) => (IpAddr::V6(ip), format!("[{ip}]")),
        };
        if is_forbidden(host.0) && !self.allow_private.contains(&host.1) {
            return Err(Refused(format!(
                "{} is a loopback, private, link-local or reserved address",
                host.1
            )));
        }
        Ok(host.1)
    }

    /// Whether requests to `host` may use any port: the operator allowed it on the
    /// private network by name (`allow_private`). Elsewhere only 80 and 443, or a
    /// port the plugin's capability names.
    #[must_use]
    pub fn any_port(&self, host: &str) -> bool {
        self.allow_private.contains(&host.to_ascii_lowercase())
    }

    /// The client, for requests to URLs that passed [`Egress::check_url`].
    #[must_use]
    pub fn client(&self) -> &reqwest::Client {
        &self.client
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_loopback_link_local_and_metadata_addresses_are_forbidden() {
        for ip in [
            "127.0.0.1",
            "10.0.0.1",
            "172.16.5.4",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "224.0.0.1",
            "::1",
            "::",
            "fe80::1",
            "fd00:ec2::254",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "64:ff9b::a00:1",
            "::a00:1",
        ] {
            assert!(
                is_forbidden(ip.parse().unwrap()),
                "{ip} should be forbidden"
            );
        }
        for ip in [
            "140.82.112.3",
            "8.8.8.8",
            "2606:4700::1111",
            "::ffff:8.8.8.8",
        ] {
            assert!(!is_forbidden(ip.parse().unwrap()), "{ip} should be allowed");
        }
    }

    #[test]
    fn translation_tunnel_and_discard_prefixes_that_reach_ipv4_or_nowhere_are_forbidden() {
        // One vector per range, each embedding a public IPv4 address where it can,
        // so only the prefix refuses it.
        for ip in [
            "64:ff9b:1::808:808",                   // local-use NAT64, 64:ff9b:1::/48
            "64:ff9b:1:ffff::1",                    // the same /48, elsewhere in it
            "2001:0:4136:e378:8000:63bf:f7f7:f7f7", // Teredo, 2001::/32
            "2001::1",                              // Teredo
            "::ffff:0:808:808",                     // IPv4-translated, ::ffff:0:0:0/96
            "::ffff:0:7f00:1",                      // IPv4-translated loopback
            "100::1",                               // discard-only, 100::/64
            "100::ffff:ffff:ffff:ffff",             // the end of it
        ] {
            assert!(
                is_forbidden(ip.parse().unwrap()),
                "{ip} should be forbidden"
            );
        }
        // Just outside each range.
        for ip in [
            "64:ff9b:2::808:808",
            "2001:4860:4860::8888",
            "::fffe:0:808:808",
            "100:0:0:1::1",
        ] {
            assert!(!is_forbidden(ip.parse().unwrap()), "{ip} should be allowed");
        }
    }

    #[test]
    fn ip_literals_are_checked_before_any_connection() {
        let egress = Egress::new(&HttpSettings::default()).unwrap();
        for url in [
            "http://127.0.0.1:8080/",
            "http://10.0.0.1/",
            "http://169.254.169.254/latest/meta-data",
            "http://[::1]/",
            "http://[::ffff:7f00:1]/",
        ] {
            let err = egress
                .check_url(&reqwest::Url::parse(url).unwrap())
                .unwrap_err();
            assert!(err.to_string().contains("refused"), "{url}: {err}");
        }
        assert_eq!(
            egress
                .check_url(&reqwest::Url::parse("https://Example.com/x").unwrap())
                .unwrap(),
            "example.com"
        );
        assert!(egress
            .check_url(&reqwest::Url::parse("file:///etc/passwd").unwrap())
            .is_err());
        assert!(egress
            .check_url(&reqwest::Url::parse("http://user:pw@example.com/").unwrap())
            .is_err());
    }
}
