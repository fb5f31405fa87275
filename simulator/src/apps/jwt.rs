//! Checking an App JWT the way GitHub does, answering with GitHub's own refusal
//! messages: RS256 only, the signature checked against the registered key, `iss` an
//! app id (a number, or a string holding one), `iat` no more than 60 seconds ahead,
//! `exp` present, in the future, and at most ten minutes after both `iat` and now.
//! The header and claims are read without trusting them first, so refused tokens can
//! be recorded with what they said.

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine as _};
use jsonwebtoken::{crypto, Algorithm};
use serde_json::Value;

use crate::state::PublicKey;

/// Refusal for anything that is not a well-formed RS256 token signed with the key.
pub(crate) const UNDECODABLE: &str = "A JSON web token could not be decoded";
const BAD_ISSUER: &str = "'Issuer' claim ('iss') must be an Integer";
const UNKNOWN_APP: &str = "Integration not found";
const BAD_ISSUED_AT: &str =
    "'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued";
const BAD_EXPIRY: &str = "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires";
const EXPIRY_TOO_FAR: &str = "'Expiration time' claim ('exp') is too far in the future";

/// How far `iat` may be ahead of the simulator's clock, in seconds.
const CLOCK_SKEW: i64 = 60;
/// The longest a JWT may live, from `iat` and from now, in seconds.
const MAX_LIFETIME: i64 = 600;

/// What a token said and what the simulator made of it.
#[derive(Debug)]
pub(crate) struct Checked {
    /// The header's `alg`, when the header could be read.
    pub alg: Option<String>,
    /// The claims, when they could be read.
    pub claims: Option<Value>,
    /// `iss` as an app id.
    pub iss: Option<u64>,
    pub iat: Option<i64>,
    pub exp: Option<i64>,
    /// The app the token authenticates, or GitHub's message refusing it.
    pub outcome: Result<u64, &'static str>,
}

/// Checks `token` at Unix time `now`; `key_of` gives the key of a registered app.
pub(crate) fn check(token: &str, now: i64, key_of: impl Fn(u64) -> Option<PublicKey>) -> Checked {
    let mut checked = Checked {
        alg: None,
        claims: None,
        iss: None,
        iat: None,
        exp: None,
        outcome: Err(UNDECODABLE),
    };
    let parts: Vec<&str> = token.split('.').collect();
    let [header, claims, signature] = parts.as_slice() else {
        return checked;
    };
    let header_json = part(header);
    checked.alg = header_json
        .as_ref()
        .and_then(|h| h.get("alg"))
        .and_then(Value::as_str)
        .map(str::to_owned);
    checked.claims = part(claims).filter(Value::is_object);
    let Some(body) = checked.claims.clone() else {
        return checked;
    };
    checked.iss = issuer(body.get("iss"));
    checked.iat = body.get("iat").and_then(Value::as_i64);
    checked.exp = body.get("exp").and_then(Value::as_i64);
    checked.outcome = judge(
        &checked,
        &format!("{header}.{claims}"),
        signature,
        now,
        key_of,
    );
    checked
}

/// The verdict on a token whose parts could be read.
fn judge(
    c: &Checked,
    message: &str,
    signature: &str,
    now: i64,
    key_of: impl Fn(u64) -> Option<PublicKey>,
) -> Result<u64, &'static str> {
    if c.alg.as_deref() != Some("RS256") {
        return Err(UNDECODABLE);
    }
    let app = c.iss.ok_or(BAD_ISSUER)?;
    let key = key_of(app).ok_or(UNKNOWN_APP)?;
    let signed = key.decoding_key().is_some_and(|key| {
        crypto::verify(signature, message.as_bytes(), &key, Algorithm::RS256).unwrap_or(false)
    });
    if !signed {
        return Err(UNDECODABLE);
    }
    let iat = c
        .iat
        .filter(|iat| *iat <= now + CLOCK_SKEW)
        .ok_or(BAD_ISSUED_AT)?;
    let exp = c.exp.filter(|exp| *exp > now).ok_or(BAD_EXPIRY)?;
    if exp - iat > MAX_LIFETIME || exp - now > MAX_LIFETIME {
        return Err(EXPIRY_TOO_FAR);
    }
    Ok(app)
}

/// One base64url part of a token as JSON.
fn part(encoded: &str) -> Option<Value> {
    let bytes = URL_SAFE_NO_PAD.decode(encoded.trim_end_matches('=')).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// `iss` as an app id: a whole number, or a string holding one.
fn issuer(iss: Option<&Value>) -> Option<u64> {
    match iss? {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encode(value: &Value) -> String {
        URL_SAFE_NO_PAD.encode(value.to_string())
    }

    #[test]
    fn an_unsigned_token_is_read_for_the_record_but_refused() {
        let header = encode(&serde_json::json!({"alg": "none"}));
        let claims = encode(&serde_json::json!({"iss": "42", "iat": 1, "exp": 2}));
        let checked = check(&format!("{header}.{claims}."), 0, |_| None);
        assert_eq!(checked.alg.as_deref(), Some("none"));
        assert_eq!(
            (checked.iss, checked.iat, checked.exp),
            (Some(42), Some(1), Some(2))
        );
        assert_eq!(checked.outcome, Err(UNDECODABLE));
    }

    #[test]
    fn garbage_is_not_decoded_and_a_bad_issuer_is_named() {
        assert_eq!(check("not a token", 0, |_| None).outcome, Err(UNDECODABLE));
        let header = encode(&serde_json::json!({"alg": "RS256"}));
        let claims = encode(&serde_json::json!({"iss": "Iv1.abc"}));
        let checked = check(&format!("{header}.{claims}.c2ln"), 0, |_| None);
        assert_eq!(checked.outcome, Err(BAD_ISSUER));
    }
}
