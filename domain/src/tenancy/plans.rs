//! What each plan includes, enforced where records are created: one more than the plan
//! allows answers PLAN_LIMIT, naming the limit and the way up.

use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use tianguis_entity::crm::contacts;
use tianguis_entity::iot::devices;
use tianguis_entity::tenancy::{invitations, memberships, tenants};

use super::rules::Plan;
use crate::db::TenantTx;
use crate::{Error, Result};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Resource {
    /// Members plus pending invitations: seats.
    Users,
    Contacts,
    Devices,
    /// Messages sent in a calendar month.
    MessagesPerMonth,
}

impl Resource {
    fn noun(self) -> &'static str {
        match self {
            Resource::Users => "users",
            Resource::Contacts => "contacts",
            Resource::Devices => "devices",
            Resource::MessagesPerMonth => "messages a month",
        }
    }
}

impl Plan {
    /// How many of `resource` the plan includes; none is unlimited.
    pub fn limit(self, resource: Resource) -> Option<u64> {
        use Resource::*;
        match (self, resource) {
            (Plan::Free, Users) => Some(3),
            (Plan::Free, Contacts) => Some(500),
            (Plan::Free, Devices) => Some(5),
            (Plan::Free, MessagesPerMonth) => Some(1_000),
            (Plan::Pro, Users) => Some(25),
            (Plan::Pro, Contacts) => Some(50_000),
            (Plan::Pro, Devices) => Some(500),
            (Plan::Pro, MessagesPerMonth) => Some(50_000),
            (Plan::Enterprise, _) => None,
        }
    }
}

/// The business's plan as its row says now (a request's context may predate a change).
pub async fn current(tx: &TenantTx) -> Result<Plan> {
    let tenant = tenants::Entity::find_by_id(tx.tenant_id())
        .one(&**tx)
        .await?
        .ok_or(Error::NotFound("business"))?;
    Ok(Plan::parse(&tenant.plan))
}

/// Refuses one more of `resource` when the business has all its plan includes.
pub async fn ensure_room(tx: &TenantTx, resource: Resource) -> Result<()> {
    ensure_room_for(tx, resource, 1).await
}

/// Refuses `more` of `resource` when they would take the business past its plan.
pub async fn ensure_room_for(tx: &TenantTx, resource: Resource, more: u64) -> Result<()> {
    let plan = current(tx).await?;
    let Some(limit) = plan.limit(resource) else {
        return Ok(());
    };
    let used = match resource {
        Resource::Users => {
            let members = tx.select::<memberships::Entity>().count(&**tx).await?;
            let invited = tx
                .select::<invitations::Entity>()
                .filter(invitations::Column::Status.eq("pending"))
                .filter(invitations::Column::ExpiresAt.gt(tx.now()))
                .count(&**tx)
                .await?;
            members + invited
        }
        Resource::Contacts => tx.select::<contacts::Entity>().count(&**tx).await?,
        Resource::Devices => tx.select::<devices::Entity>().count(&**tx).await?,
        Resource::MessagesPerMonth => crate::messaging::sent_this_month(tx).await?,
    };
    if used + more > limit {
        return Err(Error::PlanLimit(format!(
            "the {} plan includes {limit} {}; upgrade the plan to add more",
            plan.key(),
            resource.noun()
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn higher_plans_include_more_and_enterprise_has_no_limits() {
        for resource in [
            Resource::Users,
            Resource::Contacts,
            Resource::Devices,
            Resource::MessagesPerMonth,
        ] {
            let free = Plan::Free.limit(resource).expect("limited");
            let pro = Plan::Pro.limit(resource).expect("limited");
            assert!(pro > free, "{resource:?}");
            assert_eq!(Plan::Enterprise.limit(resource), None);
        }
    }
}
