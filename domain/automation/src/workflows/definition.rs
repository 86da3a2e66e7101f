//! What a workflow is made of, as the business writes it: a trigger, conditions and steps.
//! The JSON form is the GraphQL input's shape (`{"sendMessage": {...}}`), so what is read
//! back can be sent again. Checked on save with errors naming the step and field, and
//! compiled into a flat program a run walks with one position.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use crate::{Error, Result};

/// At most this many steps in a workflow, branches' arms included.
pub const MAX_STEPS: usize = 50;
/// Branches nest at most this deep.
const MAX_NESTING: usize = 5;
/// A wait lasts at most a year.
pub const MAX_WAIT_MINUTES: u32 = 525_600;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Definition {
    pub trigger: Trigger,
    /// Must hold, over the event and the records it names, for a run to start.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conditions: Option<Condition>,
    pub steps: Vec<Step>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Trigger {
    /// A domain event of this type (`crm.lead.created`), optionally filtered on its data.
    Event(EventTrigger),
    /// A cron schedule (five fields) in the business's time zone.
    Schedule(ScheduleTrigger),
    /// A POST to the workflow's secret URL; its JSON body is the event's data.
    Webhook(WebhookTrigger),
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EventTrigger {
    #[serde(rename = "type")]
    pub event_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filter: Option<Condition>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScheduleTrigger {
    pub cron: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookTrigger {
    /// What calls it, for the people reading the workflow.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

impl Trigger {
    pub fn kind(&self) -> TriggerKind {
        match self {
            Trigger::Event(_) => TriggerKind::Event,
            Trigger::Schedule(_) => TriggerKind::Schedule,
            Trigger::Webhook(_) => TriggerKind::Webhook,
        }
    }
}

tianguis_kernel::stored_enum! {
    pub enum TriggerKind {
        Event = "event",
        Schedule = "schedule",
        Webhook = "webhook",
    }
}

/// A test over the run's document (`event`, `contact`, `lead`): all of, any of, or one
/// comparison.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Condition {
    All(Vec<Condition>),
    Any(Vec<Condition>),
    Compare(Comparison),
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Comparison {
    /// A dotted path: `lead.value`, `event.data.stageName`, `contact.customFields.zona`.
    pub field: String,
    pub op: Op,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<Value>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Op {
    Eq,
    Ne,
    Gt,
    Gte,
    Lt,
    Lte,
    /// Text containing the value, or a list holding it.
    Contains,
    NotContains,
    /// Equal to one of the listed values.
    In,
    NotIn,
    /// Missing, null, blank text, or an empty list.
    Empty,
    NotEmpty,
}

/// Which record a step changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Target {
    Contact,
    Lead,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Channel {
    Whatsapp,
    Sms,
    Email,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Step {
    SendMessage(SendMessage),
    CreateTask(CreateTask),
    AssignOwner(AssignOwner),
    MoveStage(MoveStage),
    AddTag(TagChange),
    RemoveTag(TagChange),
    SetField(SetField),
    CallWebhook(CallWebhook),
    SendDeviceCommand(DeviceCommand),
    AddToSegment(AddToSegment),
    Wait(Wait),
    Branch(Branch),
}

/// To the run's contact on the business's channel: an approved template (WhatsApp outside
/// the 24-hour window) or text. `{{contact.firstName}}` and other paths are filled in.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SendMessage {
    pub channel: Channel,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template_id: Option<Uuid>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub variables: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

/// A task on the run's lead (or contact), for a member or the record's owner.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateTask {
    pub subject: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due_in_minutes: Option<u32>,
    /// Nobody named: the lead's owner, else the contact's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assignee_id: Option<Uuid>,
}

/// Gives the run's lead (or contact) to the next of these members in turn.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AssignOwner {
    pub user_ids: Vec<Uuid>,
    #[serde(default = "lead")]
    pub on: Target,
}

fn lead() -> Target {
    Target::Lead
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MoveStage {
    pub stage_id: Uuid,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lost_reason: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TagChange {
    pub tag: String,
    pub on: Target,
}

/// A custom field's value (checked against its definition when the step runs).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SetField {
    pub on: Target,
    pub key: String,
    pub value: Value,
}

/// Posts the run (event, contact, lead) to one of the business's webhook endpoints, signed
/// as its deliveries are.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CallWebhook {
    pub endpoint_id: Uuid,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeviceCommand {
    pub device_id: Uuid,
    pub method: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub params: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_seconds: Option<i64>,
}

/// Adds the run's contact to a static segment.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AddToSegment {
    pub segment_id: Uuid,
}

/// Waits a number of minutes, or until a time: a fixed one, or one the document holds
/// (`event.data.startsAt`). Exactly one of the three.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Wait {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minutes: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<chrono::DateTime<chrono::Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until_field: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Branch {
    pub condition: Condition,
    #[serde(default)]
    pub then: Vec<Step>,
    #[serde(default)]
    pub otherwise: Vec<Step>,
}

impl Step {
    /// The step's name in the GraphQL input and the run log.
    pub fn kind(&self) -> &'static str {
        match self {
            Step::SendMessage(_) => "sendMessage",
            Step::CreateTask(_) => "createTask",
            Step::AssignOwner(_) => "assignOwner",
            Step::MoveStage(_) => "moveStage",
            Step::AddTag(_) => "addTag",
            Step::RemoveTag(_) => "removeTag",
            Step::SetField(_) => "setField",
            Step::CallWebhook(_) => "callWebhook",
            Step::SendDeviceCommand(_) => "sendDeviceCommand",
            Step::AddToSegment(_) => "addToSegment",
            Step::Wait(_) => "wait",
            Step::Branch(_) => "branch",
        }
    }
}

/// A step's place in the definition, as the input names it: `steps[3].then[0]`.
fn field(path: &str, name: &str) -> String {
    format!("{path}.{name}")
}

fn invalid(path: &str, name: &str, message: impl Into<String>) -> Error {
    Error::invalid(field(path, name), message)
}

/// The definition's shape: what can be checked without the database.
pub fn check(definition: &Definition) -> Result<()> {
    match &definition.trigger {
        Trigger::Event(trigger) => {
            let ty = trigger.event_type.trim();
            let well_formed = ty.split('.').count() >= 2
                && ty.split('.').all(|part| {
                    !part.is_empty() && part.chars().all(|c| c.is_ascii_lowercase() || c == '_')
                });
            if !well_formed {
                return Err(Error::invalid(
                    "trigger.event.type",
                    "an event type such as crm.lead.created",
                ));
            }
            if let Some(filter) = &trigger.filter {
                check_condition(filter, "trigger.event.filter", 0)?;
            }
        }
        Trigger::Schedule(schedule) => {
            parse_cron(&schedule.cron)?;
        }
        Trigger::Webhook(webhook) => {
            tianguis_kernel::rules::optional_text(
                webhook.description.as_deref(),
                "trigger.webhook.description",
                500,
            )?;
        }
    }
    if let Some(conditions) = &definition.conditions {
        check_condition(conditions, "conditions", 0)?;
    }
    if definition.steps.is_empty() {
        return Err(Error::invalid("steps", "a workflow has at least one step"));
    }
    let mut count = 0;
    check_steps(&definition.steps, "steps", 0, &mut count)
}

pub fn parse_cron(cron: &str) -> Result<croner::Cron> {
    let fields = cron.split_whitespace().count();
    if fields != 5 {
        return Err(Error::invalid(
            "trigger.schedule.cron",
            "five fields: minute, hour, day of month, month, day of week (\"0 9 * * 1-5\")",
        ));
    }
    cron.parse::<croner::Cron>()
        .map_err(|e| Error::invalid("trigger.schedule.cron", format!("not a cron schedule: {e}")))
}

fn check_condition(condition: &Condition, path: &str, depth: usize) -> Result<()> {
    if depth > MAX_NESTING {
        return Err(Error::invalid(
            path.to_owned(),
            format!("conditions nest at most {MAX_NESTING} deep"),
        ));
    }
    match condition {
        Condition::All(all) | Condition::Any(all) => {
            let name = if matches!(condition, Condition::All(_)) {
                "all"
            } else {
                "any"
            };
            if all.is_empty() || all.len() > 20 {
                return Err(invalid(path, name, "between 1 and 20 conditions"));
            }
            for (i, c) in all.iter().enumerate() {
                check_condition(c, &format!("{path}.{name}[{i}]"), depth + 1)?;
            }
            Ok(())
        }
        Condition::Compare(comparison) => {
            let path = format!("{path}.compare");
            check_path(&comparison.field, &field(&path, "field"))?;
            let needs_value = !matches!(comparison.op, Op::Empty | Op::NotEmpty);
            match (&comparison.value, needs_value) {
                (None | Some(Value::Null), true) => {
                    Err(invalid(&path, "value", "this comparison needs a value"))
                }
                (Some(v), _) if matches!(comparison.op, Op::In | Op::NotIn) && !v.is_array() => {
                    Err(invalid(&path, "value", "a list of values"))
                }
                _ => Ok(()),
            }
        }
    }
}

/// The document's parts a path may start from.
const ROOTS: &[&str] = &["event", "contact", "lead"];

fn check_path(path: &str, field: &str) -> Result<()> {
    let root = path.split('.').next().unwrap_or_default();
    if !ROOTS.contains(&root) || path.split('.').any(str::is_empty) || path.len() > 200 {
        return Err(Error::invalid(
            field.to_owned(),
            "a path such as lead.value, contact.tags or event.data.stageName",
        ));
    }
    Ok(())
}

fn check_steps(steps: &[Step], path: &str, depth: usize, count: &mut usize) -> Result<()> {
    for (i, step) in steps.iter().enumerate() {
        *count += 1;
        if *count > MAX_STEPS {
            return Err(Error::invalid(
                "steps",
                format!("a workflow has at most {MAX_STEPS} steps"),
            ));
        }
        let at = format!("{path}[{i}].{}", step.kind());
        check_step(step, &at, depth, count)?;
    }
    Ok(())
}

fn check_step(step: &Step, at: &str, depth: usize, count: &mut usize) -> Result<()> {
    let text = |value: &str, name: &str, max: usize| -> Result<()> {
        if value.trim().is_empty() {
            return Err(invalid(at, name, "required"));
        }
        if value.chars().count() > max {
            return Err(invalid(at, name, format!("at most {max} characters")));
        }
        Ok(())
    };
    match step {
        Step::SendMessage(send) => match (&send.template_id, &send.text) {
            (Some(_), Some(_)) | (None, None) => {
                Err(invalid(at, "templateId", "a template or a text, not both"))
            }
            (None, Some(body)) => text(body, "text", 4096),
            (Some(_), None) if send.channel != Channel::Whatsapp => Err(invalid(
                at,
                "templateId",
                "templates are sent on WhatsApp; SMS and email send text",
            )),
            (Some(_), None) => {
                if send.variables.len() > 20 {
                    return Err(invalid(at, "variables", "at most 20"));
                }
                Ok(())
            }
        },
        Step::CreateTask(task) => {
            text(&task.subject, "subject", 200)?;
            if let Some(body) = &task.body {
                text(body, "body", 20_000)?;
            }
            if task.due_in_minutes.is_some_and(|m| m > MAX_WAIT_MINUTES) {
                return Err(invalid(at, "dueInMinutes", "at most a year"));
            }
            Ok(())
        }
        Step::AssignOwner(assign) => {
            if assign.user_ids.is_empty() || assign.user_ids.len() > 50 {
                return Err(invalid(at, "userIds", "between 1 and 50 members"));
            }
            Ok(())
        }
        Step::MoveStage(_) | Step::CallWebhook(_) | Step::AddToSegment(_) => Ok(()),
        Step::AddTag(change) | Step::RemoveTag(change) => text(&change.tag, "tag", 50),
        Step::SetField(set) => text(&set.key, "key", 64),
        Step::SendDeviceCommand(command) => {
            text(&command.method, "method", 64)?;
            if command.params.as_ref().is_some_and(|p| !p.is_object()) {
                return Err(invalid(at, "params", "an object"));
            }
            Ok(())
        }
        Step::Wait(wait) => {
            let given = [
                wait.minutes.is_some(),
                wait.until.is_some(),
                wait.until_field.is_some(),
            ];
            if given.iter().filter(|g| **g).count() != 1 {
                return Err(invalid(
                    at,
                    "minutes",
                    "one of minutes, until or untilField",
                ));
            }
            if wait.minutes.is_some_and(|m| m == 0 || m > MAX_WAIT_MINUTES) {
                return Err(invalid(at, "minutes", "between 1 minute and a year"));
            }
            if let Some(path) = &wait.until_field {
                check_path(path, &field(at, "untilField"))?;
            }
            Ok(())
        }
        Step::Branch(branch) => {
            if depth + 1 > MAX_NESTING {
                return Err(invalid(
                    at,
                    "then",
                    format!("branches nest at most {MAX_NESTING} deep"),
                ));
            }
            check_condition(&branch.condition, &field(at, "condition"), 0)?;
            if branch.then.is_empty() && branch.otherwise.is_empty() {
                return Err(invalid(at, "then", "a branch does something on one side"));
            }
            check_steps(&branch.then, &field(at, "then"), depth + 1, count)?;
            check_steps(&branch.otherwise, &field(at, "otherwise"), depth + 1, count)
        }
    }
}

/// One instruction of a compiled workflow; a run's position indexes them.
#[derive(Debug)]
pub enum Instruction<'a> {
    Run {
        path: String,
        step: &'a Step,
    },
    /// Tests the condition: on to the next instruction when it holds, else to `otherwise`.
    Branch {
        path: String,
        condition: &'a Condition,
        otherwise: usize,
    },
    Jump {
        to: usize,
    },
}

/// The steps as a flat program: a branch becomes a test, its `then` arm, a jump over its
/// `otherwise` arm, and that arm. A run's place in it is one number.
pub fn compile(steps: &[Step]) -> Vec<Instruction<'_>> {
    let mut program = Vec::new();
    emit(steps, "", &mut program);
    program
}

fn emit<'a>(steps: &'a [Step], prefix: &str, program: &mut Vec<Instruction<'a>>) {
    for (i, step) in steps.iter().enumerate() {
        let path = format!("{prefix}{i}");
        match step {
            Step::Branch(branch) => {
                let test = program.len();
                program.push(Instruction::Branch {
                    path: path.clone(),
                    condition: &branch.condition,
                    otherwise: 0,
                });
                emit(&branch.then, &format!("{path}.then."), program);
                let jump = program.len();
                program.push(Instruction::Jump { to: 0 });
                let otherwise = program.len();
                emit(&branch.otherwise, &format!("{path}.otherwise."), program);
                let end = program.len();
                if let Instruction::Branch { otherwise: o, .. } = &mut program[test] {
                    *o = otherwise;
                }
                program[jump] = Instruction::Jump { to: end };
            }
            step => program.push(Instruction::Run { path, step }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn definition(steps: Value) -> Definition {
        serde_json::from_value(json!({
            "trigger": { "event": { "type": "crm.lead.created" } },
            "steps": steps,
        }))
        .expect("definition")
    }

    #[test]
    fn the_json_form_is_the_graphql_input_shape() {
        let d = definition(json!([
            { "createTask": { "subject": "Llamar" } },
            { "branch": {
                "condition": { "compare": { "field": "lead.value", "op": "GT", "value": 1000 } },
                "then": [ { "addTag": { "tag": "grande", "on": "LEAD" } } ],
            } },
        ]));
        assert_eq!(d.steps.len(), 2);
        let back = serde_json::to_value(&d).expect("json");
        assert_eq!(
            back["steps"][1]["branch"]["then"][0]["addTag"]["on"],
            "LEAD"
        );
        assert_eq!(
            serde_json::from_value::<Definition>(back).expect("again"),
            d
        );
    }

    #[test]
    fn a_branch_compiles_to_a_test_its_arms_and_a_jump() {
        let d = definition(json!([
            { "branch": {
                "condition": { "compare": { "field": "lead.value", "op": "GT", "value": 1 } },
                "then": [ { "addTag": { "tag": "a", "on": "LEAD" } } ],
                "otherwise": [ { "addTag": { "tag": "b", "on": "LEAD" } } ],
            } },
            { "createTask": { "subject": "después" } },
        ]));
        let program = compile(&d.steps);
        assert_eq!(program.len(), 5);
        assert!(matches!(
            program[0],
            Instruction::Branch { otherwise: 3, .. }
        ));
        assert!(matches!(&program[1], Instruction::Run { path, .. } if path == "0.then.0"));
        assert!(matches!(program[2], Instruction::Jump { to: 4 }));
        assert!(matches!(&program[3], Instruction::Run { path, .. } if path == "0.otherwise.0"));
        assert!(matches!(&program[4], Instruction::Run { path, .. } if path == "1"));
    }

    #[test]
    fn errors_name_the_step_and_the_field() {
        let d = definition(json!([
            { "createTask": { "subject": "ok" } },
            { "branch": {
                "condition": { "compare": { "field": "lead.value", "op": "GT", "value": 1 } },
                "then": [ { "sendMessage": { "channel": "SMS", "templateId": Uuid::nil() } } ],
            } },
        ]));
        let Err(Error::Invalid { field, .. }) = check(&d) else {
            panic!("a template on SMS is refused");
        };
        assert_eq!(field, "steps[1].branch.then[0].sendMessage.templateId");

        let bad_path = definition(json!([
            { "branch": {
                "condition": { "compare": { "field": "nothing.here", "op": "EMPTY" } },
                "then": [ { "createTask": { "subject": "x" } } ],
            } },
        ]));
        let Err(Error::Invalid { field, .. }) = check(&bad_path) else {
            panic!("an unknown root is refused");
        };
        assert_eq!(field, "steps[0].branch.condition.compare.field");
    }

    #[test]
    fn a_wait_is_one_of_its_three_forms() {
        let both = definition(json!([{ "wait": { "minutes": 5, "untilField": "event.data.at" } }]));
        assert!(check(&both).is_err());
        let none = definition(json!([{ "wait": {} }]));
        assert!(check(&none).is_err());
        let ok = definition(json!([{ "wait": { "minutes": 60 } }]));
        assert!(check(&ok).is_ok());
    }

    #[test]
    fn schedules_take_five_field_cron() {
        assert!(parse_cron("0 9 * * 1-5").is_ok());
        assert!(parse_cron("0 9 * *").is_err());
        assert!(parse_cron("61 9 * * *").is_err());
    }
}
