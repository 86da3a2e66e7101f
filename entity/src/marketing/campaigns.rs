use sea_orm::entity::prelude::*;

/// A message sent to a segment on a channel.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "campaigns")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub name: String,
    pub channel_id: Uuid,
    pub segment_id: Uuid,
    /// draft, scheduled, sending, paused, completed or cancelled.
    pub status: String,
    pub subject: Option<String>,
    pub body: Option<String>,
    pub template_id: Option<Uuid>,
    pub template_variables: Json,
    pub batch_size: i32,
    pub scheduled_at: Option<DateTimeUtc>,
    pub started_at: Option<DateTimeUtc>,
    pub completed_at: Option<DateTimeUtc>,
    pub recipient_count: i32,
    pub created_by: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
