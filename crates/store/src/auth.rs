//! Secrets: Argon2id password hashes, random tokens, and token digests.

use argon2::Argon2;
use argon2::password_hash::{
    PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng,
};
use sha2::{Digest, Sha256};

/// Argon2id (the crate's default algorithm and parameters) in PHC string form.
/// CPU-heavy: call it from a blocking thread in async code.
pub fn hash_password(password: &str) -> Result<String, String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| e.to_string())
}

/// False for a wrong password and for a malformed stored hash alike.
pub fn verify_password(password: &str, stored: &str) -> bool {
    match PasswordHash::new(stored) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// A 256-bit random token as 64 hex characters (session ids, API tokens).
pub fn random_token() -> String {
    let mut buf = [0u8; 32];
    // The OS random source failing is not something a request can recover from.
    getrandom::fill(&mut buf).expect("the operating system's random source is unavailable");
    crate::audit::hex(&buf)
}

/// A password that meets the complexity rule, for first start and resets:
/// 16 characters from an alphabet without look-alikes, plus a fixed class mix.
pub fn random_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut buf = [0u8; 16];
    getrandom::fill(&mut buf).expect("the operating system's random source is unavailable");
    let body: String = buf
        .iter()
        .map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char)
        .collect();
    format!("{body}-Q7a")
}

/// Tokens are stored only as their SHA-256 digest, so a database leak does not leak sessions.
pub fn token_digest(token: &str) -> String {
    crate::audit::hex(&Sha256::digest(token.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_verifies_only_the_right_password() {
        let h = hash_password("Secret-123").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("Secret-123", &h));
        assert!(!verify_password("Secret-124", &h));
        assert!(!verify_password("Secret-123", "not a hash"));
    }

    #[test]
    fn random_password_meets_the_rule_and_differs() {
        let a = random_password();
        let b = random_password();
        assert_ne!(a, b);
        assert_eq!(qcity_domain::role::check_password(&a), Ok(()));
        assert_eq!(random_token().len(), 64);
    }
}
