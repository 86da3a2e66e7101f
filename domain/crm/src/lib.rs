//! CRM: contacts and companies, custom fields, pipelines and leads with scoring, activities
//! and tasks, timelines, proposals with a public accept page, and dashboards.

pub mod activities;
pub mod companies;
pub mod contacts;
pub mod custom_fields;
pub mod dashboard;
pub mod emails;
pub mod events;
pub mod leads;
pub mod pipelines;
pub mod proposals;
pub mod scoring;
pub mod timeline;

// The kernel and the contexts this one builds on, reachable as `crate::…` in its modules.
use sea_orm::EntityTrait;
use tianguis_kernel::db::tenant_region;
use tianguis_kernel::money::Money;
use tianguis_kernel::page::group_by;
use tianguis_kernel::rules::tags_of;
use tianguis_kernel::search::search_text;
use tianguis_kernel::{
    Deps, Error, Permission, Result, TenantCtx, audit, db, email, error, numbering, page, plans,
    ports, pricing, registry, rules, search, secrets,
};
use tianguis_tenancy as tenancy;

/// CRM's job kinds and daily upkeep.
pub fn register(registry: &mut tianguis_kernel::Registry) {
    registry.job(|deps, job: leads::RescoreLeads| async move {
        leads::rescore_open_leads(&deps, job.tenant_id, job.stale_only)
            .await
            .map(drop)
    });
    registry.daily("crm.expire_proposals", |deps| async move {
        proposals::expire_overdue(&deps).await
    });
    registry.daily("crm.rescore_leads", |deps| async move {
        let tenants = tianguis_entity::tenancy::tenants::Entity::find()
            .all(&deps.db)
            .await?;
        for tenant in &tenants {
            leads::rescore_open_leads(&deps, tenant.id, true).await?;
        }
        Ok(tenants.len())
    });
}
