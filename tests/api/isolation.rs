//! Another tenant can neither see nor touch a tenant's records, through any operation.

use crate::edge::{next_message, send_subscription, subscribe};
use crate::fixtures::{
    automation::*, billing::*, commerce::*, crm::*, iot::*, marketing::*, messaging::*,
};
use crate::helpers::*;
use crate::messaging_double::inbound_text;
use crate::webhook_receiver::Receiver;
use serde_json::{Value, json};
use std::time::Duration;

struct TenantA {
    owner: Session,
    role_id: String,
    member_id: String,
    invitation_id: String,
    api_key_id: String,
}

async fn tenant_with_one_of_everything(app: &TestApp) -> TenantA {
    let owner = app.sign_up().await;
    let token = Some(owner.access_token.as_str());
    let role = app
        .ok(token, "mutation { createRole(input: { name: \"Secreto\", permissions: [\"users.read\"] }) { id } }", json!({}))
        .await;
    let role_id = text(&role["createRole"]["id"]);
    let member = app.join_as(&owner, "sales").await;
    let members = app
        .ok(
            token,
            "{ members(first: 10) { edges { node { id user { email } } } } }",
            json!({}),
        )
        .await;
    let member_id = members["members"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .find(|e| e["node"]["user"]["email"] == member.email)
        .map(|e| text(&e["node"]["id"]))
        .expect("member");
    let invitation = app
        .ok(
            token,
            "mutation($r: ID!) { createInvitation(input: { email: \"pending@example.mx\", roleId: $r }) { invitation { id } } }",
            json!({ "r": role_id }),
        )
        .await;
    let key = app
        .ok(token, "mutation { createApiKey(input: { name: \"k\", scopes: [\"users.read\"] }) { apiKey { id } } }", json!({}))
        .await;
    TenantA {
        owner,
        role_id,
        member_id,
        invitation_id: text(&invitation["createInvitation"]["invitation"]["id"]),
        api_key_id: text(&key["createApiKey"]["apiKey"]["id"]),
    }
}

fn ids(body: &Value, field: &str) -> Vec<String> {
    body[field]["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("no {field} in {body}"))
        .iter()
        .map(|e| text(&e["node"]["id"]))
        .collect()
}

#[tokio::test]
async fn another_tenant_cannot_list_any_tenancy_record() {
    let app = TestApp::spawn().await;
    let a = tenant_with_one_of_everything(&app).await;
    let b = app.sign_up().await;
    let lists = app
        .ok(
            Some(&b.access_token),
            "{ roles(first: 100) { edges { node { id } } } members(first: 100) { edges { node { id } } }
               invitations(first: 100) { edges { node { id } } } apiKeys(first: 100) { edges { node { id } } }
               auditLogs(first: 100) { edges { node { id subjectId } } } tenant { id } me { memberships { tenant { id } } } }",
            json!({}),
        )
        .await;
    assert!(!ids(&lists, "roles").contains(&a.role_id));
    assert!(!ids(&lists, "members").contains(&a.member_id));
    assert!(!ids(&lists, "invitations").contains(&a.invitation_id));
    assert!(!ids(&lists, "apiKeys").contains(&a.api_key_id));
    assert_eq!(ids(&lists, "members").len(), 1);
    assert_eq!(ids(&lists, "invitations").len(), 0);
    assert_eq!(ids(&lists, "apiKeys").len(), 0);
    for entry in lists["auditLogs"]["edges"].as_array().expect("edges") {
        assert_ne!(entry["node"]["subjectId"], json!(a.role_id));
    }
    assert_eq!(lists["tenant"]["id"], b.tenant_id);
    assert_eq!(
        lists["me"]["memberships"].as_array().expect("list").len(),
        1
    );
    let filtered = app
        .ok(
            Some(&b.access_token),
            "query($s: ID!) { auditLogs(filter: { subjectId: $s }) { totalCount } }",
            json!({ "s": a.role_id }),
        )
        .await;
    assert_eq!(filtered["auditLogs"]["totalCount"], 0);
}

#[tokio::test]
async fn another_tenant_cannot_change_or_delete_any_tenancy_record() {
    let app = TestApp::spawn().await;
    let a = tenant_with_one_of_everything(&app).await;
    let b = app.sign_up().await;
    let b_role = app.role_id(&b, "viewer").await;
    let b_member = app
        .ok(
            Some(&b.access_token),
            "{ members { edges { node { id } } } }",
            json!({}),
        )
        .await["members"]["edges"][0]["node"]["id"]
        .clone();
    let attempts = [
        (
            "mutation($id: ID!) { updateRole(input: { id: $id, name: \"x\" }) { id } }",
            json!({ "id": a.role_id }),
            "NOT_FOUND",
        ),
        (
            "mutation($id: ID!) { deleteRole(input: { id: $id }) }",
            json!({ "id": a.role_id }),
            "NOT_FOUND",
        ),
        (
            "mutation($id: ID!) { revokeInvitation(input: { id: $id }) { id } }",
            json!({ "id": a.invitation_id }),
            "NOT_FOUND",
        ),
        (
            "mutation($id: ID!) { revokeApiKey(input: { id: $id }) { id } }",
            json!({ "id": a.api_key_id }),
            "NOT_FOUND",
        ),
        (
            "mutation($id: ID!) { suspendMember(input: { id: $id }) { id } }",
            json!({ "id": a.member_id }),
            "NOT_FOUND",
        ),
        (
            "mutation($id: ID!) { removeMember(input: { id: $id }) }",
            json!({ "id": a.member_id }),
            "NOT_FOUND",
        ),
        (
            "mutation($m: ID!, $r: ID!) { changeMemberRole(input: { memberId: $m, roleId: $r }) { id } }",
            json!({ "m": a.member_id, "r": b_role }),
            "NOT_FOUND",
        ),
        (
            "mutation($m: ID!, $r: ID!) { changeMemberRole(input: { memberId: $m, roleId: $r }) { id } }",
            json!({ "m": b_member, "r": a.role_id }),
            "BAD_USER_INPUT",
        ),
        (
            "mutation($r: ID!) { createInvitation(input: { email: \"x@example.mx\", roleId: $r }) { token } }",
            json!({ "r": a.role_id }),
            "BAD_USER_INPUT",
        ),
        (
            "mutation($id: ID!) { switchTenant(input: { tenantId: $id }) { accessToken } }",
            json!({ "id": a.owner.tenant_id }),
            "NOT_FOUND",
        ),
    ];
    for (query, variables, code) in attempts {
        let body = app.gql(Some(&b.access_token), query, variables).await;
        assert_eq!(error_code(&body), code, "{query}: {body}");
    }

    // Everything of A's is as it was.
    let a_view = app
        .ok(
            Some(&a.owner.access_token),
            "{ roles(first: 100) { edges { node { id name } } } members { edges { node { id status } } }
               invitations(status: PENDING) { totalCount } apiKeys { edges { node { revokedAt } } } }",
            json!({}),
        )
        .await;
    assert!(
        a_view["roles"]["edges"]
            .as_array()
            .expect("edges")
            .iter()
            .any(|e| e["node"]["name"] == "Secreto")
    );
    assert!(
        a_view["members"]["edges"]
            .as_array()
            .expect("edges")
            .iter()
            .all(|e| e["node"]["status"] == "ACTIVE")
    );
    assert_eq!(
        a_view["members"]["edges"].as_array().expect("edges").len(),
        2
    );
    assert_eq!(a_view["invitations"]["totalCount"], 1);
    assert!(a_view["apiKeys"]["edges"][0]["node"]["revokedAt"].is_null());
}

#[tokio::test]
async fn an_api_key_of_one_tenant_reads_only_that_tenant() {
    let app = TestApp::spawn().await;
    let a = app.sign_up().await;
    let b = app.sign_up().await;
    let key = app
        .ok(Some(&a.access_token), "mutation { createApiKey(input: { name: \"k\", scopes: [\"users.read\"] }) { secret } }", json!({}))
        .await;
    let secret = text(&key["createApiKey"]["secret"]);
    let members = app
        .ok(
            Some(&secret),
            "{ members { edges { node { user { email } } } } }",
            json!({}),
        )
        .await;
    let emails: Vec<String> = members["members"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| text(&e["node"]["user"]["email"]))
        .collect();
    assert_eq!(emails, [a.email]);
    assert!(!emails.contains(&b.email));
}

struct CrmOfA {
    owner: Session,
    contact: String,
    company: String,
    lead: String,
    stage: String,
    pipeline: String,
    activity: String,
    task: String,
    proposal: String,
    field: String,
}

async fn crm_of_one_tenant(app: &TestApp) -> CrmOfA {
    use crate::fixtures::crm::{LOG_ACTIVITY, create, new_company, new_contact, new_lead, stages};
    let owner = app.sign_up().await;
    let token = Some(owner.access_token.as_str());
    let field = app
        .ok(token, "mutation { createCustomField(input: { entity: CONTACT, key: \"secreto\", label: \"Secreto\", kind: TEXT }) { id } }", json!({}))
        .await["createCustomField"]["id"]
        .clone();
    let company = new_company(
        app,
        &owner,
        json!({ "name": "Secreta SA", "rfc": "SEC900317AB1" }),
    )
    .await;
    let contact = new_contact(app, &owner, json!({ "firstName": "Secreta", "email": "secreta@example.mx", "companyId": company, "customFields": { "secreto": "x" } })).await;
    let lead = new_lead(
        app,
        &owner,
        json!({ "title": "Trato secreto", "contactId": contact, "value": "1000" }),
    )
    .await;
    let activity = create(
        app,
        &owner,
        LOG_ACTIVITY,
        "logActivity",
        json!({ "kind": "NOTE", "subject": "nota secreta", "leadId": lead }),
    )
    .await;
    let task = create(app, &owner, LOG_ACTIVITY, "logActivity", json!({ "kind": "TASK", "subject": "tarea secreta", "leadId": lead, "dueAt": "2000-01-01T00:00:00Z" })).await;
    let proposal = app
        .ok(token, "mutation($c: ID!) { createProposal(input: { title: \"Secreta\", contactId: $c, items: [{ description: \"x\", quantity: \"1\", unitPrice: \"1\" }] }) { id } }", json!({ "c": contact }))
        .await["createProposal"]["id"]
        .clone();
    let pipeline = app.ok(token, "{ pipeline { id } }", json!({})).await["pipeline"]["id"].clone();
    CrmOfA {
        stage: stages(app, &owner).await[1].0.clone(),
        owner,
        contact,
        company,
        lead,
        pipeline: text(&pipeline),
        activity: text(&activity["id"]),
        task: text(&task["id"]),
        proposal: text(&proposal),
        field: text(&field),
    }
}

#[tokio::test]
async fn another_tenant_cannot_see_any_crm_record() {
    let app = TestApp::spawn().await;
    let a = crm_of_one_tenant(&app).await;
    let b = app.sign_up().await;
    let token = Some(b.access_token.as_str());
    let lists = app
        .ok(
            token,
            "{ contacts(first: 100) { edges { node { id } } } companies(first: 100) { edges { node { id } } }
               leads(first: 100) { edges { node { id } } } activities(first: 100) { edges { node { id } } }
               proposals(first: 100) { edges { node { id } } } pipelines { id stages { id } }
               customFieldDefinitions { id } overdueTaskCount
               pipelineSummary { count }
               found: contacts(filter: { search: \"secreta\" }) { totalCount } }",
            json!({}),
        )
        .await;
    for list in ["contacts", "companies", "leads", "activities", "proposals"] {
        assert_eq!(ids(&lists, list), Vec::<String>::new(), "{list}");
    }
    let pipelines = lists["pipelines"].as_array().expect("pipelines");
    assert_eq!(pipelines.len(), 1, "B has its own default pipeline");
    assert_ne!(pipelines[0]["id"], a.pipeline.as_str());
    assert!(
        pipelines[0]["stages"]
            .as_array()
            .expect("stages")
            .iter()
            .all(|s| s["id"] != a.stage.as_str())
    );
    assert_eq!(lists["customFieldDefinitions"], json!([]));
    assert_eq!(lists["overdueTaskCount"], 0);
    assert!(
        lists["pipelineSummary"]
            .as_array()
            .expect("summary")
            .iter()
            .all(|s| s["count"] == 0)
    );
    assert_eq!(lists["found"]["totalCount"], 0);
    let by_field = app
        .gql(
            token,
            "{ contacts(filter: { customFields: [{ key: \"secreto\", equals: \"x\" }] }) { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(
        error_ext(&by_field, "field"),
        "customFields",
        "A's custom field does not exist for B"
    );

    for (query, id) in [
        ("query($id: ID!) { contact(id: $id) { id } }", &a.contact),
        ("query($id: ID!) { company(id: $id) { id } }", &a.company),
        ("query($id: ID!) { lead(id: $id) { id } }", &a.lead),
        ("query($id: ID!) { proposal(id: $id) { id } }", &a.proposal),
        ("query($id: ID!) { pipeline(id: $id) { id } }", &a.pipeline),
    ] {
        let body = app.gql(token, query, json!({ "id": id })).await;
        assert_eq!(error_code(&body), "NOT_FOUND", "{query}: {body}");
    }
}

#[tokio::test]
async fn another_tenant_cannot_change_link_or_delete_any_crm_record() {
    let app = TestApp::spawn().await;
    let a = crm_of_one_tenant(&app).await;
    let b = app.sign_up().await;
    let b_contact =
        crate::fixtures::crm::new_contact(&app, &b, json!({ "firstName": "Propia" })).await;
    let b_lead = crate::fixtures::crm::new_lead(
        &app,
        &b,
        json!({ "title": "Propio", "contactId": b_contact }),
    )
    .await;
    let attempts = [
        (
            "mutation($id: ID!) { updateContact(input: { id: $id, firstName: \"x\" }) { id } }",
            json!({ "id": a.contact }),
            "NOT_FOUND",
        ),
        (
            "mutation($id: ID!) { deleteContact(input: { id: $id }) }",
            json!({ "id": a.contact }),
            "NOT_FOUND",
        ),
        (
            "mutation($id: ID!) { updateCompany(input: { id: $id, name: \"x\" }) { id } }",
            json!({ "id": a.company }),
            "NOT_FOUND",
        ),
        (
            "mutation($id: ID!) { deleteCompany(input: { id: $id }) }",
            json!({ "id": a.company }),
            "NOT_FOUND",
        ),
        (
            "mutation($s: ID!, $m: ID!) { mergeContacts(input: { survivorId: $s, mergedId: $m }) { id } }",
            json!({ "s": b_contact, "m": a.contact }),
            "NOT_FOUND",
        ),
        (
            "mutation($id: ID!) { updateLead(input: { id: $id, title: \"x\" }) { id } }",
            json!({ "id": a.lead }),
            "NOT_FOUND",
        ),
        (
            "mutation($id: ID!, $s: ID!) { moveLead(input: { id: $id, stageId: $s }) { id } }",
            json!({ "id": a.lead, "s": a.stage }),
            "NOT_FOUND",
        ),
        (
            "mutation($id: ID!, $s: ID!) { moveLead(input: { id: $id, stageId: $s }) { id } }",
            json!({ "id": b_lead, "s": a.stage }),
            "BAD_USER_INPUT",
        ),
        (
            "mutation($id: ID!) { deleteLead(input: { id: $id }) }",
            json!({ "id": a.lead }),
            "NOT_FOUND",
        ),
        (
            "mutation($c: ID!) { createLead(input: { title: \"x\", contactId: $c }) { id } }",
            json!({ "c": a.contact }),
            "BAD_USER_INPUT",
        ),
        (
            "mutation($l: ID!) { logActivity(input: { kind: NOTE, subject: \"x\", leadId: $l }) { id } }",
            json!({ "l": a.lead }),
            "BAD_USER_INPUT",
        ),
        (
            "mutation($id: ID!) { updateActivity(input: { id: $id, subject: \"x\" }) { id } }",
            json!({ "id": a.activity }),
            "NOT_FOUND",
        ),
        (
            "mutation($id: ID!) { setTaskDone(input: { id: $id }) { id } }",
            json!({ "id": a.task }),
            "NOT_FOUND",
        ),
        (
            "mutation($id: ID!) { deleteActivity(input: { id: $id }) }",
            json!({ "id": a.activity }),
            "NOT_FOUND",
        ),
        (
            "mutation($id: ID!) { updateProposal(input: { id: $id, title: \"x\" }) { id } }",
            json!({ "id": a.proposal }),
            "NOT_FOUND",
        ),
        (
            "mutation($id: ID!) { sendProposal(input: { id: $id, to: \"b@example.mx\" }) { id } }",
            json!({ "id": a.proposal }),
            "NOT_FOUND",
        ),
        (
            "mutation($id: ID!) { renderProposalPdf(id: $id) { file { id } } }",
            json!({ "id": a.proposal }),
            "NOT_FOUND",
        ),
        (
            "mutation($id: ID!) { acceptProposal(input: { id: $id, acceptedBy: \"x\" }) { id } }",
            json!({ "id": a.proposal }),
            "NOT_FOUND",
        ),
        (
            "mutation($c: ID!) { createProposal(input: { title: \"x\", contactId: $c, items: [{ description: \"x\", quantity: \"1\", unitPrice: \"1\" }] }) { id } }",
            json!({ "c": a.contact }),
            "BAD_USER_INPUT",
        ),
        (
            "mutation($id: ID!) { updatePipeline(input: { id: $id, name: \"x\" }) { id } }",
            json!({ "id": a.pipeline }),
            "NOT_FOUND",
        ),
        (
            "mutation($id: ID!) { updateCustomField(input: { id: $id, label: \"x\" }) { id } }",
            json!({ "id": a.field }),
            "NOT_FOUND",
        ),
        (
            "mutation($id: ID!) { deleteCustomField(input: { id: $id }) }",
            json!({ "id": a.field }),
            "NOT_FOUND",
        ),
    ];
    for (query, variables, code) in attempts {
        let body = app.gql(Some(&b.access_token), query, variables).await;
        assert_eq!(error_code(&body), code, "{query}: {body}");
    }

    // Everything of A's is as it was.
    let a_view = app
        .ok(
            Some(&a.owner.access_token),
            "query($c: ID!, $l: ID!, $p: ID!) { contact(id: $c) { firstName } lead(id: $l) { title stage { name } recentActivities { subject } }
               proposal(id: $p) { title status } customFieldDefinitions { label } activities(filter: { taskState: OPEN }) { totalCount } }",
            json!({ "c": a.contact, "l": a.lead, "p": a.proposal }),
        )
        .await;
    assert_eq!(a_view["contact"]["firstName"], "Secreta");
    assert_eq!(a_view["lead"]["title"], "Trato secreto");
    assert_eq!(a_view["lead"]["stage"]["name"], "Nuevo");
    assert_eq!(
        a_view["lead"]["recentActivities"][0]["subject"],
        "nota secreta"
    );
    assert_eq!(
        a_view["proposal"],
        json!({ "title": "Secreta", "status": "DRAFT" })
    );
    assert_eq!(
        a_view["customFieldDefinitions"],
        json!([{ "label": "Secreto" }])
    );
    assert_eq!(a_view["activities"]["totalCount"], 1);
}

#[tokio::test]
async fn one_tenants_settings_and_numbering_leave_anothers_alone() {
    let app = TestApp::spawn().await;
    let a = app.sign_up().await;
    let b = app.sign_up().await;
    let config = "{ leadScoring { sourcePoints { source points } budgetPoints { min points } pointsPerActivity engagementMax engagementWindowDays recencyPoints { days points } stageWeight } telemetryRetentionDays }";
    let defaults = app.ok(Some(&b.access_token), config, json!({})).await;
    let mut scoring = defaults["leadScoring"].clone();
    scoring["stageWeight"] = json!(55);
    app.ok(
        Some(&a.access_token),
        "mutation($input: LeadScoringInput!) { setLeadScoring(input: $input) { stageWeight } }",
        json!({ "input": scoring }),
    )
    .await;
    app.ok(
        Some(&a.access_token),
        "mutation { setTelemetryRetention(input: { days: 7 }) }",
        json!({}),
    )
    .await;
    let propose = "mutation($c: ID!) { createProposal(input: { title: \"x\", contactId: $c, items: [{ description: \"x\", quantity: \"1\", unitPrice: \"1\" }] }) { number } }";
    let a_contact = crate::fixtures::crm::new_contact(&app, &a, json!({ "firstName": "A" })).await;
    for _ in 0..2 {
        app.ok(Some(&a.access_token), propose, json!({ "c": a_contact }))
            .await;
    }

    assert_eq!(
        app.ok(Some(&b.access_token), config, json!({})).await,
        defaults,
        "B keeps its own settings"
    );
    let b_contact = crate::fixtures::crm::new_contact(&app, &b, json!({ "firstName": "B" })).await;
    let first = app
        .ok(Some(&b.access_token), propose, json!({ "c": b_contact }))
        .await;
    assert!(
        text(&first["createProposal"]["number"]).ends_with("-0001"),
        "B numbers from 1: {first}"
    );
}

#[tokio::test]
async fn another_business_can_neither_see_nor_touch_rules_and_alerts() {
    let app = TestApp::spawn().await;
    let owner = app.sign_up().await;
    let rival = app.sign_up().await;
    let (device, token) = new_device(&app, &owner, json!({ "name": "Cámara" })).await;
    let rule = create_rule(
        &app,
        &owner,
        json!({ "name": "Caliente", "deviceId": device, "severity": "CRITICAL",
                "condition": { "threshold": { "key": "t", "op": "GT", "value": 5 } } }),
    )
    .await;
    let mut rival_ws = subscribe(&app, &rival, ALERT_EVENTS, json!({ "min": "INFO" })).await;
    let mut owner_ws = subscribe(&app, &owner, ALERT_EVENTS, json!({ "min": "INFO" })).await;
    post_telemetry(&app, &token, r#"{"t": 9}"#).await;
    let alert = text(&next_event(&mut owner_ws).await["alert"]["id"]);

    let seen = app
        .ok(
            Some(&rival.access_token),
            "{ alertRules { id } alerts { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(
        seen,
        json!({ "alertRules": [], "alerts": { "totalCount": 0 } })
    );
    for (query, variables) in [
        (
            "query($id: ID!) { alertRule(id: $id) { id } }",
            json!({ "id": rule }),
        ),
        (
            "query($id: ID!) { alert(id: $id) { id } }",
            json!({ "id": alert }),
        ),
        (
            "mutation($id: ID!) { acknowledgeAlert(input: { id: $id }) { id } }",
            json!({ "id": alert }),
        ),
        (
            "mutation($id: ID!) { clearAlert(input: { id: $id }) { id } }",
            json!({ "id": alert }),
        ),
        (
            "mutation($id: ID!) { updateAlertRule(input: { id: $id, enabled: false }) { id } }",
            json!({ "id": rule }),
        ),
        (
            "mutation($id: ID!) { deleteAlertRule(input: { id: $id }) }",
            json!({ "id": rule }),
        ),
        (
            "mutation($id: ID!) { createAlertRule(input: { name: \"x\", deviceId: $id, severity: INFO, condition: { noData: { minutes: 1 } } }) { id } }",
            json!({ "id": device }),
        ),
    ] {
        let refused = app.gql(Some(&rival.access_token), query, variables).await;
        assert_eq!(
            refused["errors"][0]["extensions"]["code"], "NOT_FOUND",
            "{query}: {refused}"
        );
    }
    let still = app
        .ok(
            Some(&owner.access_token),
            "query($id: ID!) { alert(id: $id) { status rule { enabled } } }",
            json!({ "id": alert }),
        )
        .await;
    assert_eq!(
        still["alert"],
        json!({ "status": "ACTIVE", "rule": { "enabled": true } })
    );

    // The rival's subscriber hears its own alert first: the owner's never reached it.
    let (rival_device, rival_token) = new_device(&app, &rival, json!({ "name": "Suyo" })).await;
    create_rule(
        &app,
        &rival,
        json!({ "name": "Propia", "deviceId": rival_device, "severity": "INFO",
                "condition": { "threshold": { "key": "t", "op": "GT", "value": 5 } } }),
    )
    .await;
    post_telemetry(&app, &rival_token, r#"{"t": 9}"#).await;
    let first = next_event(&mut rival_ws).await;
    assert_eq!(first["alert"]["rule"]["name"], "Propia");
}

#[tokio::test]
async fn another_business_can_neither_see_nor_touch_invoices_or_the_fiscal_profile() {
    let app = TestApp::spawn().await;
    let owner = invoicing_business(&app).await;
    let id = draft(&app, &owner, receiver()).await;
    let other = app.sign_up().await;
    let token = Some(other.access_token.as_str());
    let profile = app.ok(token, "{ fiscalProfile { rfc } }", json!({})).await;
    assert_eq!(profile["fiscalProfile"], Value::Null);
    let listed = app
        .ok(token, "{ invoices(first: 10) { totalCount } }", json!({}))
        .await;
    assert_eq!(listed["invoices"]["totalCount"], 0);
    for (query, vars) in [
        (STATE, json!({ "id": id })),
        (STAMP, json!({ "id": id })),
        (
            "mutation($id: ID!) { updateInvoice(input: { id: $id, paymentForm: \"01\" }) { id } }",
            json!({ "id": id }),
        ),
        (
            "mutation($id: ID!) { cancelInvoice(input: { id: $id, motive: \"02\" }) { id } }",
            json!({ "id": id }),
        ),
        (
            "mutation($id: ID!) { renderInvoicePdf(id: $id) { file { id } } }",
            json!({ "id": id }),
        ),
    ] {
        let body = app.gql(token, query, vars).await;
        assert_eq!(error_code(&body), "NOT_FOUND", "{query}: {body}");
    }
    let state = app
        .ok(Some(&owner.access_token), STATE, json!({ "id": id }))
        .await;
    assert_eq!(state["invoice"]["status"], "DRAFT");
}

#[tokio::test]
async fn another_business_can_neither_see_nor_touch_channels_conversations_templates_segments_or_campaigns()
 {
    let (app, _sink, double) = app_with_smtp_and_providers(|_| {}).await;
    let a = app.sign_up().await;
    let b = app.sign_up().await;
    let wa = whatsapp_channel(&app, &a).await;
    let body = inbound_text(
        &wa.phone_number_id,
        &unique_phone(),
        "Lupita",
        &unique("wamid."),
        "hola",
    );
    webhook(&app, &body, None).await;
    let template = approved_template(&app, &a, &wa, &double).await;
    let email = email_channel(&app, &a).await;
    let contact_email = format!("{}@example.mx", unique("iso"));
    new_contact(
        &app,
        &a,
        json!({ "firstName": "Iso", "email": contact_email, "city": "Colima" }),
    )
    .await;
    let segment = segment(&app, &a, json!([{ "city": ["Colima"] }]), false).await;
    let campaign = email_campaign(&app, &a, &email, &segment, 10).await;
    let a_token = Some(a.access_token.as_str());
    let inbox = app
        .ok(a_token, "{ conversations { edges { node { id contact { id } messages { edges { node { id } } } } } } }", json!({}))
        .await;
    let conversation = text(&inbox["conversations"]["edges"][0]["node"]["id"]);
    let contact = text(&inbox["conversations"]["edges"][0]["node"]["contact"]["id"]);

    let b_token = Some(b.access_token.as_str());
    let lists = app
        .ok(
            b_token,
            "{ channels { id } conversations { totalCount } messageTemplates { id } segments { totalCount } campaigns { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(lists["channels"], json!([]), "{lists}");
    assert_eq!(lists["conversations"]["totalCount"], 0);
    assert_eq!(lists["messageTemplates"], json!([]));
    assert_eq!(lists["segments"]["totalCount"], 0);
    assert_eq!(lists["campaigns"]["totalCount"], 0);

    let not_found = |body: &Value| assert_eq!(error_code(body), "NOT_FOUND", "{body}");
    for (query, id) in [
        (
            "query($id: ID!) { conversation(id: $id) { id } }",
            &conversation,
        ),
        (
            "query($id: ID!) { messageTemplate(id: $id) { id } }",
            &template,
        ),
        ("query($id: ID!) { segment(id: $id) { id } }", &segment),
        ("query($id: ID!) { campaign(id: $id) { id } }", &campaign),
    ] {
        not_found(&app.gql(b_token, query, json!({ "id": id })).await);
    }
    let touches: [(&str, Value); 12] = [
        (
            "mutation($input: UpdateChannelInput!) { updateChannel(input: $input) { id } }",
            json!({ "id": wa.channel_id, "active": false }),
        ),
        (
            "mutation($input: SendMessageInput!) { sendMessage(input: $input) { id } }",
            json!({ "conversationId": conversation, "content": { "text": "hola" } }),
        ),
        (
            "mutation($input: AddConversationNoteInput!) { addConversationNote(input: $input) { id } }",
            json!({ "conversationId": conversation, "text": "nota" }),
        ),
        (
            "mutation($input: SetConversationStatusInput!) { setConversationStatus(input: $input) { id } }",
            json!({ "conversationId": conversation, "status": "CLOSED" }),
        ),
        (
            "mutation($input: SetConversationLabelsInput!) { setConversationLabels(input: $input) { id } }",
            json!({ "conversationId": conversation, "labels": ["x"] }),
        ),
        (
            "mutation($input: ConversationRef!) { markConversationRead(input: $input) { id } }",
            json!({ "conversationId": conversation }),
        ),
        (
            "mutation($input: SetContactOptOutInput!) { setContactOptOut(input: $input) }",
            json!({ "contactId": contact, "channelKind": "WHATSAPP", "optedOut": true }),
        ),
        (
            "mutation($input: UpdateMessageTemplateInput!) { updateMessageTemplate(input: $input) { id } }",
            json!({ "id": template, "content": { "body": "x" } }),
        ),
        (
            "mutation($input: TemplateRef!) { submitMessageTemplate(input: $input) { id } }",
            json!({ "id": template }),
        ),
        (
            "mutation($input: UpdateSegmentInput!) { updateSegment(input: $input) { id } }",
            json!({ "id": segment, "name": "mío" }),
        ),
        (
            "mutation($input: UpdateCampaignInput!) { updateCampaign(input: $input) { id } }",
            json!({ "id": campaign, "name": "mía" }),
        ),
        (
            "mutation($input: CampaignRef!) { startCampaign(input: $input) { id } }",
            json!({ "id": campaign }),
        ),
    ];
    for (mutation, input) in touches {
        not_found(&app.gql(b_token, mutation, json!({ "input": input })).await);
    }
    // B cannot aim its own records at A's: a conversation with A's contact, a campaign to
    // A's segment on A's channel.
    let start = app
        .gql(
            b_token,
            "mutation($input: StartConversationInput!) { startConversation(input: $input) { id } }",
            json!({ "input": { "contactId": contact, "channelId": wa.channel_id } }),
        )
        .await;
    assert_eq!(error_code(&start), "BAD_USER_INPUT", "{start}");
    let aimed = app
        .gql(
            b_token,
            "mutation($input: CreateCampaignInput!) { createCampaign(input: $input) { id } }",
            json!({ "input": { "name": "x", "channelId": email, "segmentId": segment } }),
        )
        .await;
    assert_eq!(error_code(&aimed), "BAD_USER_INPUT", "{aimed}");
    // B's live inbox carries nothing of A's.
    let mut ws = crate::edge::subscribe(
        &app,
        &b,
        "subscription { inboxChanged { change } }",
        json!({}),
    )
    .await;
    webhook(
        &app,
        &inbound_text(
            &wa.phone_number_id,
            &unique_phone(),
            "Otro",
            &unique("wamid."),
            "hola",
        ),
        None,
    )
    .await;
    assert!(
        crate::edge::next_message(&mut ws, Duration::from_millis(500))
            .await
            .is_none()
    );

    // And A's records are as A left them.
    let still = app
        .ok(
            a_token,
            "query($id: ID!) { campaign(id: $id) { name status } }",
            json!({ "id": campaign }),
        )
        .await;
    assert_eq!(still["campaign"]["name"], "Buen Fin");
    assert_eq!(still["campaign"]["status"], "DRAFT");
}

#[tokio::test]
async fn another_tenant_can_neither_see_nor_touch_a_device_nor_hear_it() {
    let app = TestApp::spawn().await;
    let a = app.sign_up().await;
    let (device, device_token) = new_device(&app, &a, json!({ "name": "Secreto" })).await;
    assert_eq!(
        post_telemetry(&app, &device_token, r#"{"temperature": 1}"#)
            .await
            .0,
        200
    );
    let b = app.sign_up().await;
    let token = Some(b.access_token.as_str());
    let lists = app
        .ok(
            token,
            "{ devices { totalCount } deviceProfiles { id } }",
            json!({}),
        )
        .await;
    assert_eq!(lists["devices"]["totalCount"], 0);
    for (query, variables) in [
        (
            "query($id: ID!) { device(id: $id) { id } }",
            json!({ "id": device }),
        ),
        (
            "query($id: ID!) { telemetryHistory(deviceId: $id, key: \"temperature\", from: \"2026-01-01T00:00:00Z\", to: \"2027-01-01T00:00:00Z\", interval: 3600) { count } }",
            json!({ "id": device }),
        ),
        (
            "mutation($id: ID!) { updateDevice(input: { id: $id, name: \"x\" }) { id } }",
            json!({ "id": device }),
        ),
        (
            "mutation($id: ID!) { rotateDeviceToken(input: { id: $id }) { token } }",
            json!({ "id": device }),
        ),
        (
            "mutation($id: ID!) { revokeDeviceToken(input: { id: $id }) { id } }",
            json!({ "id": device }),
        ),
        (
            "mutation($id: ID!) { deleteDevice(input: { id: $id }) }",
            json!({ "id": device }),
        ),
    ] {
        let body = app.gql(token, query, variables).await;
        assert_eq!(error_code(&body), "NOT_FOUND", "{query}: {body}");
    }
    // B cannot listen to A's device either.
    let mut ws = send_subscription(&app, &b, DEVICE_TELEMETRY, json!({ "d": device })).await;
    let refused = next_message(&mut ws, Duration::from_secs(10))
        .await
        .expect("answer");
    assert_eq!(refused["payload"]["data"], Value::Null, "{refused}");
    assert_eq!(
        refused["payload"]["errors"][0]["extensions"]["code"],
        "NOT_FOUND"
    );
    // A's device still reports and keeps its value.
    assert_eq!(
        post_telemetry(&app, &device_token, r#"{"temperature": 2}"#)
            .await
            .0,
        200
    );
    let a_view = app
        .ok(
            Some(&a.access_token),
            "query($id: ID!) { device(id: $id) { name latest { number } } }",
            json!({ "id": device }),
        )
        .await;
    assert_eq!(
        a_view["device"],
        json!({ "name": "Secreto", "latest": [{ "number": 2.0 }] })
    );
}

#[tokio::test]
async fn another_tenant_can_neither_see_nor_touch_webhooks() {
    let app = TestApp::spawn().await;
    let a = app.sign_up().await;
    let b = app.sign_up().await;
    let mut a_receiver = Receiver::start().await;
    let mut b_receiver = Receiver::start().await;
    let (a_endpoint, _) = webhook_endpoint(&app, &a, &a_receiver.url, json!(["*"])).await;
    webhook_endpoint(&app, &b, &b_receiver.url, json!(["*"])).await;
    create_role(&app, &a).await;
    let delivered = a_receiver.next().await;
    let b_first = b_receiver.next().await;
    let event: Value = serde_json::from_str(&b_first.body).expect("json");
    assert_eq!(event["tenantid"], b.tenant_id, "B only gets its own events");
    b_receiver.assert_quiet(Duration::from_millis(500)).await;

    let a_delivery = eventually(
        &app,
        &a,
        "{ webhookDeliveries { edges { node { id eventId } } } }",
        |s| {
            s["webhookDeliveries"]["edges"].as_array().is_some_and(|e| {
                e.iter()
                    .any(|n| n["node"]["eventId"] == json!(delivered.event_id))
            })
        },
    )
    .await["webhookDeliveries"]["edges"][0]["node"]["id"]
        .clone();

    let lists = app
        .ok(Some(&b.access_token), "{ webhookEndpoints { edges { node { id } } } webhookDeliveries { edges { node { id } } } }", json!({}))
        .await;
    assert!(!lists.to_string().contains(&a_endpoint));
    assert!(!lists.to_string().contains(a_delivery.as_str().expect("id")));
    for (query, vars) in [
        (
            "mutation($id: ID!) { updateWebhookEndpoint(input: { id: $id, enabled: false }) { id } }",
            json!({ "id": a_endpoint }),
        ),
        (
            "mutation($id: ID!) { deleteWebhookEndpoint(input: { id: $id }) }",
            json!({ "id": a_endpoint }),
        ),
        (
            "mutation($id: ID!) { redeliverWebhook(input: { id: $id }) { id } }",
            json!({ "id": a_delivery }),
        ),
    ] {
        let body = app.gql(Some(&b.access_token), query, vars).await;
        assert_eq!(error_code(&body), "NOT_FOUND", "{query}: {body}");
    }
    let a_view = app
        .ok(
            Some(&a.access_token),
            "{ webhookEndpoints { edges { node { enabled } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        a_view["webhookEndpoints"]["edges"][0]["node"]["enabled"],
        true
    );
}

#[tokio::test]
async fn another_tenant_can_neither_see_nor_touch_commerce_records() {
    let app = TestApp::spawn().await;
    let shop = shop(&app).await;
    let a = &shop.owner;
    let a_token = Some(a.access_token.as_str());
    let category = app
        .ok(
            a_token,
            "mutation { createProductCategory(input: { name: \"Secreta\" }) { id } }",
            json!({}),
        )
        .await;
    let category = text(&category["createProductCategory"]["id"]);
    let sku = unique("SEC");
    let (product, variant) = product(
        &app,
        a,
        json!({ "name": "Secreto", "categoryId": category, "variants": [{ "sku": sku, "price": "10" }] }),
    )
    .await;
    receive(&app, a, &shop.location, &variant, "5", "4").await;
    let sold = app
        .ok(
            a_token,
            CREATE_TICKET,
            json!({ "input": cash_sale(&shop.session, &variant, "1", "10") }),
        )
        .await;
    let ticket = text(&sold["createTicket"]["id"]);
    let line = text(&sold["createTicket"]["lines"][0]["id"]);
    let count = app
        .ok(
            a_token,
            "mutation($l: ID!) { startStockCount(input: { locationId: $l }) { id } }",
            json!({ "l": shop.location }),
        )
        .await;
    let count = text(&count["startStockCount"]["id"]);

    let b = shop_of(&app, app.sign_up().await).await;
    let token = Some(b.owner.access_token.as_str());
    let lists = app
        .ok(
            token,
            "{ products { totalCount } productCategories { id } stockLocations { id } registers { id }
               stockLevels { totalCount } stockMovements { totalCount } cashSessions { totalCount } tickets { totalCount }
               stockCounts { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(lists["products"]["totalCount"], 0);
    assert_eq!(lists["productCategories"], json!([]));
    assert_eq!(
        lists["stockLocations"].as_array().map(Vec::len),
        Some(1),
        "only B's own"
    );
    assert_eq!(
        lists["registers"].as_array().map(Vec::len),
        Some(1),
        "only B's own"
    );
    assert_eq!(lists["stockLevels"]["totalCount"], 0);
    assert_eq!(lists["stockMovements"]["totalCount"], 0);
    assert_eq!(lists["cashSessions"]["totalCount"], 1, "only B's own");
    assert_eq!(lists["tickets"]["totalCount"], 0);
    assert_eq!(lists["stockCounts"]["totalCount"], 0);
    for (query, variables) in [
        (
            "query($id: ID!) { product(id: $id) { id } }",
            json!({ "id": product }),
        ),
        (
            "query($c: String!) { variantByCode(code: $c) { id } }",
            json!({ "c": sku }),
        ),
        (
            "query($id: ID!) { ticket(id: $id) { id } }",
            json!({ "id": ticket }),
        ),
        (
            "query($id: ID!) { ticketReceipt(id: $id) { text } }",
            json!({ "id": ticket }),
        ),
        (
            "mutation($id: ID!) { renderTicketReceiptPdf(id: $id) { file { id } } }",
            json!({ "id": ticket }),
        ),
        (
            "query($id: ID!) { cashSession(id: $id) { id } }",
            json!({ "id": shop.session }),
        ),
        (
            "mutation($id: ID!) { updateProduct(input: { id: $id, name: \"x\" }) { id } }",
            json!({ "id": product }),
        ),
        (
            "mutation($id: ID!) { updateProductVariant(input: { id: $id, price: \"1\" }) { id } }",
            json!({ "id": variant }),
        ),
        (
            "mutation($id: ID!) { addProductVariant(input: { productId: $id, variant: { sku: \"B-1\", price: \"1\" } }) { id } }",
            json!({ "id": product }),
        ),
        (
            "mutation($id: ID!) { updateProductCategory(input: { id: $id, name: \"x\" }) { id } }",
            json!({ "id": category }),
        ),
        (
            "mutation($id: ID!) { deleteProductCategory(input: { id: $id }) }",
            json!({ "id": category }),
        ),
        (
            "mutation($id: ID!) { updateStockLocation(input: { id: $id, name: \"x\" }) { id } }",
            json!({ "id": shop.location }),
        ),
        (
            "mutation($id: ID!) { updateRegister(input: { id: $id, name: \"x\" }) { id } }",
            json!({ "id": shop.register }),
        ),
        (
            "mutation($id: ID!) { openCashSession(input: { registerId: $id, openingFloat: \"0\" }) { id } }",
            json!({ "id": shop.register }),
        ),
        (
            "mutation($id: ID!) { closeCashSession(input: { id: $id, counted: [] }) { id } }",
            json!({ "id": shop.session }),
        ),
        (
            "query($id: ID!) { stockCount(id: $id) { id } }",
            json!({ "id": count }),
        ),
        (
            "query($id: ID!) { stockCountLines(id: $id) { counted } }",
            json!({ "id": count }),
        ),
        (
            "mutation($id: ID!, $v: ID!) { recordStockCount(input: { id: $id, lines: [{ variantId: $v, quantity: \"0\" }] }) { counted } }",
            json!({ "id": count, "v": variant }),
        ),
        (
            "mutation($id: ID!) { postStockCount(input: { id: $id }) { id } }",
            json!({ "id": count }),
        ),
        (
            "mutation($id: ID!) { cancelStockCount(input: { id: $id }) { id } }",
            json!({ "id": count }),
        ),
    ] {
        let body = app.gql(token, query, variables).await;
        assert_eq!(error_code(&body), "NOT_FOUND", "{query}: {body}");
    }
    // B cannot move A's stock, sell A's goods, or give back A's ticket.
    for (query, variables, field) in [
        (
            "mutation($l: ID!, $v: ID!) { adjustStock(input: { locationId: $l, variantId: $v, quantity: \"-1\", reason: \"x\" }) { id } }",
            json!({ "l": b.location, "v": variant }),
            "variantId",
        ),
        (
            "mutation($l: ID!, $v: ID!) { receiveStock(input: { locationId: $l, lines: [{ variantId: $v, quantity: \"1\", unitCost: \"1\" }] }) { id } }",
            json!({ "l": shop.location, "v": variant }),
            "locationId",
        ),
        (
            CREATE_TICKET,
            json!({ "input": cash_sale(&b.session, &variant, "1", "10") }),
            "variantId",
        ),
        (
            CREATE_TICKET,
            json!({ "input": cash_sale(&shop.session, &variant, "1", "10") }),
            "sessionId",
        ),
        (
            "mutation($t: ID!, $s: ID!, $l: ID!) { returnTicket(input: { ticketId: $t, sessionId: $s, idempotencyKey: \"b-return-1\", lines: [{ lineId: $l, quantity: \"1\" }] }) { id } }",
            json!({ "t": ticket, "s": b.session, "l": line }),
            "ticketId",
        ),
    ] {
        let body = app.gql(token, query, variables).await;
        assert_eq!(error_code(&body), "BAD_USER_INPUT", "{query}: {body}");
        assert_eq!(error_ext(&body, "field"), field, "{query}: {body}");
    }
    // A's records are as A left them.
    let a_view = app
        .ok(
            a_token,
            "query($id: ID!) { product(id: $id) { name category { name } variants { onHand } } }",
            json!({ "id": product }),
        )
        .await;
    assert_eq!(
        a_view["product"],
        json!({ "name": "Secreto", "category": { "name": "Secreta" }, "variants": [{ "onHand": "4" }] })
    );
}

#[tokio::test]
async fn another_tenant_can_neither_see_nor_touch_sales_orders() {
    let app = TestApp::spawn().await;
    let shop = shop(&app).await;
    let a = &shop.owner;
    let (_, variant) = product(
        &app,
        a,
        json!({ "name": "Pedido", "variants": [{ "sku": unique("PED"), "price": "10" }] }),
    )
    .await;
    receive(&app, a, &shop.location, &variant, "5", "4").await;
    let order = crate::orders::create_order(
        &app,
        a,
        json!({ "lines": [{ "variantId": variant, "quantity": "1" }] }),
    )
    .await;
    let id = text(&order["id"]);
    let line = text(&order["lines"][0]["id"]);

    let b = shop_of(&app, app.sign_up().await).await;
    let lists = app
        .ok(
            Some(&b.owner.access_token),
            "{ salesOrders { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(lists["salesOrders"]["totalCount"], 0);
    let seen = app
        .gql(
            Some(&b.owner.access_token),
            "query($id: ID!) { salesOrder(id: $id) { id } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(error_code(&seen), "NOT_FOUND", "{seen}");
    for (name, input) in [
        ("updateSalesOrder", json!({ "id": id, "notes": "x" })),
        ("confirmSalesOrder", json!({ "id": id })),
        ("fulfilSalesOrder", json!({ "id": id })),
        ("cancelSalesOrder", json!({ "id": id })),
        (
            "returnSalesOrder",
            json!({ "id": id, "lines": [{ "lineId": line, "quantity": "1" }] }),
        ),
        (
            "recordSalesOrderPayment",
            json!({ "id": id, "amount": "1", "method": "CASH" }),
        ),
        (
            "refundSalesOrder",
            json!({ "id": id, "amount": "1", "method": "CASH", "reason": "x" }),
        ),
    ] {
        let body = crate::orders::order_mutation(&app, &b.owner, name, input).await;
        assert_eq!(error_code(&body), "NOT_FOUND", "{name}: {body}");
    }
    let list = app
        .ok(
            Some(&a.access_token),
            "mutation { createPriceList(input: { name: \"Mayoreo A\", contactTag: \"mayoreo\" }) { id } }",
            json!({}),
        )
        .await;
    let list = text(&list["createPriceList"]["id"]);
    app.ok(
        Some(&a.access_token),
        "mutation($id: ID!, $v: ID!) { setPriceListPrices(input: { id: $id, prices: [{ variantId: $v, price: \"8\" }] }) { id } }",
        json!({ "id": list, "v": variant }),
    )
    .await;
    let lists = app
        .ok(
            Some(&b.owner.access_token),
            "{ priceLists { id } }",
            json!({}),
        )
        .await;
    assert_eq!(lists["priceLists"], json!([]));
    for (query, variables) in [
        (
            "mutation($id: ID!) { updatePriceList(input: { id: $id, active: false }) { id } }",
            json!({ "id": list }),
        ),
        (
            "mutation($id: ID!) { setPriceListPrices(input: { id: $id, prices: [] }) { id } }",
            json!({ "id": list }),
        ),
    ] {
        let body = app.gql(Some(&b.owner.access_token), query, variables).await;
        let code = error_code(&body);
        assert!(
            code == "NOT_FOUND" || code == "BAD_USER_INPUT",
            "{query}: {body}"
        );
    }
    let with_a_list = app
        .gql(
            Some(&b.owner.access_token),
            "mutation($l: ID!) { createSalesOrder(input: { priceListId: $l, lines: [] }) { id } }",
            json!({ "l": list }),
        )
        .await;
    assert_eq!(error_code(&with_a_list), "BAD_USER_INPUT", "{with_a_list}");
    // B's order cannot take A's variant either.
    let borrowed = app
        .gql(
            Some(&b.owner.access_token),
            "mutation($v: ID!) { createSalesOrder(input: { lines: [{ variantId: $v, quantity: \"1\" }] }) { id } }",
            json!({ "v": variant }),
        )
        .await;
    assert_eq!(error_code(&borrowed), "BAD_USER_INPUT", "{borrowed}");
    let untouched = app
        .ok(
            Some(&a.access_token),
            "query($id: ID!) { salesOrder(id: $id) { status notes } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(untouched["salesOrder"]["status"], "DRAFT");
    assert_eq!(untouched["salesOrder"]["notes"], Value::Null);
    let still = app
        .ok(
            Some(&a.access_token),
            "{ priceLists { active prices { price { amount } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        still["priceLists"],
        json!([{ "active": true, "prices": [{ "price": { "amount": "8.00" } }] }])
    );
}

#[tokio::test]
async fn another_tenant_can_neither_see_nor_touch_workflows_or_their_runs() {
    let app = TestApp::spawn().await;
    let a = app.sign_up().await;
    let b = app.sign_up().await;
    let a_contact = new_contact(&app, &a, json!({ "firstName": "Aurora" })).await;
    let tag_the_contact = json!({
        "trigger": { "webhook": { "description": "formulario" } },
        "steps": [ { "addTag": { "tag": "web", "on": "CONTACT" } } ],
    });
    let a_created = workflow(&app, &a, tag_the_contact.clone()).await;
    let a_workflow = text(&a_created["workflow"]["id"]);
    let a_url = text(&a_created["webhookUrl"]);
    let a_hook = a_url.split("/webhooks/workflows/").nth(1).expect("token");
    let post = |token: &str, body: Value| {
        app.client
            .post(format!("{}/webhooks/workflows/{token}", app.base))
            .json(&body)
            .send()
    };
    let started = post(a_hook, json!({ "contactId": a_contact }))
        .await
        .expect("sent");
    assert_eq!(started.status(), 202);
    let a_run = text(&started.json::<Value>().await.expect("json")["runId"]);

    // B's own workflow, fed A's contact: the run finds no such contact and tags nothing.
    let b_created = workflow(&app, &b, tag_the_contact).await;
    let b_hook = text(&b_created["webhookUrl"])
        .split("/webhooks/workflows/")
        .nth(1)
        .expect("token")
        .to_owned();
    let b_started = post(&b_hook, json!({ "contactId": a_contact }))
        .await
        .expect("sent");
    assert_eq!(b_started.status(), 202);
    let b_runs = eventually(
        &app,
        &b,
        "{ workflowRuns(first: 5) { edges { node { status contact { id } } } } }",
        |s| s["workflowRuns"]["edges"][0]["node"]["status"] == "FAILED",
    )
    .await;
    assert_eq!(
        b_runs["workflowRuns"]["edges"][0]["node"]["contact"],
        Value::Null
    );

    // A's URL with B's business in it, and B's token on A's workflow, are both unknown.
    let (_, rest) = a_hook.split_once('.').expect("tenant.workflow.token");
    let b_tenant_on_a = format!("{}.{rest}", b.tenant_id);
    let b_token = b_hook.rsplit('.').next().expect("token");
    let a_with_b_token = format!("{}.{a_workflow}.{b_token}", a.tenant_id);
    for forged in [b_tenant_on_a, a_with_b_token] {
        let response = post(&forged, json!({ "contactId": a_contact }))
            .await
            .expect("sent");
        assert_eq!(response.status(), 404, "{forged}");
    }

    let lists = app
        .ok(
            Some(&b.access_token),
            "{ workflows(first: 50) { edges { node { id } } } workflowRuns(first: 50) { edges { node { id } } } }",
            json!({}),
        )
        .await;
    assert!(!lists.to_string().contains(&a_workflow));
    assert!(!lists.to_string().contains(&a_run));
    for (query, vars) in [
        (
            "query($id: ID!) { workflow(id: $id) { id } }",
            json!({ "id": a_workflow }),
        ),
        (
            "query($id: ID!) { workflowRun(id: $id) { id } }",
            json!({ "id": a_run }),
        ),
        (
            "mutation($id: ID!) { updateWorkflow(input: { id: $id, name: \"mío\" }) { workflow { id } } }",
            json!({ "id": a_workflow }),
        ),
        (
            "mutation($id: ID!) { setWorkflowEnabled(input: { id: $id, enabled: false }) { id } }",
            json!({ "id": a_workflow }),
        ),
        (
            "mutation($id: ID!) { rotateWorkflowWebhook(input: { id: $id }) { webhookUrl } }",
            json!({ "id": a_workflow }),
        ),
        (
            "mutation($id: ID!) { deleteWorkflow(input: { id: $id }) }",
            json!({ "id": a_workflow }),
        ),
        (
            "mutation($id: ID!) { retryWorkflowRun(input: { id: $id }) { id } }",
            json!({ "id": a_run }),
        ),
        (
            "mutation($id: ID!) { cancelWorkflowRun(input: { id: $id }) { id } }",
            json!({ "id": a_run }),
        ),
    ] {
        let body = app.gql(Some(&b.access_token), query, vars).await;
        assert_eq!(error_code(&body), "NOT_FOUND", "{query}: {body}");
    }
    // A dry run over A's contact cannot read it either.
    let dry = app
        .gql(
            Some(&b.access_token),
            "mutation($input: TestWorkflowInput!) { testWorkflow(input: $input) { starts } }",
            json!({ "input": {
                "definition": {
                    "trigger": { "event": { "type": "crm.contact.created" } },
                    "steps": [ { "addTag": { "tag": "x", "on": "CONTACT" } } ],
                },
                "sample": { "contactId": a_contact },
            } }),
        )
        .await;
    assert_eq!(error_ext(&dry, "field"), "sample.contactId");

    let a_view = eventually(
        &app,
        &a,
        &format!("{{ workflow(id: \"{a_workflow}\") {{ name enabled }} workflowRun(id: \"{a_run}\") {{ status }} contact(id: \"{a_contact}\") {{ tags }} }}"),
        |s| s["workflowRun"]["status"] == "SUCCEEDED",
    )
    .await;
    assert_eq!(a_view["workflow"]["enabled"], true);
    assert_ne!(a_view["workflow"]["name"], "mío");
    assert_eq!(a_view["contact"]["tags"], json!(["web"]));
    let still = post(a_hook, json!({ "contactId": a_contact }))
        .await
        .expect("sent");
    assert_eq!(still.status(), 202, "A's URL was not rotated by B");
}

#[tokio::test]
async fn another_tenant_can_neither_see_nor_touch_forms_or_their_submissions() {
    let app = TestApp::spawn().await;
    let a = app.sign_up().await;
    let b = app.sign_up().await;
    let create = "mutation($input: CreateFormInput!) { createForm(input: $input) { id pageUrl endpointUrl } }";
    let input = json!({ "input": { "name": "Contacto", "fields": [
        { "key": "correo", "label": "Correo", "kind": "EMAIL", "required": true, "mapsTo": "CONTACT_EMAIL" },
    ] } });
    let a_form = app.ok(Some(&a.access_token), create, input.clone()).await["createForm"].clone();
    let b_form = app.ok(Some(&b.access_token), create, input).await["createForm"].clone();
    let a_id = text(&a_form["id"]);
    // The URLs name the configured public address; the test server listens elsewhere.
    let local = |url: &Value| {
        let url = text(url);
        format!(
            "{}{}",
            app.base,
            &url[url.find("/api/v1/").expect("path")..]
        )
    };
    let a_endpoint = local(&a_form["endpointUrl"]);
    let sent: Value = app
        .client
        .post(&a_endpoint)
        .json(&json!({ "values": { "correo": "alma@example.mx" } }))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    let a_submission = text(&sent["submissionId"]);

    // A's form under B's public address is not there.
    let b_endpoint = local(&b_form["endpointUrl"]);
    let b_slug_a_form = format!("{}/{a_id}", b_endpoint.rsplit_once('/').expect("id").0);
    let crossed = app
        .client
        .post(&b_slug_a_form)
        .json(&json!({ "values": { "correo": "intruso@example.mx" } }))
        .send()
        .await
        .expect("sent");
    assert_eq!(crossed.status(), 404);

    let lists = app
        .ok(
            Some(&b.access_token),
            "{ forms(first: 50) { edges { node { id } } } formSubmissions(first: 50) { edges { node { id } } } }",
            json!({}),
        )
        .await;
    assert!(!lists.to_string().contains(&a_id));
    assert!(!lists.to_string().contains(&a_submission));
    let of_a = app
        .ok(
            Some(&b.access_token),
            "query($f: ID) { formSubmissions(formId: $f, first: 50) { totalCount } }",
            json!({ "f": a_id }),
        )
        .await;
    assert_eq!(of_a["formSubmissions"]["totalCount"], 0);
    for (query, vars) in [
        (
            "query($id: ID!) { form(id: $id) { id } }",
            json!({ "id": a_id }),
        ),
        (
            "mutation($id: ID!) { updateForm(input: { id: $id, active: false }) { id } }",
            json!({ "id": a_id }),
        ),
        (
            "mutation($id: ID!) { deleteForm(input: { id: $id }) }",
            json!({ "id": a_id }),
        ),
    ] {
        let body = app.gql(Some(&b.access_token), query, vars).await;
        assert_eq!(error_code(&body), "NOT_FOUND", "{query}: {body}");
    }
    let a_view = app
        .ok(
            Some(&a.access_token),
            "query($id: ID!) { form(id: $id) { active } formSubmissions(formId: $id, first: 5) { totalCount } }",
            json!({ "id": a_id }),
        )
        .await;
    assert_eq!(a_view["form"]["active"], true);
    assert_eq!(a_view["formSubmissions"]["totalCount"], 1);
}
