//! Filters shared by the CRM's lists: free text, tags and custom fields, written once for
//! SQLite and PostgreSQL.

use sea_orm::sea_query::{Expr, ExprTrait, SimpleExpr};
use sea_orm::{DbBackend, Value};

/// `LIKE` pattern matching `text` anywhere, with the wildcards in `text` taken literally.
pub fn contains_pattern(text: &str) -> String {
    let escaped = text
        .trim()
        .to_lowercase()
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

/// `column LIKE pattern` with `\` as the escape character on both backends.
pub fn like(table: &str, column: &str, pattern: &str) -> SimpleExpr {
    Expr::cust_with_values(
        format!("{table}.{column} LIKE ? ESCAPE '\\'"),
        [Value::from(pattern.to_owned())],
    )
}

/// The digits of a search that looks like part of a phone number.
pub fn phone_digits(text: &str) -> Option<String> {
    let digits: String = text.chars().filter(char::is_ascii_digit).collect();
    let only_phone_chars = text
        .chars()
        .all(|c| c.is_ascii_digit() || " +-.()".contains(c));
    (digits.len() >= 4 && only_phone_chars).then_some(digits)
}

/// Rows whose JSON tag array holds `tag`.
pub fn has_tag(backend: DbBackend, table: &str, tag: &str) -> SimpleExpr {
    match backend {
        DbBackend::Postgres => Expr::cust_with_values(
            format!("{table}.tags @> ?::jsonb"),
            [Value::from(serde_json::json!([tag]).to_string())],
        ),
        _ => Expr::cust_with_values(
            format!("EXISTS (SELECT 1 FROM json_each({table}.tags) WHERE json_each.value = ?)"),
            [Value::from(tag.to_owned())],
        ),
    }
}

/// The text of custom field `key`, for comparisons.
pub fn custom_text(backend: DbBackend, table: &str, key: &str) -> SimpleExpr {
    match backend {
        DbBackend::Postgres => Expr::cust_with_values(
            format!("({table}.custom_fields ->> ?)"),
            [Value::from(key.to_owned())],
        ),
        _ => Expr::cust_with_values(
            format!("json_extract({table}.custom_fields, ?)"),
            [Value::from(format!("$.\"{key}\""))],
        ),
    }
}

/// The number in custom field `key`, for range comparisons.
pub fn custom_number(backend: DbBackend, table: &str, key: &str) -> SimpleExpr {
    match backend {
        DbBackend::Postgres => Expr::cust_with_values(
            format!("(({table}.custom_fields ->> ?)::numeric)"),
            [Value::from(key.to_owned())],
        ),
        _ => custom_text(backend, table, key),
    }
}

/// The boolean in custom field `key`, compared as 1 or 0 on SQLite.
pub fn custom_bool_is(backend: DbBackend, table: &str, key: &str, value: bool) -> SimpleExpr {
    match backend {
        DbBackend::Postgres => {
            custom_text(backend, table, key).eq(if value { "true" } else { "false" })
        }
        _ => custom_text(backend, table, key).eq(i32::from(value)),
    }
}
