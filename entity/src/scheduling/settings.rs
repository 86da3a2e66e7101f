use sea_orm::entity::prelude::*;

/// A business's scheduling settings: its reminders, public booking page and calendar feed.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "scheduling_settings")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    /// Minutes before an appointment each reminder goes out, as a JSON array.
    pub reminder_offsets: Json,
    /// The approved WhatsApp template reminders are sent with.
    pub reminder_template_id: Option<Uuid>,
    /// The template's variables, in order, with `{name}`, `{service}`… filled per appointment.
    pub reminder_template_variables: Json,
    /// The approved WhatsApp template (authentication) that carries a phone code as `{{1}}`.
    pub verification_template_id: Option<Uuid>,
    pub booking_page_enabled: bool,
    /// Whether the booking page asks for a code sent to the customer's phone.
    pub verify_phone: bool,
    /// The secret in the business's calendar feed address.
    pub feed_token: String,
    /// How long a freed slot offered to the waitlist is held for the person offered it.
    pub waitlist_hold_minutes: i32,
    /// The approved WhatsApp template a freed slot is offered with.
    pub waitlist_template_id: Option<Uuid>,
    /// Its variables, in order, filled as the reminder's are; `{manageUrl}` takes the offer.
    pub waitlist_template_variables: Json,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
