//! Two-factor authentication with time-based one-time codes (RFC 6238).

use sea_orm::{ActiveValue::Set, EntityTrait};
use tianguis_entity::tenancy::users;
use totp_rs::{Algorithm, Secret, TOTP};

use super::audit;
use crate::db::TenantTx;
use crate::{Deps, Error, Result, TenantCtx};

const ISSUER: &str = "Tianguis";

fn totp_for(secret_base32: &str, account: &str) -> Result<TOTP> {
    let bytes = Secret::Encoded(secret_base32.to_owned())
        .to_bytes()
        .map_err(|e| anyhow::anyhow!("stored TOTP secret: {e:?}"))?;
    // One step of skew either way tolerates phone clocks a little off.
    TOTP::new(
        Algorithm::SHA1,
        6,
        1,
        30,
        bytes,
        Some(ISSUER.into()),
        account.to_owned(),
    )
    .map_err(|e| anyhow::anyhow!("TOTP parameters: {e}").into())
}

/// Whether `code` is valid now for the user's stored (encrypted) secret.
pub(crate) fn check(deps: &Deps, user: &users::Model, code: &str) -> Result<bool> {
    let Some(sealed) = user.totp_secret.as_deref() else {
        return Ok(false);
    };
    let secret = deps.secrets.open(sealed)?;
    totp_for(&secret, &user.email)?
        .check_current(code.trim())
        .map_err(|e| anyhow::anyhow!("system clock: {e}").into())
}

pub struct Enrollment {
    pub secret: String,
    pub otpauth_url: String,
}

async fn load_user(tx: &TenantTx, ctx: &TenantCtx) -> Result<users::Model> {
    let (user_id, _, _) = ctx.user()?;
    users::Entity::find_by_id(user_id)
        .one(&**tx)
        .await?
        .ok_or(Error::NotFound("user"))
}

/// Starts enrolment: a new secret, active only once a code from it is verified.
pub async fn enroll(deps: &Deps, ctx: &TenantCtx) -> Result<Enrollment> {
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let user = load_user(&tx, ctx).await?;
    if user.totp_enabled {
        return Err(Error::conflict(
            "totp",
            "two-factor authentication is already on",
        ));
    }
    let secret = Secret::generate_secret().to_encoded().to_string();
    let otpauth_url = totp_for(&secret, &user.email)?.get_url();
    let user_id = user.id;
    let mut model: users::ActiveModel = user.into();
    model.totp_secret = Set(Some(deps.secrets.seal(&secret)?));
    tx.update(model).await?;
    audit::record(
        &mut tx,
        ctx,
        "tenancy.user.totp_enrollment_started",
        ("user", Some(user_id)),
        serde_json::json!({}),
    )
    .await?;
    tx.commit().await?;
    Ok(Enrollment {
        secret,
        otpauth_url,
    })
}

pub async fn verify(deps: &Deps, ctx: &TenantCtx, code: &str) -> Result<()> {
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let user = load_user(&tx, ctx).await?;
    if user.totp_secret.is_none() {
        return Err(Error::invalid("code", "start enrolment first"));
    }
    if !check(deps, &user, code)? {
        return Err(Error::invalid("code", "the code is wrong or too old"));
    }
    let user_id = user.id;
    let mut model: users::ActiveModel = user.into();
    model.totp_enabled = Set(true);
    tx.update(model).await?;
    audit::record(
        &mut tx,
        ctx,
        "tenancy.user.totp_enabled",
        ("user", Some(user_id)),
        serde_json::json!({}),
    )
    .await?;
    tx.commit().await
}

/// Turns 2FA off; a current code proves the authenticator is still at hand.
pub async fn disable(deps: &Deps, ctx: &TenantCtx, code: &str) -> Result<()> {
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let user = load_user(&tx, ctx).await?;
    if !user.totp_enabled {
        return Err(Error::invalid(
            "code",
            "two-factor authentication is not on",
        ));
    }
    if !check(deps, &user, code)? {
        return Err(Error::invalid("code", "the code is wrong or too old"));
    }
    let user_id = user.id;
    let mut model: users::ActiveModel = user.into();
    model.totp_enabled = Set(false);
    model.totp_secret = Set(None);
    tx.update(model).await?;
    audit::record(
        &mut tx,
        ctx,
        "tenancy.user.totp_disabled",
        ("user", Some(user_id)),
        serde_json::json!({}),
    )
    .await?;
    tx.commit().await
}
