use sea_orm::entity::prelude::*;

/// Something the business books: a haircut, a consultation, a room for an hour.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "services")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub name: String,
    pub description: Option<String>,
    pub duration_minutes: i32,
    /// Time the resource is kept before and after, for setting up or cleaning.
    pub buffer_before_minutes: i32,
    pub buffer_after_minutes: i32,
    /// Slots start every so many minutes from the opening time.
    pub interval_minutes: i32,
    /// Taxes included.
    pub price_minor: i64,
    pub currency: String,
    /// How soon a customer may book, and how far ahead.
    pub min_notice_minutes: i32,
    pub max_advance_days: i32,
    pub active: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
