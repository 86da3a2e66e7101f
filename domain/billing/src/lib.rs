//! Billing: fiscal profiles and CSDs, invoices as CFDI 4.0 stamped through a PAC.

pub mod catalogs;
pub mod cfdi;
pub mod csd;
pub mod emails;
pub mod fiscal;
pub mod installments;
pub mod invoices;
pub mod payments;
pub mod sales;
pub mod stripe;
pub mod subscription;

// The kernel and the contexts this one builds on, reachable as `crate::…` in its modules.
use tianguis_commerce as commerce;
use tianguis_crm as crm;
use tianguis_kernel::{
    Deps, Error, Permission, Result, TenantCtx, audit, db, email, events, money, numbering, page,
    plans, ports, pricing, registry, rules,
};
use tianguis_scheduling as scheduling;
use tianguis_tenancy as tenancy;

use sea_orm::DatabaseTransaction;
use uuid::Uuid;

use crate::crm::events::CrmEvent;
use crate::events::{DomainEvent, EventConsumer};
use crate::ports::Job;
use crate::registry::{JobKind, Queue};

/// Stamping and cancelling CFDI: each job waits on a PAC.
pub const QUEUE: Queue = Queue::new("billing", 8);

macro_rules! billing_job {
    ($(#[$doc:meta])* $name:ident { $id:ident }) => {
        $(#[$doc])*
        #[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
        pub struct $name {
            pub tenant_id: Uuid,
            pub $id: Uuid,
        }

        impl JobKind for $name {
            const NAME: &'static str = stringify!($name);
            const QUEUE: Queue = QUEUE;
            fn tenant_id(&self) -> Option<Uuid> {
                Some(self.tenant_id)
            }
        }
    };
}

billing_job!(
    /// Seals an invoice and has the business's PAC stamp it.
    StampCfdi { invoice_id }
);
billing_job!(
    /// Asks SAT, through the PAC, to cancel a stamped invoice.
    CancelCfdi { invoice_id }
);
billing_job!(
    /// Seals a payment's receipt (CFDI type P) and has the PAC stamp it.
    StampPaymentReceipt { payment_id }
);
billing_job!(
    /// Drafts the invoice of an accepted proposal.
    DraftInvoice { proposal_id }
);

/// Drafts the invoice of each accepted proposal (in a job, with the invoicing use case).
pub struct BillingConsumer;

#[async_trait::async_trait]
impl EventConsumer for BillingConsumer {
    fn name(&self) -> &'static str {
        "billing"
    }

    async fn consume(
        &self,
        _tx: &DatabaseTransaction,
        event: &DomainEvent,
        _now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Vec<Job>> {
        Ok(match CrmEvent::parse(event) {
            Some(CrmEvent::ProposalAccepted { proposal_id }) => vec![Job::new(DraftInvoice {
                tenant_id: event.tenant_id,
                proposal_id,
            })],
            None => Vec::new(),
        })
    }
}

/// Billing's job kinds, its consumer of CRM's events and its daily reminders.
pub fn register(registry: &mut tianguis_kernel::Registry) {
    registry.job(|deps, job: StampCfdi| async move {
        invoices::stamp(&deps, job.tenant_id, job.invoice_id).await
    });
    registry.job(|deps, job: CancelCfdi| async move {
        invoices::cancel(&deps, job.tenant_id, job.invoice_id).await
    });
    registry.job(|deps, job: StampPaymentReceipt| async move {
        payments::stamp_receipt(&deps, job.tenant_id, job.payment_id).await
    });
    registry.job(|deps, job: DraftInvoice| async move {
        invoices::draft_from_proposal(&deps, job.tenant_id, job.proposal_id)
            .await
            .map(drop)
    });
    registry.consumer(BillingConsumer);
    registry.daily("billing.installments_overdue", |deps| async move {
        installments::mark_overdue(&deps).await
    });
}
