use sea_orm::entity::prelude::*;

/// Who or what a booking takes: a member of staff (with or without a login), a room, or
/// equipment counted by quantity.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "resources")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    /// staff, room or equipment.
    pub kind: String,
    pub name: String,
    /// The member behind a staff resource, when they have a login.
    pub user_id: Option<Uuid>,
    pub email: Option<String>,
    pub phone: Option<String>,
    /// How many of it the business owns (equipment); 1 otherwise.
    pub quantity: i32,
    pub active: bool,
    /// The secret in this resource's calendar feed address, once asked for.
    pub feed_token: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
