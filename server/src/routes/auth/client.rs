//! Who is on the other end of a request behind reverse proxies (security review
//! L3): `X-Forwarded-For` and `X-Forwarded-Proto` count only when the TCP peer is
//! one of `web.trusted_proxies`, and the client is then the right-most forwarded
//! address that is not itself a trusted proxy (a client can put anything in front,
//! never behind, what its proxy appends).
use std::net::IpAddr;

use actix_web::HttpRequest;

use crate::config::Settings;
use crate::domain::ProxyNet;

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
