//! The CSD (Certificado de Sello Digital): the certificate SAT issued to a taxpayer for
//! sealing invoices, and its private key as SAT delivers it (.key: PKCS#8 encrypted with
//! the taxpayer's password).
//!
//! A [`Csd`] exists only when the key opens with the password, belongs to the certificate and
//! the certificate carries an RFC; whether it is valid *today* and for *this* taxpayer is the
//! caller's question ([`Csd::check_for`]).

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Utc};
use ring::rand::SystemRandom;
use ring::signature::{RSA_PKCS1_SHA256, RsaKeyPair};
use x509_cert::Certificate;
use x509_cert::der::{Decode, Encode};

use crate::{Error, Result};

/// x500UniqueIdentifier: SAT writes "RFC" or "RFC / RFC of the legal representative".
const UNIQUE_IDENTIFIER: &str = "2.5.4.45";

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertificateInfo {
    /// NoCertificado: the 20 digits SAT encodes as the certificate's serial number.
    pub number: String,
    pub rfc: String,
    pub valid_from: DateTime<Utc>,
    pub valid_until: DateTime<Utc>,
    /// The certificate's DER, base64: the CFDI's `Certificado` attribute.
    pub base64: String,
}

impl CertificateInfo {
    /// Reads a .cer (DER). `field` names the input that carried it.
    pub fn parse(der: &[u8], field: &'static str) -> Result<Self> {
        let unreadable = || {
            Error::invalid(
                field,
                "the certificate is not a DER X.509 certificate (.cer)",
            )
        };
        let cert = Certificate::from_der(der).map_err(|_| unreadable())?;
        let tbs = &cert.tbs_certificate;
        let number = String::from_utf8(tbs.serial_number.as_bytes().to_vec())
            .ok()
            .filter(|n| n.len() == 20 && n.bytes().all(|b| b.is_ascii_digit()))
            .ok_or_else(|| {
                Error::invalid(
                    field,
                    "the certificate's serial number is not a SAT certificate number",
                )
            })?;
        let rfc = tbs
            .subject
            .0
            .iter()
            .flat_map(|rdn| rdn.0.iter())
            .find(|atv| atv.oid.to_string() == UNIQUE_IDENTIFIER)
            .and_then(|atv| std::str::from_utf8(atv.value.value()).ok())
            .and_then(|value| value.split('/').next())
            .map(|rfc| rfc.trim().to_owned())
            .filter(|rfc| !rfc.is_empty())
            .ok_or_else(|| Error::invalid(field, "the certificate names no RFC"))?;
        let time = |t: x509_cert::time::Time| {
            DateTime::<Utc>::from_timestamp(t.to_unix_duration().as_secs() as i64, 0)
                .ok_or_else(unreadable)
        };
        Ok(Self {
            number,
            rfc,
            valid_from: time(tbs.validity.not_before)?,
            valid_until: time(tbs.validity.not_after)?,
            base64: STANDARD.encode(cert.to_der().map_err(|_| unreadable())?),
        })
    }
}

/// A certificate with the private key that belongs to it.
pub struct Csd {
    pub certificate: CertificateInfo,
    key: RsaKeyPair,
    /// The key as unencrypted PKCS#8 DER, for storing it sealed.
    key_pkcs8: Vec<u8>,
}

impl std::fmt::Debug for Csd {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Csd")
            .field("certificate", &self.certificate)
            .finish_non_exhaustive()
    }
}

impl Csd {
    /// Opens a CSD as SAT delivers it: the .cer, the encrypted .key and its password.
    pub fn open(certificate_der: &[u8], encrypted_key: &[u8], password: &str) -> Result<Self> {
        let info = pkcs8::EncryptedPrivateKeyInfo::try_from(encrypted_key).map_err(|_| {
            Error::invalid(
                "privateKey",
                "the key is not a SAT .key file (encrypted PKCS#8)",
            )
        })?;
        let key = info
            .decrypt(password)
            .map_err(|_| Error::invalid("password", "the password does not open this key"))?;
        Self::from_pkcs8(certificate_der, key.as_bytes())
    }

    /// A CSD whose key is already decrypted (as stored, once unsealed).
    pub fn from_pkcs8(certificate_der: &[u8], key_pkcs8: &[u8]) -> Result<Self> {
        let certificate = CertificateInfo::parse(certificate_der, "certificate")?;
        let key = RsaKeyPair::from_pkcs8(key_pkcs8)
            .map_err(|_| Error::invalid("privateKey", "the key is not a usable RSA key"))?;
        let cert = Certificate::from_der(certificate_der)
            .map_err(|_| Error::invalid("certificate", "the certificate cannot be read"))?;
        let certified = cert
            .tbs_certificate
            .subject_public_key_info
            .subject_public_key
            .raw_bytes();
        if key.public().as_ref() != certified {
            return Err(Error::invalid(
                "privateKey",
                "the key does not belong to this certificate",
            ));
        }
        Ok(Self {
            certificate,
            key,
            key_pkcs8: key_pkcs8.to_vec(),
        })
    }

    /// Refuses a CSD that is not valid at `now` or is not `rfc`'s.
    pub fn check_for(&self, rfc: &str, now: DateTime<Utc>) -> Result<()> {
        let cert = &self.certificate;
        if now < cert.valid_from || now > cert.valid_until {
            return Err(Error::invalid(
                "certificate",
                format!(
                    "the certificate is valid from {} to {}, not today",
                    cert.valid_from.date_naive(),
                    cert.valid_until.date_naive()
                ),
            ));
        }
        if cert.rfc != rfc {
            return Err(Error::invalid(
                "certificate",
                format!("the certificate is {}'s, not {rfc}'s", cert.rfc),
            ));
        }
        Ok(())
    }

    pub fn key_pkcs8(&self) -> &[u8] {
        &self.key_pkcs8
    }

    /// The sello: RSA PKCS#1 v1.5 with SHA-256 over `message`, base64.
    pub fn seal(&self, message: &[u8]) -> Result<String> {
        let mut signature = vec![0; self.key.public().modulus_len()];
        self.key
            .sign(
                &RSA_PKCS1_SHA256,
                &SystemRandom::new(),
                message,
                &mut signature,
            )
            .map_err(|_| anyhow::anyhow!("signing with the CSD"))?;
        Ok(STANDARD.encode(signature))
    }
}

/// Checks a base64 sello over `message` against a base64 DER certificate's public key.
pub fn verify_seal(certificate_base64: &str, message: &[u8], seal_base64: &str) -> bool {
    let (Ok(der), Ok(seal)) = (
        STANDARD.decode(certificate_base64),
        STANDARD.decode(seal_base64),
    ) else {
        return false;
    };
    let Ok(cert) = Certificate::from_der(&der) else {
        return false;
    };
    let public_key = cert
        .tbs_certificate
        .subject_public_key_info
        .subject_public_key
        .raw_bytes();
    ring::signature::UnparsedPublicKey::new(
        &ring::signature::RSA_PKCS1_2048_8192_SHA256,
        public_key,
    )
    .verify(message, &seal)
    .is_ok()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub const CER: &[u8] = include_bytes!("../testdata/csd/eku.cer");
    pub const KEY: &[u8] = include_bytes!("../testdata/csd/eku.key");
    pub const PASSWORD: &str = "12345678a";
    const EXPIRED_CER: &[u8] = include_bytes!("../testdata/csd/expired.cer");
    const EXPIRED_KEY: &[u8] = include_bytes!("../testdata/csd/expired.key");

    pub fn csd() -> Csd {
        Csd::open(CER, KEY, PASSWORD).expect("test CSD opens")
    }

    fn field(result: Result<Csd>) -> String {
        match result {
            Err(Error::Invalid { field, .. }) => field.into_owned(),
            other => panic!("expected an invalid field, got {other:?}"),
        }
    }

    #[test]
    fn reads_number_rfc_and_validity_from_the_certificate() {
        let csd = csd();
        assert_eq!(csd.certificate.number, "30001000000500003416");
        assert_eq!(csd.certificate.rfc, "EKU9003173C9");
        assert_eq!(
            csd.certificate.valid_from.to_rfc3339(),
            "2025-01-01T00:00:00+00:00"
        );
        assert_eq!(STANDARD.decode(&csd.certificate.base64).expect("b64"), CER);
    }

    #[test]
    fn refuses_a_wrong_password_a_foreign_key_and_garbage() {
        assert_eq!(field(Csd::open(CER, KEY, "wrong")), "password");
        assert_eq!(field(Csd::open(CER, EXPIRED_KEY, PASSWORD)), "privateKey");
        assert_eq!(field(Csd::open(CER, b"not a key", PASSWORD)), "privateKey");
        assert_eq!(
            field(Csd::open(b"not a cert", KEY, PASSWORD)),
            "certificate"
        );
    }

    #[test]
    fn checks_validity_today_and_the_rfc() {
        let now = "2026-12-02T00:00:00Z".parse().expect("now");
        csd().check_for("EKU9003173C9", now).expect("valid");
        let expired = Csd::open(EXPIRED_CER, EXPIRED_KEY, PASSWORD).expect("opens");
        assert!(expired.check_for("EKU9003173C9", now).is_err());
        assert!(csd().check_for("XAXX010101000", now).is_err());
    }

    #[test]
    fn a_seal_verifies_with_the_certificate_and_not_with_other_text() {
        let csd = csd();
        let seal = csd.seal(b"||4.0|A|1||").expect("seal");
        assert!(verify_seal(&csd.certificate.base64, b"||4.0|A|1||", &seal));
        assert!(!verify_seal(&csd.certificate.base64, b"||4.0|A|2||", &seal));
    }

    #[test]
    fn the_stored_key_reopens_the_same_csd() {
        let csd = csd();
        let again = Csd::from_pkcs8(CER, csd.key_pkcs8()).expect("reopens");
        assert_eq!(again.certificate, csd.certificate);
    }
}
