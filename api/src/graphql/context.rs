//! What a request carries into resolvers: who is calling (or why they were refused).

use async_graphql::Context;
use tianguis_domain::{Deps, Error, RequestMeta, TenantCtx};

use super::error::to_graphql;

/// The outcome of reading the caller's credential at the edge.
#[derive(Clone, Debug)]
pub enum Principal {
    Anonymous(RequestMeta),
    Authenticated(TenantCtx),
    /// A credential was presented but refused: the reason is given to resolvers that need one.
    Rejected {
        meta: RequestMeta,
        reason: &'static str,
        message: String,
    },
}

impl Principal {
    pub fn meta(&self) -> &RequestMeta {
        match self {
            Principal::Anonymous(meta) | Principal::Rejected { meta, .. } => meta,
            Principal::Authenticated(ctx) => &ctx.meta,
        }
    }
}

pub fn deps<'a>(ctx: &Context<'a>) -> async_graphql::Result<&'a Deps> {
    ctx.data::<Deps>()
}

/// The caller's tenant context, or UNAUTHENTICATED.
pub fn tenant<'a>(ctx: &Context<'a>) -> async_graphql::Result<&'a TenantCtx> {
    match ctx.data_opt::<Principal>() {
        Some(Principal::Authenticated(tenant)) => Ok(tenant),
        Some(Principal::Rejected {
            reason, message, ..
        }) => Err(to_graphql(Error::unauthenticated(reason, message.clone()))),
        _ => Err(to_graphql(Error::unauthenticated(
            "MISSING_CREDENTIAL",
            "sign in, or send an API key, to do this",
        ))),
    }
}

pub fn meta(ctx: &Context<'_>) -> RequestMeta {
    ctx.data_opt::<Principal>()
        .map(|p| p.meta().clone())
        .unwrap_or_default()
}
