use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "tenants")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub name: String,
    #[sea_orm(unique)]
    pub slug: String,
    pub plan: String,
    pub status: String,
    pub country: String,
    pub timezone: String,
    pub currency: String,
    pub locale: String,
    /// Branding for emails and public pages.
    pub logo_url: Option<String>,
    pub brand_color: String,
    /// The Stripe customer and subscription that pay for the plan.
    pub stripe_customer_id: Option<String>,
    pub stripe_subscription_id: Option<String>,
    /// When the plan last changed, by the time of the event that changed it.
    pub plan_changed_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
