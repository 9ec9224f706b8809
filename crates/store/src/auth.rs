//! Secrets: Argon2id password hashes, random tokens, and token digests.

use argon2::password_hash::{self, PasswordHash, Salt, SaltString, rand_core::OsRng};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use sha2::{Digest, Sha256};
use std::sync::Mutex;

/// Argon2's working memory (19 MiB with the default parameters), kept for the next hash.
/// Allocated and freed for every sign-in, it made a server's memory grow by that much with
/// each one: once such a block is freed, glibc raises its threshold for giving large blocks
/// their own mapping, so the next ones come from heap it keeps (`bench city`'s server: 164 MB
/// after its six sign-ins; 70 MB with the memory kept).
static MEMORY: Mutex<Vec<Vec<Block>>> = Mutex::new(Vec::new());
/// Working memories kept: as many hashes as a small server runs at once.
const KEPT: usize = 2;

/// Hashes `password` with `salt` in a kept working memory: what the crate's own
/// `PasswordHasher::hash_password` does in a working memory it allocates.
fn hash_with<'a>(
    algorithm: Algorithm,
    version: Version,
    params: &Params,
    password: &[u8],
    salt: Salt<'a>,
) -> password_hash::Result<PasswordHash<'a>> {
    let argon = Argon2::new(algorithm, version, params.clone());
    let mut salt_buf = [0u8; 64];
    let salt_bytes = salt.decode_b64(&mut salt_buf)?;
    let blocks = params.block_count();
    let mut memory = MEMORY
        .lock()
        .ok()
        .and_then(|mut kept| kept.pop())
        .filter(|m| m.len() >= blocks)
        .unwrap_or_else(|| vec![Block::default(); blocks]);
    let output_len = params.output_len().unwrap_or(Params::DEFAULT_OUTPUT_LEN);
    let output = password_hash::Output::init_with(output_len, |out| {
        Ok(argon.hash_password_into_with_memory(password, salt_bytes, out, &mut memory)?)
    });
    if let Ok(mut kept) = MEMORY.lock()
        && kept.len() < KEPT
    {
        kept.push(memory);
    }
    Ok(PasswordHash {
        algorithm: algorithm.ident(),
        version: Some(version.into()),
        params: password_hash::ParamsString::try_from(params)?,
        salt: Some(salt),
        hash: Some(output?),
    })
}

/// Argon2id (the crate's default algorithm and parameters) in PHC string form.
/// CPU-heavy: call it from a blocking thread in async code.
pub fn hash_password(password: &str) -> Result<String, String> {
    let salt = SaltString::generate(&mut OsRng);
    hash_with(
        Algorithm::default(),
        Version::default(),
        &Params::default(),
        password.as_bytes(),
        salt.as_salt(),
    )
    .map(|h| h.to_string())
    .map_err(|e| e.to_string())
}

/// False for a wrong password and for a malformed stored hash alike. The stored hash says its
/// algorithm, version and parameters (`PasswordVerifier::verify_password`, in a kept memory).
pub fn verify_password(password: &str, stored: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(stored) else {
        return false;
    };
    let algorithm = Algorithm::try_from(parsed.algorithm);
    let version = parsed
        .version
        .map_or(Ok(Version::default()), Version::try_from);
    let (Ok(algorithm), Ok(version), Ok(params), Some(salt), Some(expected)) = (
        algorithm,
        version,
        Params::try_from(&parsed),
        parsed.salt,
        parsed.hash,
    ) else {
        return false;
    };
    match hash_with(algorithm, version, &params, password.as_bytes(), salt) {
        // `Output` compares in constant time.
        Ok(computed) => computed.hash == Some(expected),
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
    fn hashes_agree_with_the_crates_own_and_reuse_kept_memory() {
        use argon2::password_hash::{PasswordHasher, PasswordVerifier};
        // A hash made by the crate's own hasher (as stored before, or with another algorithm
        // and parameters) verifies with ours, and ours with the crate's own verifier.
        let salt = SaltString::generate(&mut OsRng);
        let theirs = Argon2::default()
            .hash_password(b"Secret-123", &salt)
            .unwrap()
            .to_string();
        assert!(verify_password("Secret-123", &theirs));
        assert!(!verify_password("Secret-12", &theirs));
        let small = Params::new(64, 1, 1, None).unwrap();
        let argon2i = Argon2::new(Algorithm::Argon2i, Version::V0x10, small)
            .hash_password(b"Secret-123", &salt)
            .unwrap()
            .to_string();
        assert!(verify_password("Secret-123", &argon2i));
        assert!(!verify_password("Secret-124", &argon2i));
        let ours = hash_password("Secret-123").unwrap();
        let parsed = PasswordHash::new(&ours).unwrap();
        assert!(
            Argon2::default()
                .verify_password(b"Secret-123", &parsed)
                .is_ok()
        );
        // The working memory is kept, never more than KEPT of them.
        for _ in 0..3 {
            assert!(verify_password("Secret-123", &ours));
        }
        let kept = MEMORY.lock().unwrap();
        assert!(!kept.is_empty() && kept.len() <= KEPT);
        assert!(
            kept.iter()
                .any(|m| m.len() >= Params::default().block_count())
        );
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
