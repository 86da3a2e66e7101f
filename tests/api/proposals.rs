//! Proposals: gapless numbers, exact totals, the lifecycle, the emailed link and the public
//! page where the customer answers, and the daily expiry.

use crate::fixtures::crm::{new_company, new_contact};
use crate::helpers::app_with_smtp;
use crate::helpers::eventually;
use crate::helpers::*;
use chrono::TimeDelta;
use serde_json::{Value, json};
use tianguis_domain::ports::Clock;

const CREATE: &str = "mutation($input: CreateProposalInput!) { createProposal(input: $input) { id number status
    subtotal { amount currency } discount { amount } tax { amount } withheld { amount } total { amount currency }
    items { position description quantity unitPrice amount { amount } tax { amount } withheld { amount } taxRate withholdings } } }";
const SEND: &str =
    "mutation($id: ID!) { sendProposal(input: { id: $id }) { id status sentAt recipientEmail } }";
const STATE: &str = "query($id: ID!) { proposal(id: $id) { status viewCount firstViewedAt decidedAt acceptedBy rejectionReason } }";

fn item(description: &str, quantity: &str, price: &str) -> Value {
    json!({ "description": description, "quantity": quantity, "unitPrice": price })
}

async fn propose(app: &TestApp, session: &Session, input: Value) -> Value {
    app.ok(
        Some(&session.access_token),
        CREATE,
        json!({ "input": input }),
    )
    .await["createProposal"]
        .clone()
}

#[tokio::test]
async fn totals_are_exact_and_numbers_have_no_gaps() {
    let app = TestApp::spawn().await;
    let owner = app.sign_up().await;
    let contact = new_contact(&app, &owner, json!({ "firstName": "Marta" })).await;
    let year = app.clock.now().format("%Y").to_string();
    let first = propose(
        &app,
        &owner,
        json!({ "title": "Equipo de panadería", "contactId": contact, "items": [
            { "description": "Charolas", "quantity": "2", "unitPrice": "150", "discount": "30" },
            { "description": "Flete (frontera)", "quantity": "1.5", "unitPrice": "99.99", "taxRate": "IVA_8" },
            { "description": "Asesoría", "quantity": "1", "unitPrice": "10000", "withholdings": ["IVA_TWO_THIRDS", "ISR_10"] },
        ] }),
    )
    .await;
    assert_eq!(first["number"], format!("COT-{year}-0001"));
    assert_eq!(first["status"], "DRAFT");
    assert_eq!(
        first["subtotal"],
        json!({ "amount": "10449.99", "currency": "MXN" })
    );
    assert_eq!(first["discount"]["amount"], "30.00");
    // 270 × 16 % = 43.20; 149.99 × 8 % = 12.00; 10,000 × 16 % = 1,600.00.
    assert_eq!(first["tax"]["amount"], "1655.20");
    // 10,000 × 10.6667 % = 1,066.67 and 10 % = 1,000.00.
    assert_eq!(first["withheld"]["amount"], "2066.67");
    assert_eq!(first["total"]["amount"], "10008.52");
    // Its PDF says the same, once however often it is asked for.
    let pdf = crate::pdfs::rendered(&app, &owner, "renderProposalPdf", &text(&first["id"])).await;
    assert_eq!(pdf["folderKind"], "PROPOSAL");
    let printed =
        crate::pdfs::text_of(&crate::pdfs::download(&app, &owner, &text(&pdf["id"])).await);
    for shown in [
        format!("Cotización COT-{year}-0001"),
        "Equipo de panadería".into(),
        "Marta".into(),
        "Flete (frontera)".into(),
        "10,449.99 MXN".into(),
        "2,066.67 MXN".into(),
        "10,008.52 MXN".into(),
    ] {
        assert!(printed.contains(&shown), "{shown} in {printed}");
    }
    let again = crate::pdfs::rendered(&app, &owner, "renderProposalPdf", &text(&first["id"])).await;
    assert_eq!(again["id"], pdf["id"]);
    assert_eq!(first["items"][1]["amount"]["amount"], "149.99");
    assert_eq!(first["items"][1]["quantity"], "1.5");
    assert_eq!(
        first["items"][2]["withholdings"],
        json!(["IVA_TWO_THIRDS", "ISR_10"])
    );

    // A create that fails takes no number.
    let bad = app
        .gql(Some(&owner.access_token), CREATE, json!({ "input": { "title": "x", "contactId": contact, "items": [item("x", "-1", "10")] } }))
        .await;
    assert_eq!(error_code(&bad), "BAD_USER_INPUT");
    assert_eq!(error_ext(&bad, "field"), "quantity");
    let second = propose(
        &app,
        &owner,
        json!({ "title": "Segunda", "contactId": contact, "items": [item("x", "1", "1")] }),
    )
    .await;
    assert_eq!(second["number"], format!("COT-{year}-0002"));
    let other_series = propose(&app, &owner, json!({ "title": "Renta", "contactId": contact, "series": "ren", "items": [item("x", "1", "1")] })).await;
    assert_eq!(other_series["number"], format!("REN-{year}-0001"));

    // Proposals created at the same moment still get consecutive numbers.
    let creates = (0..6).map(|i| {
        let app = &app;
        let owner = &owner;
        let contact = contact.clone();
        async move { propose(app, owner, json!({ "title": format!("Paralela {i}"), "contactId": contact, "items": [item("x", "1", "1")] })).await }
    });
    let mut numbers: Vec<String> = futures_util::future::join_all(creates)
        .await
        .iter()
        .map(|p| text(&p["number"]))
        .collect();
    numbers.sort();
    let expected: Vec<String> = (3..=8).map(|n| format!("COT-{year}-{n:04}")).collect();
    assert_eq!(numbers, expected);
}

#[tokio::test]
async fn bad_proposals_and_illegal_transitions_answer_bad_user_input() {
    let app = TestApp::spawn().await;
    let owner = app.sign_up().await;
    let token = Some(owner.access_token.as_str());
    let contact = new_contact(
        &app,
        &owner,
        json!({ "firstName": "Memo", "email": "memo@example.mx" }),
    )
    .await;
    let yesterday = (app.clock.now() - TimeDelta::days(1))
        .format("%Y-%m-%d")
        .to_string();
    for (input, field) in [
        (
            json!({ "title": "x", "contactId": contact, "items": [item("x", "1", "-5")] }),
            "unitPrice",
        ),
        (
            json!({ "title": "x", "contactId": contact, "items": [{ "description": "x", "quantity": "1", "unitPrice": "10", "discount": "11" }] }),
            "discount",
        ),
        (
            json!({ "title": "x", "contactId": contact, "items": [] }),
            "items",
        ),
        (
            json!({ "title": "x", "items": [item("x", "1", "1")] }),
            "contactId",
        ),
        (
            json!({ "title": "x", "contactId": contact, "validUntil": yesterday, "items": [item("x", "1", "1")] }),
            "validUntil",
        ),
        (
            json!({ "title": "x", "contactId": contact, "currency": "pesos", "items": [item("x", "1", "1")] }),
            "currency",
        ),
    ] {
        let body = app.gql(token, CREATE, json!({ "input": input })).await;
        assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body}");
        assert_eq!(error_ext(&body, "field"), field, "{body}");
    }
    let draft = text(
        &propose(
            &app,
            &owner,
            json!({ "title": "Borrador", "contactId": contact, "items": [item("x", "1", "1")] }),
        )
        .await["id"],
    );
    let accept = "mutation($id: ID!) { acceptProposal(input: { id: $id, acceptedBy: \"Memo\" }) { status } }";
    let body = app.gql(token, accept, json!({ "id": draft })).await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT");
    assert_eq!(error_ext(&body, "field"), "id");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("sent"),
        "{body}"
    );

    app.ok(token, SEND, json!({ "id": draft })).await;
    let edit = app
        .gql(
            token,
            "mutation($id: ID!) { updateProposal(input: { id: $id, title: \"Otro\" }) { id } }",
            json!({ "id": draft }),
        )
        .await;
    assert_eq!(error_ext(&edit, "field"), "id");
    let accepted = app.ok(token, accept, json!({ "id": draft })).await;
    assert_eq!(accepted["acceptProposal"]["status"], "ACCEPTED");
    let reject = app
        .gql(
            token,
            "mutation($id: ID!) { rejectProposal(input: { id: $id }) { status } }",
            json!({ "id": draft }),
        )
        .await;
    assert_eq!(
        error_ext(&reject, "field"),
        "id",
        "an accepted proposal stays accepted"
    );
}

async fn public(app: &TestApp, path: &str) -> (u16, String) {
    let response = reqwest::get(format!("{}{path}", app.base))
        .await
        .expect("request");
    (
        response.status().as_u16(),
        response.text().await.expect("body"),
    )
}

async fn answer(app: &TestApp, path: &str, form: &[(&str, &str)]) -> (u16, String) {
    let response = reqwest::Client::new()
        .post(format!("{}{path}", app.base))
        .form(form)
        .send()
        .await
        .expect("request");
    (
        response.status().as_u16(),
        response.text().await.expect("body"),
    )
}

#[tokio::test]
async fn a_customer_opens_the_emailed_link_and_accepts_without_an_account() {
    let (app, mut sink) = app_with_smtp().await;
    let owner = app.sign_up().await;
    let token = Some(owner.access_token.as_str());
    let company = new_company(&app, &owner, json!({ "name": "Cocina <Económica>" })).await;
    let contact = new_contact(
        &app,
        &owner,
        json!({ "firstName": "Paty", "email": "paty@example.mx", "companyId": company }),
    )
    .await;
    let proposal = propose(&app, &owner, json!({ "title": "Refrigerador <industrial>", "contactId": contact, "items": [item("Refrigerador de 2 puertas", "1", "48500")] })).await;
    let id = text(&proposal["id"]);
    let sent = app.ok(token, SEND, json!({ "id": id })).await;
    assert_eq!(sent["sendProposal"]["status"], "SENT");
    assert_eq!(sent["sendProposal"]["recipientEmail"], "paty@example.mx");
    let mail = sink.next_to("paty@example.mx").await;
    let link_token = mail.segment_after("p");
    assert_eq!(link_token.len(), 32);
    let attached = mail
        .attachment(&format!("{}.pdf", text(&proposal["number"])))
        .expect("the proposal's PDF attached");
    let printed = crate::pdfs::text_of(&attached);
    for shown in [
        "Refrigerador de 2 puertas",
        "Cocina <Económica> — Paty",
        "56,260.00 MXN",
    ] {
        assert!(printed.contains(shown), "{shown} in {printed}");
    }

    let (status, html) = public(&app, &format!("/p/{link_token}")).await;
    assert_eq!(status, 200);
    assert!(
        html.contains(&text(&proposal["number"])),
        "the number is shown"
    );
    assert!(
        html.contains("56,260.00"),
        "the total with IVA is shown: {html}"
    );
    assert!(
        html.contains("Refrigerador &lt;industrial&gt;") && !html.contains("<industrial>"),
        "text is escaped"
    );
    assert!(html.contains("Cocina &lt;Económica&gt;"));
    assert!(html.contains("name=\"viewport\""), "mobile-friendly");
    public(&app, &format!("/p/{link_token}")).await;
    let viewed = app.ok(token, STATE, json!({ "id": id })).await;
    assert_eq!(viewed["proposal"]["status"], "VIEWED");
    assert_eq!(viewed["proposal"]["viewCount"], 2);

    let (status, html) = answer(
        &app,
        &format!("/p/{link_token}/accept"),
        &[("name", "Patricia Ruiz")],
    )
    .await;
    assert_eq!(status, 200);
    assert!(html.contains("Patricia Ruiz"), "{html}");
    let accepted = app.ok(token, STATE, json!({ "id": id })).await;
    assert_eq!(accepted["proposal"]["status"], "ACCEPTED");
    assert_eq!(accepted["proposal"]["acceptedBy"], "Patricia Ruiz");
    assert!(accepted["proposal"]["decidedAt"].is_string());
    let events = app
        .ok(token, "query($id: ID!) { auditLogs(filter: { subjectId: $id }) { edges { node { action actorType } } } }", json!({ "id": id }))
        .await;
    let actions: Vec<String> = events["auditLogs"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| text(&e["node"]["action"]))
        .collect();
    assert_eq!(
        actions,
        [
            "crm.proposal.accepted",
            "crm.proposal.viewed",
            "crm.proposal.sent",
            "crm.proposal.created"
        ]
    );

    // A second answer changes nothing.
    let (status, html) = answer(
        &app,
        &format!("/p/{link_token}/reject"),
        &[("reason", "cambié de opinión")],
    )
    .await;
    assert_eq!(status, 422);
    assert!(html.contains("role=\"alert\""));
    assert_eq!(
        app.ok(token, STATE, json!({ "id": id })).await["proposal"]["status"],
        "ACCEPTED"
    );
    let (status, _) = public(&app, "/p/not-a-real-token").await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn a_resent_link_replaces_the_old_one_and_a_customer_can_reject_with_a_reason() {
    let (app, mut sink) = app_with_smtp().await;
    let owner = app.sign_up().await;
    let token = Some(owner.access_token.as_str());
    let contact = new_contact(&app, &owner, json!({ "firstName": "Beto" })).await;
    let id = text(&propose(&app, &owner, json!({ "title": "Riego", "contactId": contact, "items": [item("Goteo", "10", "35.5")] })).await["id"]);
    let no_email = app.gql(token, SEND, json!({ "id": id })).await;
    assert_eq!(error_ext(&no_email, "field"), "to");
    let send_to = "mutation($id: ID!) { sendProposal(input: { id: $id, to: \"beto@example.mx\" }) { status } }";
    app.ok(token, send_to, json!({ "id": id })).await;
    let old = sink.next_to("beto@example.mx").await.segment_after("p");
    app.ok(token, send_to, json!({ "id": id })).await;
    let new = sink.next_to("beto@example.mx").await.segment_after("p");
    assert_ne!(old, new);
    assert_eq!(public(&app, &format!("/p/{old}")).await.0, 404);
    let (status, _) = answer(&app, &format!("/p/{new}/reject"), &[("reason", "Muy caro")]).await;
    assert_eq!(status, 200);
    let state = app.ok(token, STATE, json!({ "id": id })).await;
    assert_eq!(state["proposal"]["status"], "REJECTED");
    assert_eq!(state["proposal"]["rejectionReason"], "Muy caro");
}

#[tokio::test]
async fn proposals_past_their_validity_expire_by_the_daily_job() {
    let app = TestApp::spawn().await;
    let owner = app.sign_up().await;
    let contact = new_contact(
        &app,
        &owner,
        json!({ "firstName": "Chuy", "email": "chuy@example.mx" }),
    )
    .await;
    let today = app.clock.now().format("%Y-%m-%d").to_string();
    let sent = text(&propose(&app, &owner, json!({ "title": "Vence hoy", "contactId": contact, "validUntil": today, "items": [item("x", "1", "1")] })).await["id"]);
    let draft = text(&propose(&app, &owner, json!({ "title": "Borrador", "contactId": contact, "validUntil": today, "items": [item("x", "1", "1")] })).await["id"]);
    app.ok(Some(&owner.access_token), SEND, json!({ "id": sent }))
        .await;
    app.clock.advance(TimeDelta::days(2));
    let session = app.refreshed(&owner).await;
    let query = format!(
        "{{ sent: proposal(id: \"{sent}\") {{ status decidedAt }} draft: proposal(id: \"{draft}\") {{ status }} }}"
    );
    let state = eventually(&app, &session, &query, |s| s["sent"]["status"] == "EXPIRED").await;
    assert!(state["sent"]["decidedAt"].is_string());
    assert_eq!(
        state["draft"]["status"], "DRAFT",
        "drafts are not offered to anyone, so they do not expire"
    );
}
