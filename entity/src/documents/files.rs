use sea_orm::entity::prelude::*;

/// A file filed under a record (a contact, company, lead, order, event, or a document's own
/// record such as an invoice); its bytes are in the object store under `storage_key`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "files")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    /// contact, company, lead, order, event, proposal, invoice, purchase_order,
    /// payroll_period or ticket.
    pub folder_kind: String,
    pub folder_id: Uuid,
    pub name: String,
    pub content_type: String,
    pub size_bytes: i64,
    /// Hex SHA-256 of the bytes, computed as they were stored.
    pub sha256: String,
    pub storage_key: String,
    /// A JSON array of strings.
    pub tags: Json,
    pub uploaded_by: Option<Uuid>,
    /// In the bin since then; purged for good after the retention period.
    pub deleted_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
