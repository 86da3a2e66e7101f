//! Alert conditions and their evaluation, free of storage: what a rule says, and whether it
//! holds for a device given its latest values, its last report and what the rule remembered
//! from the previous evaluation.

use std::collections::BTreeMap;

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use crate::{Error, Result};

tianguis_kernel::stored_enum! {
    /// In increasing order: a subscriber asking for WARNING hears CRITICAL too.
    #[derive(PartialOrd, Ord)]
    pub enum Severity {
        Info = "INFO",
        Warning = "WARNING",
        Critical = "CRITICAL",
        Emergency = "EMERGENCY",
    }
}

tianguis_kernel::stored_enum! {
    pub enum Operator {
        Gt = "GT",
        Gte = "GTE",
        Lt = "LT",
        Lte = "LTE",
        Eq = "EQ",
        Neq = "NEQ",
    }
}

impl Operator {
    fn holds(self, left: f64, right: f64) -> bool {
        match self {
            Operator::Gt => left > right,
            Operator::Gte => left >= right,
            Operator::Lt => left < right,
            Operator::Lte => left <= right,
            Operator::Eq => left == right,
            Operator::Neq => left != right,
        }
    }
}

/// A rule's condition: thresholds and silences, combined with all/any. Stored as JSON in
/// the shape GraphQL takes it, e.g. `{"all": [{"threshold": {…}}, {"noData": {…}}]}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Condition {
    /// The key's latest value compares true against `value`, continuously for `for_seconds`.
    #[serde(rename_all = "camelCase")]
    Threshold {
        key: String,
        op: Operator,
        value: f64,
        #[serde(default)]
        for_seconds: u32,
    },
    /// Nothing heard from the device (or of `key`) for `minutes`.
    #[serde(rename_all = "camelCase")]
    NoData {
        key: Option<String>,
        minutes: u32,
    },
    All(Vec<Condition>),
    Any(Vec<Condition>),
}

const MAX_DEPTH: usize = 4;
const MAX_PARTS: usize = 16;
const MAX_FOR_SECONDS: u32 = 7 * 24 * 3600;
const MAX_SILENT_MINUTES: u32 = 30 * 24 * 60;

impl Condition {
    /// Checks the condition's shape and limits; errors name the `condition` field.
    pub fn validate(&self) -> Result<()> {
        let mut parts = 0;
        self.check(1, &mut parts)
    }

    fn check(&self, depth: usize, parts: &mut usize) -> Result<()> {
        let invalid = |message: String| Err(Error::invalid("condition", message));
        *parts += 1;
        if depth > MAX_DEPTH || *parts > MAX_PARTS {
            return invalid(format!(
                "at most {MAX_PARTS} parts, nested {MAX_DEPTH} deep"
            ));
        }
        match self {
            Condition::Threshold {
                key,
                value,
                for_seconds,
                ..
            } => {
                if key.trim().is_empty() || key.len() > 64 {
                    return invalid("a threshold needs a key of up to 64 characters".into());
                }
                if !value.is_finite() {
                    return invalid(format!("{key}: the value must be a finite number"));
                }
                if *for_seconds > MAX_FOR_SECONDS {
                    return invalid(format!("{key}: forSeconds is at most {MAX_FOR_SECONDS}"));
                }
            }
            Condition::NoData { minutes, .. } => {
                if !(1..=MAX_SILENT_MINUTES).contains(minutes) {
                    return invalid(format!("noData minutes go from 1 to {MAX_SILENT_MINUTES}"));
                }
            }
            Condition::All(inner) | Condition::Any(inner) => {
                if inner.is_empty() {
                    return invalid("all and any need at least one condition".into());
                }
                for c in inner {
                    c.check(depth + 1, parts)?;
                }
            }
        }
        Ok(())
    }
}

/// The latest value of one key.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Sample {
    pub ts: DateTime<Utc>,
    pub number: Option<f64>,
}

/// What is known of a device when a rule is evaluated.
pub struct Facts<'a> {
    pub latest: &'a BTreeMap<String, Sample>,
    /// The device's last report, or its creation when it never reported.
    pub last_heard: DateTime<Utc>,
    pub now: DateTime<Utc>,
}

/// Since when each timed threshold has held, by its position in the condition.
pub type Holding = BTreeMap<usize, DateTime<Utc>>;

/// The outcome of one evaluation.
#[derive(Debug, PartialEq)]
pub struct Verdict {
    pub holds: bool,
    /// What remains to remember for the next evaluation.
    pub holding: Holding,
    /// The values the condition looked at, for the alert.
    pub details: serde_json::Map<String, serde_json::Value>,
}

/// Evaluates `condition` against `facts`, given what the previous evaluation remembered.
pub fn evaluate(condition: &Condition, facts: &Facts<'_>, previous: &Holding) -> Verdict {
    let mut verdict = Verdict {
        holds: false,
        holding: Holding::new(),
        details: serde_json::Map::new(),
    };
    let mut position = 0;
    verdict.holds = part(condition, facts, previous, &mut position, &mut verdict);
    verdict
}

fn part(
    condition: &Condition,
    facts: &Facts<'_>,
    previous: &Holding,
    position: &mut usize,
    verdict: &mut Verdict,
) -> bool {
    let here = *position;
    *position += 1;
    match condition {
        Condition::Threshold {
            key,
            op,
            value,
            for_seconds,
        } => {
            let sample = facts.latest.get(key);
            if let Some(number) = sample.and_then(|s| s.number) {
                verdict.details.insert(key.clone(), number.into());
            }
            let Some(sample) = sample.filter(|s| s.number.is_some_and(|n| op.holds(n, *value)))
            else {
                return false;
            };
            // Held since the first evaluation that saw it hold, measured from that sample.
            let since = previous
                .get(&here)
                .copied()
                .unwrap_or(sample.ts.min(facts.now));
            verdict.holding.insert(here, since);
            facts.now - since >= TimeDelta::seconds(i64::from(*for_seconds))
        }
        Condition::NoData { key, minutes } => {
            let heard = match key {
                Some(key) => facts.latest.get(key).map_or(facts.last_heard, |s| s.ts),
                None => facts.last_heard,
            };
            verdict
                .details
                .insert("lastHeardAt".into(), heard.to_rfc3339().into());
            facts.now - heard >= TimeDelta::minutes(i64::from(*minutes))
        }
        // Every part is evaluated, so each keeps its own timer whatever the others do.
        Condition::All(inner) | Condition::Any(inner) => {
            let mut held = 0;
            for c in inner {
                held += usize::from(part(c, facts, previous, position, verdict));
            }
            match condition {
                Condition::All(_) => held == inner.len(),
                _ => held > 0,
            }
        }
    }
}

/// Whether the condition has a part that can become true with the passing of time alone,
/// so the periodic sweep must look at it too.
pub fn depends_on_time(condition: &Condition) -> bool {
    match condition {
        Condition::Threshold { for_seconds, .. } => *for_seconds > 0,
        Condition::NoData { .. } => true,
        Condition::All(inner) | Condition::Any(inner) => inner.iter().any(depends_on_time),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_795_329_600 + seconds, 0).expect("valid")
    }

    fn latest(values: &[(&str, i64, f64)]) -> BTreeMap<String, Sample> {
        values
            .iter()
            .map(|(k, ts, n)| {
                (
                    (*k).to_string(),
                    Sample {
                        ts: at(*ts),
                        number: Some(*n),
                    },
                )
            })
            .collect()
    }

    fn warm(for_seconds: u32) -> Condition {
        Condition::Threshold {
            key: "temperature".into(),
            op: Operator::Gt,
            value: 5.0,
            for_seconds,
        }
    }

    fn run(
        condition: &Condition,
        values: &[(&str, i64, f64)],
        now: i64,
        before: &Holding,
    ) -> Verdict {
        let latest = latest(values);
        evaluate(
            condition,
            &Facts {
                latest: &latest,
                last_heard: values.iter().map(|v| at(v.1)).max().unwrap_or(at(0)),
                now: at(now),
            },
            before,
        )
    }

    #[test]
    fn a_threshold_holds_only_after_its_duration() {
        let rule = warm(60);
        let first = run(&rule, &[("temperature", 0, 8.0)], 0, &Holding::new());
        assert!(!first.holds);
        assert_eq!(first.holding, Holding::from([(0, at(0))]));
        let later = run(&rule, &[("temperature", 59, 9.0)], 59, &first.holding);
        assert!(!later.holds, "59 s is not a minute");
        let minute = run(&rule, &[("temperature", 60, 9.0)], 60, &later.holding);
        assert!(minute.holds);
        assert_eq!(minute.details["temperature"], 9.0);
        // Dipping below resets the timer.
        let dip = run(&rule, &[("temperature", 61, 4.0)], 61, &minute.holding);
        assert!(!dip.holds);
        assert!(dip.holding.is_empty());
        let again = run(&rule, &[("temperature", 62, 8.0)], 100, &dip.holding);
        assert!(!again.holds, "timed from 62 again");
    }

    #[test]
    fn combinations_and_silence() {
        let rule = Condition::All(vec![
            warm(0),
            Condition::Any(vec![
                Condition::Threshold {
                    key: "door".into(),
                    op: Operator::Eq,
                    value: 1.0,
                    for_seconds: 0,
                },
                Condition::NoData {
                    key: Some("door".into()),
                    minutes: 10,
                },
            ]),
        ]);
        assert!(
            run(
                &rule,
                &[("temperature", 0, 8.0), ("door", 0, 1.0)],
                0,
                &Holding::new()
            )
            .holds
        );
        assert!(
            !run(
                &rule,
                &[("temperature", 0, 8.0), ("door", 0, 0.0)],
                0,
                &Holding::new()
            )
            .holds
        );
        assert!(
            run(
                &rule,
                &[("temperature", 700, 8.0), ("door", 0, 0.0)],
                700,
                &Holding::new()
            )
            .holds,
            "the door has not reported for over 10 minutes"
        );
        assert!(
            !run(
                &rule,
                &[("temperature", 0, 4.0), ("door", 0, 1.0)],
                0,
                &Holding::new()
            )
            .holds
        );
        assert!(depends_on_time(&rule));
        assert!(!depends_on_time(&warm(0)));
    }

    #[test]
    fn a_missing_key_or_text_never_crosses_a_threshold() {
        assert!(!run(&warm(0), &[("humidity", 0, 99.0)], 0, &Holding::new()).holds);
    }

    #[test]
    fn conditions_are_checked_and_stored_in_the_graphql_shape() {
        let rule: Condition = serde_json::from_value(serde_json::json!({
            "any": [
                { "threshold": { "key": "t", "op": "GTE", "value": 3, "forSeconds": 30 } },
                { "noData": { "minutes": 5 } }
            ]
        }))
        .expect("parses");
        rule.validate().expect("valid");
        assert_eq!(
            serde_json::to_value(&rule).expect("json")["any"][1],
            serde_json::json!({ "noData": { "key": null, "minutes": 5 } })
        );
        for bad in [
            Condition::All(vec![]),
            Condition::NoData {
                key: None,
                minutes: 0,
            },
            Condition::Threshold {
                key: " ".into(),
                op: Operator::Gt,
                value: 1.0,
                for_seconds: 0,
            },
        ] {
            assert!(matches!(
                bad.validate(),
                Err(Error::Invalid { field, .. }) if field == "condition"
            ));
        }
        let deep = (0..5).fold(warm(0), |c, _| Condition::All(vec![c]));
        assert!(deep.validate().is_err(), "too deep");
        assert_eq!(Severity::from_key("CRITICAL"), Some(Severity::Critical));
        assert!(Severity::Emergency > Severity::Warning);
    }
}
