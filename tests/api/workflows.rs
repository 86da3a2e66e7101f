//! Workflows: triggers (events, schedules, webhooks), conditions, every step kind, runs
//! and their logs, waits across a restart, redelivered events, the loop guard, versions,
//! retries and plan limits.

use crate::fixtures::{automation::*, crm::*, iot::*, marketing::*, messaging::*};
use crate::helpers::*;
use crate::webhook_receiver::Receiver;
use chrono::TimeDelta;
use serde_json::{Value, json};
use tianguis_domain::ports::Clock;

const RUNS: &str = "query($f: WorkflowRunFilter) { workflowRuns(filter: $f, first: 50) { totalCount
    edges { node { id status depth version error wakeAt contact { id } lead { id }
      steps { path kind status input output error } } } } }";

async fn runs_of(app: &TestApp, session: &Session, workflow_id: &str) -> Value {
    app.ok(
        Some(&session.access_token),
        RUNS,
        json!({ "f": { "workflowId": workflow_id } }),
    )
    .await["workflowRuns"]
        .clone()
}

/// Waits until the workflow's runs satisfy `done`; returns them, newest first.
async fn until_runs(
    app: &TestApp,
    session: &Session,
    workflow_id: &str,
    done: impl Fn(&[Value]) -> bool,
) -> Vec<Value> {
    let query = format!(
        "{{ workflowRuns(filter: {{ workflowId: \"{workflow_id}\" }}, first: 50) {{ edges {{ node {{
            id status depth version error wakeAt steps {{ path kind status output error }} }} }} }} }}"
    );
    let state = eventually(app, session, &query, |body| {
        let runs: Vec<Value> = body["workflowRuns"]["edges"]
            .as_array()
            .map(|edges| edges.iter().map(|e| e["node"].clone()).collect())
            .unwrap_or_default();
        done(&runs)
    })
    .await;
    state["workflowRuns"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| e["node"].clone())
        .collect()
}

fn all_ended(runs: &[Value]) -> bool {
    runs.iter()
        .all(|r| !["PENDING", "RUNNING"].contains(&r["status"].as_str().unwrap_or("")))
}

async fn lead_state(app: &TestApp, session: &Session, lead: &str) -> Value {
    app.ok(
        Some(&session.access_token),
        "query($id: ID!) { lead(id: $id) { tags owner { id } stage { id name } customFields } }",
        json!({ "id": lead }),
    )
    .await["lead"]
        .clone()
}

async fn tasks_of(app: &TestApp, session: &Session, lead: &str) -> Vec<Value> {
    app.ok(
        Some(&session.access_token),
        "query($l: ID!) { activities(filter: { leadId: $l, kinds: [TASK] }, first: 20) { edges { node { subject dueAt assignee { id } } } } }",
        json!({ "l": lead }),
    )
    .await["activities"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| e["node"].clone())
        .collect()
}

#[tokio::test]
async fn a_big_new_lead_gets_a_task_a_tag_and_a_whatsapp_template_and_a_small_one_nothing() {
    let (app, double) = app_with_providers().await;
    let owner = app.sign_up().await;
    let wa = whatsapp_channel(&app, &owner).await;
    let template = approved_template(&app, &owner, &wa, &double).await;
    let created = workflow(
        &app,
        &owner,
        json!({
            "trigger": { "event": { "type": "crm.lead.created" } },
            "conditions": { "compare": { "field": "lead.value", "op": "GTE", "value": 10000 } },
            "steps": [
                { "createTask": { "subject": "Llamar a {{contact.firstName}}", "dueInMinutes": 60 } },
                { "addTag": { "tag": "Grande", "on": "LEAD" } },
                { "sendMessage": { "channel": "WHATSAPP", "templateId": template,
                                   "variables": ["{{contact.firstName}}", "10%"] } },
            ],
        }),
    )
    .await;
    let id = text(&created["workflow"]["id"]);
    assert_eq!(created["workflow"]["version"], 1);
    assert_eq!(created["workflow"]["triggerKind"], "EVENT");
    assert_eq!(
        created["workflow"]["definition"]["steps"][1]["addTag"]["on"], "LEAD",
        "the definition reads back in its input's shape"
    );

    let phone = format!("+{}", unique_phone());
    let contact = new_contact(
        &app,
        &owner,
        json!({ "firstName": "Ana", "lastName": "López", "phone": phone }),
    )
    .await;
    let small = new_lead(
        &app,
        &owner,
        json!({ "title": "Chico", "contactId": contact, "value": "500" }),
    )
    .await;
    let big = new_lead(
        &app,
        &owner,
        json!({ "title": "Grande", "contactId": contact, "value": "25000" }),
    )
    .await;

    let runs = until_runs(&app, &owner, &id, |runs| {
        runs.len() == 1 && runs[0]["status"] == "SUCCEEDED"
    })
    .await;
    let run = &runs[0];
    let kinds: Vec<&str> = run["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .map(|s| s["kind"].as_str().expect("kind"))
        .collect();
    assert_eq!(kinds, ["createTask", "addTag", "sendMessage"]);
    assert!(
        run["steps"]
            .as_array()
            .expect("steps")
            .iter()
            .all(|s| s["status"] == "SUCCEEDED")
    );

    let tasks = tasks_of(&app, &owner, &big).await;
    assert_eq!(tasks.len(), 1, "{tasks:?}");
    assert_eq!(tasks[0]["subject"], "Llamar a Ana");
    assert_eq!(
        tasks[0]["assignee"]["id"], owner.user_id,
        "the lead's owner"
    );
    assert!(tasks[0]["dueAt"].is_string());
    assert_eq!(
        lead_state(&app, &owner, &big).await["tags"],
        json!(["grande"])
    );
    assert!(tasks_of(&app, &owner, &small).await.is_empty());
    assert_eq!(lead_state(&app, &owner, &small).await["tags"], json!([]));

    let sent = eventually_call(&double, "whatsapp.messages").await;
    assert_eq!(sent.body["type"], "template");
    assert_eq!(
        sent.body["template"]["components"][0]["parameters"][0]["text"],
        "Ana"
    );
}

async fn eventually_call(
    double: &crate::messaging_double::ProvidersDouble,
    api: &str,
) -> crate::messaging_double::Call {
    for _ in 0..800 {
        if let Some(call) = double.calls(api).pop() {
            return call;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    panic!("no {api} call arrived");
}

#[tokio::test]
async fn an_event_delivered_again_starts_no_second_run() {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, TransactionTrait};
    use tianguis_domain::events::{DomainEvent, EventConsumer};
    use tianguis_entity::events::outbox_events;

    let app = TestApp::spawn().await;
    let owner = app.sign_up().await;
    let id = text(
        &workflow(
            &app,
            &owner,
            json!({
                "trigger": { "event": { "type": "crm.contact.created" } },
                "steps": [ { "addTag": { "tag": "nuevo", "on": "CONTACT" } } ],
            }),
        )
        .await["workflow"]["id"],
    );
    new_contact(&app, &owner, json!({ "firstName": "Beto" })).await;
    until_runs(&app, &owner, &id, |runs| runs.len() == 1 && all_ended(runs)).await;

    // The dispatcher hands the same event to the consumer again, as after a crash.
    let tenant = uuid::Uuid::parse_str(&owner.tenant_id).expect("tenant");
    let event = outbox_events::Entity::find()
        .filter(outbox_events::Column::TenantId.eq(tenant))
        .filter(outbox_events::Column::EventType.eq("crm.contact.created"))
        .one(&app.state.deps.db)
        .await
        .expect("read")
        .expect("the event");
    let tx = app.state.deps.db.begin().await.expect("tx");
    let jobs = tianguis_domain::automation::workflows::runs::WorkflowTrigger
        .consume(&tx, &DomainEvent::from(event), app.clock.now())
        .await
        .expect("consumed");
    tx.commit().await.expect("commit");
    assert!(jobs.is_empty(), "no job for a run already started");
    assert_eq!(runs_of(&app, &owner, &id).await["totalCount"], 1);
}

#[tokio::test]
async fn a_workflow_that_triggers_itself_stops_at_the_depth_limit() {
    let app = TestApp::spawn().await;
    let owner = app.sign_up().await;
    // Assigning the lead records an update, which is this workflow's own trigger.
    let id = text(
        &workflow(
            &app,
            &owner,
            json!({
                "trigger": { "event": { "type": "crm.lead.updated" } },
                "steps": [ { "assignOwner": { "userIds": [owner.user_id] } } ],
            }),
        )
        .await["workflow"]["id"],
    );
    let contact = new_contact(&app, &owner, json!({ "firstName": "Ciro" })).await;
    let lead = new_lead(
        &app,
        &owner,
        json!({ "title": "Bucle", "contactId": contact }),
    )
    .await;
    app.ok(
        Some(&owner.access_token),
        "mutation($id: ID!) { updateLead(input: { id: $id, title: \"Bucle 2\" }) { id } }",
        json!({ "id": lead }),
    )
    .await;
    let runs = until_runs(&app, &owner, &id, |runs| {
        runs.iter().any(|r| r["status"] == "STOPPED") && all_ended(runs)
    })
    .await;
    let max = tianguis_domain::automation::workflows::runs::MAX_DEPTH as usize;
    assert_eq!(
        runs.len(),
        max + 2,
        "depths 0 to {max}, then the stopped one"
    );
    let stopped: Vec<&Value> = runs.iter().filter(|r| r["status"] == "STOPPED").collect();
    assert_eq!(stopped.len(), 1);
    assert_eq!(stopped[0]["depth"], max + 1);
    assert!(
        text(&stopped[0]["error"]).contains("loop guard"),
        "{}",
        stopped[0]["error"]
    );
    let mut depths: Vec<i64> = runs
        .iter()
        .map(|r| r["depth"].as_i64().expect("depth"))
        .collect();
    depths.sort();
    assert_eq!(depths, (0..=max as i64 + 1).collect::<Vec<_>>());
}

#[tokio::test]
async fn a_wait_outlives_a_restart_and_the_run_keeps_its_version() {
    let mut app = TestApp::spawn().await;
    let owner = app.sign_up().await;
    let id = text(
        &workflow(
            &app,
            &owner,
            json!({
                "trigger": { "event": { "type": "crm.lead.created" } },
                "steps": [
                    { "wait": { "minutes": 60 } },
                    { "addTag": { "tag": "v1", "on": "LEAD" } },
                ],
            }),
        )
        .await["workflow"]["id"],
    );
    let contact = new_contact(&app, &owner, json!({ "firstName": "Dora" })).await;
    let lead = new_lead(
        &app,
        &owner,
        json!({ "title": "Espera", "contactId": contact }),
    )
    .await;
    let runs = until_runs(&app, &owner, &id, |runs| {
        runs.len() == 1 && runs[0]["status"] == "WAITING"
    })
    .await;
    assert!(runs[0]["wakeAt"].is_string());

    // A new version while the run sleeps: the run keeps the one it started with.
    app.ok(
        Some(&owner.access_token),
        "mutation($input: UpdateWorkflowInput!) { updateWorkflow(input: $input) { workflow { version } } }",
        json!({ "input": { "id": id, "definition": {
            "trigger": { "event": { "type": "crm.lead.created" } },
            "steps": [ { "addTag": { "tag": "v2", "on": "LEAD" } } ],
        } } }),
    )
    .await;

    app.stop().await;
    let restarted = app.another_instance(|_| {}).await;
    restarted.clock.advance(TimeDelta::minutes(65));
    let owner = restarted.refreshed(&owner).await;
    let runs = until_runs(&restarted, &owner, &id, |runs| {
        runs.len() == 1 && runs[0]["status"] == "SUCCEEDED"
    })
    .await;
    assert_eq!(runs[0]["version"], 1);
    assert_eq!(
        lead_state(&restarted, &owner, &lead).await["tags"],
        json!(["v1"])
    );
}

#[tokio::test]
async fn steps_act_through_their_contexts_and_assign_owners_in_turn() {
    let (app, double) = app_with_providers().await;
    let owner = app.sign_up().await;
    app.on_plan(&owner, "pro").await;
    let seller = app.join_as(&owner, "sales").await;
    sms_channel(&app, &owner).await;
    let stages = stages(&app, &owner).await;
    let second = stages
        .iter()
        .find(|s| s.2 == "OPEN" && s.0 != stages[0].0)
        .expect("an open stage");
    let (device, _) = new_device(&app, &owner, json!({ "name": "Válvula 1" })).await;
    let static_segment = segment(&app, &owner, json!([{ "hasTag": "nadie" }]), true).await;
    app.ok(
        Some(&owner.access_token),
        "mutation { createCustomField(input: { entity: LEAD, key: \"origen\", label: \"Origen\", kind: TEXT }) { id } }",
        json!({}),
    )
    .await;
    let id = text(
        &workflow(
            &app,
            &owner,
            json!({
                "trigger": { "event": { "type": "crm.lead.created" } },
                "steps": [
                    { "assignOwner": { "userIds": [owner.user_id, seller.user_id] } },
                    { "moveStage": { "stageId": second.0 } },
                    { "setField": { "on": "LEAD", "key": "origen", "value": "flujo {{lead.title}}" } },
                    { "addTag": { "tag": "quitar", "on": "CONTACT" } },
                    { "removeTag": { "tag": "quitar", "on": "CONTACT" } },
                    { "addToSegment": { "segmentId": static_segment } },
                    { "sendDeviceCommand": { "deviceId": device, "method": "abrir", "params": { "minutos": 5 } } },
                    { "sendMessage": { "channel": "SMS", "text": "Hola {{contact.firstName}}" } },
                ],
            }),
        )
        .await["workflow"]["id"],
    );
    let mut leads = Vec::new();
    for name in ["Eva", "Fer"] {
        let phone = format!("+{}", unique_phone());
        let contact = new_contact(&app, &owner, json!({ "firstName": name, "phone": phone })).await;
        leads.push(new_lead(&app, &owner, json!({ "title": name, "contactId": contact })).await);
        until_runs(&app, &owner, &id, |runs| {
            runs.len() == leads.len() && runs.iter().all(|r| r["status"] == "SUCCEEDED")
        })
        .await;
    }
    let first = lead_state(&app, &owner, &leads[0]).await;
    let second_lead = lead_state(&app, &owner, &leads[1]).await;
    assert_eq!(first["owner"]["id"], owner.user_id);
    assert_eq!(
        second_lead["owner"]["id"], seller.user_id,
        "the next in turn"
    );
    assert_eq!(first["stage"]["id"], second.0);
    assert_eq!(first["customFields"]["origen"], "flujo Eva");
    let members = app
        .ok(
            Some(&owner.access_token),
            "query($id: ID!) { segment(id: $id) { contactCount } }",
            json!({ "id": static_segment }),
        )
        .await;
    assert_eq!(members["segment"]["contactCount"], 2);
    let commands = app
        .ok(
            Some(&owner.access_token),
            "query($d: ID!) { deviceCommands(deviceId: $d, first: 10) { edges { node { method params } } } }",
            json!({ "d": device }),
        )
        .await;
    let commands = commands["deviceCommands"]["edges"]
        .as_array()
        .expect("edges");
    assert_eq!(commands.len(), 2);
    assert_eq!(commands[0]["node"]["params"]["minutos"], 5);
    let sms = eventually_call(&double, "twilio.messages").await;
    assert!(
        text(&sms.body["Body"]).starts_with("Hola "),
        "{:?}",
        sms.body
    );
    let runs = runs_of(&app, &owner, &id).await;
    let steps = runs["edges"][0]["node"]["steps"]
        .as_array()
        .expect("steps")
        .clone();
    assert_eq!(steps.len(), 8);
    assert_eq!(steps[3]["output"]["changed"], true);
    assert_eq!(steps[4]["output"]["changed"], true);
}

#[tokio::test]
async fn a_failed_step_is_logged_and_a_retry_runs_it_again() {
    let (app, double) = app_with_providers().await;
    let owner = app.sign_up().await;
    let id = text(
        &workflow(
            &app,
            &owner,
            json!({
                "trigger": { "event": { "type": "crm.contact.created" } },
                "steps": [
                    { "addTag": { "tag": "antes", "on": "CONTACT" } },
                    { "sendMessage": { "channel": "SMS", "text": "Bienvenida" } },
                ],
            }),
        )
        .await["workflow"]["id"],
    );
    let phone = format!("+{}", unique_phone());
    new_contact(&app, &owner, json!({ "firstName": "Gil", "phone": phone })).await;
    let runs = until_runs(&app, &owner, &id, |runs| {
        runs.len() == 1 && runs[0]["status"] == "FAILED"
    })
    .await;
    let error = text(&runs[0]["error"]);
    assert!(
        error.contains("step 1 (sendMessage)") && error.contains("sms"),
        "{error}"
    );
    let steps = runs[0]["steps"].as_array().expect("steps");
    assert_eq!(steps.len(), 2);
    assert_eq!(steps[1]["status"], "FAILED");

    sms_channel(&app, &owner).await;
    let retried = app
        .ok(
            Some(&owner.access_token),
            "mutation($id: ID!) { retryWorkflowRun(input: { id: $id }) { status error } }",
            json!({ "id": runs[0]["id"] }),
        )
        .await;
    assert_eq!(retried["retryWorkflowRun"]["status"], "PENDING");
    let runs = until_runs(&app, &owner, &id, |runs| runs[0]["status"] == "SUCCEEDED").await;
    let kinds: Vec<(&str, &str)> = runs[0]["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .map(|s| {
            (
                s["kind"].as_str().unwrap_or(""),
                s["status"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        [
            ("addTag", "SUCCEEDED"),
            ("sendMessage", "FAILED"),
            ("sendMessage", "SUCCEEDED")
        ],
        "the step that succeeded is not done again"
    );
    eventually_call(&double, "twilio.messages").await;
    let again = app
        .gql(
            Some(&owner.access_token),
            "mutation($id: ID!) { retryWorkflowRun(input: { id: $id }) { status } }",
            json!({ "id": runs[0]["id"] }),
        )
        .await;
    assert_eq!(error_code(&again), "CONFLICT");
}

#[tokio::test]
async fn a_branch_takes_one_arm_and_a_cancelled_run_goes_no_further() {
    let app = TestApp::spawn().await;
    let owner = app.sign_up().await;
    let id = text(
        &workflow(
            &app,
            &owner,
            json!({
                "trigger": { "event": { "type": "crm.contact.created" } },
                "steps": [
                    { "branch": {
                        "condition": { "compare": { "field": "contact.city", "op": "IN", "value": ["Puebla", "Tlaxcala"] } },
                        "then": [ { "addTag": { "tag": "centro", "on": "CONTACT" } } ],
                        "otherwise": [ { "addTag": { "tag": "fuera", "on": "CONTACT" } } ],
                    } },
                    { "wait": { "minutes": 30 } },
                    { "addTag": { "tag": "tarde", "on": "CONTACT" } },
                ],
            }),
        )
        .await["workflow"]["id"],
    );
    let puebla = new_contact(
        &app,
        &owner,
        json!({ "firstName": "Hugo", "city": "puebla" }),
    )
    .await;
    let runs = until_runs(&app, &owner, &id, |runs| {
        runs.len() == 1 && runs[0]["status"] == "WAITING"
    })
    .await;
    let paths: Vec<&str> = runs[0]["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .map(|s| s["path"].as_str().expect("path"))
        .collect();
    assert_eq!(paths, ["0", "0.then.0", "1"]);
    assert_eq!(runs[0]["steps"][0]["output"]["holds"], true);
    let contact = app
        .ok(
            Some(&owner.access_token),
            "query($id: ID!) { contact(id: $id) { tags } }",
            json!({ "id": puebla }),
        )
        .await;
    assert_eq!(contact["contact"]["tags"], json!(["centro"]));

    let cancelled = app
        .ok(
            Some(&owner.access_token),
            "mutation($id: ID!) { cancelWorkflowRun(input: { id: $id }) { status finishedAt } }",
            json!({ "id": runs[0]["id"] }),
        )
        .await;
    assert_eq!(cancelled["cancelWorkflowRun"]["status"], "CANCELLED");
    app.clock.advance(TimeDelta::minutes(35));
    let owner = app.refreshed(&owner).await;
    // The wake-up's job runs and finds the run cancelled: the last step never happens.
    eventually(
        &app,
        &owner,
        "{ jobs(kind: \"workflows\", first: 20) { edges { node { status runAt } } } }",
        |body| {
            body["jobs"]["edges"].as_array().is_some_and(|e| {
                e.len() >= 2 && e.iter().all(|j| j["node"]["status"] == "SUCCEEDED")
            })
        },
    )
    .await;
    let contact = app
        .ok(
            Some(&owner.access_token),
            "query($id: ID!) { contact(id: $id) { tags } }",
            json!({ "id": puebla }),
        )
        .await;
    assert_eq!(contact["contact"]["tags"], json!(["centro"]));
}

#[tokio::test]
async fn a_schedule_starts_once_per_tick_and_calls_a_signed_webhook() {
    let app = TestApp::spawn().await;
    let owner = app.sign_up().await;
    let mut receiver = Receiver::start().await;
    let (endpoint, _secret) =
        webhook_endpoint(&app, &owner, &receiver.url, json!(["none.*"])).await;
    let created = workflow(
        &app,
        &owner,
        json!({
            "trigger": { "schedule": { "cron": "*/10 * * * *" } },
            "steps": [ { "callWebhook": { "endpointId": endpoint } } ],
        }),
    )
    .await;
    let id = text(&created["workflow"]["id"]);
    let next: chrono::DateTime<chrono::Utc> = text(&created["workflow"]["nextRunAt"])
        .parse()
        .expect("next run");
    assert!(next > app.clock.now() && next <= app.clock.now() + TimeDelta::minutes(10));

    app.clock.advance(TimeDelta::minutes(11));
    let owner = app.refreshed(&owner).await;
    let got = receiver.next().await;
    let body: Value = serde_json::from_str(&got.body).expect("JSON");
    assert_eq!(body["workflowId"], id);
    assert_eq!(body["event"]["type"], "automation.schedule.due");
    assert!(got.signature.starts_with("t="), "{got:?}");
    let runs = until_runs(&app, &owner, &id, |runs| {
        runs.len() == 1 && runs[0]["status"] == "SUCCEEDED"
    })
    .await;
    assert_eq!(runs[0]["steps"][0]["output"]["status"], 200);
    let after = app
        .ok(
            Some(&owner.access_token),
            "query($id: ID!) { workflow(id: $id) { nextRunAt } }",
            json!({ "id": id }),
        )
        .await;
    let moved: chrono::DateTime<chrono::Utc> = text(&after["workflow"]["nextRunAt"])
        .parse()
        .expect("next run");
    assert!(moved > next, "the schedule moved on");
    receiver
        .assert_quiet(std::time::Duration::from_millis(500))
        .await;
}

#[tokio::test]
async fn a_webhook_url_starts_one_run_per_idempotency_key_and_refuses_a_wrong_secret() {
    let app = TestApp::spawn().await;
    let owner = app.sign_up().await;
    let contact = new_contact(&app, &owner, json!({ "firstName": "Iris" })).await;
    let created = workflow(
        &app,
        &owner,
        json!({
            "trigger": { "webhook": { "description": "el formulario del sitio" } },
            "conditions": { "compare": { "field": "event.data.plan", "op": "EQ", "value": "pro" } },
            "steps": [ { "addTag": { "tag": "desde-sitio", "on": "CONTACT" } } ],
        }),
    )
    .await;
    let id = text(&created["workflow"]["id"]);
    let url = text(&created["webhookUrl"]);
    assert!(url.contains("/webhooks/workflows/"));
    let path = url.split("/webhooks/workflows/").nth(1).expect("token");
    let post = |token: String, key: &'static str| {
        app.client
            .post(format!("{}/webhooks/workflows/{token}", app.base))
            .header("Idempotency-Key", key)
            .json(&json!({ "contactId": contact, "plan": "pro" }))
            .send()
    };
    let first = post(path.to_owned(), "k-1").await.expect("sent");
    assert_eq!(first.status(), 202);
    let run: Value = first.json().await.expect("json");
    let again = post(path.to_owned(), "k-1").await.expect("sent");
    assert_eq!(again.status(), 200);
    assert_eq!(
        again.json::<Value>().await.expect("json")["runId"],
        run["runId"]
    );
    let wrong = format!("{}x", path);
    assert_eq!(post(wrong, "k-2").await.expect("sent").status(), 404);

    until_runs(&app, &owner, &id, |runs| {
        runs.len() == 1 && runs[0]["status"] == "SUCCEEDED"
    })
    .await;
    let tags = app
        .ok(
            Some(&owner.access_token),
            "query($id: ID!) { contact(id: $id) { tags } }",
            json!({ "id": contact }),
        )
        .await;
    assert_eq!(tags["contact"]["tags"], json!(["desde-sitio"]));

    let rotated = app
        .ok(
            Some(&owner.access_token),
            "mutation($id: ID!) { rotateWorkflowWebhook(input: { id: $id }) { webhookUrl } }",
            json!({ "id": id }),
        )
        .await;
    assert_ne!(text(&rotated["rotateWorkflowWebhook"]["webhookUrl"]), url);
    assert_eq!(
        post(path.to_owned(), "k-3").await.expect("sent").status(),
        404
    );
}

#[tokio::test]
async fn a_definition_is_checked_on_save_with_the_step_and_field_named() {
    let app = TestApp::spawn().await;
    let owner = app.sign_up().await;
    let other = app.sign_up().await;
    let foreign_stage = stages(&app, &other).await[0].0.clone();
    let save = |definition: Value| {
        app.gql(
            Some(&owner.access_token),
            CREATE_WORKFLOW,
            json!({ "input": { "name": "x", "definition": definition } }),
        )
    };
    let template_on_sms = save(json!({
        "trigger": { "event": { "type": "crm.lead.created" } },
        "steps": [ { "branch": {
            "condition": { "compare": { "field": "lead.value", "op": "GT", "value": 1 } },
            "then": [ { "sendMessage": { "channel": "SMS", "templateId": uuid::Uuid::now_v7() } } ],
        } } ],
    }))
    .await;
    assert_eq!(error_code(&template_on_sms), "BAD_USER_INPUT");
    assert_eq!(
        error_ext(&template_on_sms, "field"),
        "steps[0].branch.then[0].sendMessage.templateId"
    );
    let another_business_stage = save(json!({
        "trigger": { "event": { "type": "crm.lead.created" } },
        "steps": [ { "createTask": { "subject": "ok" } }, { "moveStage": { "stageId": foreign_stage } } ],
    }))
    .await;
    assert_eq!(
        error_ext(&another_business_stage, "field"),
        "steps[1].moveStage.stageId"
    );
    let bad_cron = save(json!({
        "trigger": { "schedule": { "cron": "every day" } },
        "steps": [ { "createTask": { "subject": "ok" } } ],
    }))
    .await;
    assert_eq!(error_ext(&bad_cron, "field"), "trigger.schedule.cron");
    let two_kinds = app
        .gql(
            Some(&owner.access_token),
            CREATE_WORKFLOW,
            json!({ "input": { "name": "x", "definition": {
                "trigger": { "event": { "type": "crm.lead.created" } },
                "steps": [ { "addTag": { "tag": "a", "on": "LEAD" }, "createTask": { "subject": "b" } } ],
            } } }),
        )
        .await;
    assert!(
        two_kinds.get("errors").is_some(),
        "a step is one kind: {two_kinds}"
    );
    let none = app
        .ok(
            Some(&owner.access_token),
            "{ workflows(first: 5) { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(none["workflows"]["totalCount"], 0, "nothing was saved");
}

#[tokio::test]
async fn test_workflow_says_what_each_step_would_do_and_does_nothing() {
    let app = TestApp::spawn().await;
    let owner = app.sign_up().await;
    let contact = new_contact(
        &app,
        &owner,
        json!({ "firstName": "Juana", "lastName": "Pérez" }),
    )
    .await;
    let lead = new_lead(
        &app,
        &owner,
        json!({ "title": "Prueba", "contactId": contact, "value": "3000" }),
    )
    .await;
    let tested = app
        .ok(
            Some(&owner.access_token),
            "mutation($input: TestWorkflowInput!) { testWorkflow(input: $input) { starts steps { path kind would } } }",
            json!({ "input": {
                "definition": {
                    "trigger": { "event": { "type": "crm.lead.created" } },
                    "steps": [
                        { "createTask": { "subject": "Llamar a {{contact.firstName}}" } },
                        { "branch": {
                            "condition": { "compare": { "field": "lead.value", "op": "GT", "value": 1000 } },
                            "then": [ { "addTag": { "tag": "vip", "on": "CONTACT" } } ],
                            "otherwise": [ { "wait": { "minutes": 5 } } ],
                        } },
                    ],
                },
                "sample": { "subject": format!("lead/{lead}") },
            } }),
        )
        .await;
    let result = &tested["testWorkflow"];
    assert_eq!(result["starts"], true);
    let steps = result["steps"].as_array().expect("steps");
    assert_eq!(steps.len(), 3);
    assert_eq!(
        steps[0]["would"],
        format!(
            "create the task «Llamar a Juana» for the lead's owner {}",
            owner.user_id
        )
    );
    assert_eq!(steps[2]["path"], "1.then.0");
    assert_eq!(steps[2]["would"], "add the tag «vip» to Juana Pérez");
    assert!(
        tasks_of(&app, &owner, &lead).await.is_empty(),
        "a test does nothing"
    );
    let tags = app
        .ok(
            Some(&owner.access_token),
            "query($id: ID!) { contact(id: $id) { tags } }",
            json!({ "id": contact }),
        )
        .await;
    assert_eq!(tags["contact"]["tags"], json!([]));
}

#[tokio::test]
async fn the_free_plan_enables_five_workflows_and_staff_cannot_manage_them() {
    let app = TestApp::spawn().await;
    let owner = app.sign_up().await;
    let definition = json!({
        "trigger": { "event": { "type": "crm.lead.created" } },
        "steps": [ { "createTask": { "subject": "x" } } ],
    });
    for _ in 0..5 {
        workflow(&app, &owner, definition.clone()).await;
    }
    let sixth = app
        .gql(
            Some(&owner.access_token),
            CREATE_WORKFLOW,
            json!({ "input": { "name": "sexto", "definition": definition } }),
        )
        .await;
    assert_eq!(error_code(&sixth), "PLAN_LIMIT");
    let off = app
        .ok(
            Some(&owner.access_token),
            CREATE_WORKFLOW,
            json!({ "input": { "name": "apagado", "enabled": false, "definition": definition } }),
        )
        .await;
    let off_id = text(&off["createWorkflow"]["workflow"]["id"]);
    let on = app
        .gql(
            Some(&owner.access_token),
            "mutation($id: ID!) { setWorkflowEnabled(input: { id: $id, enabled: true }) { enabled } }",
            json!({ "id": off_id }),
        )
        .await;
    assert_eq!(error_code(&on), "PLAN_LIMIT");

    let staff = app.join_as(&owner, "sales").await;
    let refused = app
        .gql(
            Some(&staff.access_token),
            "{ workflows(first: 5) { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(error_code(&refused), "FORBIDDEN");
}

#[tokio::test]
async fn a_page_of_runs_with_their_steps_costs_the_same_statements_whatever_its_size() {
    let app = TestApp::spawn().await;
    let owner = app.sign_up().await;
    let id = text(
        &workflow(
            &app,
            &owner,
            json!({
                "trigger": { "event": { "type": "crm.contact.created" } },
                "steps": [ { "addTag": { "tag": "a", "on": "CONTACT" } }, { "addTag": { "tag": "b", "on": "CONTACT" } } ],
            }),
        )
        .await["workflow"]["id"],
    );
    for i in 0..6 {
        new_contact(&app, &owner, json!({ "firstName": format!("C{i}") })).await;
    }
    until_runs(&app, &owner, &id, |runs| {
        runs.len() == 6 && runs.iter().all(|r| r["status"] == "SUCCEEDED")
    })
    .await;
    let count = |first: usize| {
        let app = &app;
        let owner = &owner;
        async move {
            let query = format!(
                "{{ workflowRuns(first: {first}) {{ totalCount edges {{ node {{ id contact {{ name }} steps {{ kind output }} }} }} }} }}"
            );
            let before = app.sql_statements();
            let body = app.ok(Some(&owner.access_token), &query, json!({})).await;
            assert_eq!(
                body["workflowRuns"]["edges"]
                    .as_array()
                    .expect("edges")
                    .len(),
                first
            );
            app.sql_statements() - before
        }
    };
    let two = count(2).await;
    let six = count(6).await;
    assert_eq!(
        two, six,
        "statements grow with the page: {two} for 2, {six} for 6"
    );
}
