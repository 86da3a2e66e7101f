//! The telemetry payload devices send, over HTTP or MQTT, parsed and checked.
//!
//! Shape (the one ESP32 firmwares commonly speak): a JSON object of key → value, such as
//! `{"temperature": 4.2, "door": false}`, sent at "now"; or `{"ts": 1763794800000,
//! "values": {...}}` with a timestamp in Unix milliseconds or RFC 3339; or an array of
//! either, for a batch. Values are numbers, booleans (stored as 1 and 0) or short text.

use chrono::{DateTime, TimeDelta, Utc};
use serde_json::Value;

/// Keys one message may carry; more is refused as a likely bug or abuse.
pub const MAX_KEYS_PER_SAMPLE: usize = 64;
/// Points one request or message may carry.
pub const MAX_POINTS: usize = 10_000;
const MAX_TEXT: usize = 256;

#[derive(Clone, Debug, PartialEq)]
pub enum Reading {
    Number(f64),
    Text(String),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Point {
    pub key: String,
    pub ts: DateTime<Utc>,
    pub value: Reading,
}

/// Why a payload was refused; `reason` is stable for clients and metrics.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct PayloadError {
    pub reason: &'static str,
    pub message: String,
}

fn refuse(reason: &'static str, message: impl Into<String>) -> PayloadError {
    PayloadError {
        reason,
        message: message.into(),
    }
}

fn valid_key(key: &str) -> bool {
    (1..=64).contains(&key.len())
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
}

fn timestamp(value: &Value, now: DateTime<Utc>) -> Result<DateTime<Utc>, PayloadError> {
    let ts = match value {
        Value::Number(n) => n
            .as_i64()
            .and_then(DateTime::from_timestamp_millis)
            .ok_or_else(|| refuse("BAD_TIMESTAMP", "ts must be Unix milliseconds or RFC 3339"))?,
        Value::String(s) => DateTime::parse_from_rfc3339(s)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|_| refuse("BAD_TIMESTAMP", "ts must be Unix milliseconds or RFC 3339"))?,
        _ => {
            return Err(refuse(
                "BAD_TIMESTAMP",
                "ts must be Unix milliseconds or RFC 3339",
            ));
        }
    };
    // A clock far ahead would put points where no dashboard looks; a little skew is fine.
    if ts > now + TimeDelta::minutes(10) {
        return Err(refuse("BAD_TIMESTAMP", "ts is in the future"));
    }
    Ok(ts)
}

fn reading(key: &str, value: &Value) -> Result<Reading, PayloadError> {
    match value {
        Value::Number(n) => n
            .as_f64()
            .filter(|f| f.is_finite())
            .map(Reading::Number)
            .ok_or_else(|| refuse("BAD_VALUE", format!("{key}: not a finite number"))),
        Value::Bool(b) => Ok(Reading::Number(if *b { 1.0 } else { 0.0 })),
        Value::String(s) if s.chars().count() <= MAX_TEXT => Ok(Reading::Text(s.clone())),
        Value::String(_) => Err(refuse(
            "BAD_VALUE",
            format!("{key}: text longer than {MAX_TEXT} characters"),
        )),
        _ => Err(refuse(
            "BAD_VALUE",
            format!("{key}: a value is a number, a boolean or text"),
        )),
    }
}

fn sample(value: &Value, now: DateTime<Utc>, out: &mut Vec<Point>) -> Result<(), PayloadError> {
    let object = value
        .as_object()
        .ok_or_else(|| refuse("MALFORMED", "a sample is a JSON object"))?;
    let (ts, values) = match (object.get("ts"), object.get("values")) {
        (ts, Some(values)) => (
            ts.map(|t| timestamp(t, now)).transpose()?.unwrap_or(now),
            values
                .as_object()
                .ok_or_else(|| refuse("MALFORMED", "values is a JSON object of key to value"))?,
        ),
        (None, None) => (now, object),
        (Some(_), None) => return Err(refuse("MALFORMED", "a sample with ts needs values")),
    };
    if values.len() > MAX_KEYS_PER_SAMPLE {
        return Err(refuse(
            "TOO_MANY_KEYS",
            format!("at most {MAX_KEYS_PER_SAMPLE} keys per sample"),
        ));
    }
    for (key, value) in values {
        if !valid_key(key) {
            return Err(refuse(
                "BAD_KEY",
                format!("'{key}' is not a key: 1 to 64 letters, digits, _ - ."),
            ));
        }
        out.push(Point {
            key: key.clone(),
            ts,
            value: reading(key, value)?,
        });
    }
    Ok(())
}

/// Parses a payload into points; the whole payload is refused if any part is bad, so a
/// device never has half a batch stored.
pub fn parse(body: &[u8], now: DateTime<Utc>) -> Result<Vec<Point>, PayloadError> {
    let value: Value =
        serde_json::from_slice(body).map_err(|e| refuse("MALFORMED", format!("not JSON: {e}")))?;
    let mut points = Vec::new();
    match &value {
        Value::Array(samples) => {
            for s in samples {
                sample(s, now, &mut points)?;
                if points.len() > MAX_POINTS {
                    return Err(refuse(
                        "TOO_MANY_POINTS",
                        format!("at most {MAX_POINTS} points per request"),
                    ));
                }
            }
        }
        other => sample(other, now, &mut points)?,
    }
    if points.is_empty() {
        return Err(refuse("EMPTY", "no values"));
    }
    Ok(points)
}

/// Keys outside its profile a device may send in one payload (signal strength, battery…);
/// more suggests firmware sending the wrong thing.
pub const MAX_UNDECLARED_KEYS: usize = 16;

/// Checks points against the keys the device's profile declares, when it declares any:
/// a declared key carries numbers (its unit and range say so), and only a few undeclared
/// keys may come along.
pub fn check_declared(
    points: &[Point],
    declared: &[super::devices::TelemetryKey],
) -> Result<(), PayloadError> {
    if declared.is_empty() {
        return Ok(());
    }
    let mut undeclared: Vec<&str> = Vec::new();
    for point in points {
        let known = declared.iter().any(|k| k.key == point.key);
        if known && matches!(point.value, Reading::Text(_)) {
            return Err(refuse(
                "BAD_VALUE",
                format!("{}: the device's profile expects a number", point.key),
            ));
        }
        if !known && !undeclared.contains(&point.key.as_str()) {
            undeclared.push(&point.key);
        }
    }
    if undeclared.len() > MAX_UNDECLARED_KEYS {
        return Err(refuse(
            "UNKNOWN_KEYS",
            format!(
                "{} keys are not in the device's profile (at most {MAX_UNDECLARED_KEYS}): {}…",
                undeclared.len(),
                undeclared[..3].join(", ")
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        "2026-11-22T12:00:00Z".parse().expect("time")
    }

    #[test]
    fn a_profile_types_its_keys_and_bounds_the_others() {
        let declared = [crate::devices::TelemetryKey {
            key: "temperature".into(),
            unit: Some("°C".into()),
            min: None,
            max: None,
        }];
        let ok = parse(br#"{"temperature": 4, "rssi": -70}"#, now()).expect("points");
        assert_eq!(check_declared(&ok, &declared), Ok(()));
        let text = parse(br#"{"temperature": "warm"}"#, now()).expect("points");
        assert_eq!(
            check_declared(&text, &declared).expect_err("typed").reason,
            "BAD_VALUE"
        );
        assert_eq!(
            check_declared(&text, &[]),
            Ok(()),
            "no profile keys, no schema"
        );
        let many: serde_json::Map<String, Value> = (0..=MAX_UNDECLARED_KEYS)
            .map(|i| (format!("k{i}"), Value::from(i)))
            .collect();
        let many = parse(Value::Object(many).to_string().as_bytes(), now()).expect("points");
        assert_eq!(
            check_declared(&many, &declared)
                .expect_err("too many")
                .reason,
            "UNKNOWN_KEYS"
        );
    }

    #[test]
    fn a_flat_sample_is_taken_now() {
        let points = parse(
            br#"{"temperature": 4.5, "door": true, "mode": "eco"}"#,
            now(),
        )
        .expect("points");
        assert_eq!(points.len(), 3);
        assert!(points.iter().all(|p| p.ts == now()));
        assert!(points.contains(&Point {
            key: "door".into(),
            ts: now(),
            value: Reading::Number(1.0)
        }));
        assert!(points.contains(&Point {
            key: "mode".into(),
            ts: now(),
            value: Reading::Text("eco".into())
        }));
    }

    #[test]
    fn batches_carry_their_timestamps() {
        let body = br#"[{"ts": 1795348800000, "values": {"t": 1}}, {"ts": "2026-11-22T11:59:00Z", "values": {"t": 2}}]"#;
        let points = parse(body, now()).expect("points");
        assert_eq!(
            points[0].ts,
            DateTime::from_timestamp_millis(1_795_348_800_000).expect("ts")
        );
        assert_eq!(
            points[1].ts,
            "2026-11-22T11:59:00Z".parse::<DateTime<Utc>>().expect("ts")
        );
    }

    #[test]
    fn bad_payloads_say_why() {
        let reason = |body: &[u8]| parse(body, now()).expect_err("refused").reason;
        assert_eq!(reason(b"not json"), "MALFORMED");
        assert_eq!(reason(br#"{"t": [1]}"#), "BAD_VALUE");
        assert_eq!(reason(br#"{"bad key": 1}"#), "BAD_KEY");
        assert_eq!(
            reason(br#"{"ts": "yesterday", "values": {"t": 1}}"#),
            "BAD_TIMESTAMP"
        );
        assert_eq!(
            reason(br#"{"ts": "2027-01-01T00:00:00Z", "values": {"t": 1}}"#),
            "BAD_TIMESTAMP"
        );
        assert_eq!(reason(b"{}"), "EMPTY");
        let many: serde_json::Map<String, Value> =
            (0..65).map(|i| (format!("k{i}"), Value::from(i))).collect();
        assert_eq!(
            reason(serde_json::to_string(&many).expect("json").as_bytes()),
            "TOO_MANY_KEYS"
        );
    }
}
