//! Workflow definitions as GraphQL input. Each type serialises (serde) to exactly the JSON
//! the domain stores, so the definition a workflow answers with is this input's shape.

use async_graphql::{Enum, ID, InputObject, Json, OneofObject};
use chrono::{DateTime, Utc};
use serde::Serialize;

#[derive(InputObject, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkflowDefinitionInput {
    pub trigger: WorkflowTriggerInput,
    /// Must hold, over the event and the contact and lead it names, for a run to start.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conditions: Option<WorkflowConditionInput>,
    pub steps: Vec<WorkflowStepInput>,
}

/// What starts a run: exactly one of these.
#[derive(OneofObject, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum WorkflowTriggerInput {
    /// A domain event, such as `crm.lead.created` or `messaging.message.received`.
    Event(EventTriggerInput),
    /// A cron schedule in the business's time zone.
    Schedule(ScheduleTriggerInput),
    /// A POST to the workflow's secret URL, its JSON body the event's data.
    Webhook(WebhookTriggerInput),
}

#[derive(InputObject, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct EventTriggerInput {
    #[graphql(name = "type")]
    #[serde(rename = "type")]
    pub event_type: String,
    /// Must hold over the event (`event.data.stageName`) for a run to start.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub filter: Option<WorkflowConditionInput>,
}

#[derive(InputObject, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ScheduleTriggerInput {
    /// Five fields: minute, hour, day of month, month, day of week (`0 9 * * 1-5`).
    pub cron: String,
}

#[derive(InputObject, Serialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct WebhookTriggerInput {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// A test over the run's document (`event`, `contact`, `lead`): exactly one of these.
#[derive(OneofObject, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum WorkflowConditionInput {
    All(Vec<WorkflowConditionInput>),
    Any(Vec<WorkflowConditionInput>),
    Compare(ComparisonInput),
}

#[derive(InputObject, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ComparisonInput {
    /// A dotted path: `lead.value`, `contact.tags`, `event.data.stageName`,
    /// `contact.customFields.zona`.
    pub field: String,
    pub op: ComparisonOp,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<Json<serde_json::Value>>,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ComparisonOp {
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
    /// Missing, null, blank text or an empty list.
    Empty,
    NotEmpty,
}

/// Which record a step changes.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum WorkflowTarget {
    Contact,
    Lead,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum WorkflowChannel {
    Whatsapp,
    Sms,
    Email,
}

/// One step: exactly one of these. Text fields take `{{contact.firstName}}` and other
/// paths of the run's document.
#[derive(OneofObject, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum WorkflowStepInput {
    /// To the run's contact: an approved WhatsApp template, or text.
    SendMessage(SendMessageStepInput),
    /// A task on the run's lead (or contact), for a member or the record's owner.
    CreateTask(CreateTaskStepInput),
    /// Gives the lead (or contact) to the next of these members in turn.
    AssignOwner(AssignOwnerStepInput),
    MoveStage(MoveStageStepInput),
    AddTag(TagStepInput),
    RemoveTag(TagStepInput),
    /// A custom field's value.
    SetField(SetFieldStepInput),
    /// Posts the run to one of the business's webhook endpoints, signed.
    CallWebhook(CallWebhookStepInput),
    SendDeviceCommand(DeviceCommandStepInput),
    /// Adds the run's contact to a static segment.
    AddToSegment(AddToSegmentStepInput),
    /// A number of minutes, or until a time.
    Wait(WaitStepInput),
    Branch(BranchStepInput),
}

#[derive(InputObject, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SendMessageStepInput {
    pub channel: WorkflowChannel,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub template_id: Option<ID>,
    #[graphql(default)]
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub variables: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

#[derive(InputObject, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateTaskStepInput {
    pub subject: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub due_in_minutes: Option<u32>,
    /// Nobody named: the lead's owner, else the contact's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assignee_id: Option<ID>,
}

#[derive(InputObject, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AssignOwnerStepInput {
    pub user_ids: Vec<ID>,
    #[graphql(default_with = "WorkflowTarget::Lead")]
    pub on: WorkflowTarget,
}

#[derive(InputObject, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MoveStageStepInput {
    pub stage_id: ID,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lost_reason: Option<String>,
}

#[derive(InputObject, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TagStepInput {
    pub tag: String,
    pub on: WorkflowTarget,
}

#[derive(InputObject, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SetFieldStepInput {
    pub on: WorkflowTarget,
    /// The custom field's key.
    pub key: String,
    pub value: Json<serde_json::Value>,
}

#[derive(InputObject, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CallWebhookStepInput {
    pub endpoint_id: ID,
}

#[derive(InputObject, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeviceCommandStepInput {
    pub device_id: ID,
    pub method: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub params: Option<Json<serde_json::Value>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout_seconds: Option<i64>,
}

#[derive(InputObject, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AddToSegmentStepInput {
    pub segment_id: ID,
}

/// Exactly one of the three.
#[derive(InputObject, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WaitStepInput {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub minutes: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub until: Option<DateTime<Utc>>,
    /// A path holding a time, such as `event.data.startsAt`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub until_field: Option<String>,
}

#[derive(InputObject, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BranchStepInput {
    pub condition: WorkflowConditionInput,
    #[graphql(default)]
    pub then: Vec<WorkflowStepInput>,
    #[graphql(default)]
    pub otherwise: Vec<WorkflowStepInput>,
}

#[derive(InputObject)]
pub struct CreateWorkflowInput {
    pub name: String,
    /// Off, the trigger starts nothing.
    #[graphql(default = true)]
    pub enabled: bool,
    pub definition: WorkflowDefinitionInput,
}

#[derive(InputObject)]
pub struct UpdateWorkflowInput {
    pub id: ID,
    pub name: Option<String>,
    /// Saved as the next version; runs going on keep theirs.
    pub definition: Option<WorkflowDefinitionInput>,
}

#[derive(InputObject)]
pub struct SetWorkflowEnabledInput {
    pub id: ID,
    pub enabled: bool,
}

#[derive(InputObject)]
pub struct WorkflowIdInput {
    pub id: ID,
}

/// The event a test runs against.
#[derive(InputObject)]
pub struct SampleEventInput {
    /// Defaults to the trigger's own event type.
    #[graphql(name = "type")]
    pub event_type: Option<String>,
    /// `lead/<id>` or `contact/<id>`: the record the event is about.
    pub subject: Option<String>,
    pub data: Option<Json<serde_json::Value>>,
    pub contact_id: Option<ID>,
    pub lead_id: Option<ID>,
}

#[derive(InputObject)]
pub struct TestWorkflowInput {
    pub definition: WorkflowDefinitionInput,
    pub sample: SampleEventInput,
}

#[derive(InputObject, Default)]
pub struct WorkflowRunFilter {
    pub workflow_id: Option<ID>,
    pub status: Option<super::WorkflowRunStatus>,
    pub contact_id: Option<ID>,
    /// Started at or after.
    pub since: Option<DateTime<Utc>>,
}
