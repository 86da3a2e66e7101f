//! Segments and campaigns: recipients frozen at start, sent in batches each at most once,
//! through a real SMTP server and the WhatsApp double, with tracking, one-click
//! unsubscribe, pause, resume, cancel and schedules.

use crate::fixtures::crm::new_contact;
use crate::fixtures::marketing::*;
use crate::fixtures::messaging::{approved_template, unique_phone, webhook, whatsapp_channel};
use crate::helpers::*;
use crate::mail_sink::SmtpSink;
use crate::messaging_double::*;
use sea_orm::EntityTrait;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::process::Stdio;
use std::time::Duration;
use tianguis::config::Secret;
use tianguis_domain::ports::Clock;

/// Counts what the sink receives, per recipient, until `expected` have arrived.
async fn receive(
    sink: &mut SmtpSink,
    expected: usize,
) -> HashMap<String, Vec<crate::mail_sink::ReceivedMail>> {
    let mut by_recipient: HashMap<String, Vec<_>> = HashMap::new();
    for _ in 0..expected {
        let mail = sink.next().await;
        for to in &mail.to {
            by_recipient
                .entry(to.trim_matches(['<', '>']).to_owned())
                .or_default()
                .push(mail.clone());
        }
    }
    by_recipient
}

fn unfolded(data: &str) -> String {
    data.replace("=\r\n", "").replace("=3D", "=")
}

/// The first link in the plain-text part that starts with `prefix`.
fn link(mail: &crate::mail_sink::ReceivedMail, prefix: &str) -> String {
    let data = unfolded(&mail.data);
    let start = data
        .find(prefix)
        .unwrap_or_else(|| panic!("no {prefix} link in {data}"));
    data[start..]
        .chars()
        .take_while(|c| !c.is_whitespace() && *c != '"' && *c != '<' && *c != '>')
        .collect::<String>()
        // The sentence's full stop, not the link's.
        .trim_end_matches('.')
        .to_owned()
}

#[tokio::test]
async fn an_email_campaign_reaches_each_recipient_once_with_tracking_and_one_click_unsubscribe() {
    let (app, mut sink, _double) = app_with_smtp_and_providers(|_| {}).await;
    let owner = app.sign_up().await;
    sink.next_to(&owner.email).await; // the owner's address confirmation
    let channel = email_channel(&app, &owner).await;
    let mut puebla = Vec::new();
    for name in ["Ana", "Beto", "Caro"] {
        let email = format!("{}@example.mx", unique(&name.to_lowercase()));
        new_contact(
            &app,
            &owner,
            json!({ "firstName": name, "email": email, "city": "Puebla" }),
        )
        .await;
        puebla.push(email);
    }
    new_contact(&app, &owner, json!({ "firstName": "Dora", "email": format!("{}@example.mx", unique("dora")), "city": "León" })).await;
    let opted_out = new_contact(&app, &owner, json!({ "firstName": "Eva", "email": format!("{}@example.mx", unique("eva")), "city": "puebla" })).await;
    app.ok(
        Some(&owner.access_token),
        "mutation($input: SetContactOptOutInput!) { setContactOptOut(input: $input) }",
        json!({ "input": { "contactId": opted_out, "channelKind": "EMAIL", "optedOut": true } }),
    )
    .await;

    let rules = json!([{ "city": ["PUEBLA"] }]);
    let preview = app
        .ok(
            Some(&owner.access_token),
            "query($d: SegmentDefinitionInput!) { all: segmentPreview(definition: $d) { count }
               reachable: segmentPreview(definition: $d, channelKind: EMAIL) { count sample { name } } }",
            json!({ "d": { "rules": rules } }),
        )
        .await;
    assert_eq!(preview["all"]["count"], 4, "{preview}");
    assert_eq!(
        preview["reachable"]["count"], 3,
        "the opted-out contact is never included"
    );

    let segment = segment(&app, &owner, rules, false).await;
    let campaign = email_campaign(&app, &owner, &channel, &segment, 2).await;
    let started = campaign_action(&app, &owner, "startCampaign", &campaign).await;
    assert_eq!(
        started["data"]["startCampaign"]["recipientCount"], 3,
        "{started}"
    );

    let received = receive(&mut sink, 3).await;
    assert_eq!(received.len(), 3);
    for email in &puebla {
        assert_eq!(received[email].len(), 1, "{email} got exactly one");
    }
    let mail = &received[&puebla[0]][0];
    let subject = mail.header("Subject").expect("subject");
    assert!(
        subject.contains("Ana") || subject.contains("=?utf-8?"),
        "{subject}"
    );
    let list_unsubscribe = mail.header("List-Unsubscribe").expect("List-Unsubscribe");
    assert!(
        list_unsubscribe.starts_with("<http") && list_unsubscribe.contains("/u/"),
        "{list_unsubscribe}"
    );
    assert_eq!(
        mail.header("List-Unsubscribe-Post").as_deref(),
        Some("List-Unsubscribe=One-Click")
    );
    let done = until_status(&app, &owner, &campaign, "COMPLETED").await;
    assert_eq!(done["metrics"]["sent"], 3);
    sink.assert_quiet(Duration::from_millis(300)).await;

    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let public = |url: &str| {
        format!(
            "{}{}",
            app.base,
            &url[url.find("/t/").or(url.find("/u/")).expect("path")..]
        )
    };
    let pixel = client
        .get(public(&link(mail, "http://localhost:8080/t/o/")))
        .send()
        .await
        .expect("pixel");
    assert_eq!(pixel.headers()["content-type"], "image/gif");
    let click_url = link(mail, "http://localhost:8080/t/c/");
    let click = client.get(public(&click_url)).send().await.expect("click");
    assert_eq!(click.status(), 303, "{click_url}");
    assert_eq!(
        click.headers()["location"],
        "https://tortilleria.mx/buen-fin?utm=mail"
    );
    // A token is bound to its URL: another destination is refused, not redirected.
    let forged = client
        .get(public(&click_url.replace("tortilleria.mx", "evil.example")))
        .send()
        .await
        .expect("forged");
    assert_eq!(forged.status(), 404);

    let unsubscribe = list_unsubscribe.trim_matches(['<', '>']).to_owned();
    let page = client.get(public(&unsubscribe)).send().await.expect("page");
    assert_eq!(page.status(), 200);
    let one_click = client
        .post(public(&unsubscribe))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .expect("one click");
    assert_eq!(one_click.status(), 200);
    let metrics = campaign_state(&app, &owner, &campaign).await["metrics"].clone();
    assert_eq!(metrics["read"], 1, "{metrics}");
    assert_eq!(metrics["clicked"], 1);
    assert_eq!(metrics["unsubscribed"], 1);
    let log = app
        .ok(
            Some(&owner.access_token),
            "query($id: ID!) { campaign(id: $id) { recipients(filter: { unsubscribed: true }) { edges { node { status address contact { messagingOptOuts } } } } } }",
            json!({ "id": campaign }),
        )
        .await;
    let unsubscribed = &log["campaign"]["recipients"]["edges"][0]["node"];
    assert_eq!(unsubscribed["status"], "UNSUBSCRIBED");
    assert_eq!(unsubscribed["address"], json!(puebla[0]));
    assert_eq!(
        unsubscribed["contact"]["messagingOptOuts"],
        json!(["EMAIL"])
    );
    // The log's status filter finds the same recipient, and clicks by the click.
    let by_status = app
        .ok(
            Some(&owner.access_token),
            "query($id: ID!) { campaign(id: $id) { u: recipients(filter: { statuses: [UNSUBSCRIBED] }) { totalCount }
                s: recipients(filter: { statuses: [SENT] }) { totalCount } } }",
            json!({ "id": campaign }),
        )
        .await;
    assert_eq!(by_status["campaign"]["u"]["totalCount"], 1, "{by_status}");
    assert_eq!(
        by_status["campaign"]["s"]["totalCount"], 2,
        "the others, not clicked nor gone"
    );
}

#[tokio::test]
async fn a_ten_thousand_recipient_email_campaign_arrives_exactly_once_per_recipient() {
    let (app, mut sink, _double) = app_with_smtp_and_providers(|_| {}).await;
    let owner = app.sign_up().await;
    app.on_plan(&owner, "enterprise").await;
    sink.next_to(&owner.email).await;
    let channel = email_channel(&app, &owner).await;
    let emails = bulk_contacts(&app, &owner, 10_000, "Monterrey").await;
    let segment = segment(&app, &owner, json!([{ "city": ["Monterrey"] }]), false).await;
    let campaign = email_campaign(&app, &owner, &channel, &segment, 500).await;
    let started = campaign_action(&app, &owner, "startCampaign", &campaign).await;
    assert_eq!(
        started["data"]["startCampaign"]["recipientCount"], 10_000,
        "{started}"
    );

    let received = receive(&mut sink, 10_000).await;
    assert_eq!(received.len(), 10_000, "every recipient got one");
    assert!(
        emails
            .iter()
            .all(|e| received.get(e).map(Vec::len) == Some(1))
    );
    let done = until_status(&app, &owner, &campaign, "COMPLETED").await;
    assert_eq!(done["metrics"]["sent"], 10_000, "{done}");
    assert_eq!(done["metrics"]["pending"], 0);
    sink.assert_quiet(Duration::from_millis(500)).await;
}

/// A `tianguis worker` process sending to the sink.
fn spawn_worker(app: &TestApp, dir: &std::path::Path, smtp: &str) -> tokio::process::Child {
    app.command(dir)
        .arg("worker")
        .env("TIANGUIS_JOB_HEARTBEAT_SECS", "1")
        .env("SMTP_URL", smtp)
        .stdout(Stdio::null())
        .spawn()
        .expect("worker process starts")
}

#[tokio::test]
async fn a_campaign_whose_worker_is_killed_mid_send_sends_no_recipient_twice() {
    if std::env::var("TEST_DATABASE_URL").is_err() {
        eprintln!("needs PostgreSQL (TEST_DATABASE_URL): a second process shares the job store");
        return;
    }
    let (app, mut sink, _double) =
        app_with_smtp_and_providers(|c| c.in_process_workers = false).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let owner = app.sign_up().await;
    app.on_plan(&owner, "enterprise").await;
    let channel = email_channel(&app, &owner).await;
    let total = 3_000;
    bulk_contacts(&app, &owner, total, "Mérida").await;
    let segment = segment(&app, &owner, json!([{ "city": ["Mérida"] }]), false).await;
    let campaign = email_campaign(&app, &owner, &channel, &segment, 500).await;

    let mut doomed = spawn_worker(&app, dir.path(), &sink.url);
    campaign_action(&app, &owner, "startCampaign", &campaign).await;
    let mut counts: HashMap<String, usize> = HashMap::new();
    // The owner's confirmation comes from the worker too.
    while counts.values().sum::<usize>() < 300 {
        let mail = sink.next().await;
        for to in mail.to {
            *counts.entry(to).or_default() += 1;
        }
    }
    doomed.kill().await.expect("killed");
    let _survivor = spawn_worker(&app, dir.path(), &sink.url);
    let done = until_status(&app, &owner, &campaign, "COMPLETED").await;
    // Whatever the dead worker's connections still carried has arrived by now.
    while let Ok(Some(mail)) =
        tokio::time::timeout(Duration::from_secs(2), async { Some(sink.next().await) }).await
    {
        for to in mail.to {
            *counts.entry(to).or_default() += 1;
        }
    }
    counts.remove(&owner.email);
    let twice: Vec<_> = counts.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "sent twice: {twice:?}");
    let metrics = &done["metrics"];
    let (sent, failed) = (
        metrics["sent"].as_u64().expect("sent"),
        metrics["failed"].as_u64().expect("failed"),
    );
    assert_eq!(sent + failed, total as u64, "{metrics}");
    // A recipient is failed only when it was in flight as the worker died: delivery unknown.
    // At most the messages in flight: 4 batches at once, 32 messages each.
    assert!(failed <= 4 * 32, "{metrics}");
    assert!(
        counts.len() as u64 >= sent,
        "every recipient marked sent arrived"
    );
    let failures = app
        .ok(
            Some(&owner.access_token),
            "query($id: ID!) { campaign(id: $id) { recipients(filter: { statuses: [FAILED] }, first: 100) { edges { node { error } } } } }",
            json!({ "id": campaign }),
        )
        .await;
    for edge in failures["campaign"]["recipients"]["edges"]
        .as_array()
        .expect("edges")
    {
        assert!(
            text(&edge["node"]["error"]).contains("interrupted"),
            "{edge}"
        );
    }
    eprintln!("killed a worker mid-campaign: {sent} sent, {failed} interrupted, none twice");
}

#[tokio::test]
async fn a_campaign_pauses_resumes_and_cancels_and_a_cancelled_one_sends_nothing() {
    let (app, mut sink, _double) =
        app_with_smtp_and_providers(|c| c.in_process_workers = false).await;
    let owner = app.sign_up().await;
    let channel = email_channel(&app, &owner).await;
    bulk_contacts(&app, &owner, 20, "Oaxaca").await;
    let segment = segment(&app, &owner, json!([{ "city": ["Oaxaca"] }]), false).await;
    let paused = email_campaign(&app, &owner, &channel, &segment, 5).await;
    let cancelled = email_campaign(&app, &owner, &channel, &segment, 5).await;
    campaign_action(&app, &owner, "startCampaign", &paused).await;
    let pause = campaign_action(&app, &owner, "pauseCampaign", &paused).await;
    assert_eq!(
        pause["data"]["pauseCampaign"]["status"], "PAUSED",
        "{pause}"
    );
    let again = campaign_action(&app, &owner, "pauseCampaign", &paused).await;
    assert_eq!(error_code(&again), "CONFLICT");
    // Free plan: 20 + 20 messages this month fit in its 1,000.
    campaign_action(&app, &owner, "startCampaign", &cancelled).await;
    let cancel = campaign_action(&app, &owner, "cancelCampaign", &cancelled).await;
    assert_eq!(cancel["data"]["cancelCampaign"]["status"], "CANCELLED");

    // Workers come up: the paused campaign's batches find it paused and send nothing.
    let _workers = app
        .another_instance(|c| c.smtp_url = Some(Secret::new(sink.url.clone())))
        .await;
    sink.next_to(&owner.email).await;
    sink.assert_quiet(Duration::from_millis(1500)).await;
    assert_eq!(
        campaign_state(&app, &owner, &paused).await["metrics"]["pending"],
        20
    );
    let cancelled_state = campaign_state(&app, &owner, &cancelled).await;
    assert_eq!(
        cancelled_state["metrics"]["cancelled"], 20,
        "{cancelled_state}"
    );

    let resumed = campaign_action(&app, &owner, "resumeCampaign", &paused).await;
    assert_eq!(resumed["data"]["resumeCampaign"]["status"], "SENDING");
    let received = receive(&mut sink, 20).await;
    assert_eq!(received.len(), 20);
    let done = until_status(&app, &owner, &paused, "COMPLETED").await;
    assert_eq!(done["metrics"]["sent"], 20);
    sink.assert_quiet(Duration::from_millis(500)).await;
}

#[tokio::test]
async fn a_whatsapp_campaign_sends_its_template_and_follows_delivery_and_reads() {
    let (app, _sink, double) = app_with_smtp_and_providers(|_| {}).await;
    let owner = app.sign_up().await;
    let wa = whatsapp_channel(&app, &owner).await;
    let template = approved_template(&app, &owner, &wa, &double).await;
    for name in ["Ana", "Beto"] {
        new_contact(
            &app,
            &owner,
            json!({ "firstName": name, "phone": format!("+{}", unique_phone()), "tags": ["vip"] }),
        )
        .await;
    }
    new_contact(
        &app,
        &owner,
        json!({ "firstName": "Caro", "phone": format!("+{}", unique_phone()) }),
    )
    .await;
    let segment = segment(&app, &owner, json!([{ "hasTag": "vip" }]), true).await;
    let no_template = app
        .ok(
            Some(&owner.access_token),
            "mutation($input: CreateCampaignInput!) { createCampaign(input: $input) { id } }",
            json!({ "input": { "name": "VIP", "channelId": wa.channel_id, "segmentId": segment } }),
        )
        .await;
    let refused = campaign_action(
        &app,
        &owner,
        "startCampaign",
        &text(&no_template["createCampaign"]["id"]),
    )
    .await;
    assert_eq!(error_code(&refused), "BAD_USER_INPUT");
    assert_eq!(error_ext(&refused, "field"), "templateId");

    let created = app
        .ok(
            Some(&owner.access_token),
            "mutation($input: CreateCampaignInput!) { createCampaign(input: $input) { id } }",
            json!({ "input": { "name": "VIP", "channelId": wa.channel_id, "segmentId": segment,
                               "templateId": template, "templateVariables": ["{{first_name}}", "30%"] } }),
        )
        .await;
    let campaign = text(&created["createCampaign"]["id"]);
    campaign_action(&app, &owner, "startCampaign", &campaign).await;
    until_status(&app, &owner, &campaign, "COMPLETED").await;
    let calls: Vec<_> = double
        .calls("whatsapp.messages")
        .into_iter()
        .filter(|c| c.body["type"] == "template")
        .collect();
    assert_eq!(calls.len(), 2);
    let mut names: Vec<_> = calls
        .iter()
        .map(|c| text(&c.body["template"]["components"][0]["parameters"][0]["text"]))
        .collect();
    names.sort();
    assert_eq!(names, ["Ana", "Beto"], "variables are personalised");

    let log = app
        .ok(
            Some(&owner.access_token),
            "query($id: ID!) { campaign(id: $id) { recipients { edges { node { id address } } } } }",
            json!({ "id": campaign }),
        )
        .await;
    assert_eq!(
        log["campaign"]["recipients"]["edges"]
            .as_array()
            .expect("edges")
            .len(),
        2
    );
    // Statuses come back through the webhook under the provider's message ids.
    let first_wamid = recorded_provider_id(&app, &text(&calls[0].body["to"])).await;
    for status in ["delivered", "read"] {
        webhook(
            &app,
            &status_update(&wa.phone_number_id, &first_wamid, status),
            None,
        )
        .await;
    }
    let metrics = campaign_state(&app, &owner, &campaign).await["metrics"].clone();
    assert_eq!(metrics["sent"], 2, "{metrics}");
    assert_eq!(metrics["delivered"], 1);
    assert_eq!(metrics["read"], 1);
}

/// The provider message id recorded for the campaign recipient at `to` (digits).
async fn recorded_provider_id(app: &TestApp, to: &str) -> String {
    use sea_orm::{ColumnTrait, QueryFilter};
    let row = tianguis_entity::marketing::campaign_recipients::Entity::find()
        .filter(
            tianguis_entity::marketing::campaign_recipients::Column::Address.eq(format!("+{to}")),
        )
        .one(&app.state.deps.db)
        .await
        .expect("query")
        .expect("recipient");
    row.provider_message_id.expect("provider id")
}

#[tokio::test]
async fn a_scheduled_campaign_starts_by_itself_at_its_time() {
    let (app, mut sink, _double) = app_with_smtp_and_providers(|_| {}).await;
    let owner = app.sign_up().await;
    sink.next_to(&owner.email).await;
    let channel = email_channel(&app, &owner).await;
    let email = format!("{}@example.mx", unique("fer"));
    new_contact(
        &app,
        &owner,
        json!({ "firstName": "Fer", "email": email, "tags": ["boletin"] }),
    )
    .await;
    let segment = segment(&app, &owner, json!([{ "hasTag": "boletin" }]), false).await;
    let campaign = email_campaign(&app, &owner, &channel, &segment, 10).await;
    let at = app.clock.now() + chrono::TimeDelta::hours(2);
    let past = app
        .gql(
            Some(&owner.access_token),
            "mutation($input: ScheduleCampaignInput!) { scheduleCampaign(input: $input) { status } }",
            json!({ "input": { "id": campaign, "at": app.clock.now() - chrono::TimeDelta::hours(1) } }),
        )
        .await;
    assert_eq!(error_ext(&past, "field"), "at");
    let scheduled = app
        .ok(
            Some(&owner.access_token),
            "mutation($input: ScheduleCampaignInput!) { scheduleCampaign(input: $input) { status scheduledAt } }",
            json!({ "input": { "id": campaign, "at": at } }),
        )
        .await;
    assert_eq!(scheduled["scheduleCampaign"]["status"], "SCHEDULED");
    sink.assert_quiet(Duration::from_millis(300)).await;
    app.clock.advance(chrono::TimeDelta::hours(3));
    let owner = app.refreshed(&owner).await;
    let mail = sink.next_to(&email).await;
    assert!(mail.header("List-Unsubscribe").is_some());
    until_status(&app, &owner, &campaign, "COMPLETED").await;
}

#[tokio::test]
async fn segments_combine_behaviour_engagement_and_sales_rules_and_static_ones_stay_frozen() {
    let (app, _sink, _double) = app_with_smtp_and_providers(|_| {}).await;
    let owner = app.sign_up().await;
    let wa = whatsapp_channel(&app, &owner).await;
    // Two contacts write in; one writes twice.
    let (talker, quiet) = (unique_phone(), unique_phone());
    for (phone, n) in [(&talker, 2), (&quiet, 1)] {
        for i in 0..n {
            let body = inbound_text(
                &wa.phone_number_id,
                phone,
                "Cliente",
                &unique("wamid."),
                &format!("hola {i}"),
            );
            webhook(&app, &body, None).await;
        }
    }
    new_contact(
        &app,
        &owner,
        json!({ "firstName": "Gil", "email": format!("{}@example.mx", unique("gil")) }),
    )
    .await;
    let count = |rules: Value| {
        let app = &app;
        let owner = &owner;
        async move {
            app.ok(
                Some(&owner.access_token),
                "query($d: SegmentDefinitionInput!) { segmentPreview(definition: $d) { count } }",
                json!({ "d": rules }),
            )
            .await["segmentPreview"]["count"]
                .as_u64()
                .expect("count")
        }
    };
    assert_eq!(
        count(json!({ "rules": [{ "messageCountAtLeast": 2 }] })).await,
        1
    );
    assert_eq!(
        count(json!({ "rules": [{ "interactedWithinDays": 7 }] })).await,
        2
    );
    assert_eq!(
        count(json!({ "rules": [{ "notInteractedWithinDays": 7 }] })).await,
        1
    );
    assert_eq!(
        count(json!({ "rules": [{ "createdWithinDays": 1 }] })).await,
        3
    );
    assert_eq!(
        count(json!({ "rules": [{ "totalSpentAtLeast": "100.00" }] })).await,
        0
    );
    let (stage, _, _) = crate::fixtures::crm::stages(&app, &owner).await.remove(1);
    let gil = text(
        &app.ok(
            Some(&owner.access_token),
            "{ contacts(filter: { search: \"Gil\" }) { edges { node { id } } } }",
            json!({}),
        )
        .await["contacts"]["edges"][0]["node"]["id"],
    );
    crate::fixtures::crm::new_lead(
        &app,
        &owner,
        json!({ "title": "Mayoreo", "contactId": gil, "stageId": stage }),
    )
    .await;
    assert_eq!(
        count(json!({ "rules": [{ "leadInStage": stage }] })).await,
        1
    );
    assert_eq!(
        count(json!({ "match": "ANY", "rules": [{ "messageCountAtLeast": 2 }, { "isCustomer": false }] })).await,
        3
    );
    let bad = app
        .gql(
            Some(&owner.access_token),
            "query($d: SegmentDefinitionInput!) { segmentPreview(definition: $d) { count } }",
            json!({ "d": { "rules": [{ "city": [] }] } }),
        )
        .await;
    assert_eq!(error_code(&bad), "BAD_USER_INPUT");
    assert_eq!(error_ext(&bad, "field"), "rules");

    let dynamic = segment(&app, &owner, json!([{ "createdWithinDays": 30 }]), false).await;
    let frozen = segment(&app, &owner, json!([{ "createdWithinDays": 30 }]), true).await;
    new_contact(&app, &owner, json!({ "firstName": "Nuevo" })).await;
    let sizes = app
        .ok(
            Some(&owner.access_token),
            "query($a: ID!, $b: ID!) { a: segment(id: $a) { kind contactCount } b: segment(id: $b) { kind contactCount frozenAt } }",
            json!({ "a": dynamic, "b": frozen }),
        )
        .await;
    assert_eq!(sizes["a"]["contactCount"], 4, "{sizes}");
    assert_eq!(sizes["b"]["kind"], "STATIC");
    assert_eq!(
        sizes["b"]["contactCount"], 3,
        "frozen before the new contact"
    );
}

#[tokio::test]
async fn the_monthly_message_allowance_of_the_plan_is_enforced_at_start() {
    let (app, _sink, _double) = app_with_smtp_and_providers(|c| c.in_process_workers = false).await;
    let owner = app.sign_up().await;
    let channel = email_channel(&app, &owner).await;
    bulk_contacts(&app, &owner, 600, "Toluca").await;
    let segment = segment(&app, &owner, json!([{ "city": ["Toluca"] }]), false).await;
    let first = email_campaign(&app, &owner, &channel, &segment, 500).await;
    let started = campaign_action(&app, &owner, "startCampaign", &first).await;
    assert_eq!(
        started["data"]["startCampaign"]["status"], "SENDING",
        "{started}"
    );
    let second = email_campaign(&app, &owner, &channel, &segment, 500).await;
    let refused = campaign_action(&app, &owner, "startCampaign", &second).await;
    assert_eq!(
        error_code(&refused),
        "PLAN_LIMIT",
        "600 + 600 is past the free plan's 1,000"
    );
    assert_eq!(
        campaign_state(&app, &owner, &second).await["status"],
        "DRAFT",
        "nothing half-done"
    );
    app.on_plan(&owner, "pro").await;
    let started = campaign_action(&app, &owner, "startCampaign", &second).await;
    assert_eq!(started["data"]["startCampaign"]["recipientCount"], 600);
}

#[tokio::test]
async fn a_campaign_keeps_to_its_channels_send_rate() {
    let (app, _sink, double) = app_with_smtp_and_providers(|_| {}).await;
    let owner = app.sign_up().await;
    let token = Some(owner.access_token.as_str());
    let channel = app
        .ok(
            token,
            "mutation($input: CreateChannelInput!) { createChannel(input: $input) { id } }",
            json!({ "input": { "kind": "SMS", "name": "SMS", "address": format!("+{}", unique_phone()),
                               "accountId": TWILIO_SID, "token": TWILIO_TOKEN, "sendRatePerSecond": 3 } }),
        )
        .await;
    for i in 0..7 {
        new_contact(
            &app,
            &owner,
            json!({ "firstName": format!("C{i}"), "phone": format!("+{}", unique_phone()), "tags": ["ritmo"] }),
        )
        .await;
    }
    let segment = segment(&app, &owner, json!([{ "hasTag": "ritmo" }]), false).await;
    let created = app
        .ok(
            token,
            "mutation($input: CreateCampaignInput!) { createCampaign(input: $input) { id } }",
            json!({ "input": { "name": "Ritmo", "channelId": channel["createChannel"]["id"], "segmentId": segment,
                               "body": "Hola {{first_name}}, hoy hay promoción." } }),
        )
        .await;
    let campaign = text(&created["createCampaign"]["id"]);
    campaign_action(&app, &owner, "startCampaign", &campaign).await;
    let done = until_status(&app, &owner, &campaign, "COMPLETED").await;
    assert_eq!(done["metrics"]["sent"], 7, "{done}");
    let calls = double.calls("twilio.messages");
    assert_eq!(calls.len(), 7);
    assert!(
        calls
            .iter()
            .any(|c| c.body["Body"] == "Hola C0, hoy hay promoción.")
    );
    // At 3 a second, 7 messages take three windows of a second: the last one leaves at
    // least a second after the first.
    let first = calls.iter().map(|c| c.at).min().expect("first");
    let last = calls.iter().map(|c| c.at).max().expect("last");
    assert!(last - first >= Duration::from_secs(1), "{:?}", last - first);
}

#[tokio::test]
async fn a_reply_on_an_email_channel_goes_out_from_its_identity() {
    let (app, mut sink, _double) = app_with_smtp_and_providers(|_| {}).await;
    let owner = app.sign_up().await;
    sink.next_to(&owner.email).await;
    let channel = email_channel(&app, &owner).await;
    let email = format!("{}@example.mx", unique("hugo"));
    let contact = new_contact(&app, &owner, json!({ "firstName": "Hugo", "email": email })).await;
    let token = Some(owner.access_token.as_str());
    let conversation = app
        .ok(
            token,
            "mutation($input: StartConversationInput!) { startConversation(input: $input) { id } }",
            json!({ "input": { "contactId": contact, "channelId": channel } }),
        )
        .await;
    let id = text(&conversation["startConversation"]["id"]);
    app.ok(
        token,
        "mutation($input: SendMessageInput!) { sendMessage(input: $input) { id } }",
        json!({ "input": { "conversationId": id, "content": { "text": "Su pedido sale mañana." } } }),
    )
    .await;
    let mail = sink.next_to(&email).await;
    let from = mail.header("From").expect("from");
    assert!(from.contains("@tortilleria.mx"), "{from}");
    assert!(mail.data.contains("Su pedido sale ma"), "{}", mail.data);
    let state = crate::helpers::eventually(
        &app,
        &owner,
        "{ conversations { edges { node { messages { edges { node { status providerMessageId } } } } } } }",
        |s| s["conversations"]["edges"][0]["node"]["messages"]["edges"][0]["node"]["status"] == "SENT",
    )
    .await;
    let message_id = text(
        &state["conversations"]["edges"][0]["node"]["messages"]["edges"][0]["node"]["providerMessageId"],
    );
    assert!(
        mail.header("Message-ID")
            .is_some_and(|m| m.contains(&message_id)),
        "the sent message's id is the email's"
    );
    sink.assert_quiet(Duration::from_millis(300)).await;
}
