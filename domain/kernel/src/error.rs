//! The domain's one error type. The edge maps each variant to a stable GraphQL code.

use crate::Permission;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No or bad credentials. `reason` is a stable machine-readable word for clients.
    #[error("{message}")]
    Unauthenticated {
        reason: &'static str,
        message: String,
    },
    #[error("missing permission {}", .0.key())]
    Forbidden(Permission),
    /// The record does not exist *for this tenant*; another tenant's record answers this too.
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("{message}")]
    Invalid {
        /// The input field's GraphQL name, or its path inside a nested input
        /// (`steps[2].then[0].templateId`).
        field: std::borrow::Cow<'static, str>,
        message: String,
    },
    #[error("{message}")]
    Conflict {
        field: &'static str,
        message: String,
    },
    /// A record with the same identifying value exists; `existing_id` names it.
    #[error("{message}")]
    Duplicate {
        field: &'static str,
        existing_id: uuid::Uuid,
        message: String,
    },
    #[error("rate limit exceeded, retry in {retry_after_secs} s")]
    RateLimited { retry_after_secs: u64 },
    #[error("{0}")]
    PlanLimit(String),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl Error {
    pub fn invalid(
        field: impl Into<std::borrow::Cow<'static, str>>,
        message: impl Into<String>,
    ) -> Self {
        Self::Invalid {
            field: field.into(),
            message: message.into(),
        }
    }

    pub fn conflict(field: &'static str, message: impl Into<String>) -> Self {
        Self::Conflict {
            field,
            message: message.into(),
        }
    }

    pub fn duplicate(field: &'static str, existing_id: uuid::Uuid, what: &str) -> Self {
        Self::Duplicate {
            field,
            existing_id,
            message: format!("a {what} with this {field} exists ({existing_id})"),
        }
    }

    pub fn unauthenticated(reason: &'static str, message: impl Into<String>) -> Self {
        Self::Unauthenticated {
            reason,
            message: message.into(),
        }
    }
}

impl From<sea_orm::DbErr> for Error {
    fn from(err: sea_orm::DbErr) -> Self {
        Self::Unexpected(anyhow::Error::new(err).context("database"))
    }
}

impl From<sea_orm::TransactionError<Error>> for Error {
    fn from(err: sea_orm::TransactionError<Error>) -> Self {
        match err {
            sea_orm::TransactionError::Connection(db) => db.into(),
            sea_orm::TransactionError::Transaction(e) => e,
        }
    }
}

/// Turns a unique-constraint violation on `index` into a CONFLICT on `field`, so a race
/// between two creates ends as cleanly as the pre-check that usually catches it.
pub fn conflict_on(
    err: sea_orm::DbErr,
    index: &str,
    columns: &str,
    field: &'static str,
    message: &str,
) -> Error {
    match err.sql_err() {
        // PostgreSQL names the index, SQLite names the table and columns.
        Some(sea_orm::SqlErr::UniqueConstraintViolation(detail))
            if detail.contains(index) || detail.contains(columns) =>
        {
            Error::conflict(field, message)
        }
        _ => err.into(),
    }
}
