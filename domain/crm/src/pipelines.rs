//! Pipelines and their ordered stages. Every tenant has a default pipeline, created the
//! first time the CRM needs it.

use std::collections::HashMap;

use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
};
use tianguis_entity::crm::{leads, pipeline_stages as stages, pipelines};
use uuid::Uuid;

use crate::db::TenantTx;
use crate::db::stamped;
use crate::error::conflict_on;
use crate::{Deps, Error, Permission, Result, TenantCtx};
use crate::{audit, rules::required_text};

pub use pipelines::Model as Pipeline;
pub use stages::Model as Stage;

tianguis_kernel::stored_enum! {
    /// What reaching a stage means for a lead; a lead's status is its stage's outcome.
    pub enum Outcome {
        Open = "open",
        Won = "won",
        Lost = "lost",
    }
}

/// The default stages: (Spanish name, English name, win probability, outcome).
const DEFAULT_STAGES: &[(&str, &str, i32, Outcome)] = &[
    ("Nuevo", "New", 10, Outcome::Open),
    ("Contactado", "Contacted", 20, Outcome::Open),
    ("Calificado", "Qualified", 40, Outcome::Open),
    ("Propuesta", "Proposal", 60, Outcome::Open),
    ("Negociación", "Negotiation", 80, Outcome::Open),
    ("Ganado", "Won", 100, Outcome::Won),
    ("Perdido", "Lost", 0, Outcome::Lost),
];

/// The tenant's default pipeline, created with the default stages if the tenant has none.
/// Two first requests racing insert one pipeline: the loser's insert does nothing.
pub(crate) async fn default_pipeline(tx: &TenantTx) -> Result<Pipeline> {
    let existing = tx
        .select::<pipelines::Entity>()
        .filter(pipelines::Column::IsDefault.eq(true))
        .one(&**tx)
        .await?;
    if let Some(pipeline) = existing {
        return Ok(pipeline);
    }
    let tenant = super::tenant_region(&**tx, tx.tenant_id()).await?;
    let spanish = tenant.locale.starts_with("es");
    let name = if spanish { "Ventas" } else { "Sales" };
    let now = tx.now();
    let id = Uuid::now_v7();
    let inserted = pipelines::Entity::insert(stamped(
        now,
        pipelines::ActiveModel {
            id: Set(id),
            tenant_id: Set(tx.tenant_id()),
            name: Set(name.to_owned()),
            is_default: Set(true),
            ..Default::default()
        },
    ))
    .on_conflict(
        OnConflict::columns([pipelines::Column::TenantId, pipelines::Column::Name])
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(&**tx)
    .await?;
    if inserted == 1 {
        let rows = DEFAULT_STAGES
            .iter()
            .enumerate()
            .map(|(i, (es, en, p, o))| {
                stamped(
                    now,
                    stages::ActiveModel {
                        id: Set(Uuid::now_v7()),
                        tenant_id: Set(tx.tenant_id()),
                        pipeline_id: Set(id),
                        name: Set((if spanish { es } else { en }).to_string()),
                        position: Set(i as i32),
                        probability: Set(*p),
                        outcome: Set(o.key().to_owned()),
                        ..Default::default()
                    },
                )
            });
        stages::Entity::insert_many(rows).exec(&**tx).await?;
    }
    tx.select::<pipelines::Entity>()
        .filter(pipelines::Column::Name.eq(name))
        .one(&**tx)
        .await?
        .ok_or(Error::NotFound("pipeline"))
}

pub async fn list(deps: &Deps, ctx: &TenantCtx) -> Result<Vec<Pipeline>> {
    ctx.require(Permission::CrmLeadsRead)?;
    let tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    default_pipeline(&tx).await?;
    let found = tx
        .select::<pipelines::Entity>()
        .order_by_asc(pipelines::Column::Id)
        .all(&*tx)
        .await?;
    tx.commit().await?;
    Ok(found)
}

pub async fn get(deps: &Deps, ctx: &TenantCtx, id: Option<Uuid>) -> Result<Pipeline> {
    ctx.require(Permission::CrmLeadsRead)?;
    let tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let pipeline = match id {
        Some(id) => tx.get::<pipelines::Entity>(id, "pipeline").await?,
        None => default_pipeline(&tx).await?,
    };
    tx.commit().await?;
    Ok(pipeline)
}

/// The stages of each pipeline, in order: one statement per batch.
pub async fn stages_of(
    deps: &Deps,
    ctx: &TenantCtx,
    pipeline_ids: &[Uuid],
) -> Result<HashMap<Uuid, Vec<Stage>>> {
    ctx.require(Permission::CrmLeadsRead)?;
    let tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let found = tx
        .select::<stages::Entity>()
        .filter(stages::Column::PipelineId.is_in(pipeline_ids.iter().copied()))
        .order_by_asc(stages::Column::Position)
        .all(&*tx)
        .await?;
    tx.commit().await?;
    Ok(super::group_by(found, |s| Some(s.pipeline_id)))
}

/// Stages by id: one statement per batch.
pub async fn stages_by_ids(
    deps: &Deps,
    ctx: &TenantCtx,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, Stage>> {
    TenantTx::read_many::<stages::Entity>(deps, ctx, Permission::CrmLeadsRead, ids).await
}

pub struct StageInput {
    /// An existing stage to keep (and rename or move); absent for a new stage.
    pub id: Option<Uuid>,
    pub name: String,
    pub probability: i32,
    pub outcome: Outcome,
}

fn check_stages(stages: &[StageInput]) -> Result<()> {
    if stages.is_empty() || stages.len() > 30 {
        return Err(Error::invalid("stages", "a pipeline has 1 to 30 stages"));
    }
    if !stages.iter().any(|s| s.outcome == Outcome::Won)
        || !stages.iter().any(|s| s.outcome == Outcome::Lost)
    {
        return Err(Error::invalid(
            "stages",
            "a pipeline needs a won stage and a lost stage",
        ));
    }
    if stages.iter().any(|s| !(0..=100).contains(&s.probability)) {
        return Err(Error::invalid("probability", "win probability is 0 to 100"));
    }
    Ok(())
}

/// Creates a pipeline with its stages in the order given.
pub async fn create(
    deps: &Deps,
    ctx: &TenantCtx,
    name: String,
    stage_inputs: Vec<StageInput>,
) -> Result<Pipeline> {
    ctx.require(Permission::TenantSettingsWrite)?;
    let name = required_text(&name, "name", 80)?;
    check_stages(&stage_inputs)?;
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    default_pipeline(&tx).await?;
    let pipeline = tx
        .insert(pipelines::ActiveModel {
            id: Set(Uuid::now_v7()),
            tenant_id: Set(ctx.tenant_id),
            name: Set(name),
            is_default: Set(false),
            ..Default::default()
        })
        .await
        .map_err(|e| {
            conflict_on(
                e,
                "ux_pipelines_name",
                "pipelines.tenant_id, pipelines.name",
                "name",
                "a pipeline with this name exists",
            )
        })?;
    save_stages(&tx, &pipeline, stage_inputs).await?;
    audit::record(
        &mut tx,
        ctx,
        "crm.pipeline.created",
        ("pipeline", Some(pipeline.id)),
        serde_json::json!({ "name": pipeline.name }),
    )
    .await?;
    tx.commit().await?;
    Ok(pipeline)
}

/// Replaces a pipeline's stages with `stage_inputs`, in that order. A stage left out is
/// deleted; its leads move to `move_leads_to` (required when it has leads).
pub async fn update(
    deps: &Deps,
    ctx: &TenantCtx,
    id: Uuid,
    name: Option<String>,
    stage_inputs: Option<Vec<StageInput>>,
    move_leads_to_position: Option<usize>,
) -> Result<Pipeline> {
    ctx.require(Permission::TenantSettingsWrite)?;
    let mut tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    let pipeline = tx.get::<pipelines::Entity>(id, "pipeline").await?;
    let mut model: pipelines::ActiveModel = pipeline.into();
    if let Some(name) = name {
        model.name = Set(required_text(&name, "name", 80)?);
    }
    let pipeline = tx.update(model).await.map_err(|e| {
        conflict_on(
            e,
            "ux_pipelines_name",
            "pipelines.tenant_id, pipelines.name",
            "name",
            "a pipeline with this name exists",
        )
    })?;
    if let Some(stage_inputs) = stage_inputs {
        check_stages(&stage_inputs)?;
        let kept = save_stages(&tx, &pipeline, stage_inputs).await?;
        let removed = tx
            .select::<stages::Entity>()
            .filter(stages::Column::PipelineId.eq(pipeline.id))
            .filter(stages::Column::Id.is_not_in(kept.iter().copied()))
            .all(&*tx)
            .await?;
        for stage in removed {
            let holding = tx
                .select::<leads::Entity>()
                .filter(leads::Column::StageId.eq(stage.id))
                .count(&*tx)
                .await?;
            if holding > 0 {
                let target = move_leads_to_position
                    .and_then(|p| kept.get(p).copied())
                    .ok_or_else(|| {
                        Error::invalid(
                            "moveLeadsTo",
                            format!(
                                "stage '{}' holds {holding} leads: say which stage they move to",
                                stage.name
                            ),
                        )
                    })?;
                leads::Entity::update_many()
                    .col_expr(
                        leads::Column::StageId,
                        sea_orm::sea_query::Expr::value(target),
                    )
                    .filter(leads::Column::TenantId.eq(ctx.tenant_id))
                    .filter(leads::Column::StageId.eq(stage.id))
                    .exec(&*tx)
                    .await?;
            }
            stages::Entity::delete_by_id(stage.id).exec(&*tx).await?;
        }
    }
    audit::record(
        &mut tx,
        ctx,
        "crm.pipeline.updated",
        ("pipeline", Some(pipeline.id)),
        serde_json::json!({ "name": pipeline.name }),
    )
    .await?;
    tx.commit().await?;
    Ok(pipeline)
}

/// Writes the stages in order; returns their ids in that order.
async fn save_stages(
    tx: &TenantTx,
    pipeline: &Pipeline,
    inputs: Vec<StageInput>,
) -> Result<Vec<Uuid>> {
    let mut ids = Vec::with_capacity(inputs.len());
    for (position, input) in inputs.into_iter().enumerate() {
        let name = required_text(&input.name, "name", 80)?;
        let stage = match input.id {
            Some(id) => {
                let existing = tx.get::<stages::Entity>(id, "stage").await?;
                if existing.pipeline_id != pipeline.id {
                    return Err(Error::invalid(
                        "stages",
                        "a stage belongs to another pipeline",
                    ));
                }
                let mut model: stages::ActiveModel = existing.into();
                model.name = Set(name);
                model.position = Set(position as i32);
                model.probability = Set(input.probability);
                model.outcome = Set(input.outcome.key().to_owned());
                tx.update(model).await?
            }
            None => {
                tx.insert(stages::ActiveModel {
                    id: Set(Uuid::now_v7()),
                    tenant_id: Set(tx.tenant_id()),
                    pipeline_id: Set(pipeline.id),
                    name: Set(name),
                    position: Set(position as i32),
                    probability: Set(input.probability),
                    outcome: Set(input.outcome.key().to_owned()),
                    ..Default::default()
                })
                .await?
            }
        };
        ids.push(stage.id);
    }
    Ok(ids)
}
