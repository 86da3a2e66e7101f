//! The one place domain errors become GraphQL errors with a stable `extensions.code`.

use async_graphql::ErrorExtensions;
use tianguis_domain::Error;

pub const INTERNAL: &str = "INTERNAL";

pub fn to_graphql(err: Error) -> async_graphql::Error {
    let (code, message) = match &err {
        Error::Unauthenticated { .. } => ("UNAUTHENTICATED", err.to_string()),
        Error::Forbidden(_) => ("FORBIDDEN", err.to_string()),
        Error::NotFound(_) => ("NOT_FOUND", err.to_string()),
        Error::Invalid { .. } => ("BAD_USER_INPUT", err.to_string()),
        Error::Conflict { .. } | Error::Duplicate { .. } => ("CONFLICT", err.to_string()),
        Error::RateLimited { .. } => ("RATE_LIMITED", err.to_string()),
        Error::PlanLimit(_) => ("PLAN_LIMIT", err.to_string()),
        Error::Unexpected(cause) => {
            // The client sees a generic message; the cause chain goes to the log with the
            // request id from the current span, and the stack as addresses.
            tracing::error!(
                error = %format_args!("{cause:#}"),
                frames = %unresolved_frames(),
                "unexpected error"
            );
            (INTERNAL, "Internal error".to_owned())
        }
    };
    async_graphql::Error::new(message).extend_with(|_, ext| {
        ext.set("code", code);
        match &err {
            Error::Invalid { field, .. } => ext.set("field", field.as_ref()),
            Error::Conflict { field, .. } => ext.set("field", *field),
            Error::Duplicate {
                field, existing_id, ..
            } => {
                ext.set("field", *field);
                ext.set("existingId", existing_id.to_string());
            }
            Error::Unauthenticated { reason, .. } => ext.set("reason", *reason),
            Error::Forbidden(permission) => ext.set("permission", permission.key()),
            Error::RateLimited { retry_after_secs } => ext.set("retryAfter", *retry_after_secs),
            _ => {}
        }
    })
}

/// The stack as offsets into the executable, for `addr2line -Cfpe tianguis <offsets>`.
///
/// Symbolising in the process would read the binary's debug info into memory and keep it
/// there (hundreds of MB), so the backtrace anyhow may hold is never formatted either.
fn unresolved_frames() -> String {
    let base = executable_base();
    let mut frames = String::new();
    backtrace::trace(|frame| {
        let ip = frame.ip() as usize;
        let offset = ip.checked_sub(base).filter(|_| base != 0).unwrap_or(ip);
        frames.push_str(&format!("{offset:#x} "));
        frames.len() < 4096
    });
    frames
}

/// Where the executable is mapped (position-independent executables load at a random
/// address); zero where `/proc` does not say.
fn executable_base() -> usize {
    static BASE: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *BASE.get_or_init(|| {
        let exe = std::fs::read_link("/proc/self/exe").ok();
        let maps = std::fs::read_to_string("/proc/self/maps").unwrap_or_default();
        maps.lines()
            .find(|line| {
                exe.as_ref()
                    .is_some_and(|exe| line.ends_with(&*exe.to_string_lossy()))
            })
            .and_then(|line| line.split('-').next())
            .and_then(|start| usize::from_str_radix(start, 16).ok())
            .unwrap_or(0)
    })
}

/// `.gql()` on a use case's result: the resolvers' way to return domain errors.
pub trait GqlResult<T> {
    fn gql(self) -> async_graphql::Result<T>;
}

impl<T> GqlResult<T> for Result<T, Error> {
    fn gql(self) -> async_graphql::Result<T> {
        self.map_err(to_graphql)
    }
}

/// Parses an `ID` argument into a UUID, naming the input field when it is not one.
pub fn parse_id(id: &async_graphql::ID, field: &'static str) -> async_graphql::Result<uuid::Uuid> {
    uuid::Uuid::parse_str(id.as_str()).map_err(|_| {
        to_graphql(Error::invalid(
            field,
            format!("'{}' is not a valid id", id.as_str()),
        ))
    })
}
