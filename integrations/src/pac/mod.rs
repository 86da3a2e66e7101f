//! PACs: the built-in sandbox and the router that sends each business to its own.

mod sandbox;

use std::sync::Arc;

use tianguis_domain::ports::{Cancellation, Pac, PacAccount, PacError, Stamped};

pub use sandbox::SandboxPac;

/// Sends each call to the PAC the business chose.
pub struct PacRouter {
    sandbox: Arc<SandboxPac>,
}

impl PacRouter {
    pub fn new(sandbox: SandboxPac) -> Self {
        Self {
            sandbox: Arc::new(sandbox),
        }
    }

    fn pac(&self, account: &PacAccount) -> Result<&dyn Pac, PacError> {
        match account.provider.as_str() {
            "sandbox" => Ok(self.sandbox.as_ref()),
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
        issuer_rfc: &str,
        uuid: &str,
        motive: &str,
        substitute: Option<&str>,
    ) -> Result<Cancellation, PacError> {
        self.pac(account)?
            .cancel(account, issuer_rfc, uuid, motive, substitute)
            .await
    }
}
