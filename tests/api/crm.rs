//! The CRM end to end: records with Mexican tax data, custom fields, duplicates and merges,
//! pipelines and leads, activities and tasks, timelines, dashboards and N+1-free lists.

use crate::fixtures::crm::*;
use crate::helpers::eventually;
use crate::helpers::*;
use chrono::TimeDelta;
use serde_json::{Value, json};
use tianguis_domain::ports::Clock;

fn stage_with(stages: &[(String, String, String)], outcome: &str) -> String {
    stages
        .iter()
        .find(|s| s.2 == outcome)
        .map(|s| s.0.clone())
        .expect("stage")
}

async fn bad_input(app: &TestApp, session: &Session, mutation: &str, input: Value) -> String {
    let body = app
        .gql(
            Some(&session.access_token),
            mutation,
            json!({ "input": input }),
        )
        .await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body}");
    error_ext(&body, "field")
}

#[tokio::test]
async fn contacts_and_companies_are_normalised_and_bad_input_names_its_field() {
    let app = TestApp::spawn().await;
    let owner = app.sign_up().await;
    let company = create(
        &app,
        &owner,
        CREATE_COMPANY,
        "createCompany",
        json!({ "name": "Tortillería La Güera", "legalName": "La Güera SA de CV", "rfc": " egu9003173c9 ", "taxRegime": "601", "postalCode": "06600" }),
    )
    .await;
    assert_eq!(company["rfc"], "EGU9003173C9");
    assert_eq!(company["legalName"], "LA GÜERA SA DE CV");
    let contact = create(
        &app,
        &owner,
        CREATE_CONTACT,
        "createContact",
        json!({ "firstName": "Lupita", "lastName": "Gómez", "email": " Lupita@Example.MX ", "phone": "(55) 1234-5678", "companyId": company["id"], "tags": ["VIP", "vip", "Mayoreo"] }),
    )
    .await;
    assert_eq!(contact["email"], "lupita@example.mx");
    assert_eq!(contact["phone"], "+525512345678");
    assert_eq!(contact["name"], "Lupita Gómez");
    assert_eq!(contact["tags"], json!(["vip", "mayoreo"]));
    assert_eq!(contact["company"]["name"], "Tortillería La Güera");

    for (input, field) in [
        (json!({ "firstName": "A", "email": "no-at-sign" }), "email"),
        (json!({ "firstName": "A", "phone": "12345" }), "phone"),
        (json!({ "firstName": "A", "rfc": "NOTANRFC" }), "rfc"),
        (json!({ "firstName": " " }), "firstName"),
    ] {
        assert_eq!(bad_input(&app, &owner, CREATE_CONTACT, input).await, field);
    }
    for (input, field) in [
        (json!({ "name": "X", "rfc": "EKU9013173C9" }), "rfc"),
        (json!({ "name": "X", "taxRegime": "999" }), "taxRegime"),
        (json!({ "name": "X", "postalCode": "066" }), "postalCode"),
    ] {
        assert_eq!(bad_input(&app, &owner, CREATE_COMPANY, input).await, field);
    }
    // Nothing half-written: the failed creates left no contact behind.
    let list = app
        .ok(
            Some(&owner.access_token),
            "{ contacts { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(list["contacts"]["totalCount"], 1);
}

#[tokio::test]
async fn duplicates_are_caught_by_email_phone_and_rfc_and_merging_moves_everything() {
    let app = TestApp::spawn().await;
    let owner = app.sign_up().await;
    let first = new_contact(&app, &owner, json!({ "firstName": "Ana", "email": "ana@example.mx", "phone": "5512345678", "tags": ["a"] })).await;
    for (input, field) in [
        (
            json!({ "firstName": "Ana B", "email": "ANA@example.mx" }),
            "email",
        ),
        (
            json!({ "firstName": "Ana C", "phone": "+52 1 55 1234 5678" }),
            "phone",
        ),
    ] {
        let body = app
            .gql(
                Some(&owner.access_token),
                CREATE_CONTACT,
                json!({ "input": input }),
            )
            .await;
        assert_eq!(error_code(&body), "CONFLICT", "{body}");
        assert_eq!(error_ext(&body, "field"), field);
        assert_eq!(error_ext(&body, "existingId"), first);
    }
    let company = new_company(
        &app,
        &owner,
        json!({ "name": "Abarrotes Ana", "rfc": "AAN900317AB1" }),
    )
    .await;
    let body = app
        .gql(
            Some(&owner.access_token),
            CREATE_COMPANY,
            json!({ "input": { "name": "Otra", "rfc": "AAN900317AB1" } }),
        )
        .await;
    assert_eq!(error_ext(&body, "existingId"), company);

    // The team knows better: a duplicate on purpose, then merged into the first.
    let second = new_contact(
        &app,
        &owner,
        json!({ "firstName": "Ana", "lastName": "Pérez", "email": "ana@example.mx", "city": "Puebla", "tags": ["b"], "allowDuplicate": true }),
    )
    .await;
    let lead = new_lead(
        &app,
        &owner,
        json!({ "title": "Pedido mensual", "contactId": second }),
    )
    .await;
    let activity = create(
        &app,
        &owner,
        LOG_ACTIVITY,
        "logActivity",
        json!({ "kind": "CALL", "subject": "Llamada", "contactId": second }),
    )
    .await;
    let merged = app
        .ok(
            Some(&owner.access_token),
            "mutation($s: ID!, $m: ID!) { mergeContacts(input: { survivorId: $s, mergedId: $m }) { id lastName city tags phone } }",
            json!({ "s": first, "m": second }),
        )
        .await;
    let survivor = &merged["mergeContacts"];
    assert_eq!(
        survivor["lastName"], "Pérez",
        "empty fields filled from the merged contact"
    );
    assert_eq!(survivor["city"], "Puebla");
    assert_eq!(
        survivor["phone"], "+525512345678",
        "the survivor's own values stay"
    );
    assert_eq!(survivor["tags"], json!(["a", "b"]));
    let after = app
        .ok(
            Some(&owner.access_token),
            "query($l: ID!, $c: ID!) { lead(id: $l) { contact { id } } activities(filter: { contactId: $c }) { edges { node { id } } } contacts { totalCount } }",
            json!({ "l": lead, "c": first }),
        )
        .await;
    assert_eq!(after["lead"]["contact"]["id"], first);
    assert_eq!(
        after["activities"]["edges"][0]["node"]["id"],
        activity["id"]
    );
    assert_eq!(after["contacts"]["totalCount"], 1);
    let gone = app
        .gql(
            Some(&owner.access_token),
            "query($id: ID!) { contact(id: $id) { id } }",
            json!({ "id": second }),
        )
        .await;
    assert_eq!(error_code(&gone), "NOT_FOUND");
}

#[tokio::test]
async fn custom_fields_are_validated_on_write_and_filterable() {
    let app = TestApp::spawn().await;
    let owner = app.sign_up().await;
    let token = Some(owner.access_token.as_str());
    let define = "mutation($input: CreateCustomFieldInput!) { createCustomField(input: $input) { id key kind options } }";
    app.ok(token, define, json!({ "input": { "entity": "CONTACT", "key": "giro", "label": "Giro", "kind": "SELECT", "options": ["taquería", "panadería"] } })).await;
    app.ok(token, define, json!({ "input": { "entity": "CONTACT", "key": "empleados", "label": "Empleados", "kind": "NUMBER" } })).await;
    app.ok(token, define, json!({ "input": { "entity": "CONTACT", "key": "desde", "label": "Cliente desde", "kind": "DATE" } })).await;
    app.ok(token, define, json!({ "input": { "entity": "CONTACT", "key": "factura", "label": "Requiere factura", "kind": "BOOLEAN" } })).await;
    let again = app.gql(token, define, json!({ "input": { "entity": "CONTACT", "key": "giro", "label": "Otro", "kind": "TEXT" } })).await;
    assert_eq!(error_code(&again), "CONFLICT");

    let taqueria = new_contact(&app, &owner, json!({ "firstName": "Don Beto", "customFields": { "giro": "taquería", "empleados": 12, "desde": "2020-05-01", "factura": true } })).await;
    new_contact(&app, &owner, json!({ "firstName": "Doña Mari", "customFields": { "giro": "panadería", "empleados": 3, "factura": false } })).await;
    for bad in [
        json!({ "giro": "ferretería" }),
        json!({ "empleados": "muchos" }),
        json!({ "desde": "01/05/2020" }),
        json!({ "factura": "sí" }),
        json!({ "color": "rojo" }),
    ] {
        let field = bad_input(
            &app,
            &owner,
            CREATE_CONTACT,
            json!({ "firstName": "X", "customFields": bad }),
        )
        .await;
        assert_eq!(field, "customFields");
    }

    let filtered = |filter: Value| {
        let app = &app;
        async move {
            let body = app
                .ok(token, "query($f: [CustomFieldFilter!]) { contacts(filter: { customFields: $f }) { edges { node { id customFields } } } }", json!({ "f": filter }))
                .await;
            body["contacts"]["edges"]
                .as_array()
                .expect("edges")
                .iter()
                .map(|e| text(&e["node"]["id"]))
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        filtered(json!([{ "key": "giro", "equals": "taquería" }])).await,
        vec![taqueria.clone()]
    );
    assert_eq!(
        filtered(json!([{ "key": "empleados", "min": "10" }])).await,
        vec![taqueria.clone()]
    );
    assert_eq!(
        filtered(json!([{ "key": "desde", "max": "2021-01-01" }])).await,
        vec![taqueria.clone()]
    );
    assert_eq!(
        filtered(json!([{ "key": "factura", "equals": "true" }])).await,
        vec![taqueria.clone()]
    );
    assert_eq!(
        filtered(json!([{ "key": "empleados", "min": "1", "max": "5" }]))
            .await
            .len(),
        1
    );
}

#[tokio::test]
async fn free_text_search_finds_by_name_email_phone_and_company() {
    let app = TestApp::spawn().await;
    let owner = app.sign_up().await;
    let company = new_company(&app, &owner, json!({ "name": "Panadería El Molino" })).await;
    let rosa = new_contact(&app, &owner, json!({ "firstName": "Rosa", "lastName": "Núñez", "email": "rosa@molino.mx", "phone": "33 3616 1234", "companyId": company })).await;
    new_contact(
        &app,
        &owner,
        json!({ "firstName": "Carlos", "email": "carlos@example.mx" }),
    )
    .await;
    let lead = new_lead(
        &app,
        &owner,
        json!({ "title": "Hornos nuevos", "contactId": rosa }),
    )
    .await;
    new_lead(
        &app,
        &owner,
        json!({ "title": "Mantenimiento", "companyId": company }),
    )
    .await;
    for term in ["núñez", "ROSA@", "3616 12", "molino", "100%_"] {
        let body = app
            .ok(
                Some(&owner.access_token),
                "query($q: String) { contacts(filter: { search: $q }) { edges { node { id } } } }",
                json!({ "q": term }),
            )
            .await;
        let found: Vec<String> = body["contacts"]["edges"]
            .as_array()
            .expect("edges")
            .iter()
            .map(|e| text(&e["node"]["id"]))
            .collect();
        let expected: Vec<String> = if term == "100%_" {
            vec![]
        } else {
            vec![rosa.clone()]
        };
        assert_eq!(found, expected, "{term}");
    }
    let body = app
        .ok(Some(&owner.access_token), "{ leads(filter: { search: \"hornos\" }) { totalCount edges { node { id } } } byCompany: leads(filter: { search: \"molino\" }) { totalCount } }", json!({}))
        .await;
    assert_eq!(body["leads"]["edges"][0]["node"]["id"], lead);
    assert_eq!(
        body["byCompany"]["totalCount"], 2,
        "a lead is found through its contact's or its company's name"
    );
}

#[tokio::test]
async fn winning_a_lead_makes_a_customer_and_every_move_is_in_the_history() {
    let app = TestApp::spawn().await;
    let owner = app.sign_up().await;
    let token = Some(owner.access_token.as_str());
    let stages = stages(&app, &owner).await;
    assert_eq!(
        stages.iter().map(|s| s.1.as_str()).collect::<Vec<_>>(),
        [
            "Nuevo",
            "Contactado",
            "Calificado",
            "Propuesta",
            "Negociación",
            "Ganado",
            "Perdido"
        ]
    );
    let company = new_company(&app, &owner, json!({ "name": "Carnicería Don Pepe" })).await;
    let contact = new_contact(
        &app,
        &owner,
        json!({ "firstName": "Pepe", "companyId": company }),
    )
    .await;
    let lead = create(&app, &owner, CREATE_LEAD, "createLead", json!({ "title": "Cámara de refrigeración", "contactId": contact, "companyId": company, "value": "85000.50", "source": "REFERRAL" })).await;
    assert_eq!(lead["stage"]["name"], "Nuevo");
    assert_eq!(
        lead["value"],
        json!({ "amount": "85000.50", "currency": "MXN" })
    );
    let lead_id = text(&lead["id"]);

    let move_lead = "mutation($input: MoveLeadInput!) { moveLead(input: $input) { status closedAt lostReason stage { name } } }";
    let lost = app
        .gql(
            token,
            move_lead,
            json!({ "input": { "id": lead_id, "stageId": stage_with(&stages, "LOST") } }),
        )
        .await;
    assert_eq!(error_code(&lost), "BAD_USER_INPUT");
    assert_eq!(error_ext(&lost, "field"), "lostReason");
    app.ok(
        token,
        move_lead,
        json!({ "input": { "id": lead_id, "stageId": stages[2].0 } }),
    )
    .await;
    let won = app
        .ok(
            token,
            move_lead,
            json!({ "input": { "id": lead_id, "stageId": stage_with(&stages, "WON") } }),
        )
        .await;
    assert_eq!(won["moveLead"]["status"], "WON");
    assert!(won["moveLead"]["closedAt"].is_string());

    let after = app
        .ok(
            token,
            "query($l: ID!, $c: ID!, $co: ID!) { lead(id: $l) { stageHistory { fromStage { name } toStage { name } actorType } }
               contact(id: $c) { isCustomer customerSince } company(id: $co) { isCustomer }
               auditLogs(filter: { action: \"crm.lead.won\" }) { edges { node { subjectId } } } }",
            json!({ "l": lead_id, "c": contact, "co": company }),
        )
        .await;
    let history: Vec<(Value, Value)> = after["lead"]["stageHistory"]
        .as_array()
        .expect("history")
        .iter()
        .map(|h| (h["fromStage"]["name"].clone(), h["toStage"]["name"].clone()))
        .collect();
    assert_eq!(
        history,
        [
            (Value::Null, json!("Nuevo")),
            (json!("Nuevo"), json!("Calificado")),
            (json!("Calificado"), json!("Ganado"))
        ]
    );
    assert_eq!(after["lead"]["stageHistory"][2]["actorType"], "user");
    assert_eq!(after["contact"]["isCustomer"], true);
    assert!(after["contact"]["customerSince"].is_string());
    assert_eq!(after["company"]["isCustomer"], true);
    assert_eq!(
        after["auditLogs"]["edges"][0]["node"]["subjectId"],
        lead_id.as_str()
    );

    let lost = app.ok(token, move_lead, json!({ "input": { "id": lead_id, "stageId": stage_with(&stages, "LOST"), "lostReason": "Precio" } })).await;
    assert_eq!(lost["moveLead"]["status"], "LOST");
    assert_eq!(lost["moveLead"]["lostReason"], "Precio");
    let reopened = app
        .ok(
            token,
            move_lead,
            json!({ "input": { "id": lead_id, "stageId": stages[1].0 } }),
        )
        .await;
    assert_eq!(reopened["moveLead"]["status"], "OPEN");
    assert_eq!(reopened["moveLead"]["lostReason"], Value::Null);
    assert_eq!(reopened["moveLead"]["closedAt"], Value::Null);
}

#[tokio::test]
async fn scores_follow_activity_and_the_tenants_configuration_with_reasons() {
    let app = TestApp::spawn().await;
    let owner = app.sign_up().await;
    let token = Some(owner.access_token.as_str());
    let contact = new_contact(&app, &owner, json!({ "firstName": "Lola" })).await;
    let lead = create(
        &app,
        &owner,
        CREATE_LEAD,
        "createLead",
        json!({ "title": "Mesas", "contactId": contact, "source": "REFERRAL", "value": "60000" }),
    )
    .await;
    // Default configuration: 20 for a referral, 10 for the budget, 2 for the first stage (10 %).
    assert_eq!(lead["score"], 32);
    let lead_id = text(&lead["id"]);
    create(
        &app,
        &owner,
        LOG_ACTIVITY,
        "logActivity",
        json!({ "kind": "MEETING", "subject": "Visita", "leadId": lead_id }),
    )
    .await;
    let scored = app.ok(token, "query($id: ID!) { lead(id: $id) { score lastActivityAt scoreReasons { rule points } } }", json!({ "id": lead_id })).await;
    // + 4 engagement + 20 recency.
    assert_eq!(scored["lead"]["score"], 56);
    let rules: Vec<String> = scored["lead"]["scoreReasons"]
        .as_array()
        .expect("reasons")
        .iter()
        .map(|r| text(&r["rule"]))
        .collect();
    assert_eq!(
        rules,
        ["source", "budget", "engagement", "recency", "stage"]
    );

    // A new configuration rescores open leads in the background.
    let config = app.ok(token, "{ leadScoring { sourcePoints { source points } budgetPoints { min points } pointsPerActivity engagementMax engagementWindowDays recencyPoints { days points } stageWeight } }", json!({})).await;
    let mut config = config["leadScoring"].clone();
    config["stageWeight"] = json!(0);
    config["recencyPoints"] = json!([]);
    app.ok(
        token,
        "mutation($input: LeadScoringInput!) { setLeadScoring(input: $input) { stageWeight } }",
        json!({ "input": config }),
    )
    .await;
    let query = format!("{{ lead(id: \"{lead_id}\") {{ score scoreReasons {{ rule }} }} }}");
    let rescored = eventually(&app, &owner, &query, |s| s["lead"]["score"] != 56).await;
    // 20 source + 10 budget + 4 engagement: no recency, no stage points any more.
    assert_eq!(rescored["lead"]["score"], 34);
}

#[tokio::test]
async fn tasks_become_overdue_and_activities_appear_on_every_timeline() {
    let app = TestApp::spawn().await;
    let owner = app.sign_up().await;
    let token = Some(owner.access_token.as_str());
    let company = new_company(&app, &owner, json!({ "name": "Riegos del Bajío" })).await;
    let contact = new_contact(
        &app,
        &owner,
        json!({ "firstName": "Iván", "companyId": company }),
    )
    .await;
    let lead = new_lead(
        &app,
        &owner,
        json!({ "title": "Sensores de humedad", "contactId": contact }),
    )
    .await;
    let call = create(
        &app,
        &owner,
        LOG_ACTIVITY,
        "logActivity",
        json!({ "kind": "CALL", "subject": "Primera llamada", "leadId": lead }),
    )
    .await;
    assert_eq!(
        call["contact"]["id"],
        contact.as_str(),
        "a lead's contact is filled in"
    );
    assert_eq!(
        call["company"]["id"],
        company.as_str(),
        "and the contact's company"
    );
    let due = (app.clock.now() + TimeDelta::minutes(2)).to_rfc3339();
    let task = create(
        &app,
        &owner,
        LOG_ACTIVITY,
        "logActivity",
        json!({ "kind": "TASK", "subject": "Enviar catálogo", "leadId": lead, "dueAt": due }),
    )
    .await;
    let task_id = text(&task["id"]);
    let note_with_due = app
        .gql(
            token,
            LOG_ACTIVITY,
            json!({ "input": { "kind": "NOTE", "subject": "x", "leadId": lead, "dueAt": due } }),
        )
        .await;
    assert_eq!(error_ext(&note_with_due, "field"), "dueAt");

    let overdue = "{ activities(filter: { taskState: OVERDUE }) { edges { node { id isOverdue assignee { email } } } } overdueTaskCount }";
    let before = app.ok(token, overdue, json!({})).await;
    assert_eq!(before["overdueTaskCount"], 0);
    app.clock.advance(TimeDelta::minutes(3));
    let after = app.ok(token, overdue, json!({})).await;
    assert_eq!(after["overdueTaskCount"], 1);
    assert_eq!(
        after["activities"]["edges"][0]["node"]["id"],
        task_id.as_str()
    );
    assert_eq!(after["activities"]["edges"][0]["node"]["isOverdue"], true);
    assert_eq!(
        after["activities"]["edges"][0]["node"]["assignee"]["email"],
        owner.email.as_str(),
        "tasks default to their creator"
    );
    app.ok(
        token,
        "mutation($id: ID!) { setTaskDone(input: { id: $id }) { doneAt } }",
        json!({ "id": task_id }),
    )
    .await;
    assert_eq!(
        app.ok(token, overdue, json!({})).await["overdueTaskCount"],
        0
    );

    let timeline = "query($l: ID!, $c: ID!, $co: ID!) {
        lead(id: $l) { timeline { __typename ... on Activity { subject } ... on StageChange { toStage { name } } } }
        contact(id: $c) { timeline { __typename } }
        company(id: $co) { timeline { __typename } } }";
    let body = app
        .ok(
            token,
            timeline,
            json!({ "l": lead, "c": contact, "co": company }),
        )
        .await;
    let kinds = |v: &Value| {
        v.as_array()
            .expect("timeline")
            .iter()
            .map(|e| text(&e["__typename"]))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        kinds(&body["lead"]["timeline"]),
        ["Activity", "Activity", "StageChange"]
    );
    assert_eq!(
        kinds(&body["contact"]["timeline"]),
        ["Activity", "Activity", "StageChange"]
    );
    // The lead is the contact's, not the company's: the company sees the activities only.
    assert_eq!(
        kinds(&body["company"]["timeline"]),
        ["Activity", "Activity"]
    );
}

#[tokio::test]
async fn the_dashboard_sums_the_pipeline_the_funnel_and_each_persons_work() {
    let app = TestApp::spawn().await;
    let owner = app.sign_up().await;
    let token = Some(owner.access_token.as_str());
    let stages = stages(&app, &owner).await;
    let contact = new_contact(&app, &owner, json!({ "firstName": "Tere" })).await;
    let from = (app.clock.now() - TimeDelta::days(1)).to_rfc3339();
    let to = (app.clock.now() + TimeDelta::days(1)).to_rfc3339();
    let a = new_lead(
        &app,
        &owner,
        json!({ "title": "A", "contactId": contact, "value": "1000.00" }),
    )
    .await;
    new_lead(
        &app,
        &owner,
        json!({ "title": "B", "contactId": contact, "value": "500.25" }),
    )
    .await;
    new_lead(
        &app,
        &owner,
        json!({ "title": "C", "contactId": contact, "value": "99", "currency": "USD" }),
    )
    .await;
    let d = new_lead(
        &app,
        &owner,
        json!({ "title": "D", "contactId": contact, "value": "200" }),
    )
    .await;
    let move_lead = "mutation($input: MoveLeadInput!) { moveLead(input: $input) { id } }";
    app.ok(
        token,
        move_lead,
        json!({ "input": { "id": a, "stageId": stages[3].0 } }),
    )
    .await;
    app.ok(
        token,
        move_lead,
        json!({ "input": { "id": a, "stageId": stage_with(&stages, "WON") } }),
    )
    .await;
    app.ok(token, move_lead, json!({ "input": { "id": d, "stageId": stage_with(&stages, "LOST"), "lostReason": "Sin presupuesto" } })).await;
    create(
        &app,
        &owner,
        LOG_ACTIVITY,
        "logActivity",
        json!({ "kind": "CALL", "subject": "1", "contactId": contact }),
    )
    .await;
    create(
        &app,
        &owner,
        LOG_ACTIVITY,
        "logActivity",
        json!({ "kind": "CALL", "subject": "2", "contactId": contact }),
    )
    .await;

    let body = app
        .ok(
            token,
            "query($from: DateTime!, $to: DateTime!) {
               pipelineSummary { stage { name } count value { amount currency } weightedValue { amount currency } }
               conversionFunnel(from: $from, to: $to) { created won lost winRate steps { stage { name } reached } }
               activityByUser(from: $from, to: $to) { user { email } counts { kind count } } }",
            json!({ "from": from, "to": to }),
        )
        .await;
    let summary = body["pipelineSummary"].as_array().expect("summary");
    let nuevo = &summary[0];
    assert_eq!(nuevo["count"], 2);
    assert_eq!(
        nuevo["value"],
        json!([{ "amount": "500.25", "currency": "MXN" }, { "amount": "99.00", "currency": "USD" }])
    );
    // 10 % of 500.25 = 50.025 → 50.03.
    assert_eq!(
        nuevo["weightedValue"][0],
        json!({ "amount": "50.03", "currency": "MXN" })
    );
    assert_eq!(summary[5]["stage"]["name"], "Ganado");
    assert_eq!(
        summary[5]["value"],
        json!([{ "amount": "1000.00", "currency": "MXN" }])
    );

    let funnel = &body["conversionFunnel"];
    assert_eq!(funnel["created"], 4);
    assert_eq!(
        (funnel["won"].clone(), funnel["lost"].clone()),
        (json!(1), json!(1))
    );
    assert_eq!(funnel["winRate"], 0.5);
    let reached: Vec<i64> = funnel["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .map(|s| s["reached"].as_i64().expect("n"))
        .collect();
    // Every lead starts in "Nuevo"; only A went further (to Propuesta, then Ganado); lost D got no further than Nuevo.
    assert_eq!(reached, [4, 1, 1, 1, 1, 1]);

    assert_eq!(
        body["activityByUser"][0]["user"]["email"],
        owner.email.as_str()
    );
    assert_eq!(
        body["activityByUser"][0]["counts"],
        json!([{ "kind": "CALL", "count": 2 }])
    );
}

#[tokio::test]
async fn a_page_of_leads_with_its_relations_costs_the_same_statements_whatever_its_size() {
    // No background work: only the request's own statements are counted.
    let app = TestApp::spawn_with(|c| c.in_process_workers = false).await;
    let owner = app.sign_up().await;
    let token = Some(owner.access_token.as_str());
    let query = "{ leads(first: 50) { totalCount edges { node { title contact { name } company { name } owner { email } stage { name }
                   recentActivities(limit: 3) { subject } } } } }";
    let add = |n: usize| {
        let app = &app;
        let owner = &owner;
        async move {
            let company = new_company(app, owner, json!({ "name": format!("Empresa {n}") })).await;
            let contact = new_contact(
                app,
                owner,
                json!({ "firstName": format!("Persona {n}"), "companyId": company }),
            )
            .await;
            let lead = new_lead(
                app,
                owner,
                json!({ "title": format!("Lead {n}"), "contactId": contact, "companyId": company }),
            )
            .await;
            for i in 0..4 {
                create(
                    app,
                    owner,
                    LOG_ACTIVITY,
                    "logActivity",
                    json!({ "kind": "NOTE", "subject": format!("nota {i}"), "leadId": lead }),
                )
                .await;
            }
        }
    };
    add(0).await;
    add(1).await;
    let before = app.sql_statements();
    let two = app.ok(token, query, json!({})).await;
    let with_two = app.sql_statements() - before;
    assert_eq!(two["leads"]["totalCount"], 2);
    for n in 2..12 {
        add(n).await;
    }
    let before = app.sql_statements();
    let twelve = app.ok(token, query, json!({})).await;
    let with_twelve = app.sql_statements() - before;
    assert_eq!(twelve["leads"]["totalCount"], 12);
    let first = &twelve["leads"]["edges"][0]["node"];
    assert_eq!(first["title"], "Lead 11");
    assert_eq!(
        first["recentActivities"]
            .as_array()
            .expect("activities")
            .len(),
        3
    );
    assert_eq!(
        first["recentActivities"][0]["subject"], "nota 3",
        "newest first"
    );
    assert_eq!(first["company"]["name"], "Empresa 11");
    assert_eq!(first["owner"]["email"], owner.email.as_str());
    assert_eq!(with_two, with_twelve, "statements grew with the page");
    // The session is remembered, so no statement asks who the caller is. One transaction:
    // on PostgreSQL its tenant binding, then the page with its total, contacts and companies,
    // and one statement each for owners, stages and the latest activities.
    let pg = u64::from(app.is_postgres());
    assert_eq!(with_twelve, pg + 4, "statements for one page");
    // The leads page the front ends show (no stage) fits in four statements on either database.
    let page = "{ leads(first: 50) { totalCount edges { node { id title value { amount currency }
                  contact { name email phone } company { name rfc } owner { displayName }
                  recentActivities(limit: 3) { kind subject occurredAt } } } } }";
    let before = app.sql_statements();
    let shown = app.ok(token, page, json!({})).await;
    let statements = app.sql_statements() - before;
    assert_eq!(
        shown["leads"]["edges"][0]["node"]["company"]["name"],
        "Empresa 11"
    );
    assert!(
        statements <= 4,
        "{statements} statements for the leads page"
    );
}

#[tokio::test]
async fn the_demo_seed_gives_a_front_end_sales_data_to_show() {
    let app = TestApp::spawn().await;
    let (token, _) = seeded_demo(&app, "ventas").await;
    let shown = app
        .ok(
            Some(&token),
            "{ contacts { totalCount } companies { totalCount } leads { totalCount edges { node { contact { name } stage { name } } } }
               proposals { edges { node { number total { amount } } } } activities(filter: { taskState: OPEN }) { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(shown["contacts"]["totalCount"], 3);
    assert_eq!(shown["companies"]["totalCount"], 1);
    assert_eq!(shown["leads"]["totalCount"], 3);
    assert_eq!(
        shown["proposals"]["edges"][0]["node"]["total"]["amount"],
        "56260.00"
    );
    assert_eq!(shown["activities"]["totalCount"], 1);
}

#[tokio::test]
async fn a_business_shapes_its_own_pipeline_and_keeps_its_leads_when_a_stage_goes() {
    let app = TestApp::spawn().await;
    let owner = app.sign_up().await;
    let token = Some(owner.access_token.as_str());
    let create = "mutation($input: CreatePipelineInput!) { createPipeline(input: $input) { id name isDefault stages { id name probability outcome } } }";
    let no_lost = app
        .gql(token, create, json!({ "input": { "name": "Mayoreo", "stages": [{ "name": "Nuevo", "probability": 10 }, { "name": "Ganado", "probability": 100, "outcome": "WON" }] } }))
        .await;
    assert_eq!(error_ext(&no_lost, "field"), "stages");
    let pipeline = app
        .ok(
            token,
            create,
            json!({ "input": { "name": "Mayoreo", "stages": [
                { "name": "Solicitud", "probability": 10 }, { "name": "Muestra enviada", "probability": 50 },
                { "name": "Cerrado", "probability": 100, "outcome": "WON" }, { "name": "Descartado", "probability": 0, "outcome": "LOST" } ] } }),
        )
        .await["createPipeline"]
        .clone();
    assert_eq!(pipeline["isDefault"], false);
    let stage = |i: usize| text(&pipeline["stages"][i]["id"]);
    let duplicate = app.gql(token, create, json!({ "input": { "name": "Mayoreo", "stages": pipeline["stages"].as_array().expect("stages").iter().map(|s| json!({ "name": s["name"], "probability": s["probability"], "outcome": s["outcome"] })).collect::<Vec<_>>() } })).await;
    assert_eq!(error_code(&duplicate), "CONFLICT");

    let contact = new_contact(&app, &owner, json!({ "firstName": "Rosa" })).await;
    let lead = create_lead_in(&app, &owner, &contact, &text(&pipeline["id"]), &stage(1)).await;
    let update = "mutation($input: UpdatePipelineInput!) { updatePipeline(input: $input) { stages { id name position } } }";
    // Dropping "Muestra enviada", which holds a lead, needs a place for the lead.
    let kept = json!([
        { "id": stage(0), "name": "Solicitud", "probability": 10 },
        { "name": "Negociando", "probability": 70 },
        { "id": stage(2), "name": "Cerrado", "probability": 100, "outcome": "WON" },
        { "id": stage(3), "name": "Descartado", "probability": 0, "outcome": "LOST" },
    ]);
    let refused = app
        .gql(
            token,
            update,
            json!({ "input": { "id": pipeline["id"], "stages": kept } }),
        )
        .await;
    assert_eq!(error_ext(&refused, "field"), "moveLeadsTo");
    let updated = app
        .ok(
            token,
            update,
            json!({ "input": { "id": pipeline["id"], "stages": kept, "moveLeadsTo": 1 } }),
        )
        .await;
    let names: Vec<String> = updated["updatePipeline"]["stages"]
        .as_array()
        .expect("stages")
        .iter()
        .map(|s| text(&s["name"]))
        .collect();
    assert_eq!(names, ["Solicitud", "Negociando", "Cerrado", "Descartado"]);
    let moved = app
        .ok(
            token,
            "query($id: ID!) { lead(id: $id) { stage { name } } }",
            json!({ "id": lead }),
        )
        .await;
    assert_eq!(moved["lead"]["stage"]["name"], "Negociando");
}

async fn create_lead_in(
    app: &TestApp,
    owner: &Session,
    contact: &str,
    pipeline: &str,
    stage: &str,
) -> String {
    new_lead(app, owner, json!({ "title": "Pedido", "contactId": contact, "pipelineId": pipeline, "stageId": stage })).await
}

#[tokio::test]
async fn leads_filter_by_score_tags_close_date_and_page_through_any_order() {
    let app = TestApp::spawn().await;
    let owner = app.sign_up().await;
    let token = Some(owner.access_token.as_str());
    let contact = new_contact(&app, &owner, json!({ "firstName": "Tina" })).await;
    // Values with ties, so paging by value must also order by id.
    let values = ["500", "100", "300", "300", "100", "900", "300"];
    let mut ids = Vec::new();
    for (i, value) in values.iter().enumerate() {
        let tags = if i % 2 == 0 {
            json!(["mayoreo"])
        } else {
            json!(["menudeo"])
        };
        let close = format!("2026-12-{:02}", i + 1);
        ids.push(new_lead(&app, &owner, json!({ "title": format!("L{i}"), "contactId": contact, "value": value, "tags": tags, "expectedCloseOn": close, "source": if i == 0 { "REFERRAL" } else { "ADS" } })).await);
    }
    let page = "query($after: String, $order: LeadOrder!) { leads(first: 3, after: $after, order: $order) { edges { cursor node { id value { amount } } } pageInfo { hasNextPage } } }";
    let mut seen = Vec::new();
    let mut after = Value::Null;
    loop {
        let body = app
            .ok(
                token,
                page,
                json!({ "after": after, "order": "HIGHEST_VALUE" }),
            )
            .await;
        let edges = body["leads"]["edges"].as_array().expect("edges").clone();
        for edge in &edges {
            seen.push((
                text(&edge["node"]["value"]["amount"]),
                text(&edge["node"]["id"]),
            ));
        }
        if body["leads"]["pageInfo"]["hasNextPage"] != true {
            break;
        }
        after = edges.last().expect("edge")["cursor"].clone();
    }
    assert_eq!(seen.len(), values.len(), "every lead once: {seen:?}");
    let amounts: Vec<f64> = seen
        .iter()
        .map(|(a, _)| a.parse().expect("amount"))
        .collect();
    assert!(amounts.windows(2).all(|w| w[0] >= w[1]), "{amounts:?}");
    let mut unique: Vec<&String> = seen.iter().map(|(_, id)| id).collect();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), values.len());

    let filtered = app
        .ok(
            token,
            "{ tagged: leads(filter: { tags: [\"MAYOREO\"] }) { totalCount }
               closing: leads(filter: { closeAfter: \"2026-12-02\", closeBefore: \"2026-12-04\" }) { totalCount }
               hot: leads(filter: { minScore: 20 }) { edges { node { id } } }
               cold: leads(filter: { maxScore: 19 }) { totalCount }
               referral: leads(filter: { sources: [REFERRAL] }) { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(filtered["tagged"]["totalCount"], 4);
    assert_eq!(filtered["closing"]["totalCount"], 3);
    assert_eq!(
        filtered["hot"]["edges"][0]["node"]["id"],
        ids[0].as_str(),
        "the referral scores highest"
    );
    assert_eq!(filtered["cold"]["totalCount"], 6);
    assert_eq!(filtered["referral"]["totalCount"], 1);
}

#[tokio::test]
async fn a_stored_value_this_build_does_not_know_is_an_error_not_a_default() {
    let app = TestApp::spawn().await;
    let owner = app.sign_up().await;
    let token = Some(owner.access_token.as_str());
    let contact = new_contact(&app, &owner, json!({ "firstName": "Ana" })).await;
    let lead = new_lead(
        &app,
        &owner,
        json!({ "title": "Vitrina", "contactId": contact, "source": "WEB" }),
    )
    .await;
    let query = "query($id: ID!) { lead(id: $id) { title source } }";
    let before = app.ok(token, query, json!({ "id": lead })).await;
    assert_eq!(before["lead"]["source"], "WEB");

    let id = uuid::Uuid::parse_str(&lead).expect("lead id");
    app.execute_sql(
        "UPDATE leads SET source = $1 WHERE id = $2",
        vec!["billboard".into(), id.into()],
    )
    .await;
    let after = app.gql(token, query, json!({ "id": lead })).await;
    assert_eq!(error_code(&after), "INTERNAL", "{after}");
    assert!(
        !after.to_string().contains("billboard"),
        "the stored value stays out of the answer: {after}"
    );
}
