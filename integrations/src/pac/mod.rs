//! PACs: the built-in sandbox, Finkok, and the router that sends each business to its own.

mod finkok;
mod sandbox;

use tianguis_domain::ports::{CancelRequest, Cancellation, Pac, PacAccount, PacError, Stamped};

pub use finkok::FinkokPac;
pub use sandbox::SandboxPac;

/// Sends each call to the PAC the business chose.
pub struct PacRouter {
    sandbox: SandboxPac,
    finkok: FinkokPac,
}

impl PacRouter {
    pub fn new(sandbox: SandboxPac, finkok: FinkokPac) -> Self {
        Self { sandbox, finkok }
    }

    fn pac(&self, account: &PacAccount) -> Result<&dyn Pac, PacError> {
        match account.provider.as_str() {
            "sandbox" => Ok(&self.sandbox),
            "finkok" => Ok(&self.finkok),
            other => Err(PacError::Rejected {
                code: "PAC_NOT_AVAILABLE".into(),
                message: format!("the PAC '{other}' is not available in this deployment"),
            }),
        }
    }
}

#[async_trait::async_trait]
impl Pac for PacRouter {
    async fn stamp(&self, account: &PacAccount, xml: &str) -> Result<Stamped, PacError> {
        self.pac(account)?.stamp(account, xml).await
    }

    async fn cancel(
        &self,
        account: &PacAccount,
        request: &CancelRequest<'_>,
    ) -> Result<Cancellation, PacError> {
        self.pac(account)?.cancel(account, request).await
    }

    async fn cancellation_status(
        &self,
        account: &PacAccount,
        request: &CancelRequest<'_>,
    ) -> Result<Cancellation, PacError> {
        self.pac(account)?
            .cancellation_status(account, request)
            .await
    }
}
