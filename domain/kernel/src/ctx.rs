//! Who is acting, for which tenant, with which permissions.

use uuid::Uuid;

use crate::{Error, Permission, PermissionSet, Result};

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Actor {
    User {
        user_id: Uuid,
        membership_id: Uuid,
        session_id: Uuid,
    },
    ApiKey {
        key_id: Uuid,
    },
    /// A step of a business's workflow run.
    Workflow {
        run_id: Uuid,
    },
    System,
}

impl Actor {
    pub fn kind(&self) -> &'static str {
        match self {
            Actor::User { .. } => "user",
            Actor::ApiKey { .. } => "api_key",
            Actor::Workflow { .. } => "workflow",
            Actor::System => "system",
        }
    }

    pub fn id(&self) -> Option<Uuid> {
        match self {
            Actor::User { user_id, .. } => Some(*user_id),
            Actor::ApiKey { key_id } => Some(*key_id),
            Actor::Workflow { run_id } => Some(*run_id),
            Actor::System => None,
        }
    }
}

/// Facts about the request, recorded in the audit log.
#[derive(Clone, Debug, Default)]
pub struct RequestMeta {
    pub request_id: String,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

/// Built once at the edge (JWT, API key, device token, webhook route). Use cases take it and
/// never take a tenant id from client input.
#[derive(Clone, Debug)]
pub struct TenantCtx {
    pub tenant_id: Uuid,
    pub plan: crate::plans::Plan,
    pub actor: Actor,
    pub permissions: PermissionSet,
    pub meta: RequestMeta,
}

impl TenantCtx {
    /// The service itself acting for a tenant: jobs, schedules and public pages.
    pub fn system(tenant_id: Uuid) -> Self {
        Self {
            tenant_id,
            plan: crate::plans::Plan::Free,
            actor: Actor::System,
            permissions: PermissionSet::all(),
            meta: RequestMeta::default(),
        }
    }

    /// A workflow run acting for its business: the service's permissions, its run as the
    /// actor the audit log names.
    pub fn workflow(tenant_id: Uuid, run_id: Uuid) -> Self {
        Self {
            actor: Actor::Workflow { run_id },
            ..Self::system(tenant_id)
        }
    }

    pub fn require(&self, permission: Permission) -> Result<()> {
        if self.permissions.contains(permission) {
            Ok(())
        } else {
            Err(Error::Forbidden(permission))
        }
    }

    /// The signed-in person's user id, if a person (not an API key) is acting.
    pub fn actor_user(&self) -> Option<Uuid> {
        match self.actor {
            Actor::User { user_id, .. } => Some(user_id),
            _ => None,
        }
    }

    /// The signed-in person, for use cases that only a user (not an API key) may run.
    pub fn user(&self) -> Result<(Uuid, Uuid, Uuid)> {
        match self.actor {
            Actor::User {
                user_id,
                membership_id,
                session_id,
            } => Ok((user_id, membership_id, session_id)),
            _ => Err(Error::unauthenticated(
                "USER_REQUIRED",
                "this operation needs a signed-in user, not an API key",
            )),
        }
    }
}
