//! Lead scoring: 0–100 points from a tenant's configuration, with the reasons behind them.

use serde::{Deserialize, Serialize};

use crate::leads::Source;

/// A tenant's scoring configuration. Every part is optional in the stored JSON; missing
/// parts take the defaults.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct ScoringConfig {
    /// Points by lead source.
    pub source_points: Vec<SourcePoints>,
    /// Points when the expected value reaches a threshold (major units); the highest
    /// threshold reached counts.
    pub budget_points: Vec<Threshold>,
    /// Points per activity in the last `engagement_window_days`, up to `engagement_max`.
    pub points_per_activity: i32,
    pub engagement_max: i32,
    pub engagement_window_days: i32,
    /// Points when the last activity is at most `days` old; the most recent band counts.
    pub recency_points: Vec<RecencyBand>,
    /// Up to this many points, in proportion to the stage's win probability.
    pub stage_weight: i32,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourcePoints {
    pub source: Source,
    pub points: i32,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Threshold {
    pub min: i64,
    pub points: i32,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecencyBand {
    pub days: i32,
    pub points: i32,
}

impl Default for ScoringConfig {
    fn default() -> Self {
        let source = |source, points| SourcePoints { source, points };
        Self {
            source_points: vec![
                source(Source::Referral, 20),
                source(Source::Whatsapp, 15),
                source(Source::Event, 12),
                source(Source::Web, 10),
                source(Source::Ads, 5),
                source(Source::Other, 0),
            ],
            budget_points: vec![
                Threshold {
                    min: 10_000,
                    points: 5,
                },
                Threshold {
                    min: 50_000,
                    points: 10,
                },
                Threshold {
                    min: 200_000,
                    points: 20,
                },
            ],
            points_per_activity: 4,
            engagement_max: 20,
            engagement_window_days: 30,
            recency_points: vec![
                RecencyBand {
                    days: 3,
                    points: 20,
                },
                RecencyBand {
                    days: 7,
                    points: 15,
                },
                RecencyBand {
                    days: 30,
                    points: 5,
                },
            ],
            stage_weight: 20,
        }
    }
}

impl ScoringConfig {
    /// The oldest activity that can still change a score: beyond it, time alone changes
    /// nothing.
    pub fn horizon_days(&self) -> i32 {
        self.recency_points
            .iter()
            .map(|b| b.days)
            .chain([self.engagement_window_days])
            .max()
            .unwrap_or(0)
    }
}

/// What the score is computed from.
#[derive(Clone, Debug)]
pub struct LeadFacts {
    pub source: Source,
    /// Expected value in major units of its currency.
    pub value_major: i64,
    pub recent_activities: i32,
    /// Days since the last activity, if there was one.
    pub days_since_activity: Option<i64>,
    pub stage_probability: i32,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScoreReason {
    pub rule: String,
    pub points: i32,
    pub detail: String,
}

pub fn score(config: &ScoringConfig, facts: &LeadFacts) -> (i32, Vec<ScoreReason>) {
    let mut reasons = Vec::new();
    let mut add = |rule: &str, points: i32, detail: String| {
        if points != 0 {
            reasons.push(ScoreReason {
                rule: rule.to_owned(),
                points,
                detail,
            });
        }
    };
    if let Some(s) = config
        .source_points
        .iter()
        .find(|s| s.source == facts.source)
    {
        add("source", s.points, format!("source {}", s.source));
    }
    if let Some(t) = config
        .budget_points
        .iter()
        .filter(|t| facts.value_major >= t.min)
        .max_by_key(|t| t.min)
    {
        add(
            "budget",
            t.points,
            format!("expected value of at least {}", t.min),
        );
    }
    let engagement =
        (facts.recent_activities * config.points_per_activity).min(config.engagement_max);
    add(
        "engagement",
        engagement,
        format!(
            "{} activities in the last {} days",
            facts.recent_activities, config.engagement_window_days
        ),
    );
    if let Some(days) = facts.days_since_activity
        && let Some(band) = config
            .recency_points
            .iter()
            .filter(|b| days <= i64::from(b.days))
            .min_by_key(|b| b.days)
    {
        add(
            "recency",
            band.points,
            format!("last activity within {} days", band.days),
        );
    }
    add(
        "stage",
        config.stage_weight * facts.stage_probability / 100,
        format!("stage with {} % win probability", facts.stage_probability),
    );
    let total = reasons.iter().map(|r| r.points).sum::<i32>().clamp(0, 100);
    (total, reasons)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hot_referral_scores_high_with_reasons() {
        let facts = LeadFacts {
            source: Source::Referral,
            value_major: 60_000,
            recent_activities: 3,
            days_since_activity: Some(1),
            stage_probability: 50,
        };
        let (score, reasons) = score(&ScoringConfig::default(), &facts);
        // 20 source + 10 budget + 12 engagement + 20 recency + 10 stage.
        assert_eq!(score, 72);
        let rules: Vec<&str> = reasons.iter().map(|r| r.rule.as_str()).collect();
        assert_eq!(
            rules,
            ["source", "budget", "engagement", "recency", "stage"]
        );
    }

    #[test]
    fn a_cold_lead_scores_low_and_never_leaves_the_range() {
        let cold = LeadFacts {
            source: Source::Other,
            value_major: 0,
            recent_activities: 0,
            days_since_activity: Some(90),
            stage_probability: 0,
        };
        assert_eq!(score(&ScoringConfig::default(), &cold), (0, vec![]));
        let generous = ScoringConfig {
            stage_weight: 500,
            ..ScoringConfig::default()
        };
        let won = LeadFacts {
            stage_probability: 100,
            ..cold
        };
        assert_eq!(score(&generous, &won).0, 100);
    }

    #[test]
    fn partial_configuration_takes_defaults() {
        let config: ScoringConfig =
            serde_json::from_value(serde_json::json!({ "stageWeight": 40 })).expect("config");
        assert_eq!(config.stage_weight, 40);
        assert_eq!(config.points_per_activity, 4);
    }
}
