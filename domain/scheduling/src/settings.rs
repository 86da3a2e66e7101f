//! A business's scheduling settings: when reminders go out and with which WhatsApp
//! template, its public booking page, and the secret address of its calendar feed. A
//! business that never changed them has the defaults, written on first use.

use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use tianguis_entity::messaging::{channels, message_templates};
use tianguis_entity::scheduling::settings;
use tianguis_kernel::secrets::random_token;
use uuid::Uuid;

use crate::db::{TenantTx, stamped};
use crate::setup::require_read;
use crate::{Deps, Error, Permission, Result, TenantCtx, audit};

pub use settings::Model as Settings;

/// A day and an hour before, as clinics and salons remind.
pub const DEFAULT_REMINDER_OFFSETS: [i32; 2] = [24 * 60, 60];
/// At most this many reminders per appointment.
pub const MAX_REMINDERS: usize = 3;
/// Feed and link secrets: about 190 bits.
pub const TOKEN_LENGTH: usize = 32;

/// The business's settings, written with the defaults the first time they are needed.
pub(crate) async fn current(tx: &TenantTx) -> Result<Settings> {
    if let Some(found) = tx.select::<settings::Entity>().one(&**tx).await? {
        return Ok(found);
    }
    let defaults = stamped(
        tx.now(),
        settings::ActiveModel {
            id: Set(Uuid::now_v7()),
            tenant_id: Set(tx.tenant_id()),
            reminder_offsets: Set(serde_json::json!(DEFAULT_REMINDER_OFFSETS)),
            reminder_template_id: Set(None),
            reminder_template_variables: Set(serde_json::json!([])),
            verification_template_id: Set(None),
            booking_page_enabled: Set(false),
            verify_phone: Set(false),
            feed_token: Set(random_token(TOKEN_LENGTH)),
            waitlist_hold_minutes: Set(30),
            waitlist_template_id: Set(None),
            waitlist_template_variables: Set(serde_json::json!([])),
            ..Default::default()
        },
    );
    // Two first uses at once: one writes, both read it.
    settings::Entity::insert(defaults)
        .on_conflict(
            OnConflict::column(settings::Column::TenantId)
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(&**tx)
        .await?;
    tx.select::<settings::Entity>()
        .one(&**tx)
        .await?
        .ok_or_else(|| Error::Unexpected(anyhow::anyhow!("scheduling settings vanished")))
}

/// The minutes before an appointment its reminders go out, largest first.
pub fn reminder_offsets(settings: &Settings) -> Vec<i32> {
    let mut offsets: Vec<i32> = settings
        .reminder_offsets
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_i64().and_then(|m| i32::try_from(m).ok()))
        .collect();
    offsets.sort_unstable_by(|a, b| b.cmp(a));
    offsets
}

/// An approved WhatsApp template and its variables, in order, with `{name}`, `{service}`…
/// to fill per appointment.
pub struct WhatsappTemplate {
    pub id: Option<Uuid>,
    pub variables: Vec<String>,
}

fn strings(json: &serde_json::Value) -> Vec<String> {
    json.as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_str().map(str::to_owned))
        .collect()
}

/// What reminders go out with.
pub fn reminder_template(settings: &Settings) -> WhatsappTemplate {
    WhatsappTemplate {
        id: settings.reminder_template_id,
        variables: strings(&settings.reminder_template_variables),
    }
}

/// What a freed slot is offered to the waitlist with; `{manageUrl}` is where it is taken.
pub fn waitlist_template(settings: &Settings) -> WhatsappTemplate {
    WhatsappTemplate {
        id: settings.waitlist_template_id,
        variables: strings(&settings.waitlist_template_variables),
    }
}

/// The address calendars subscribe to for the business's whole schedule.
pub fn feed_url(deps: &Deps, token: &str) -> String {
    format!(
        "{}/calendario/{token}.ics",
        deps.mail.public_url.trim_end_matches('/')
    )
}

pub async fn get(deps: &Deps, ctx: &TenantCtx) -> Result<Settings> {
    require_read(ctx)?;
    let tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let found = current(&tx).await?;
    tx.commit().await?;
    Ok(found)
}

#[derive(Clone, Debug, Default)]
pub struct SettingsInput {
    pub reminder_offsets: Option<Vec<i32>>,
    pub reminder_template_id: Option<Option<Uuid>>,
    pub reminder_template_variables: Option<Vec<String>>,
    pub verification_template_id: Option<Option<Uuid>>,
    pub booking_page_enabled: Option<bool>,
    pub verify_phone: Option<bool>,
    pub waitlist_hold_minutes: Option<i32>,
    pub waitlist_template_id: Option<Option<Uuid>>,
    pub waitlist_template_variables: Option<Vec<String>>,
}

/// A WhatsApp template of the business's, named in `field`, or none.
async fn checked_template(
    tx: &TenantTx,
    template: Option<Uuid>,
    field: &'static str,
) -> Result<Option<Uuid>> {
    let Some(id) = template else {
        return Ok(None);
    };
    let template = tx
        .get::<message_templates::Entity>(id, "template")
        .await
        .map_err(|_| Error::invalid(field, "no such template"))?;
    let channel = tx
        .get::<channels::Entity>(template.channel_id, "channel")
        .await?;
    if channel.kind != "whatsapp" {
        return Err(Error::invalid(field, "not a WhatsApp template"));
    }
    Ok(Some(id))
}

fn checked_variables(variables: Vec<String>, field: &'static str) -> Result<serde_json::Value> {
    if variables.len() > 10 || variables.iter().any(|v| v.chars().count() > 200) {
        return Err(Error::invalid(
            field,
            "up to 10 variables of up to 200 characters",
        ));
    }
    Ok(serde_json::json!(variables))
}

pub async fn update(deps: &Deps, ctx: &TenantCtx, input: SettingsInput) -> Result<Settings> {
    ctx.require(Permission::SchedulingWrite)?;
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let found = current(&tx).await?;
    let mut model: settings::ActiveModel = found.into();
    if let Some(mut offsets) = input.reminder_offsets {
        offsets.sort_unstable();
        offsets.dedup();
        if offsets.len() > MAX_REMINDERS || offsets.iter().any(|m| !(5..=7 * 24 * 60).contains(m)) {
            return Err(Error::invalid(
                "reminderOffsets",
                format!(
                    "up to {MAX_REMINDERS} reminders, each 5 minutes to 7 days before the appointment"
                ),
            ));
        }
        model.reminder_offsets = Set(serde_json::json!(offsets));
    }
    if let Some(template) = input.reminder_template_id {
        model.reminder_template_id =
            Set(checked_template(&tx, template, "reminderTemplateId").await?);
    }
    if let Some(variables) = input.reminder_template_variables {
        model.reminder_template_variables =
            Set(checked_variables(variables, "reminderTemplateVariables")?);
    }
    if let Some(template) = input.waitlist_template_id {
        model.waitlist_template_id =
            Set(checked_template(&tx, template, "waitlistTemplateId").await?);
    }
    if let Some(variables) = input.waitlist_template_variables {
        model.waitlist_template_variables =
            Set(checked_variables(variables, "waitlistTemplateVariables")?);
    }
    if let Some(template) = input.verification_template_id {
        model.verification_template_id =
            Set(checked_template(&tx, template, "verificationTemplateId").await?);
    }
    if let Some(enabled) = input.booking_page_enabled {
        model.booking_page_enabled = Set(enabled);
    }
    if let Some(verify) = input.verify_phone {
        model.verify_phone = Set(verify);
    }
    if let Some(hold) = input.waitlist_hold_minutes {
        if !(5..=24 * 60).contains(&hold) {
            return Err(Error::invalid(
                "waitlistHoldMinutes",
                "5 minutes to 24 hours",
            ));
        }
        model.waitlist_hold_minutes = Set(hold);
    }
    let updated = tx.update(model).await?;
    audit::record(
        &mut tx,
        ctx,
        "scheduling.settings.updated",
        ("scheduling_settings", Some(updated.id)),
        serde_json::json!({
            "reminderOffsets": updated.reminder_offsets,
            "bookingPageEnabled": updated.booking_page_enabled,
            "verifyPhone": updated.verify_phone,
        }),
    )
    .await?;
    tx.commit().await?;
    Ok(updated)
}

/// A new secret for the business's feed: calendars subscribed to the old address stop.
pub async fn rotate_feed(deps: &Deps, ctx: &TenantCtx) -> Result<Settings> {
    ctx.require(Permission::SchedulingWrite)?;
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let mut model: settings::ActiveModel = current(&tx).await?.into();
    model.feed_token = Set(random_token(TOKEN_LENGTH));
    let updated = tx.update(model).await?;
    audit::record(
        &mut tx,
        ctx,
        "scheduling.feed.rotated",
        ("scheduling_settings", Some(updated.id)),
        serde_json::json!({}),
    )
    .await?;
    tx.commit().await?;
    Ok(updated)
}

/// The business whose booking page or feed a secret or slug names, found before any tenant
/// is known: the settings row, read outside tenant scope by its unique secret.
pub async fn by_feed_token(deps: &Deps, token: &str) -> Result<Option<Settings>> {
    Ok(settings::Entity::find()
        .filter(settings::Column::FeedToken.eq(token))
        .one(&deps.db)
        .await?)
}
