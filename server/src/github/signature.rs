//! `X-Hub-Signature-256`: HMAC-SHA256 over the raw body bytes, hex encoded.
//!
//! Verification happens on the exact bytes received, before any parsing: GitHub writes
//! escapes such as `\u001B` in upper case, so re-serialised JSON would not match.
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::domain::Secret;

type HmacSha256 = Hmac<Sha256>;

/// The header value GitHub would send for `body` signed with `secret`:
/// `sha256=<hex>`.
#[must_use]
pub fn sign(secret: &[u8], body: &[u8]) -> String {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = match HmacSha256::new_from_slice(secret) {
        Ok(mac) => mac,
        Err(_) => return String::new(),
    };
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// Whether `signature_hex` (the header without `sha256=`) is the signature of `body`
/// under any of `secrets`. Each comparison is constant-time, and every secret is
/// tried, so timing does not tell which secret matched.
#[must_use]
pub fn verify(secrets: &[Secret], body: &[u8], signature_hex: &str) -> bool {
    let Ok(expected) = hex::decode(signature_hex) else {
        return false;
    };
    if expected.len() != 32 {
        return false;
    }
    let mut matched = false;
    for secret in secrets {
        let Ok(mut mac) = HmacSha256::new_from_slice(secret.expose().as_bytes()) else {
            continue;
        };
        mac.update(body);
        matched |= mac.verify_slice(&expected).is_ok();
    }
    matched
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn githubs_documented_vector_verifies() {
        let body = b"Hello, World!";
        let header = sign(b"It's a Secret to Everybody", body);
        assert_eq!(
            header,
            "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
        );
        let secrets = [
            Secret::new("other"),
            Secret::new("It's a Secret to Everybody"),
        ];
        assert!(verify(&secrets, body, header.trim_start_matches("sha256=")));
    }

    #[test]
    fn wrong_secret_bad_hex_and_truncated_digests_are_refused() {
        let secrets = [Secret::new("abc")];
        let good = sign(b"abc", b"{}");
        let hex = good.trim_start_matches("sha256=");
        assert!(verify(&secrets, b"{}", hex));
        assert!(!verify(&[Secret::new("abd")], b"{}", hex));
        assert!(!verify(&secrets, b"{} ", hex));
        assert!(!verify(&secrets, b"{}", "zz"));
        assert!(!verify(&secrets, b"{}", &hex[..62]));
        assert!(!verify(&[], b"{}", hex));
    }
}
