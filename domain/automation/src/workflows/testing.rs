//! `testWorkflow`: a definition run against a sample event with no side effects, saying
//! what each step would do.

use serde_json::{Value, json};
use tianguis_entity::automation::webhook_endpoints;
use tianguis_entity::crm::pipeline_stages as stages;
use tianguis_entity::iot::devices;
use tianguis_entity::marketing::segments;
use tianguis_entity::messaging::message_templates;
use uuid::Uuid;

use super::definition::{self, Channel, Definition, Instruction, Step, Target, compile};
use super::document::{holds, lookup, render};
use super::runs::{document_for, starts};
use super::steps;
use crate::db::TenantTx;
use crate::{Deps, Error, Permission, Result, TenantCtx};

pub struct SampleEvent {
    pub event_type: Option<String>,
    pub subject: Option<String>,
    pub data: Value,
    pub contact_id: Option<Uuid>,
    pub lead_id: Option<Uuid>,
}

pub struct TestOutcome {
    /// Whether the trigger's filter and the conditions hold for the sample.
    pub starts: bool,
    pub steps: Vec<TestStep>,
}

pub struct TestStep {
    pub path: String,
    pub kind: &'static str,
    /// What the step would do, in words.
    pub would: String,
    pub input: Value,
}

/// Steps a test walks at most (branches included); a definition has at most 50.
const MAX_WALK: usize = 200;

pub async fn test(
    deps: &Deps,
    ctx: &TenantCtx,
    definition: Definition,
    sample: SampleEvent,
) -> Result<TestOutcome> {
    ctx.require(Permission::AutomationWrite)?;
    definition::check(&definition)?;
    let tx = TenantTx::begin(deps, ctx.tenant_id).await?;
    steps::check_references(&tx, &definition).await?;
    if let Some(id) = sample.contact_id {
        tx.get::<tianguis_entity::crm::contacts::Entity>(id, "contact")
            .await
            .map_err(|_| Error::invalid("sample.contactId", "no such contact"))?;
    }
    if let Some(id) = sample.lead_id {
        tx.get::<tianguis_entity::crm::leads::Entity>(id, "lead")
            .await
            .map_err(|_| Error::invalid("sample.leadId", "no such lead"))?;
    }
    let now = tx.now();
    let event_type = sample
        .event_type
        .unwrap_or_else(|| match &definition.trigger {
            definition::Trigger::Event(event) => event.event_type.clone(),
            definition::Trigger::Schedule(_) => "automation.schedule.due".to_owned(),
            definition::Trigger::Webhook(_) => "automation.webhook.received".to_owned(),
        });
    let trigger = json!({
        "id": Uuid::nil(),
        "type": event_type,
        "subject": sample.subject,
        "time": now,
        "data": sample.data,
    });
    let (contact, lead) = super::runs::subjects_of(sample.subject.as_deref(), &trigger["data"]);
    let (document, _, _) = document_for(
        &*tx,
        ctx.tenant_id,
        &trigger,
        sample.contact_id.or(contact),
        sample.lead_id.or(lead),
    )
    .await?;
    if !starts(&definition, &document) {
        tx.commit().await?;
        return Ok(TestOutcome {
            starts: false,
            steps: Vec::new(),
        });
    }
    let program = compile(&definition.steps);
    let mut walked = Vec::new();
    let mut position = 0;
    let mut clock = now;
    while let Some(instruction) = program.get(position) {
        if walked.len() >= MAX_WALK {
            break;
        }
        match instruction {
            Instruction::Jump { to } => {
                position = *to;
                continue;
            }
            Instruction::Branch {
                path,
                condition,
                otherwise,
            } => {
                let holds = holds(condition, &document);
                walked.push(TestStep {
                    path: path.clone(),
                    kind: "branch",
                    would: if holds {
                        "the condition holds: go on with `then`".to_owned()
                    } else {
                        "the condition does not hold: go on with `otherwise`".to_owned()
                    },
                    input: json!(condition),
                });
                position = if holds { position + 1 } else { *otherwise };
            }
            Instruction::Run { path, step } => {
                let would = match step {
                    Step::Wait(wait) => match steps::wait_until(wait, &document, clock) {
                        Ok(until) => {
                            clock = clock.max(until);
                            format!("wait until {}", until.to_rfc3339())
                        }
                        Err(err) => format!("fail: {err}"),
                    },
                    step => describe(&tx, step, &document, clock).await?,
                };
                walked.push(TestStep {
                    path: path.clone(),
                    kind: step.kind(),
                    would,
                    input: json!(step),
                });
                position += 1;
            }
        }
    }
    tx.commit().await?;
    Ok(TestOutcome {
        starts: true,
        steps: walked,
    })
}

fn text_at(document: &Value, path: &str) -> Option<String> {
    lookup(document, path)
        .and_then(Value::as_str)
        .map(str::to_owned)
}

async fn describe(
    tx: &TenantTx,
    step: &Step,
    document: &Value,
    at: chrono::DateTime<chrono::Utc>,
) -> Result<String> {
    let contact = text_at(document, "contact.name");
    let lead = text_at(document, "lead.title");
    let on = |target: Target| match target {
        Target::Lead => lead
            .as_ref()
            .map(|t| format!("the lead «{t}»"))
            .ok_or("the run has no lead to act on"),
        Target::Contact => contact
            .as_ref()
            .map(|n| n.to_string())
            .ok_or("the run has no contact to act on"),
    };
    let sentence = match step {
        Step::SendMessage(send) => {
            let Some(name) = contact.clone() else {
                return Ok("fail: the run has no contact to act on".to_owned());
            };
            match send.template_id {
                Some(id) => {
                    let template = tx.get::<message_templates::Entity>(id, "template").await?;
                    let variables: Vec<String> =
                        send.variables.iter().map(|v| render(v, document)).collect();
                    format!(
                        "send the WhatsApp template «{}» to {name} with {variables:?}",
                        template.name
                    )
                }
                None => format!(
                    "send {} to {name}: «{}»",
                    match send.channel {
                        Channel::Whatsapp => "a WhatsApp message",
                        Channel::Sms => "an SMS",
                        Channel::Email => "an email",
                    },
                    render(send.text.as_deref().unwrap_or_default(), document)
                ),
            }
        }
        Step::CreateTask(task) => {
            let due = task
                .due_in_minutes
                .map(|m| (at + chrono::TimeDelta::minutes(i64::from(m))).to_rfc3339());
            format!(
                "create the task «{}»{}{}",
                render(&task.subject, document),
                task.assignee_id
                    .map(|u| format!(" for member {u}"))
                    .or_else(|| text_at(document, "lead.ownerId")
                        .map(|u| format!(" for the lead's owner {u}")))
                    .unwrap_or_default(),
                due.map(|d| format!(", due {d}")).unwrap_or_default()
            )
        }
        Step::AssignOwner(assign) => match on(assign.on) {
            Ok(what) => format!(
                "give {what} to the next of {} members in turn",
                assign.user_ids.len()
            ),
            Err(why) => format!("fail: {why}"),
        },
        Step::MoveStage(to) => {
            let stage = tx.get::<stages::Entity>(to.stage_id, "stage").await?;
            match on(Target::Lead) {
                Ok(what) => format!("move {what} to the stage «{}»", stage.name),
                Err(why) => format!("fail: {why}"),
            }
        }
        Step::AddTag(change) | Step::RemoveTag(change) => match on(change.on) {
            Ok(what) if matches!(step, Step::AddTag(_)) => {
                format!(
                    "add the tag «{}» to {what}",
                    change.tag.trim().to_lowercase()
                )
            }
            Ok(what) => format!(
                "remove the tag «{}» from {what}",
                change.tag.trim().to_lowercase()
            ),
            Err(why) => format!("fail: {why}"),
        },
        Step::SetField(set) => match on(set.on) {
            Ok(what) => {
                let value = match &set.value {
                    Value::String(text) => Value::String(render(text, document)),
                    other => other.clone(),
                };
                format!("set {} of {what} to {value}", set.key.trim())
            }
            Err(why) => format!("fail: {why}"),
        },
        Step::CallWebhook(call) => {
            let endpoint = tx
                .get::<webhook_endpoints::Entity>(call.endpoint_id, "webhook endpoint")
                .await?;
            format!("post the run to {}", endpoint.url)
        }
        Step::SendDeviceCommand(command) => {
            let device = tx
                .get::<devices::Entity>(command.device_id, "device")
                .await?;
            format!("send «{}» to the device «{}»", command.method, device.name)
        }
        Step::AddToSegment(add) => {
            let segment = tx
                .get::<segments::Entity>(add.segment_id, "segment")
                .await?;
            match on(Target::Contact) {
                Ok(who) => format!("add {who} to the segment «{}»", segment.name),
                Err(why) => format!("fail: {why}"),
            }
        }
        Step::Wait(_) | Step::Branch(_) => String::new(),
    };
    Ok(sentence)
}
