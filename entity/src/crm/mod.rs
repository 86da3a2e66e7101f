//! CRM: contacts, companies, leads, pipelines, activities and proposals.

pub mod activities;
pub mod companies;
pub mod contacts;
pub mod crm_settings;
pub mod custom_field_definitions;
pub mod lead_stage_changes;
pub mod leads;
pub mod number_sequences;
pub mod pipeline_stages;
pub mod pipelines;
pub mod proposal_items;
pub mod proposals;

crate::tenant_owned!(
    activities,
    companies,
    contacts,
    crm_settings,
    custom_field_definitions,
    lead_stage_changes,
    leads,
    number_sequences,
    pipeline_stages,
    pipelines,
    proposal_items,
    proposals,
);
