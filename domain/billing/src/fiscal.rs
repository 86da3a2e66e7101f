//! A business's fiscal profile: who it invoices as, its CSD and its PAC.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use sea_orm::ActiveValue::Set;
use tianguis_entity::billing::fiscal_profiles;
use uuid::Uuid;

use super::cfdi::Element;
use super::csd::{CertificateInfo, Csd};
use crate::audit;
use crate::db::TenantTx;
use crate::ports::{PacAccount, PacError, Stamped};
use crate::rules::required_text;
use crate::rules::{postal_code, rfc, tax_regime};
use crate::{Deps, Error, Permission, Result, TenantCtx};

pub type FiscalProfile = fiscal_profiles::Model;

/// The PACs invoices can be stamped through.
pub const PACS: &[&str] = &["sandbox", "finkok"];

#[derive(Clone, Debug, Default)]
pub struct ProfileInput {
    pub rfc: String,
    pub legal_name: String,
    pub tax_regime: String,
    pub postal_code: String,
    pub series: Option<String>,
    pub pac: Option<String>,
    pub pac_username: Option<String>,
    pub pac_password: Option<String>,
}

/// The CSD as uploaded: base64 of the .cer and the .key files, and the key's password.
#[derive(Clone)]
pub struct CsdUpload {
    pub certificate: String,
    pub private_key: String,
    pub password: String,
}

fn series(raw: Option<&str>) -> Result<String> {
    let series = raw
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .unwrap_or("F")
        .to_uppercase();
    if !series.is_empty() && series.len() <= 25 && series.bytes().all(|b| b.is_ascii_alphanumeric())
    {
        Ok(series)
    } else {
        Err(Error::invalid(
            "series",
            "series is 1 to 25 letters or digits, such as F",
        ))
    }
}

pub async fn get(deps: &Deps, ctx: &TenantCtx) -> Result<Option<FiscalProfile>> {
    ctx.require(Permission::BillingInvoicesRead)?;
    let tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let profile = tx.select::<fiscal_profiles::Entity>().one(&*tx).await?;
    tx.commit().await?;
    Ok(profile)
}

/// Creates or replaces the profile's identity and PAC; an uploaded CSD stays only while the
/// RFC it was issued for does not change.
pub async fn set(deps: &Deps, ctx: &TenantCtx, input: ProfileInput) -> Result<FiscalProfile> {
    ctx.require(Permission::TenantSettingsWrite)?;
    let rfc = rfc(&input.rfc, "rfc")?;
    let legal_name = required_text(&input.legal_name, "legalName", 300)?.to_uppercase();
    let regime = tax_regime(&input.tax_regime, "taxRegime")?;
    let postal = postal_code(&input.postal_code, "postalCode")?;
    let series = series(input.series.as_deref())?;
    let pac = input
        .pac
        .as_deref()
        .unwrap_or("sandbox")
        .trim()
        .to_lowercase();
    if !PACS.contains(&pac.as_str()) {
        return Err(Error::invalid(
            "pac",
            format!("the PAC is one of {}", PACS.join(", ")),
        ));
    }
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let existing = tx.select::<fiscal_profiles::Entity>().one(&*tx).await?;
    let pac_password = input
        .pac_password
        .as_deref()
        .map(|p| deps.secrets.seal(p))
        .transpose()?;
    let mut model: fiscal_profiles::ActiveModel = match existing {
        Some(profile) => {
            let rfc_changed = profile.rfc != rfc;
            let mut model: fiscal_profiles::ActiveModel = profile.into();
            if rfc_changed {
                model.certificate = Set(None);
                model.certificate_number = Set(None);
                model.certificate_valid_from = Set(None);
                model.certificate_valid_until = Set(None);
                model.private_key_sealed = Set(None);
            }
            model
        }
        None => fiscal_profiles::ActiveModel {
            id: Set(Uuid::now_v7()),
            tenant_id: Set(ctx.tenant_id),
            certificate: Set(None),
            certificate_number: Set(None),
            certificate_valid_from: Set(None),
            certificate_valid_until: Set(None),
            private_key_sealed: Set(None),
            pac_password_sealed: Set(None),
            ..Default::default()
        },
    };
    model.rfc = Set(rfc);
    model.legal_name = Set(legal_name);
    model.tax_regime = Set(regime);
    model.postal_code = Set(postal);
    model.series = Set(series);
    model.pac = Set(pac);
    model.pac_username = Set(input
        .pac_username
        .map(|u| u.trim().to_owned())
        .filter(|u| !u.is_empty()));
    if pac_password.is_some() {
        model.pac_password_sealed = Set(pac_password);
    }
    let profile = match model.id.is_unchanged() {
        true => tx.update(model).await?,
        false => tx.insert(model).await?,
    };
    audit::record(
        &mut tx,
        ctx,
        "billing.fiscal_profile.updated",
        ("fiscal_profile", Some(profile.id)),
        serde_json::json!({ "taxRegime": profile.tax_regime, "series": profile.series, "pac": profile.pac }),
    )
    .await?;
    tx.commit().await?;
    Ok(profile)
}

/// Checks and stores the CSD: the key must open with the password and belong to the
/// certificate, which must be valid today and issued to the profile's RFC. The key is kept
/// sealed; the password is not kept at all.
pub async fn upload_csd(deps: &Deps, ctx: &TenantCtx, upload: CsdUpload) -> Result<FiscalProfile> {
    ctx.require(Permission::TenantSettingsWrite)?;
    let decode = |value: &str, field: &'static str| {
        STANDARD
            .decode(value.trim())
            .map_err(|_| Error::invalid(field, "expected the file's contents in base64"))
    };
    let certificate = decode(&upload.certificate, "certificate")?;
    let key = decode(&upload.private_key, "privateKey")?;
    let csd = Csd::open(&certificate, &key, &upload.password)?;
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let profile = tx
        .select::<fiscal_profiles::Entity>()
        .one(&*tx)
        .await?
        .ok_or_else(|| {
            Error::invalid(
                "certificate",
                "set up the fiscal profile (RFC, name, regime) first",
            )
        })?;
    csd.check_for(&profile.rfc, tx.now())?;
    let sealed_key = deps.secrets.seal(&STANDARD.encode(csd.key_pkcs8()))?;
    let info = &csd.certificate;
    let mut model: fiscal_profiles::ActiveModel = profile.into();
    model.certificate = Set(Some(info.base64.clone()));
    model.certificate_number = Set(Some(info.number.clone()));
    model.certificate_valid_from = Set(Some(info.valid_from));
    model.certificate_valid_until = Set(Some(info.valid_until));
    model.private_key_sealed = Set(Some(sealed_key));
    let profile = tx.update(model).await?;
    audit::record(
        &mut tx,
        ctx,
        "billing.csd.uploaded",
        ("fiscal_profile", Some(profile.id)),
        serde_json::json!({ "certificateNumber": info.number, "validUntil": info.valid_until }),
    )
    .await?;
    tx.commit().await?;
    Ok(profile)
}

/// The profile's CSD, unsealed, for sealing an invoice.
pub(crate) fn open_csd(deps: &Deps, profile: &FiscalProfile) -> Result<Csd> {
    let (Some(certificate), Some(sealed)) = (&profile.certificate, &profile.private_key_sealed)
    else {
        return Err(Error::invalid(
            "certificate",
            "upload the CSD (certificate and key) before stamping",
        ));
    };
    let certificate = STANDARD
        .decode(certificate)
        .map_err(|e| anyhow::anyhow!("stored certificate: {e}"))?;
    let key = STANDARD
        .decode(deps.secrets.open(sealed)?)
        .map_err(|e| anyhow::anyhow!("stored key: {e}"))?;
    Csd::from_pkcs8(&certificate, &key)
}

/// The profile of the transaction's tenant, if it has one.
pub(crate) async fn of(tx: &TenantTx) -> Result<Option<FiscalProfile>> {
    Ok(tx.select::<fiscal_profiles::Entity>().one(&**tx).await?)
}

/// The profile of the transaction's tenant, which invoicing needs.
pub(crate) async fn required(tx: &TenantTx) -> Result<FiscalProfile> {
    of(tx).await?.ok_or_else(|| {
        Error::invalid(
            "fiscalProfile",
            "set up the fiscal profile before invoicing",
        )
    })
}

pub(crate) fn pac_account(deps: &Deps, profile: &FiscalProfile) -> Result<PacAccount> {
    Ok(PacAccount {
        provider: profile.pac.clone(),
        username: profile.pac_username.clone(),
        password: profile
            .pac_password_sealed
            .as_deref()
            .map(|s| deps.secrets.open(s))
            .transpose()?,
    })
}

/// Seals the document `build` makes with the business's CSD and has its PAC stamp it. A
/// problem sealing finds in the data is final, like the PAC's own rejection; an error
/// outside the data (the database, the PAC unreachable) is worth another try.
pub(crate) async fn seal_and_stamp(
    deps: &Deps,
    profile: &FiscalProfile,
    build: impl FnOnce(&CertificateInfo) -> Result<Element>,
) -> Result<std::result::Result<Stamped, PacError>> {
    let sealed = open_csd(deps, profile).and_then(|csd| {
        let mut doc = build(&csd.certificate)?;
        super::cfdi::build::seal(&mut doc, &csd)?;
        Ok(doc.to_document())
    });
    match sealed {
        Ok(xml) => Ok(deps.pac.stamp(&pac_account(deps, profile)?, &xml).await),
        Err(Error::Invalid { field, message }) => Ok(Err(PacError::Rejected {
            code: format!("INVALID:{field}"),
            message,
        })),
        Err(other) => Err(other),
    }
}
