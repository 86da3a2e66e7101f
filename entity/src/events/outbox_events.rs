use sea_orm::entity::prelude::*;

/// A domain event written in the same transaction as the change it describes, with the
/// CloudEvents fields; the dispatcher hands it to consumers and stamps `dispatched_at`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "outbox_events")]
pub struct Model {
    /// UUID v7: per tenant, id order is the order the events happened in.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub event_type: String,
    pub source: String,
    pub subject: Option<String>,
    pub time: DateTimeUtc,
    pub data: Json,
    pub dispatched_at: Option<DateTimeUtc>,
    /// The workflow run whose step wrote the change, if one did.
    pub caused_by_run_id: Option<Uuid>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
