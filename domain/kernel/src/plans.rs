//! What each plan includes, enforced where records are created: one more than the plan
//! allows answers PLAN_LIMIT, naming the limit and the way up.

use sea_orm::EntityTrait;
use tianguis_entity::tenancy::tenants;

use crate::db::TenantTx;
use crate::registry::BoxFuture;
use crate::{Error, Result};

crate::stored_enum! {
    pub enum Plan {
        Free = "free",
        Pro = "pro",
        Enterprise = "enterprise",
    }
}

impl Plan {
    /// API requests per minute for the whole tenant, across all its credentials.
    pub fn requests_per_minute(self) -> u32 {
        match self {
            Plan::Free => 600,
            Plan::Pro => 3_000,
            Plan::Enterprise => 12_000,
        }
    }
}

/// Counts what a business has of a resource now, in its transaction.
pub type Counter = for<'a> fn(&'a TenantTx) -> BoxFuture<'a, Result<u64>>;

/// Something a plan includes a number of. Each context defines its own, with how to count it.
pub struct Resource {
    /// In the refusal: "the free plan includes 500 contacts".
    pub noun: &'static str,
    pub free: u64,
    pub pro: u64,
    pub count: Counter,
}

impl Plan {
    /// How many of `resource` the plan includes; none is unlimited.
    pub fn limit(self, resource: &Resource) -> Option<u64> {
        match self {
            Plan::Free => Some(resource.free),
            Plan::Pro => Some(resource.pro),
            Plan::Enterprise => None,
        }
    }
}

/// The business's plan as its row says now (a request's context may predate a change).
pub async fn current(tx: &TenantTx) -> Result<Plan> {
    let tenant = tenants::Entity::find_by_id(tx.tenant_id())
        .one(&**tx)
        .await?
        .ok_or(Error::NotFound("business"))?;
    Plan::from_stored(&tenant.plan)
}

/// Refuses one more of `resource` when the business has all its plan includes.
pub async fn ensure_room(tx: &TenantTx, resource: &Resource) -> Result<()> {
    ensure_room_for(tx, resource, 1).await
}

/// Refuses `more` of `resource` when they would take the business past its plan.
pub async fn ensure_room_for(tx: &TenantTx, resource: &Resource, more: u64) -> Result<()> {
    let plan = current(tx).await?;
    let Some(limit) = plan.limit(resource) else {
        return Ok(());
    };
    let used = (resource.count)(tx).await?;
    if used + more > limit {
        return Err(Error::PlanLimit(format!(
            "the {} plan includes {limit} {}; upgrade the plan to add more",
            plan.key(),
            resource.noun
        )));
    }
    Ok(())
}
