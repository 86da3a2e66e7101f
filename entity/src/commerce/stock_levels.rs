use sea_orm::entity::prelude::*;

/// What a location has of a variant, in thousandths of its unit; written only with a movement.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "stock_levels")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub variant_id: Uuid,
    pub location_id: Uuid,
    pub on_hand_milli: i64,
    /// Held for confirmed orders: sales and transfers leave it alone.
    pub reserved_milli: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
