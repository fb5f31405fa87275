//! Password hashing: argon2id with the parameters below (OWASP's minimum:
//! 19 MiB, two passes, one lane), all in this one place. Hashes are PHC strings;
//! a stored hash made with other parameters is replaced at the next sign-in.
//! Hashing is slow on purpose: call these from blocking threads.
use std::sync::OnceLock;

use argon2::password_hash::phc::PasswordHash;
use argon2::{Algorithm, Argon2, Params, PasswordHasher, PasswordVerifier, Version};

/// Memory cost in KiB.
pub const M_COST_KIB: u32 = 19_456;
/// Passes over memory.
pub const T_COST: u32 = 2;
/// Lanes.
pub const P_COST: u32 = 1;
/// The shortest password accepted.
pub const MIN_LENGTH: usize = 12;
/// The longest password accepted (hashing cost grows with length).
pub const MAX_LENGTH: usize = 1024;

/// Why a password could not be set.
#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    /// Too short or too long.
    #[error("a password must be {MIN_LENGTH} to {MAX_LENGTH} characters long")]
    Weak,
    /// The hasher failed (it does not for valid parameters).
    #[error("hashing the password failed")]
    Hashing,
}

fn hasher() -> Result<Argon2<'static>, PasswordError> {
    let params =
        Params::new(M_COST_KIB, T_COST, P_COST, None).map_err(|_| PasswordError::Hashing)?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// Checks a new password's length.
///
/// # Errors
/// [`PasswordError::Weak`].
pub fn check_strength(password: &str) -> Result<(), PasswordError> {
    let n = password.chars().count();
    if (MIN_LENGTH..=MAX_LENGTH).contains(&n) {
        Ok(())
    } else {
        Err(PasswordError::Weak)
    }
}

/// The PHC string of `password` under the current parameters, with a fresh salt.
///
/// # Errors
/// [`PasswordError::Hashing`] if the hasher fails.
pub fn hash(password: &str) -> Result<String, PasswordError> {
    let hash = hasher()?
        .hash_password(password.as_bytes())
        .map_err(|_| PasswordError::Hashing)?;
    Ok(hash.to_string())
}

/// Whether `password` matches the PHC string `stored` (with the parameters it
/// names). A malformed hash matches nothing.
#[must_use]
pub fn verify(password: &str, stored: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(stored) else {
        return false;
    };
    hasher().is_ok_and(|h| h.verify_password(password.as_bytes(), &parsed).is_ok())
}

/// Whether `stored` was made with other than the current algorithm or parameters.
#[must_use]
pub fn needs_rehash(stored: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(stored) else {
        return true;
    };
    if parsed.algorithm.as_str() != "argon2id" {
        return true;
    }
    match Params::try_from(&parsed) {
        Ok(p) => p.m_cost() != M_COST_KIB || p.t_cost() != T_COST || p.p_cost() != P_COST,
        Err(_) => true,
    }
}

/// A hash of a random password, verified against when the login is unknown so the
/// answer takes as long as for a wrong password.
#[must_use]
pub fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| hash(&uuid::Uuid::new_v4().to_string()).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_verifies_its_password_only_and_names_the_current_parameters() {
        let h = hash("correct horse battery").unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert!(verify("correct horse battery", &h));
        assert!(!verify("correct horse batterz", &h));
        assert!(!needs_rehash(&h));
        assert!(!verify("x", "not a hash"));
    }

    #[test]
    fn hashes_with_other_parameters_need_rehashing() {
        let weak = Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            Params::new(8, 1, 1, None).unwrap(),
        )
        .hash_password(b"pw")
        .unwrap()
        .to_string();
        assert!(needs_rehash(&weak));
        assert!(verify("pw", &weak));
    }

    #[test]
    fn short_passwords_are_refused() {
        assert!(check_strength("short").is_err());
        assert!(check_strength("long enough pw").is_ok());
    }
}
