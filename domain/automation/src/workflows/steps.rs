//! What each step does, in the run's transaction, as the workflow's run acting for the
//! business; and the checks of the records a definition names, on save.

use chrono::{DateTime, TimeDelta, Utc};
use sea_orm::{ActiveValue::Set, ColumnTrait, QueryFilter, QuerySelect};
use serde_json::{Value, json};
use tianguis_entity::automation::{webhook_endpoints, workflow_runs, workflows};
use tianguis_entity::crm::pipeline_stages as stages;
use tianguis_entity::iot::devices;
use tianguis_entity::marketing::segments;
use tianguis_entity::messaging::message_templates;
use uuid::Uuid;

use super::definition::{CallWebhook, Channel, Definition, Step, Target, Wait};
use super::document::{lookup, render};
use crate::db::TenantTx;
use crate::webhooks::{SIGNATURE_HEADER, WebhookSettings, check_target, sign};
use crate::{Deps, Error, Result, TenantCtx};
use tianguis_crm as crm;
use tianguis_iot as iot;
use tianguis_marketing as marketing;
use tianguis_messaging as messaging;

/// Checks that the records the steps name are the business's own, naming the step and
/// field of the first that is not.
pub(crate) async fn check_references(tx: &TenantTx, definition: &Definition) -> Result<()> {
    walk(tx, &definition.steps, "steps").await
}

fn walk<'a>(
    tx: &'a TenantTx,
    steps: &'a [Step],
    path: &'a str,
) -> tianguis_kernel::registry::BoxFuture<'a, Result<()>> {
    Box::pin(async move {
        for (i, step) in steps.iter().enumerate() {
            let at = format!("{path}[{i}].{}", step.kind());
            let missing = |name: &str, what: &str| {
                Error::invalid(format!("{at}.{name}"), format!("no such {what}"))
            };
            match step {
                Step::SendMessage(send) => {
                    if let Some(id) = send.template_id {
                        tx.get::<message_templates::Entity>(id, "template")
                            .await
                            .map_err(|_| missing("templateId", "template"))?;
                    }
                }
                Step::CreateTask(task) => {
                    if let Some(user) = task.assignee_id {
                        crm::contacts::check_owner(tx, user)
                            .await
                            .map_err(|_| missing("assigneeId", "member of this business"))?;
                    }
                }
                Step::AssignOwner(assign) => {
                    for user in &assign.user_ids {
                        crm::contacts::check_owner(tx, *user)
                            .await
                            .map_err(|_| missing("userIds", "member of this business"))?;
                    }
                }
                Step::MoveStage(to) => {
                    tx.get::<stages::Entity>(to.stage_id, "stage")
                        .await
                        .map_err(|_| missing("stageId", "stage"))?;
                }
                Step::CallWebhook(call) => {
                    tx.get::<webhook_endpoints::Entity>(call.endpoint_id, "webhook endpoint")
                        .await
                        .map_err(|_| missing("endpointId", "webhook endpoint"))?;
                }
                Step::SendDeviceCommand(command) => {
                    tx.get::<devices::Entity>(command.device_id, "device")
                        .await
                        .map_err(|_| missing("deviceId", "device"))?;
                }
                Step::AddToSegment(add) => {
                    let segment = tx
                        .get::<segments::Entity>(add.segment_id, "segment")
                        .await
                        .map_err(|_| missing("segmentId", "segment"))?;
                    if segment.kind != marketing::segments::Kind::Static.key() {
                        return Err(Error::invalid(
                            format!("{at}.segmentId"),
                            "only a static segment has members to add",
                        ));
                    }
                }
                Step::Branch(branch) => {
                    walk(tx, &branch.then, &format!("{at}.then")).await?;
                    walk(tx, &branch.otherwise, &format!("{at}.otherwise")).await?;
                }
                Step::AddTag(_) | Step::RemoveTag(_) | Step::SetField(_) | Step::Wait(_) => {}
            }
        }
        Ok(())
    })
}

fn no_contact() -> Error {
    Error::invalid("contactId", "the run has no contact to act on")
}

fn no_lead() -> Error {
    Error::invalid("leadId", "the run has no lead to act on")
}

fn contact_of(run: &workflow_runs::Model, document: &Value) -> Result<Uuid> {
    lookup(document, "contact.id")
        .and_then(Value::as_str)
        .and_then(|s| s.parse().ok())
        .or(run.contact_id)
        .ok_or_else(no_contact)
}

fn lead_of(run: &workflow_runs::Model) -> Result<Uuid> {
    run.lead_id.ok_or_else(no_lead)
}

fn tags_at(document: &Value, path: &str) -> Vec<String> {
    lookup(document, path)
        .and_then(Value::as_array)
        .map(|tags| {
            tags.iter()
                .filter_map(|t| t.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// Does one step (not a wait or a webhook call) and says what it did.
pub(crate) async fn execute(
    tx: &mut TenantTx,
    ctx: &TenantCtx,
    run: &workflow_runs::Model,
    path: &str,
    step: &Step,
    document: &Value,
) -> Result<Value> {
    match step {
        Step::SendMessage(send) => {
            let contact = contact_of(run, document)?;
            let (kind, compose) = match (&send.template_id, &send.text) {
                (Some(template_id), _) => (
                    messaging::ChannelKind::Whatsapp,
                    messaging::messages::Compose::Template {
                        template_id: *template_id,
                        variables: send.variables.iter().map(|v| render(v, document)).collect(),
                    },
                ),
                (None, text) => (
                    match send.channel {
                        Channel::Whatsapp => messaging::ChannelKind::Whatsapp,
                        Channel::Sms => messaging::ChannelKind::Sms,
                        Channel::Email => messaging::ChannelKind::Email,
                    },
                    messaging::messages::Compose::Text(render(
                        text.as_deref().unwrap_or_default(),
                        document,
                    )),
                ),
            };
            let message = messaging::messages::queue_to_contact(tx, contact, kind, compose).await?;
            Ok(json!({
                "messageId": message.id,
                "conversationId": message.conversation_id,
                "body": message.body,
            }))
        }
        Step::CreateTask(task) => {
            let assignee = task.assignee_id.or_else(|| {
                ["lead.ownerId", "contact.ownerId"]
                    .iter()
                    .find_map(|p| lookup(document, p).and_then(Value::as_str))
                    .and_then(|s| s.parse().ok())
            });
            let due_at = task
                .due_in_minutes
                .map(|m| tx.now() + TimeDelta::minutes(i64::from(m)));
            let activity = crm::activities::create_in(
                tx,
                ctx,
                crm::activities::ActivityInput {
                    kind: Some(crm::activities::Kind::Task),
                    subject: Some(render(&task.subject, document)),
                    body: task.body.as_deref().map(|b| render(b, document)),
                    lead_id: run.lead_id,
                    contact_id: if run.lead_id.is_some() {
                        None
                    } else {
                        Some(contact_of(run, document)?)
                    },
                    assignee_id: Some(assignee),
                    due_at: Some(due_at),
                    ..Default::default()
                },
            )
            .await?;
            Ok(
                json!({ "taskId": activity.id, "assigneeId": activity.assignee_id, "dueAt": activity.due_at }),
            )
        }
        Step::AssignOwner(assign) => {
            let owner = next_in_turn(tx, run.workflow_id, path, &assign.user_ids).await?;
            match assign.on {
                Target::Lead => {
                    crm::leads::update_in(
                        tx,
                        ctx,
                        lead_of(run)?,
                        crm::leads::LeadInput {
                            owner_id: Some(Some(owner)),
                            ..Default::default()
                        },
                    )
                    .await?;
                }
                Target::Contact => {
                    crm::contacts::update_in(
                        tx,
                        ctx,
                        contact_of(run, document)?,
                        crm::contacts::ContactInput {
                            owner_id: Some(owner),
                            ..Default::default()
                        },
                    )
                    .await?;
                }
            }
            Ok(json!({ "ownerId": owner }))
        }
        Step::MoveStage(to) => {
            let lead = crm::leads::move_in(
                tx,
                ctx,
                lead_of(run)?,
                to.stage_id,
                to.lost_reason.as_deref().map(|r| render(r, document)),
            )
            .await?;
            Ok(json!({ "stageId": lead.stage_id, "status": lead.status }))
        }
        Step::AddTag(change) | Step::RemoveTag(change) => {
            let adding = matches!(step, Step::AddTag(_));
            let tag = change.tag.trim().to_lowercase();
            let root = match change.on {
                Target::Lead => "lead.tags",
                Target::Contact => "contact.tags",
            };
            let mut tags = tags_at(document, root);
            let had = tags.contains(&tag);
            if adding && !had {
                tags.push(tag.clone());
            } else if !adding && had {
                tags.retain(|t| *t != tag);
            } else {
                return Ok(json!({ "tag": tag, "changed": false }));
            }
            set_on(tx, ctx, run, document, change.on, |lead, contact| {
                lead.tags = Some(tags.clone());
                contact.tags = Some(tags.clone());
            })
            .await?;
            Ok(json!({ "tag": tag, "changed": true }))
        }
        Step::SetField(set) => {
            let value = match &set.value {
                Value::String(text) => Value::String(render(text, document)),
                other => other.clone(),
            };
            let fields = json!({ set.key.trim(): value });
            set_on(tx, ctx, run, document, set.on, |lead, contact| {
                lead.custom_fields = Some(fields.clone());
                contact.custom_fields = Some(fields.clone());
            })
            .await?;
            Ok(json!({ "key": set.key.trim(), "value": value }))
        }
        Step::SendDeviceCommand(command) => {
            let sent = iot::commands::send_in(
                tx,
                ctx,
                iot::commands::NewCommand {
                    device_id: command.device_id,
                    method: command.method.clone(),
                    params: command.params.clone().unwrap_or_else(|| json!({})),
                    timeout_secs: command.timeout_seconds,
                },
            )
            .await?;
            Ok(json!({ "commandId": sent.id }))
        }
        Step::AddToSegment(add) => {
            let contact = contact_of(run, document)?;
            let added =
                marketing::segments::add_member_in(tx, ctx, add.segment_id, contact).await?;
            Ok(json!({ "contactId": contact, "added": added }))
        }
        Step::Wait(_) | Step::CallWebhook(_) | Step::Branch(_) => Err(Error::Unexpected(
            anyhow::anyhow!("step {path} is run by the run itself"),
        )),
    }
}

/// Writes a change to the run's lead or contact through CRM's own rules.
async fn set_on(
    tx: &mut TenantTx,
    ctx: &TenantCtx,
    run: &workflow_runs::Model,
    document: &Value,
    on: Target,
    fill: impl FnOnce(&mut crm::leads::LeadInput, &mut crm::contacts::ContactInput),
) -> Result<()> {
    let mut lead = crm::leads::LeadInput::default();
    let mut contact = crm::contacts::ContactInput::default();
    fill(&mut lead, &mut contact);
    match on {
        Target::Lead => {
            crm::leads::update_in(tx, ctx, lead_of(run)?, lead).await?;
        }
        Target::Contact => {
            crm::contacts::update_in(tx, ctx, contact_of(run, document)?, contact).await?;
        }
    }
    Ok(())
}

/// The next member in a round robin, remembered per step on the workflow's row (locked,
/// so two runs at once take two turns).
async fn next_in_turn(
    tx: &TenantTx,
    workflow_id: Uuid,
    path: &str,
    members: &[Uuid],
) -> Result<Uuid> {
    let workflow = tx
        .select::<workflows::Entity>()
        .filter(workflows::Column::Id.eq(workflow_id))
        .lock_exclusive()
        .one(&**tx)
        .await?
        .ok_or(Error::NotFound("workflow"))?;
    let last = workflow.rotation.get(path).and_then(Value::as_u64);
    let next = last.map_or(0, |i| (i as usize + 1) % members.len());
    let mut rotation = workflow.rotation.clone();
    rotation[path] = json!(next);
    let mut model: workflows::ActiveModel = workflow.into();
    model.rotation = Set(rotation);
    tx.update(model).await?;
    Ok(members[next])
}

/// When a wait ends.
pub(crate) fn wait_until(
    wait: &Wait,
    document: &Value,
    now: DateTime<Utc>,
) -> Result<DateTime<Utc>> {
    if let Some(minutes) = wait.minutes {
        return Ok(now + TimeDelta::minutes(i64::from(minutes)));
    }
    if let Some(until) = wait.until {
        return Ok(until);
    }
    let path = wait.until_field.as_deref().unwrap_or_default();
    lookup(document, path)
        .and_then(Value::as_str)
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|t| t.with_timezone(&Utc))
        .ok_or_else(|| Error::invalid("untilField", format!("{path} holds no time")))
}

pub(crate) struct WebhookRequest {
    url: String,
    body: String,
    /// The endpoint's signing secret, as stored (sealed).
    sealed_secret: String,
    /// One key per run and step: a step sent again after a crash can be recognised.
    idempotency_key: String,
}

/// The request a callWebhook step sends: the run's document, signed as the endpoint's
/// deliveries are.
pub(crate) async fn webhook_request(
    tx: &TenantTx,
    run: &workflow_runs::Model,
    call: &CallWebhook,
    document: &Value,
) -> Result<WebhookRequest> {
    let endpoint = tx
        .get::<webhook_endpoints::Entity>(call.endpoint_id, "webhook endpoint")
        .await
        .map_err(|_| Error::invalid("endpointId", "no such webhook endpoint"))?;
    if !endpoint.enabled {
        return Err(Error::invalid(
            "endpointId",
            "the webhook endpoint is disabled",
        ));
    }
    let body = serde_json::to_string(&json!({
        "type": "automation.workflow.step",
        "workflowId": run.workflow_id,
        "runId": run.id,
        "event": document["event"],
        "contact": document["contact"],
        "lead": document["lead"],
    }))
    .map_err(anyhow::Error::from)?;
    Ok(WebhookRequest {
        url: endpoint.url,
        body,
        sealed_secret: endpoint.secret,
        idempotency_key: format!("{}:{}", run.id, run.position),
    })
}

pub(crate) async fn call_webhook(deps: &Deps, request: WebhookRequest) -> Result<Value> {
    let settings = deps.settings::<WebhookSettings>()?;
    check_target(&request.url, settings.allow_private_targets).await?;
    let signature = sign(
        &deps.secrets.open(&request.sealed_secret)?,
        deps.clock.now().timestamp(),
        &request.body,
    );
    let headers = [
        ("Content-Type", "application/json"),
        ("User-Agent", "Tianguis-Webhooks/1"),
        ("Idempotency-Key", request.idempotency_key.as_str()),
        (SIGNATURE_HEADER, signature.as_str()),
    ]
    .map(|(name, value)| (name.to_owned(), value.to_owned()));
    let response = deps
        .webhook_transport
        .post(&request.url, &headers, request.body, settings.timeout)
        .await
        .map_err(|e| Error::conflict("endpointId", format!("the call failed: {e}")))?;
    if !(200..300).contains(&response.status) {
        return Err(Error::conflict(
            "endpointId",
            format!("the endpoint answered {}", response.status),
        ));
    }
    Ok(json!({ "status": response.status }))
}
