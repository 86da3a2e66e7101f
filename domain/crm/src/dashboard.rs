//! Dashboard figures: the pipeline by stage, the conversion funnel and win rate over a
//! period, activity per person, and overdue tasks.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, ConnectionTrait, FromQueryResult, PaginatorTrait, QueryFilter, QueryOrder,
};
use tianguis_entity::crm::{activities, pipeline_stages as stages};
use uuid::Uuid;

use super::Money;
use super::pipelines::{self, Outcome, Stage};
use crate::db::{TenantTx, raw};
use crate::{Deps, Permission, Result, TenantCtx};

#[derive(Clone, Debug)]
pub struct StageSummary {
    pub stage: Stage,
    pub count: u64,
    /// Expected value per currency.
    pub value: Vec<Money>,
    /// Expected value × the stage's win probability, per currency.
    pub weighted_value: Vec<Money>,
}

async fn pipeline_stages(tx: &TenantTx, pipeline_id: Option<Uuid>) -> Result<(Uuid, Vec<Stage>)> {
    let pipeline = match pipeline_id {
        Some(id) => {
            tx.get::<tianguis_entity::crm::pipelines::Entity>(id, "pipeline")
                .await?
        }
        None => pipelines::default_pipeline(tx).await?,
    };
    let stages = tx
        .select::<stages::Entity>()
        .filter(stages::Column::PipelineId.eq(pipeline.id))
        .order_by_asc(stages::Column::Position)
        .all(&**tx)
        .await?;
    Ok((pipeline.id, stages))
}

/// Leads per stage of a pipeline (the default one when none is given), with their value.
pub async fn pipeline_summary(
    deps: &Deps,
    ctx: &TenantCtx,
    pipeline_id: Option<Uuid>,
) -> Result<Vec<StageSummary>> {
    ctx.require(Permission::CrmLeadsRead)?;
    let tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let (pipeline_id, stages) = pipeline_stages(&tx, pipeline_id).await?;
    #[derive(FromQueryResult)]
    struct Row {
        stage_id: Uuid,
        currency: String,
        leads: i64,
        value: i64,
    }
    let rows = Row::find_by_statement(raw(
        tx.get_database_backend(),
        "SELECT stage_id, currency, COUNT(*) AS leads, CAST(COALESCE(SUM(value_minor), 0) AS BIGINT) AS value
         FROM leads WHERE tenant_id = $1 AND pipeline_id = $2
         GROUP BY stage_id, currency ORDER BY stage_id, currency",
        [ctx.tenant_id.into(), pipeline_id.into()],
    ))
    .all(&*tx)
    .await?;
    tx.commit().await?;
    Ok(stages
        .into_iter()
        .map(|stage| {
            let mine: Vec<&Row> = rows.iter().filter(|r| r.stage_id == stage.id).collect();
            StageSummary {
                count: mine.iter().map(|r| r.leads as u64).sum(),
                value: mine
                    .iter()
                    .map(|r| Money::new(r.value, &r.currency))
                    .collect(),
                // Rounded to the minor unit, half away from zero.
                weighted_value: mine
                    .iter()
                    .map(|r| {
                        let weighted =
                            (i128::from(r.value) * i128::from(stage.probability) + 50) / 100;
                        Money::new(weighted as i64, &r.currency)
                    })
                    .collect(),
                stage,
            }
        })
        .collect())
}

#[derive(Clone, Debug)]
pub struct FunnelStep {
    pub stage: Stage,
    /// Leads created in the period that reached this stage or a later one.
    pub reached: u64,
}

#[derive(Clone, Debug)]
pub struct Funnel {
    pub steps: Vec<FunnelStep>,
    pub created: u64,
    pub won: u64,
    pub lost: u64,
    /// Won ÷ (won + lost) among leads closed in the period; none when none closed.
    pub win_rate: Option<f64>,
}

/// The conversion funnel of the leads created in [from, to), and the win rate of the leads
/// closed in it.
pub async fn funnel(
    deps: &Deps,
    ctx: &TenantCtx,
    pipeline_id: Option<Uuid>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Funnel> {
    ctx.require(Permission::CrmLeadsRead)?;
    let tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let backend = tx.get_database_backend();
    let (pipeline_id, stages) = pipeline_stages(&tx, pipeline_id).await?;
    #[derive(FromQueryResult)]
    struct Reach {
        furthest: i32,
        leads: i64,
    }
    // The furthest stage each lead reached (lost stages do not count as progress).
    let reach = Reach::find_by_statement(raw(
        backend,
        "SELECT furthest, COUNT(*) AS leads FROM (
           SELECT c.lead_id, MAX(CASE WHEN s.outcome = 'lost' THEN -1 ELSE s.position END) AS furthest
           FROM lead_stage_changes c
           JOIN pipeline_stages s ON s.id = c.to_stage_id
           JOIN leads l ON l.id = c.lead_id
           WHERE c.tenant_id = $1 AND l.tenant_id = $1 AND l.pipeline_id = $2
             AND l.created_at >= $3 AND l.created_at < $4
           GROUP BY c.lead_id
         ) per_lead GROUP BY furthest",
        [ctx.tenant_id.into(), pipeline_id.into(), from.into(), to.into()],
    ))
    .all(&*tx)
    .await?;
    #[derive(FromQueryResult)]
    struct Closed {
        status: String,
        leads: i64,
    }
    let closed = Closed::find_by_statement(raw(
        backend,
        "SELECT status, COUNT(*) AS leads FROM leads
         WHERE tenant_id = $1 AND pipeline_id = $2 AND status <> 'open' AND closed_at >= $3 AND closed_at < $4
         GROUP BY status",
        [ctx.tenant_id.into(), pipeline_id.into(), from.into(), to.into()],
    ))
    .all(&*tx)
    .await?;
    tx.commit().await?;
    let count = |status: &str| {
        closed
            .iter()
            .filter(|c| c.status == status)
            .map(|c| c.leads as u64)
            .sum::<u64>()
    };
    let (won, lost) = (count(Outcome::Won.key()), count(Outcome::Lost.key()));
    let steps = stages
        .into_iter()
        .filter(|s| s.outcome != Outcome::Lost.key())
        .map(|stage| FunnelStep {
            reached: reach
                .iter()
                .filter(|r| r.furthest >= stage.position)
                .map(|r| r.leads as u64)
                .sum(),
            stage,
        })
        .collect();
    Ok(Funnel {
        steps,
        created: reach.iter().map(|r| r.leads as u64).sum(),
        won,
        lost,
        win_rate: (won + lost > 0).then(|| won as f64 / (won + lost) as f64),
    })
}

#[derive(Clone, Debug)]
pub struct UserActivity {
    pub user_id: Uuid,
    /// Activities per kind.
    pub counts: BTreeMap<String, u64>,
    pub tasks_completed: u64,
}

/// What each person logged in [from, to): activities by kind and tasks completed.
pub async fn activity_by_user(
    deps: &Deps,
    ctx: &TenantCtx,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<UserActivity>> {
    ctx.require(Permission::CrmLeadsRead)?;
    let tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    #[derive(FromQueryResult)]
    struct Row {
        user_id: Uuid,
        kind: String,
        n: i64,
    }
    let rows = Row::find_by_statement(raw(
        tx.get_database_backend(),
        "SELECT author_id AS user_id, kind, COUNT(*) AS n FROM activities
         WHERE tenant_id = $1 AND author_id IS NOT NULL AND kind <> 'task' AND occurred_at >= $2 AND occurred_at < $3
         GROUP BY author_id, kind
         UNION ALL
         SELECT assignee_id AS user_id, 'task' AS kind, COUNT(*) AS n FROM activities
         WHERE tenant_id = $1 AND assignee_id IS NOT NULL AND kind = 'task' AND done_at >= $2 AND done_at < $3
         GROUP BY assignee_id",
        [ctx.tenant_id.into(), from.into(), to.into()],
    ))
    .all(&*tx)
    .await?;
    tx.commit().await?;
    let mut by_user: HashMap<Uuid, UserActivity> = HashMap::new();
    for row in rows {
        let entry = by_user.entry(row.user_id).or_insert_with(|| UserActivity {
            user_id: row.user_id,
            counts: BTreeMap::new(),
            tasks_completed: 0,
        });
        if row.kind == "task" {
            entry.tasks_completed += row.n as u64;
        } else {
            entry.counts.insert(row.kind, row.n as u64);
        }
    }
    let mut out: Vec<UserActivity> = by_user.into_values().collect();
    out.sort_by_key(|u| u.user_id);
    Ok(out)
}

/// Open tasks past their due date.
pub async fn overdue_task_count(deps: &Deps, ctx: &TenantCtx) -> Result<u64> {
    ctx.require(Permission::CrmLeadsRead)?;
    let tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let n = tx
        .select::<activities::Entity>()
        .filter(activities::Column::Kind.eq("task"))
        .filter(activities::Column::DoneAt.is_null())
        .filter(activities::Column::DueAt.lt(deps.clock.now()))
        .count(&*tx)
        .await?;
    tx.commit().await?;
    Ok(n)
}
