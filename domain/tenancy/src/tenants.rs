//! Tenants (businesses): creation with their system roles, and their settings.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use tianguis_entity::tenancy::{memberships, roles, tenants};
use uuid::Uuid;

use super::audit;
use super::secrets::random_token;
use crate::db::TenantTx;
use crate::email::Branding;
use crate::error::conflict_on;
use crate::policy::{self, Slug};
use crate::rules;
use crate::{Deps, Error, Permission, Result, TenantCtx};

tianguis_kernel::stored_enum! {
    /// A suspended business's members cannot sign in to it.
    pub enum TenantStatus {
        Active = "active",
        Suspended = "suspended",
    }
}

#[derive(Clone, Debug)]
pub struct Tenant {
    pub id: Uuid,
    pub name: String,
    pub slug: String,
    pub plan: String,
    pub status: String,
    pub country: String,
    pub timezone: String,
    pub currency: String,
    pub locale: String,
    pub logo_url: Option<String>,
    pub brand_color: String,
    pub created_at: DateTime<Utc>,
}

impl From<tenants::Model> for Tenant {
    fn from(m: tenants::Model) -> Self {
        Self {
            id: m.id,
            name: m.name,
            slug: m.slug,
            plan: m.plan,
            status: m.status,
            country: m.country,
            timezone: m.timezone,
            currency: m.currency,
            locale: m.locale,
            logo_url: m.logo_url,
            brand_color: m.brand_color,
            created_at: m.created_at,
        }
    }
}

const DEFAULT_BRAND_COLOR: &str = "#0F766E";

/// The tenant's email branding and locale.
pub async fn branding<C: ConnectionTrait>(conn: &C, tenant_id: Uuid) -> Result<(Branding, String)> {
    let tenant = tenants::Entity::find_by_id(tenant_id)
        .one(conn)
        .await?
        .ok_or(Error::NotFound("tenant"))?;
    Ok((
        Branding {
            name: tenant.name,
            logo_url: tenant.logo_url,
            color: tenant.brand_color,
        },
        tenant.locale,
    ))
}

/// A new tenant's validated settings; Mexican defaults where the client gives none.
pub struct NewTenant {
    name: String,
    slug: Option<Slug>,
    country: String,
    timezone: String,
    currency: String,
    locale: String,
}

impl NewTenant {
    pub fn parse(
        name: &str,
        slug: Option<&str>,
        country: Option<&str>,
        timezone: Option<&str>,
        currency: Option<&str>,
        locale: Option<&str>,
    ) -> Result<Self> {
        Ok(Self {
            name: rules::required_text(name, "businessName", 120)?,
            slug: slug.map(|s| Slug::parse(s, "slug")).transpose()?,
            country: rules::country_code(country.unwrap_or("MX"))?,
            timezone: rules::timezone_name(timezone.unwrap_or("America/Mexico_City"))?,
            currency: rules::currency_code(currency.unwrap_or("MXN"))?,
            locale: rules::locale_tag(locale.unwrap_or("es-MX"))?,
        })
    }

    pub fn locale(&self) -> &str {
        &self.locale
    }

    /// Picks the slug: the requested one must be free; a derived one gets a suffix if taken.
    pub async fn resolve_slug<C: ConnectionTrait>(&mut self, conn: &C) -> Result<()> {
        let taken = |slug: String| async move {
            tenants::Entity::find()
                .filter(tenants::Column::Slug.eq(slug))
                .one(conn)
                .await
                .map(|t| t.is_some())
        };
        match &self.slug {
            Some(slug) if taken(slug.as_str().to_owned()).await? => Err(Error::conflict(
                "slug",
                format!("the slug '{}' is taken", slug.as_str()),
            )),
            Some(_) => Ok(()),
            None => {
                let base = Slug::from_name(&self.name);
                let mut candidate = base.as_str().to_owned();
                while taken(candidate.clone()).await? {
                    candidate = format!("{}-{}", base.as_str(), random_token(4).to_lowercase());
                }
                self.slug = Some(Slug::parse(&candidate, "slug")?);
                Ok(())
            }
        }
    }
}

/// Inserts the tenant, its system roles and the owner's membership.
pub(crate) async fn provision(
    tx: &TenantTx,
    settings: NewTenant,
    owner_user_id: Uuid,
) -> Result<(tenants::Model, memberships::Model)> {
    let slug = settings
        .slug
        .ok_or_else(|| anyhow::anyhow!("slug resolved before provisioning"))?;
    let tenant = tx
        .insert(tenants::ActiveModel {
            id: Set(tx.tenant_id()),
            name: Set(settings.name),
            slug: Set(slug.as_str().to_owned()),
            plan: Set(crate::plans::Plan::Free.key().to_owned()),
            status: Set(TenantStatus::Active.key().into()),
            country: Set(settings.country),
            timezone: Set(settings.timezone),
            currency: Set(settings.currency),
            locale: Set(settings.locale),
            logo_url: Set(None),
            brand_color: Set(DEFAULT_BRAND_COLOR.to_owned()),
            stripe_customer_id: Set(None),
            stripe_subscription_id: Set(None),
            plan_changed_at: Set(None),
            ..Default::default()
        })
        .await
        .map_err(|e| {
            conflict_on(
                e,
                "tenants_slug",
                "tenants.slug",
                "slug",
                "that slug is taken",
            )
        })?;

    let mut owner_role = None;
    for role in policy::system_roles() {
        let model = tx
            .insert(roles::ActiveModel {
                id: Set(Uuid::now_v7()),
                tenant_id: Set(tenant.id),
                key: Set(role.key.to_owned()),
                name: Set(role.name.to_owned()),
                description: Set(role.description.to_owned()),
                permissions: Set(role.permissions.to_json()),
                is_system: Set(true),
                ..Default::default()
            })
            .await?;
        if role.key == policy::OWNER_ROLE {
            owner_role = Some(model.id);
        }
    }
    let owner_role = owner_role.ok_or_else(|| anyhow::anyhow!("no owner system role"))?;
    let membership = tx
        .insert(memberships::ActiveModel {
            id: Set(Uuid::now_v7()),
            tenant_id: Set(tenant.id),
            user_id: Set(owner_user_id),
            role_id: Set(owner_role),
            status: Set(crate::members::Status::Active.key().to_owned()),
            ..Default::default()
        })
        .await?;
    Ok((tenant, membership))
}

/// The caller's current tenant.
pub async fn current(deps: &Deps, ctx: &TenantCtx) -> Result<Tenant> {
    let tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let tenant = tenants::Entity::find_by_id(ctx.tenant_id)
        .one(&*tx)
        .await?
        .ok_or(Error::NotFound("tenant"))?;
    tx.commit().await?;
    Ok(tenant.into())
}

#[derive(Default)]
pub struct UpdateSettings {
    pub name: Option<String>,
    pub country: Option<String>,
    pub timezone: Option<String>,
    pub currency: Option<String>,
    pub locale: Option<String>,
    pub logo_url: Option<String>,
    pub brand_color: Option<String>,
}

pub async fn update_settings(deps: &Deps, ctx: &TenantCtx, cmd: UpdateSettings) -> Result<Tenant> {
    ctx.require(Permission::TenantSettingsWrite)?;
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let current = tenants::Entity::find_by_id(ctx.tenant_id)
        .one(&*tx)
        .await?
        .ok_or(Error::NotFound("tenant"))?;
    let mut model: tenants::ActiveModel = current.into();
    if let Some(name) = cmd.name {
        model.name = Set(rules::required_text(&name, "name", 120)?);
    }
    if let Some(country) = cmd.country {
        model.country = Set(rules::country_code(&country)?);
    }
    if let Some(timezone) = cmd.timezone {
        model.timezone = Set(rules::timezone_name(&timezone)?);
    }
    if let Some(currency) = cmd.currency {
        model.currency = Set(rules::currency_code(&currency)?);
    }
    if let Some(locale) = cmd.locale {
        model.locale = Set(rules::locale_tag(&locale)?);
    }
    if let Some(url) = cmd.logo_url {
        let url = url.trim();
        if !url.is_empty() && (!url.starts_with("https://") || url.len() > 2048) {
            return Err(Error::invalid(
                "logoUrl",
                "the logo must be an https:// URL",
            ));
        }
        model.logo_url = Set(Some(url.to_owned()).filter(|u| !u.is_empty()));
    }
    if let Some(color) = cmd.brand_color {
        let hex = color.trim().strip_prefix('#').unwrap_or_default();
        if !(hex.len() == 6 && hex.bytes().all(|b| b.is_ascii_hexdigit())) {
            return Err(Error::invalid(
                "brandColor",
                "the colour must look like #0F766E",
            ));
        }
        model.brand_color = Set(color.trim().to_uppercase());
    }
    let updated = tx.update(model).await?;
    audit::record(
        &mut tx,
        ctx,
        "tenancy.tenant.settings_updated",
        ("tenant", Some(updated.id)),
        serde_json::json!({
            "name": updated.name, "country": updated.country, "timezone": updated.timezone,
            "currency": updated.currency, "locale": updated.locale,
        }),
    )
    .await?;
    tx.commit().await?;
    Ok(updated.into())
}

/// The business with a public page at `slug` (self-invoicing, booking): one indexed read
/// before a tenant is known, as the public proposal page does.
pub async fn by_slug(deps: &Deps, slug: &str) -> Result<tenants::Model> {
    tenants::Entity::find()
        .filter(tenants::Column::Slug.eq(slug))
        .one(&deps.db)
        .await?
        .ok_or(Error::NotFound("business"))
}
