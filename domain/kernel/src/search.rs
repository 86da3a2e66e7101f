//! Filters shared by the CRM's lists: free text, tags and custom fields, written once for
//! SQLite and PostgreSQL.

use sea_orm::sea_query::{Expr, ExprTrait, SimpleExpr};
use sea_orm::{DbBackend, Value};

/// A custom SQL condition with `?` placeholders, which PostgreSQL's builder wants numbered.
pub fn custom(
    backend: DbBackend,
    sql: &str,
    values: impl IntoIterator<Item = Value>,
) -> SimpleExpr {
    let sql = if backend == DbBackend::Postgres {
        let mut numbered = String::with_capacity(sql.len() + 4);
        let mut n = 0;
        for c in sql.chars() {
            if c == '?' {
                n += 1;
                numbered.push_str(&format!("${n}"));
            } else {
                numbered.push(c);
            }
        }
        numbered
    } else {
        sql.to_owned()
    };
    Expr::cust_with_values(sql, values)
}

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

/// `sql LIKE pattern`, where `sql` is a column or expression of the query. Backslash
/// escapes the wildcards: PostgreSQL's default, SQLite's by an ESCAPE clause.
pub fn like_sql(backend: DbBackend, sql: &str, pattern: &str) -> SimpleExpr {
    let escape = if backend == DbBackend::Sqlite {
        " ESCAPE '\\'"
    } else {
        ""
    };
    custom(
        backend,
        &format!("{sql} LIKE ?{escape}"),
        [Value::from(pattern.to_owned())],
    )
}

pub fn like(backend: DbBackend, table: &str, column: &str, pattern: &str) -> SimpleExpr {
    like_sql(backend, &format!("{table}.{column}"), pattern)
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
    json_array_contains(backend, &format!("{table}.tags"), tag)
}

/// Whether the JSON array in `column` (`table.column`) holds the string `value`.
pub fn json_array_contains(backend: DbBackend, column: &str, value: &str) -> SimpleExpr {
    match backend {
        DbBackend::Postgres => custom(
            backend,
            &format!("{column} @> ?::jsonb"),
            [Value::from(serde_json::json!([value]).to_string())],
        ),
        _ => custom(
            backend,
            &format!("EXISTS (SELECT 1 FROM json_each({column}) WHERE json_each.value = ?)"),
            [Value::from(value.to_owned())],
        ),
    }
}

/// The text of custom field `key`, for comparisons.
pub fn custom_text(backend: DbBackend, table: &str, key: &str) -> SimpleExpr {
    match backend {
        DbBackend::Postgres => custom(
            backend,
            &format!("({table}.custom_fields ->> ?)"),
            [Value::from(key.to_owned())],
        ),
        _ => custom(
            backend,
            &format!("json_extract({table}.custom_fields, ?)"),
            [Value::from(format!("$.\"{key}\""))],
        ),
    }
}

/// The number in custom field `key`, for range comparisons.
pub fn custom_number(backend: DbBackend, table: &str, key: &str) -> SimpleExpr {
    match backend {
        DbBackend::Postgres => custom(
            backend,
            &format!("(({table}.custom_fields ->> ?)::numeric)"),
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

/// The lower-cased words a record is found by.
pub fn search_text(parts: &[Option<&str>]) -> String {
    parts
        .iter()
        .flatten()
        .map(|p| p.trim().to_lowercase())
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use sea_orm::sea_query::{PostgresQueryBuilder, Query, SqliteQueryBuilder};

    use super::*;

    #[test]
    fn placeholders_suit_each_backend() {
        let query = |backend| {
            Query::select()
                .expr(Expr::val(1))
                .and_where(like(backend, "contacts", "search_text", "%a%"))
                .and_where(custom_text(backend, "contacts", "giro").eq("x"))
                .to_owned()
        };
        assert_eq!(
            query(DbBackend::Postgres).to_string(PostgresQueryBuilder),
            "SELECT 1 WHERE (contacts.search_text LIKE '%a%') AND ((contacts.custom_fields ->> 'giro')) = 'x'"
        );
        assert_eq!(
            query(DbBackend::Sqlite).to_string(SqliteQueryBuilder),
            "SELECT 1 WHERE (contacts.search_text LIKE '%a%' ESCAPE '\\') AND (json_extract(contacts.custom_fields, '$.\"giro\"')) = 'x'"
        );
    }
}
