//! Billing: fiscal profiles and CSDs, invoices as CFDI 4.0 stamped through a PAC.

pub mod catalogs;
pub mod cfdi;
pub mod csd;
pub mod fiscal;
pub mod installments;
pub mod invoices;
pub mod payments;
pub mod stripe;
pub mod subscription;

use sea_orm::DatabaseTransaction;

use crate::Result;
use crate::events::{DomainEvent, EventConsumer};
use crate::ports::Job;

/// Drafts the invoice of each accepted proposal (in a job, with the invoicing use case).
pub struct BillingConsumer;

#[async_trait::async_trait]
impl EventConsumer for BillingConsumer {
    fn name(&self) -> &'static str {
        "billing"
    }

    async fn consume(&self, _tx: &DatabaseTransaction, event: &DomainEvent) -> Result<Vec<Job>> {
        if event.event_type != "crm.proposal.accepted" {
            return Ok(Vec::new());
        }
        let proposal_id = event
            .subject
            .as_deref()
            .and_then(|s| s.strip_prefix("proposal/"))
            .and_then(|id| uuid::Uuid::parse_str(id).ok());
        Ok(proposal_id
            .map(|proposal_id| Job::DraftInvoice {
                tenant_id: event.tenant_id,
                proposal_id,
            })
            .into_iter()
            .collect())
    }
}
