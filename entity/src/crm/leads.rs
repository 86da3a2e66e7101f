use sea_orm::entity::prelude::*;

/// An opportunity to sell.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "leads")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub title: String,
    pub contact_id: Option<Uuid>,
    pub company_id: Option<Uuid>,
    pub source: String,
    pub owner_id: Option<Uuid>,
    /// Expected value in the currency's minor unit (cents).
    pub value_minor: i64,
    pub currency: String,
    pub expected_close_on: Option<Date>,
    pub pipeline_id: Uuid,
    pub stage_id: Uuid,
    /// `open`, `won` or `lost`, following the stage's outcome.
    pub status: String,
    pub lost_reason: Option<String>,
    pub next_follow_up_at: Option<DateTimeUtc>,
    pub tags: Json,
    pub custom_fields: Json,
    pub score: i32,
    /// JSON array of `{rule, points, detail}` explaining the score.
    pub score_reasons: Json,
    pub last_activity_at: Option<DateTimeUtc>,
    pub closed_at: Option<DateTimeUtc>,
    /// Attribution from the form that brought the lead in.
    pub utm_source: Option<String>,
    pub utm_medium: Option<String>,
    pub utm_campaign: Option<String>,
    pub referrer: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
