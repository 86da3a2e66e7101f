//! Random tokens, fast hashes for high-entropy secrets, and argon2id for passwords.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use rand::Rng;
use rand::distributions::Alphanumeric;
use sha2::{Digest, Sha256};

use crate::{Error, Result};

/// A random alphanumeric string with about 5.95 bits per character.
pub fn random_token(len: usize) -> String {
    rand::rngs::OsRng
        .sample_iter(&Alphanumeric)
        .take(len)
        .map(char::from)
        .collect()
}

/// SHA-256 hex of a high-entropy secret (tokens, keys). Passwords use [`hash_password`].
pub fn sha256_hex(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Argon2id on a blocking thread: it takes tens of milliseconds by design.
pub async fn hash_password(password: String) -> Result<String> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut rand::rngs::OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| anyhow::anyhow!("hashing password: {e}"))
    })
    .await
    .map_err(|e| anyhow::anyhow!("password hashing task: {e}"))?
    .map_err(Error::Unexpected)
}

pub async fn verify_password(password: String, hash: String) -> Result<bool> {
    tokio::task::spawn_blocking(move || {
        let parsed = PasswordHash::new(&hash).map_err(|e| anyhow::anyhow!("stored hash: {e}"))?;
        Ok(Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok())
    })
    .await
    .map_err(|e| anyhow::anyhow!("password verification task: {e}"))?
    .map_err(Error::Unexpected)
}

/// A valid argon2id hash of nothing anyone knows, verified when the email is unknown so
/// that timing does not tell which emails have accounts.
pub const DECOY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$0F6zOiSW4eJ9yyPkSzbnnRh8pSK+C7uVYHsYf1yeoVw";

/// Compares two strings in time independent of where they differ.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_password_verifies_against_its_own_hash_only() {
        let hash = hash_password("tortilla-de-maiz-7".into())
            .await
            .expect("hash");
        assert!(
            verify_password("tortilla-de-maiz-7".into(), hash.clone())
                .await
                .expect("verify")
        );
        assert!(
            !verify_password("tortilla-de-maiz-8".into(), hash)
                .await
                .expect("verify")
        );
    }

    #[tokio::test]
    async fn the_decoy_hash_is_well_formed() {
        assert!(
            !verify_password("anything".into(), DECOY_HASH.into())
                .await
                .expect("verify")
        );
    }

    #[test]
    fn tokens_are_random_and_hashes_stable() {
        assert_ne!(random_token(32), random_token(32));
        assert_eq!(sha256_hex("abc").len(), 64);
        assert!(constant_time_eq(&sha256_hex("abc"), &sha256_hex("abc")));
        assert!(!constant_time_eq("abc", "abd"));
    }
}
