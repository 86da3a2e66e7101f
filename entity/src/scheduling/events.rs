use sea_orm::entity::prelude::*;

/// An event booked for a client: a wedding, a quinceañera, a corporate party.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "events")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub title: String,
    /// boda, xv_anos, corporativo… as the business names them.
    pub kind: String,
    pub contact_id: Option<Uuid>,
    pub company_id: Option<Uuid>,
    /// The accepted proposal it was made from.
    pub proposal_id: Option<Uuid>,
    pub starts_at: DateTimeUtc,
    pub ends_at: DateTimeUtc,
    /// Minutes its staff need to get there and back, either side of the event.
    pub travel_minutes: i32,
    pub venue: Option<String>,
    pub address: Option<String>,
    pub package: Option<String>,
    pub price_minor: i64,
    pub currency: String,
    pub deposit_minor: i64,
    pub deposit_due_on: Option<Date>,
    pub balance_due_on: Option<Date>,
    pub paid_minor: i64,
    /// tentative, confirmed, done, closed or cancelled.
    pub status: String,
    pub notes: Option<String>,
    pub checkout_id: Option<String>,
    pub checkout_url: Option<String>,
    pub checkout_amount_minor: Option<i64>,
    pub deposit_reminded_at: Option<DateTimeUtc>,
    pub balance_reminded_at: Option<DateTimeUtc>,
    pub created_by: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
