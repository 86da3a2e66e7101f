//! Encryption of secrets kept in the database: TOTP seeds and webhook signing secrets now,
//! CSD keys and provider credentials later. AES-256-GCM with a key from the environment; a
//! database dump alone reveals none of them.

use aes_gcm::aead::{Aead, AeadCore, KeyInit, OsRng};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use crate::Result;

/// Marks the format, so a later key rotation can tell old values from new.
const PREFIX: &str = "v1:";
const NONCE_LEN: usize = 12;

#[derive(Clone)]
pub struct SecretBox {
    cipher: Aes256Gcm,
    /// Signs tokens handed to the outside (tracking links), derived from the same key.
    signing_key: [u8; 32],
}

impl SecretBox {
    pub fn new(key: &[u8; 32]) -> Self {
        use sha2::Digest;
        let mut derive = sha2::Sha256::new();
        derive.update(b"tianguis signing key");
        derive.update(key);
        Self {
            cipher: Aes256Gcm::new(&Key::<Aes256Gcm>::from(*key)),
            signing_key: derive.finalize().into(),
        }
    }

    /// An HMAC-SHA256 of `message`, cut to 128 bits and base64url-encoded.
    pub fn sign(&self, message: &[u8]) -> String {
        use hmac::{Hmac, Mac};
        let mut mac = <Hmac<sha2::Sha256> as Mac>::new_from_slice(&self.signing_key)
            .expect("HMAC takes any key length");
        mac.update(message);
        let tag = mac.finalize().into_bytes();
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&tag[..16])
    }

    /// Whether `signature` is [`Self::sign`] of `message`, compared in constant time.
    pub fn verify(&self, message: &[u8], signature: &str) -> bool {
        crate::secrets::constant_time_eq(&self.sign(message), signature)
    }

    /// Encrypts `plaintext` with a fresh random nonce.
    pub fn seal(&self, plaintext: &str) -> Result<String> {
        let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
        let ciphertext = self
            .cipher
            .encrypt(&nonce, plaintext.as_bytes())
            .map_err(|_| anyhow::anyhow!("encrypting a secret"))?;
        let mut sealed = nonce.to_vec();
        sealed.extend_from_slice(&ciphertext);
        Ok(format!("{PREFIX}{}", STANDARD.encode(sealed)))
    }

    pub fn open(&self, sealed: &str) -> Result<String> {
        let unreadable = || anyhow::anyhow!("a stored secret cannot be decrypted with this key");
        let bytes = sealed
            .strip_prefix(PREFIX)
            .and_then(|b64| STANDARD.decode(b64).ok())
            .filter(|b| b.len() > NONCE_LEN)
            .ok_or_else(unreadable)?;
        let (nonce, ciphertext) = bytes.split_at(NONCE_LEN);
        let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| unreadable())?;
        let plaintext = self
            .cipher
            .decrypt(&Nonce::from(nonce), ciphertext)
            .map_err(|_| unreadable())?;
        Ok(String::from_utf8(plaintext).map_err(|_| unreadable())?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_secret_opens_with_its_key_only() {
        let sealed_box = SecretBox::new(&[7; 32]);
        let sealed = sealed_box.seal("JBSWY3DPEHPK3PXP").expect("seal");
        assert!(sealed.starts_with("v1:"));
        assert!(!sealed.contains("JBSWY3DPEHPK3PXP"));
        assert_eq!(sealed_box.open(&sealed).expect("open"), "JBSWY3DPEHPK3PXP");
        assert_ne!(
            sealed,
            sealed_box.seal("JBSWY3DPEHPK3PXP").expect("seal"),
            "fresh nonce"
        );
        assert!(SecretBox::new(&[8; 32]).open(&sealed).is_err());
        assert!(sealed_box.open("JBSWY3DPEHPK3PXP").is_err());
    }
}
