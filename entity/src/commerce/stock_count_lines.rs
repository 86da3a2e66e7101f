use sea_orm::entity::prelude::*;

/// What was counted of a variant in a stocktake.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "stock_count_lines")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub count_id: Uuid,
    pub variant_id: Uuid,
    /// In thousandths of the unit.
    pub counted_milli: i64,
    /// On hand when the count was posted.
    pub expected_milli: Option<i64>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
