//! The run's document (`event`, `contact`, `lead`), and what conditions and placeholders
//! read from it.

use serde_json::Value;

use super::definition::{Comparison, Condition, Op};

/// The value at a dotted path, or None.
pub fn lookup<'a>(document: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.')
        .try_fold(document, |value, key| match value {
            Value::Object(map) => map.get(key),
            Value::Array(items) => key.parse::<usize>().ok().and_then(|i| items.get(i)),
            _ => None,
        })
}

pub fn holds(condition: &Condition, document: &Value) -> bool {
    match condition {
        Condition::All(all) => all.iter().all(|c| holds(c, document)),
        Condition::Any(any) => any.iter().any(|c| holds(c, document)),
        Condition::Compare(comparison) => compare(comparison, document),
    }
}

fn compare(comparison: &Comparison, document: &Value) -> bool {
    let actual = lookup(document, &comparison.field).unwrap_or(&Value::Null);
    let expected = comparison.value.as_ref().unwrap_or(&Value::Null);
    match comparison.op {
        Op::Eq => equal(actual, expected),
        Op::Ne => !equal(actual, expected),
        Op::Gt => order(actual, expected).is_some_and(|o| o.is_gt()),
        Op::Gte => order(actual, expected).is_some_and(|o| o.is_ge()),
        Op::Lt => order(actual, expected).is_some_and(|o| o.is_lt()),
        Op::Lte => order(actual, expected).is_some_and(|o| o.is_le()),
        Op::Contains => contains(actual, expected),
        Op::NotContains => !contains(actual, expected),
        Op::In => expected
            .as_array()
            .is_some_and(|options| options.iter().any(|o| equal(actual, o))),
        Op::NotIn => !expected
            .as_array()
            .is_some_and(|options| options.iter().any(|o| equal(actual, o))),
        Op::Empty => empty(actual),
        Op::NotEmpty => !empty(actual),
    }
}

/// A number, or text that reads as one (amounts travel as decimal text).
fn number(value: &Value) -> Option<f64> {
    match value {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// Equal as numbers when both read as numbers, as text without regard to case, else exactly.
fn equal(a: &Value, b: &Value) -> bool {
    if let (Some(x), Some(y)) = (number(a), number(b)) {
        return x == y;
    }
    match (a, b) {
        (Value::String(x), Value::String(y)) => x.trim().to_lowercase() == y.trim().to_lowercase(),
        _ => a == b,
    }
}

/// Numbers by value; other text (RFC 3339 times included) in text order.
fn order(a: &Value, b: &Value) -> Option<std::cmp::Ordering> {
    if let (Some(x), Some(y)) = (number(a), number(b)) {
        return x.partial_cmp(&y);
    }
    match (a, b) {
        (Value::String(x), Value::String(y)) => Some(x.as_str().cmp(y.as_str())),
        _ => None,
    }
}

fn contains(haystack: &Value, needle: &Value) -> bool {
    match haystack {
        Value::Array(items) => items.iter().any(|item| equal(item, needle)),
        Value::String(text) => needle
            .as_str()
            .is_some_and(|n| text.to_lowercase().contains(&n.to_lowercase())),
        _ => false,
    }
}

fn empty(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::String(s) => s.trim().is_empty(),
        Value::Array(items) => items.is_empty(),
        Value::Object(map) => map.is_empty(),
        _ => false,
    }
}

/// Text with each `{{path}}` replaced by the document's value there (blank when missing).
pub fn render(template: &str, document: &Value) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        let Some(end) = rest[start..].find("}}") else {
            break;
        };
        out.push_str(&rest[..start]);
        let path = rest[start + 2..start + end].trim();
        match lookup(document, path) {
            Some(Value::String(s)) => out.push_str(s),
            Some(Value::Null) | None => {}
            Some(other) => out.push_str(&other.to_string()),
        }
        rest = &rest[start + end + 2..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn when(field: &str, op: Op, value: Value) -> Condition {
        Condition::Compare(Comparison {
            field: field.into(),
            op,
            value: Some(value),
        })
    }

    fn doc() -> Value {
        json!({
            "event": { "type": "crm.lead.created", "data": { "value": "1500.00", "stageName": "Nuevo" } },
            "contact": { "firstName": "Ana", "tags": ["vip", "cdmx"], "email": null },
            "lead": { "value": 1500.0, "source": "whatsapp" },
        })
    }

    #[test]
    fn comparisons_read_numbers_in_text_and_ignore_case() {
        let d = doc();
        assert!(holds(&when("event.data.value", Op::Gt, json!(1000)), &d));
        assert!(!holds(&when("event.data.value", Op::Gt, json!(2000)), &d));
        assert!(holds(&when("lead.value", Op::Eq, json!("1500")), &d));
        assert!(holds(
            &when("event.data.stageName", Op::Eq, json!("nuevo")),
            &d
        ));
        assert!(holds(
            &when("lead.source", Op::In, json!(["web", "WhatsApp"])),
            &d
        ));
        assert!(!holds(
            &when("lead.source", Op::NotIn, json!(["whatsapp"])),
            &d
        ));
    }

    #[test]
    fn contains_reads_lists_and_text_and_empty_reads_missing() {
        let d = doc();
        assert!(holds(&when("contact.tags", Op::Contains, json!("VIP")), &d));
        assert!(holds(
            &when("contact.firstName", Op::Contains, json!("an")),
            &d
        ));
        assert!(holds(
            &when("contact.tags", Op::NotContains, json!("gdl")),
            &d
        ));
        let empty = |field: &str| {
            Condition::Compare(Comparison {
                field: field.into(),
                op: Op::Empty,
                value: None,
            })
        };
        assert!(holds(&empty("contact.email"), &d));
        assert!(holds(&empty("lead.nothing.here"), &d));
        assert!(!holds(&empty("contact.tags"), &d));
    }

    #[test]
    fn all_and_any_combine() {
        let d = doc();
        let yes = when("lead.value", Op::Gte, json!(1500));
        let no = when("lead.value", Op::Lt, json!(10));
        assert!(holds(&Condition::Any(vec![no.clone(), yes.clone()]), &d));
        assert!(!holds(&Condition::All(vec![no, yes]), &d));
    }

    #[test]
    fn placeholders_take_the_documents_values() {
        let d = doc();
        assert_eq!(
            render(
                "Hola {{ contact.firstName }}, {{lead.value}} {{contact.email}}!",
                &d
            ),
            "Hola Ana, 1500.0 !"
        );
        assert_eq!(render("sin cierre {{contact", &d), "sin cierre {{contact");
    }
}
