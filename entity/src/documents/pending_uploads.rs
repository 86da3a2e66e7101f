use sea_orm::entity::prelude::*;

/// A direct upload asked for and not yet confirmed: what the client declared it would
/// send. Confirmed, it becomes the file with the same id; expired, its bytes are removed.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "pending_uploads")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub folder_kind: String,
    pub folder_id: Uuid,
    pub name: String,
    pub content_type: String,
    pub size_bytes: i64,
    /// Hex SHA-256 the stored bytes must have.
    pub sha256: String,
    pub storage_key: String,
    /// A JSON array of strings.
    pub tags: Json,
    pub uploaded_by: Option<Uuid>,
    pub expires_at: DateTimeUtc,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
