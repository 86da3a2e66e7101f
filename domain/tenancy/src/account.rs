//! The person's own account: email verification and password reset, each through a
//! single-use token that only its hash is stored of.

use std::time::Duration;

use chrono::TimeDelta;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
};
use tianguis_entity::tenancy::{user_tokens, users};
use uuid::Uuid;

use super::secrets::{hash_password, random_token, sha256_hex};
use crate::db::begin_system;
use crate::db::stamped;
use crate::email::{self, Branding, NewEmail};
use crate::policy::Password;
use crate::ports::Job;
use crate::rules::EmailAddress;
use crate::{Deps, Error, Result, TenantCtx};

const VERIFY_EMAIL: &str = "verify_email";
const RESET_PASSWORD: &str = "reset_password";
const VERIFY_TTL: TimeDelta = TimeDelta::days(3);
const RESET_TTL: TimeDelta = TimeDelta::hours(1);

async fn issue_token<C: ConnectionTrait>(
    conn: &C,
    deps: &Deps,
    user_id: Uuid,
    purpose: &str,
    ttl: TimeDelta,
) -> Result<String> {
    let now = deps.clock.now();
    // A new token replaces any earlier one for the same purpose.
    user_tokens::Entity::update_many()
        .col_expr(
            user_tokens::Column::UsedAt,
            sea_orm::sea_query::Expr::value(now),
        )
        .filter(user_tokens::Column::UserId.eq(user_id))
        .filter(user_tokens::Column::Purpose.eq(purpose))
        .filter(user_tokens::Column::UsedAt.is_null())
        .exec(conn)
        .await?;
    let token = random_token(48);
    stamped(
        now,
        user_tokens::ActiveModel {
            id: Set(Uuid::now_v7()),
            user_id: Set(user_id),
            purpose: Set(purpose.to_owned()),
            token_hash: Set(sha256_hex(&token)),
            expires_at: Set(now + ttl),
            used_at: Set(None),
            ..Default::default()
        },
    )
    .insert(conn)
    .await?;
    Ok(token)
}

/// Spends a token: the user it was for, or BAD_USER_INPUT on `token`.
async fn consume_token<C: ConnectionTrait>(
    conn: &C,
    deps: &Deps,
    token: &str,
    purpose: &str,
) -> Result<Uuid> {
    let invalid = || {
        Error::invalid(
            "token",
            "this link is not valid, was already used or has expired",
        )
    };
    let now = deps.clock.now();
    let row = user_tokens::Entity::find()
        .filter(user_tokens::Column::TokenHash.eq(sha256_hex(token)))
        .filter(user_tokens::Column::Purpose.eq(purpose))
        .one(conn)
        .await?
        .ok_or_else(invalid)?;
    if row.expires_at <= now {
        return Err(invalid());
    }
    let claimed = user_tokens::Entity::update_many()
        .col_expr(
            user_tokens::Column::UsedAt,
            sea_orm::sea_query::Expr::value(now),
        )
        .filter(user_tokens::Column::Id.eq(row.id))
        .filter(user_tokens::Column::UsedAt.is_null())
        .exec(conn)
        .await?;
    if claimed.rows_affected == 0 {
        return Err(invalid());
    }
    Ok(row.user_id)
}

fn link(deps: &Deps, path: &str, token: &str) -> String {
    format!(
        "{}/{path}?token={token}",
        deps.mail.app_url.trim_end_matches('/')
    )
}

/// Issues a verification token and queues its email; returns the job that sends it.
pub(crate) async fn queue_verification<C: ConnectionTrait>(
    conn: &C,
    deps: &Deps,
    user: &users::Model,
) -> Result<Job> {
    let token = issue_token(conn, deps, user.id, VERIFY_EMAIL, VERIFY_TTL).await?;
    let link = link(deps, "verify-email", &token);
    queue_account_email(
        conn,
        deps,
        user,
        &crate::emails::VerifyEmail {
            name: &user.display_name,
            link: &link,
        },
    )
    .await
}

/// Queues an email about the person's account rather than one business, in Tianguis's own
/// branding; returns the job that sends it.
pub(crate) async fn queue_account_email<C: ConnectionTrait>(
    conn: &C,
    deps: &Deps,
    user: &users::Model,
    template: &dyn email::EmailTemplate,
) -> Result<Job> {
    email::queue(
        conn,
        NewEmail {
            at: deps.clock.now(),
            tenant_id: None,
            to: &user.email,
            locale: &user.locale,
            branding: &Branding::tianguis(),
            template,
        },
    )
    .await
}

pub async fn verify_email(deps: &Deps, token: &str) -> Result<()> {
    let tx = begin_system(&deps.db).await?;
    let user_id = consume_token(&tx, deps, token, VERIFY_EMAIL).await?;
    users::Entity::update_many()
        .col_expr(
            users::Column::EmailVerifiedAt,
            sea_orm::sea_query::Expr::value(deps.clock.now()),
        )
        .filter(users::Column::Id.eq(user_id))
        .exec(&tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// Sends the signed-in user a new verification link.
pub async fn resend_verification(deps: &Deps, ctx: &TenantCtx) -> Result<()> {
    let (user_id, _, _) = ctx.user()?;
    let tx = begin_system(&deps.db).await?;
    let user = users::Entity::find_by_id(user_id)
        .one(&tx)
        .await?
        .ok_or(Error::NotFound("user"))?;
    if user.email_verified_at.is_some() {
        return Err(Error::conflict("email", "this email is already confirmed"));
    }
    let job = queue_verification(&tx, deps, &user).await?;
    tx.commit().await?;
    deps.jobs.enqueue(job, Duration::ZERO).await?;
    Ok(())
}

/// Mails a reset link if the address has an account. The answer is the same either way,
/// so the mutation does not reveal who has an account.
pub async fn request_password_reset(deps: &Deps, email: &str) -> Result<()> {
    let Ok(email) = EmailAddress::parse(email, "email") else {
        return Ok(());
    };
    let tx = begin_system(&deps.db).await?;
    let Some(user) = users::Entity::find()
        .filter(users::Column::Email.eq(email.as_str()))
        .filter(users::Column::Status.eq(crate::members::UserStatus::Active.key()))
        .one(&tx)
        .await?
    else {
        return Ok(());
    };
    let token = issue_token(&tx, deps, user.id, RESET_PASSWORD, RESET_TTL).await?;
    let link = link(deps, "reset-password", &token);
    let job = queue_account_email(
        &tx,
        deps,
        &user,
        &crate::emails::PasswordReset {
            name: &user.display_name,
            link: &link,
        },
    )
    .await?;
    tx.commit().await?;
    deps.jobs.enqueue(job, Duration::ZERO).await?;
    Ok(())
}

/// Sets a new password with a reset token and ends every session of the account.
pub async fn reset_password(deps: &Deps, token: &str, new_password: &str) -> Result<()> {
    let password = Password::parse(new_password, "password")?;
    let hash = hash_password(password.expose().to_owned()).await?;
    let now = deps.clock.now();
    let tx = begin_system(&deps.db).await?;
    let user_id = consume_token(&tx, deps, token, RESET_PASSWORD).await?;
    users::Entity::update_many()
        .col_expr(
            users::Column::PasswordHash,
            sea_orm::sea_query::Expr::value(hash),
        )
        .col_expr(
            users::Column::UpdatedAt,
            sea_orm::sea_query::Expr::value(now),
        )
        // Receiving the link proves the address, too.
        .col_expr(
            users::Column::EmailVerifiedAt,
            sea_orm::sea_query::Expr::value(now),
        )
        .filter(users::Column::Id.eq(user_id))
        .exec(&tx)
        .await?;
    super::auth::revoke_sessions(
        &tx,
        super::auth::Sessions::OfUser(user_id),
        "password_reset",
        now,
    )
    .await?;
    tx.commit().await?;
    super::access_cache::access_changed(deps).await;
    Ok(())
}
