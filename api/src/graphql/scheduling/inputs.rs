//! Scheduling's GraphQL inputs.

use async_graphql::{ID, InputObject, MaybeUndefined};
use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use rust_decimal::Decimal;

use crate::graphql::scheduling::*;

#[derive(InputObject)]
pub struct CreateServiceInput {
    pub name: String,
    pub description: Option<String>,
    pub duration_minutes: i32,
    #[graphql(default)]
    pub buffer_before_minutes: i32,
    #[graphql(default)]
    pub buffer_after_minutes: i32,
    /// Slots start every so many minutes from the opening time; 30 by default.
    pub interval_minutes: Option<i32>,
    /// Taxes included.
    pub price: Option<Decimal>,
    /// How soon before it a customer may book; 60 minutes by default.
    pub min_notice_minutes: Option<i32>,
    /// How far ahead a customer may book; 60 days by default.
    pub max_advance_days: Option<i32>,
    /// Who performs it.
    #[graphql(default)]
    pub resource_ids: Vec<ID>,
}

#[derive(InputObject)]
pub struct UpdateServiceInput {
    pub id: ID,
    pub name: Option<String>,
    pub description: MaybeUndefined<String>,
    pub duration_minutes: Option<i32>,
    pub buffer_before_minutes: Option<i32>,
    pub buffer_after_minutes: Option<i32>,
    pub interval_minutes: Option<i32>,
    pub price: Option<Decimal>,
    pub min_notice_minutes: Option<i32>,
    pub max_advance_days: Option<i32>,
    pub active: Option<bool>,
    /// Replaces who performs it.
    pub resource_ids: Option<Vec<ID>>,
}

#[derive(InputObject)]
pub struct CreateResourceInput {
    #[graphql(default_with = "ResourceKind::Staff")]
    pub kind: ResourceKind,
    pub name: String,
    /// A member of the business, for staff with a login.
    pub user_id: Option<ID>,
    pub email: Option<String>,
    pub phone: Option<String>,
    /// How many the business owns (equipment); 1 by default.
    pub quantity: Option<i32>,
}

#[derive(InputObject)]
pub struct UpdateResourceInput {
    pub id: ID,
    pub name: Option<String>,
    pub user_id: MaybeUndefined<ID>,
    pub email: MaybeUndefined<String>,
    pub phone: MaybeUndefined<String>,
    pub quantity: Option<i32>,
    pub active: Option<bool>,
}

#[derive(InputObject)]
pub struct WorkingHoursInput {
    pub weekday: Weekday,
    pub opens: NaiveTime,
    pub closes: NaiveTime,
}

#[derive(InputObject)]
pub struct SetWorkingHoursInput {
    pub resource_id: ID,
    /// Replaces the whole week; several spans a day for breaks.
    pub hours: Vec<WorkingHoursInput>,
}

#[derive(InputObject)]
pub struct AddTimeOffInput {
    pub resource_id: ID,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub reason: Option<String>,
}

#[derive(InputObject)]
pub struct BookAppointmentInput {
    pub service_id: ID,
    /// Any resource that performs the service and is free, when absent.
    pub resource_id: Option<ID>,
    pub contact_id: Option<ID>,
    pub starts_at: DateTime<Utc>,
    pub notes: Option<String>,
    /// How its reminders go out; by what reaches the contact when absent.
    pub remind_via: Option<ReminderChannel>,
}

#[derive(InputObject)]
pub struct UpdateSchedulingSettingsInput {
    /// Minutes before an appointment, up to 3, each 5 minutes to 7 days.
    pub reminder_offsets: Option<Vec<i32>>,
    /// An approved WhatsApp template; null clears it.
    pub reminder_template_id: MaybeUndefined<ID>,
    pub reminder_template_variables: Option<Vec<String>>,
    pub verification_template_id: MaybeUndefined<ID>,
    pub booking_page_enabled: Option<bool>,
    pub verify_phone: Option<bool>,
    pub waitlist_hold_minutes: Option<i32>,
    /// An approved WhatsApp template a freed slot is offered with; null clears it.
    pub waitlist_template_id: MaybeUndefined<ID>,
    pub waitlist_template_variables: Option<Vec<String>>,
}

#[derive(InputObject)]
pub struct JoinWaitlistInput {
    pub service_id: ID,
    /// The business's calendar day.
    pub day: NaiveDate,
    pub contact_id: ID,
    /// Any resource that performs the service, when absent.
    pub resource_id: Option<ID>,
    pub notes: Option<String>,
}

#[derive(InputObject)]
pub struct RescheduleAppointmentInput {
    pub id: ID,
    pub starts_at: DateTime<Utc>,
    /// Another resource that performs the service; the same one when absent.
    pub resource_id: Option<ID>,
}

#[derive(InputObject)]
pub struct SetAppointmentStatusInput {
    pub id: ID,
    pub status: AppointmentStatus,
    /// Why, when cancelling.
    pub reason: Option<String>,
}

#[derive(InputObject, Default)]
pub struct AppointmentFilter {
    pub resource_id: Option<ID>,
    pub contact_id: Option<ID>,
    pub status: Option<AppointmentStatus>,
}
