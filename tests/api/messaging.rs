//! The inbox: WhatsApp and SMS channels, conversations, replies through the providers'
//! doubles, the signed WhatsApp webhook, the 24-hour window and message templates.

use crate::edge::{next_message, subscribe};
use crate::fixtures::crm::new_contact;
use crate::fixtures::messaging::*;
use crate::helpers::eventually;
use crate::helpers::*;
use crate::messaging_double::*;
use serde_json::{Value, json};
use std::time::Duration;

pub const CONVERSATIONS: &str = "query($filter: ConversationFilter) { conversations(filter: $filter) { totalCount edges { node {
    id status unreadCount labels lastMessagePreview firstResponseSeconds resolvedAt serviceWindowClosesAt
    contact { id name phone } channel { id kind } assignee { id }
    messages(first: 20) { totalCount edges { node { id direction kind body status providerMessageId error } } } } } } }";

const SEND: &str = "mutation($input: SendMessageInput!) { sendMessage(input: $input) { id status direction kind body } }";

async fn conversations(app: &TestApp, session: &Session) -> Value {
    app.ok(Some(&session.access_token), CONVERSATIONS, json!({}))
        .await["conversations"]
        .clone()
}

/// The conversation with `phone`'s contact, once a webhook has brought its first message.
async fn inbound(app: &TestApp, wa: &WhatsApp, phone: &str, text: &str) -> String {
    let body = inbound_text(
        &wa.phone_number_id,
        phone,
        "Lupita Ramírez",
        &unique("wamid."),
        text,
    );
    let response = webhook(app, &body, None).await;
    assert_eq!(
        response.status(),
        200,
        "{}",
        response.text().await.unwrap_or_default()
    );
    body
}

#[tokio::test]
async fn meta_verifies_the_webhook_only_with_the_verify_token() {
    let (app, _double) = app_with_providers().await;
    let url = |token: &str| {
        format!(
            "{}/webhooks/whatsapp?hub.mode=subscribe&hub.verify_token={token}&hub.challenge=1158201444",
            app.base
        )
    };
    let ok = reqwest::get(url(VERIFY_TOKEN)).await.expect("get");
    assert_eq!(ok.status(), 200);
    assert_eq!(ok.text().await.expect("body"), "1158201444");
    let refused = reqwest::get(url("guess")).await.expect("get");
    assert_eq!(refused.status(), 403);
}

#[tokio::test]
async fn an_inbound_message_opens_one_conversation_and_the_reply_goes_out_and_is_tracked() {
    let (app, double) = app_with_providers().await;
    let owner = app.sign_up().await;
    let wa = whatsapp_channel(&app, &owner).await;
    let phone = unique_phone();
    let body = inbound(&app, &wa, &phone, "Hola, ¿tienen tortillas de harina?").await;
    // Meta redelivers: nothing is added.
    let again = webhook(&app, &body, None).await;
    assert_eq!(again.status(), 200);

    let inbox = conversations(&app, &owner).await;
    assert_eq!(inbox["totalCount"], 1, "{inbox}");
    let conversation = &inbox["edges"][0]["node"];
    assert_eq!(conversation["status"], "OPEN");
    assert_eq!(conversation["unreadCount"], 1);
    assert_eq!(conversation["contact"]["name"], "Lupita Ramírez");
    assert_eq!(conversation["contact"]["phone"], format!("+{phone}"));
    assert_eq!(
        conversation["messages"]["totalCount"], 1,
        "one message after a redelivery"
    );
    assert_eq!(
        conversation["messages"]["edges"][0]["node"]["body"],
        "Hola, ¿tienen tortillas de harina?"
    );
    assert!(conversation["serviceWindowClosesAt"].is_string());
    let conversation_id = text(&conversation["id"]);

    let sent = app
        .ok(
            Some(&owner.access_token),
            SEND,
            json!({ "input": { "conversationId": conversation_id, "content": { "text": "¡Sí! Pásele." } } }),
        )
        .await;
    assert_eq!(sent["sendMessage"]["status"], "QUEUED");
    let state = eventually(&app, &owner, CONVERSATIONS, |s| {
        s["conversations"]["edges"][0]["node"]["messages"]["edges"][0]["node"]["status"] == "SENT"
    })
    .await;
    let reply = &state["conversations"]["edges"][0]["node"]["messages"]["edges"][0]["node"];
    assert_eq!(reply["direction"], "OUTBOUND");
    let provider_id = text(&reply["providerMessageId"]);
    assert!(provider_id.starts_with("wamid."), "{provider_id}");
    let calls = double.calls("whatsapp.messages");
    assert_eq!(calls.len(), 1, "sent once");
    assert_eq!(calls[0].id, wa.phone_number_id);
    assert_eq!(calls[0].body["to"], phone);
    assert_eq!(calls[0].body["type"], "text");
    assert_eq!(calls[0].body["text"]["body"], "¡Sí! Pásele.");
    assert!(
        state["conversations"]["edges"][0]["node"]["firstResponseSeconds"].is_number(),
        "the first response is measured"
    );

    // Statuses move forward only: a late `delivered` after `read` changes nothing.
    for status in ["delivered", "read", "delivered"] {
        let r = webhook(
            &app,
            &status_update(&wa.phone_number_id, &provider_id, status),
            None,
        )
        .await;
        assert_eq!(r.status(), 200);
    }
    let state = conversations(&app, &owner).await;
    assert_eq!(
        state["edges"][0]["node"]["messages"]["edges"][0]["node"]["status"],
        "READ"
    );

    // The contact's CRM timeline shows the exchange.
    let contact_id = text(&state["edges"][0]["node"]["contact"]["id"]);
    let timeline = app
        .ok(
            Some(&owner.access_token),
            "query($id: ID!) { contact(id: $id) { timeline { __typename ... on Message { body direction } } } }",
            json!({ "id": contact_id }),
        )
        .await;
    let entries = timeline["contact"]["timeline"]
        .as_array()
        .expect("timeline");
    assert_eq!(entries.len(), 2, "{timeline}");
    assert!(entries.iter().all(|e| e["__typename"] == "Message"));

    let read = app
        .ok(
            Some(&owner.access_token),
            "mutation($input: ConversationRef!) { markConversationRead(input: $input) { unreadCount } }",
            json!({ "input": { "conversationId": conversation_id } }),
        )
        .await;
    assert_eq!(read["markConversationRead"]["unreadCount"], 0);
}

#[tokio::test]
async fn a_forged_or_missing_signature_is_refused_and_changes_nothing() {
    let (app, _double) = app_with_providers().await;
    let owner = app.sign_up().await;
    let wa = whatsapp_channel(&app, &owner).await;
    let body = inbound_text(
        &wa.phone_number_id,
        &unique_phone(),
        "Eve",
        "wamid.forged",
        "hola",
    );
    let forged = webhook(&app, &body, Some(&signature(&body, "not-the-secret"))).await;
    assert_eq!(forged.status(), 403);
    let tampered = webhook(
        &app,
        &body.replace("hola", "adiós"),
        Some(&signature(&body, APP_SECRET)),
    )
    .await;
    assert_eq!(tampered.status(), 403);
    let missing = reqwest::Client::new()
        .post(format!("{}/webhooks/whatsapp", app.base))
        .body(body.clone())
        .send()
        .await
        .expect("post");
    assert_eq!(missing.status(), 403);
    assert_eq!(conversations(&app, &owner).await["totalCount"], 0);
}

#[tokio::test]
async fn past_the_24_hour_window_only_an_approved_template_with_every_variable_goes_out() {
    let (app, double) = app_with_providers().await;
    let owner = app.sign_up().await;
    let wa = whatsapp_channel(&app, &owner).await;
    inbound(&app, &wa, &unique_phone(), "¿Siguen abiertos?").await;
    let conversation_id = text(&conversations(&app, &owner).await["edges"][0]["node"]["id"]);
    app.clock.advance(chrono::TimeDelta::hours(25));
    let owner = app.refreshed(&owner).await;

    let late = app
        .gql(
            Some(&owner.access_token),
            SEND,
            json!({ "input": { "conversationId": conversation_id, "content": { "text": "Perdón la demora" } } }),
        )
        .await;
    assert_eq!(error_code(&late), "CONFLICT", "{late}");
    assert_eq!(error_ext(&late, "field"), "templateId");

    let template_id = approved_template(&app, &owner, &wa, &double).await;
    let missing = app
        .gql(
            Some(&owner.access_token),
            SEND,
            json!({ "input": { "conversationId": conversation_id,
                "content": { "template": { "templateId": template_id, "variables": ["Lupita"] } } } }),
        )
        .await;
    assert_eq!(error_code(&missing), "BAD_USER_INPUT", "{missing}");
    assert_eq!(error_ext(&missing, "field"), "variables");

    let sent = app
        .ok(
            Some(&owner.access_token),
            SEND,
            json!({ "input": { "conversationId": conversation_id,
                "content": { "template": { "templateId": template_id, "variables": ["Lupita", "20%"] } } } }),
        )
        .await;
    assert_eq!(sent["sendMessage"]["kind"], "TEMPLATE");
    assert_eq!(
        sent["sendMessage"]["body"],
        "Hola Lupita, tu descuento es 20%."
    );
    eventually(&app, &owner, CONVERSATIONS, |s| {
        s["conversations"]["edges"][0]["node"]["messages"]["edges"][0]["node"]["status"] == "SENT"
    })
    .await;
    let call = double.calls("whatsapp.messages").pop().expect("sent");
    assert_eq!(call.body["type"], "template");
    assert_eq!(call.body["template"]["name"], "promo_buen_fin");
    assert_eq!(call.body["template"]["language"]["code"], "es_MX");
    assert_eq!(
        call.body["template"]["components"][0]["parameters"],
        json!([{ "type": "text", "text": "Lupita" }, { "type": "text", "text": "20%" }])
    );
}

#[tokio::test]
async fn a_template_keeps_every_version_and_its_status_can_be_asked_of_meta() {
    let (app, double) = app_with_providers().await;
    let owner = app.sign_up().await;
    let wa = whatsapp_channel(&app, &owner).await;
    let id = approved_template(&app, &owner, &wa, &double).await;
    let bad = app
        .gql(
            Some(&owner.access_token),
            "mutation($input: UpdateMessageTemplateInput!) { updateMessageTemplate(input: $input) { id } }",
            json!({ "input": { "id": id, "content": { "body": "Hola {{1}} y {{3}}", "examples": ["a", "b"] } } }),
        )
        .await;
    assert_eq!(error_code(&bad), "BAD_USER_INPUT");
    assert_eq!(error_ext(&bad, "field"), "content.body");
    let updated = app
        .ok(
            Some(&owner.access_token),
            "mutation($input: UpdateMessageTemplateInput!) { updateMessageTemplate(input: $input) {
                status version versions { version change changedBy { id } content { body } } } }",
            json!({ "input": { "id": id, "content": { "header": "Buen Fin", "body": "¡Hola {{1}}! Hoy {{2}} de descuento.",
                "footer": "Tianguis", "buttons": [{ "kind": "URL", "text": "Ver", "url": "https://tianguis.mx/promo" }],
                "examples": ["Ana", "15%"] } } }),
        )
        .await;
    let template = &updated["updateMessageTemplate"];
    assert_eq!(
        template["status"], "DRAFT",
        "a change needs Meta's review again"
    );
    assert_eq!(template["version"], 2);
    let versions = template["versions"].as_array().expect("versions");
    assert_eq!(versions.len(), 2);
    assert_eq!(versions[0]["change"], "changed body");
    assert_eq!(versions[0]["changedBy"]["id"], json!(owner.user_id));
    assert_eq!(
        versions[1]["content"]["body"],
        "Hola {{1}}, tu descuento es {{2}}."
    );

    app.ok(
        Some(&owner.access_token),
        "mutation($input: TemplateRef!) { submitMessageTemplate(input: $input) { status } }",
        json!({ "input": { "id": id } }),
    )
    .await;
    double.set_template_status("REJECTED");
    let refreshed = app
        .ok(
            Some(&owner.access_token),
            "mutation($input: TemplateRef!) { refreshMessageTemplate(input: $input) { status } }",
            json!({ "input": { "id": id } }),
        )
        .await;
    assert_eq!(refreshed["refreshMessageTemplate"]["status"], "REJECTED");
}

#[tokio::test]
async fn the_live_inbox_sees_new_messages_and_changes() {
    let (app, _double) = app_with_providers().await;
    let owner = app.sign_up().await;
    let wa = whatsapp_channel(&app, &owner).await;
    let mut ws = subscribe(
        &app,
        &owner,
        "subscription { inboxChanged { change conversation { id unreadCount } message { body direction } } }",
        json!({}),
    )
    .await;
    // The subscription's registration is not acknowledged: write until it is seen.
    let phone = unique_phone();
    let mut seen = None;
    for attempt in 0..50 {
        inbound(&app, &wa, &phone, &format!("mensaje {attempt}")).await;
        if let Some(message) = next_message(&mut ws, Duration::from_millis(200)).await {
            seen = Some(message);
            break;
        }
    }
    let message = seen.expect("the subscriber saw a message");
    let event = &message["payload"]["data"]["inboxChanged"];
    assert_eq!(event["change"], "MESSAGE_ADDED", "{message}");
    assert_eq!(event["message"]["direction"], "INBOUND");
    assert!(text(&event["message"]["body"]).starts_with("mensaje "));
}

#[tokio::test]
async fn conversations_are_assigned_labelled_snoozed_closed_and_reopened_by_the_contact() {
    let (app, _double) = app_with_providers().await;
    let owner = app.sign_up().await;
    let wa = whatsapp_channel(&app, &owner).await;
    let phone = unique_phone();
    inbound(&app, &wa, &phone, "Quiero una cotización").await;
    let id = text(&conversations(&app, &owner).await["edges"][0]["node"]["id"]);
    let token = Some(owner.access_token.as_str());
    app.ok(
        token,
        "mutation($input: AssignConversationInput!) { assignConversation(input: $input) { assignee { id } } }",
        json!({ "input": { "conversationId": id, "assigneeId": owner.user_id } }),
    )
    .await;
    app.ok(
        token,
        "mutation($input: SetConversationLabelsInput!) { setConversationLabels(input: $input) { labels } }",
        json!({ "input": { "conversationId": id, "labels": ["mayoreo", "urgente"] } }),
    )
    .await;
    let filtered = app
        .ok(
            token,
            CONVERSATIONS,
            json!({ "filter": { "label": "mayoreo", "assigneeId": owner.user_id } }),
        )
        .await;
    assert_eq!(filtered["conversations"]["totalCount"], 1);
    let none = app
        .ok(
            token,
            CONVERSATIONS,
            json!({ "filter": { "label": "menudeo" } }),
        )
        .await;
    assert_eq!(none["conversations"]["totalCount"], 0);

    let snooze = app
        .gql(
            token,
            "mutation($input: SetConversationStatusInput!) { setConversationStatus(input: $input) { status } }",
            json!({ "input": { "conversationId": id, "status": "SNOOZED" } }),
        )
        .await;
    assert_eq!(error_ext(&snooze, "field"), "snoozedUntil");
    let closed = app
        .ok(
            token,
            "mutation($input: SetConversationStatusInput!) { setConversationStatus(input: $input) { status resolvedAt resolutionSeconds } }",
            json!({ "input": { "conversationId": id, "status": "CLOSED" } }),
        )
        .await;
    assert_eq!(closed["setConversationStatus"]["status"], "CLOSED");
    assert!(closed["setConversationStatus"]["resolutionSeconds"].is_number());

    inbound(&app, &wa, &phone, "Una pregunta más").await;
    let reopened = conversations(&app, &owner).await;
    assert_eq!(reopened["totalCount"], 1, "the same conversation");
    assert_eq!(reopened["edges"][0]["node"]["status"], "OPEN");
    assert_eq!(reopened["edges"][0]["node"]["resolvedAt"], Value::Null);
}

#[tokio::test]
async fn an_sms_reply_goes_through_twilio() {
    let (app, double) = app_with_providers().await;
    let owner = app.sign_up().await;
    let token = Some(owner.access_token.as_str());
    let channel = app
        .ok(
            token,
            "mutation($input: CreateChannelInput!) { createChannel(input: $input) { id } }",
            json!({ "input": { "kind": "SMS", "name": "SMS", "address": format!("+{}", unique_phone()),
                               "accountId": TWILIO_SID, "token": TWILIO_TOKEN } }),
        )
        .await;
    let phone = format!("+{}", unique_phone());
    let contact = new_contact(&app, &owner, json!({ "firstName": "Beto", "phone": phone })).await;
    let conversation = app
        .ok(
            token,
            "mutation($input: StartConversationInput!) { startConversation(input: $input) { id status } }",
            json!({ "input": { "contactId": contact, "channelId": channel["createChannel"]["id"] } }),
        )
        .await;
    let id = text(&conversation["startConversation"]["id"]);
    app.ok(
        token,
        SEND,
        json!({ "input": { "conversationId": id, "content": { "text": "Su pedido está listo" } } }),
    )
    .await;
    let state = eventually(&app, &owner, CONVERSATIONS, |s| {
        s["conversations"]["edges"][0]["node"]["messages"]["edges"][0]["node"]["status"] == "SENT"
    })
    .await;
    let provider = text(
        &state["conversations"]["edges"][0]["node"]["messages"]["edges"][0]["node"]["providerMessageId"],
    );
    assert!(provider.starts_with("SM"), "{provider}");
    let call = double.calls("twilio.messages").pop().expect("sent");
    assert_eq!(call.body["To"], phone);
    assert_eq!(call.body["Body"], "Su pedido está listo");
}

#[tokio::test]
async fn a_contact_who_writes_stop_is_not_messaged_again() {
    let (app, _double) = app_with_providers().await;
    let owner = app.sign_up().await;
    let wa = whatsapp_channel(&app, &owner).await;
    inbound(&app, &wa, &unique_phone(), "BAJA").await;
    let inbox = conversations(&app, &owner).await;
    let id = text(&inbox["edges"][0]["node"]["id"]);
    let contact = text(&inbox["edges"][0]["node"]["contact"]["id"]);
    let opted = app
        .ok(
            Some(&owner.access_token),
            "query($id: ID!) { contact(id: $id) { messagingOptOuts } }",
            json!({ "id": contact }),
        )
        .await;
    assert_eq!(opted["contact"]["messagingOptOuts"], json!(["WHATSAPP"]));
    let refused = app
        .gql(
            Some(&owner.access_token),
            SEND,
            json!({ "input": { "conversationId": id, "content": { "text": "¡Oferta!" } } }),
        )
        .await;
    assert_eq!(error_code(&refused), "CONFLICT", "{refused}");
    // The team can take the opt-out back when the contact asks.
    let back = app
        .ok(
            Some(&owner.access_token),
            "mutation($input: SetContactOptOutInput!) { setContactOptOut(input: $input) }",
            json!({ "input": { "contactId": contact, "channelKind": "WHATSAPP", "optedOut": false } }),
        )
        .await;
    assert_eq!(back["setContactOptOut"], json!([]));
}

#[tokio::test]
async fn a_failed_send_carries_the_providers_reason() {
    let (app, _double) = app_with_providers().await;
    let owner = app.sign_up().await;
    let wa = whatsapp_channel(&app, &owner).await;
    // The double refuses numbers ending in 0000 as Meta does numbers not on WhatsApp.
    inbound(&app, &wa, "5215599990000", "hola").await;
    let id = text(&conversations(&app, &owner).await["edges"][0]["node"]["id"]);
    app.ok(
        Some(&owner.access_token),
        SEND,
        json!({ "input": { "conversationId": id, "content": { "text": "hola" } } }),
    )
    .await;
    let state = eventually(&app, &owner, CONVERSATIONS, |s| {
        s["conversations"]["edges"][0]["node"]["messages"]["edges"][0]["node"]["status"] == "FAILED"
    })
    .await;
    let error =
        text(&state["conversations"]["edges"][0]["node"]["messages"]["edges"][0]["node"]["error"]);
    assert!(error.contains("131026"), "{error}");
}

#[tokio::test]
async fn sms_comes_in_and_its_statuses_come_back_through_twilios_signed_webhook() {
    let (app, double) = app_with_providers().await;
    let owner = app.sign_up().await;
    let number = sms_channel(&app, &owner).await;
    let customer = format!("+{}", unique_phone());
    let sid = unique("SM").replace('-', "");
    let inbound = [
        ("AccountSid", TWILIO_SID),
        ("MessageSid", sid.as_str()),
        ("From", customer.as_str()),
        ("To", number.as_str()),
        ("Body", "¿A qué hora abren?"),
        ("NumMedia", "0"),
    ];
    let forged = twilio_webhook(&app, &inbound, Some("bm90LXRoZS1zaWduYXR1cmU=".into())).await;
    assert_eq!(forged.status(), 403);
    assert_eq!(conversations(&app, &owner).await["totalCount"], 0);
    for _ in 0..2 {
        let r = twilio_webhook(&app, &inbound, None).await;
        assert_eq!(r.status(), 200, "{}", r.text().await.unwrap_or_default());
    }
    let inbox = conversations(&app, &owner).await;
    assert_eq!(inbox["totalCount"], 1);
    let conversation = &inbox["edges"][0]["node"];
    assert_eq!(conversation["channel"]["kind"], "SMS");
    assert_eq!(
        conversation["messages"]["totalCount"], 1,
        "a redelivery adds nothing"
    );
    assert_eq!(conversation["contact"]["phone"], json!(customer));

    app.ok(
        Some(&owner.access_token),
        SEND,
        json!({ "input": { "conversationId": conversation["id"], "content": { "text": "A las 8" } } }),
    )
    .await;
    let state = eventually(&app, &owner, CONVERSATIONS, |s| {
        s["conversations"]["edges"][0]["node"]["messages"]["edges"][0]["node"]["status"] == "SENT"
    })
    .await;
    let reply_sid = text(
        &state["conversations"]["edges"][0]["node"]["messages"]["edges"][0]["node"]["providerMessageId"],
    );
    let call = double.calls("twilio.messages").pop().expect("sent");
    assert_eq!(
        call.body["StatusCallback"],
        "http://localhost:8080/webhooks/twilio"
    );
    let delivered = [
        ("AccountSid", TWILIO_SID),
        ("MessageSid", reply_sid.as_str()),
        ("MessageStatus", "delivered"),
        ("From", number.as_str()),
        ("To", customer.as_str()),
    ];
    assert_eq!(twilio_webhook(&app, &delivered, None).await.status(), 200);
    let state = conversations(&app, &owner).await;
    assert_eq!(
        state["edges"][0]["node"]["messages"]["edges"][0]["node"]["status"],
        "DELIVERED"
    );
}

#[tokio::test]
async fn the_inbox_page_costs_the_same_statements_for_one_conversation_or_many() {
    // No background work: only the request's own statements are counted.
    let (app, double) = app_with_providers_and(|c| c.in_process_workers = false).await;
    let owner = app.sign_up().await;
    let wa = whatsapp_channel(&app, &owner).await;
    approved_template(&app, &owner, &wa, &double).await;
    let page =
        "{ conversations(first: 50) { totalCount edges { node { id unreadCount lastMessagePreview
        contact { name } channel { kind } assignee { displayName } } } }
        messageTemplates { name versions { version changedBy { id } } } }";
    let measure = || async {
        let before = app.sql_statements();
        app.ok(Some(&owner.access_token), page, json!({})).await;
        app.sql_statements() - before
    };
    inbound(&app, &wa, &unique_phone(), "uno").await;
    let one = measure().await;
    for text in ["dos", "tres", "cuatro"] {
        inbound(&app, &wa, &unique_phone(), text).await;
    }
    let many = measure().await;
    assert_eq!(conversations(&app, &owner).await["totalCount"], 4);
    assert_eq!(one, many, "statements grow with the conversations shown");
}
