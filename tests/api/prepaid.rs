//! Prepaid cards: loaded at the till, spent at the till or at a reader device.

use crate::fixtures::commerce::*;
use crate::fixtures::iot::new_device;
use crate::helpers::*;
use serde_json::{Value, json};

const CARD: &str = "query($id: ID!) { prepaidCard(id: $id) { status balance { amount } replacedById }
    prepaidCardEntries(cardId: $id) { totalCount edges { node { kind amount { amount } balanceAfter { amount } } } } }";

fn paid_by_card(session: &str, variant: &str, quantity: &str, amount: &str, uid: &str) -> Value {
    json!({
        "sessionId": session,
        "idempotencyKey": uuid::Uuid::new_v4().to_string(),
        "lines": [{ "variantId": variant, "quantity": quantity }],
        "payments": [{ "method": "PREPAID_CARD", "amount": amount, "cardUid": uid }],
    })
}

#[tokio::test]
async fn a_card_loaded_at_the_till_pays_a_ticket_and_takes_a_refund() {
    let app = TestApp::spawn().await;
    let shop = shop(&app).await;
    let owner = &shop.owner;
    let token = Some(owner.access_token.as_str());
    let uid = unique("04A1").to_uppercase();
    let card = loaded_card(&app, &shop, &uid, "200").await;
    let (_, beer) = piece(&app, owner, "35").await;
    receive(&app, owner, &shop.location, &beer, "10", "15").await;
    let sold = app
        .ok(
            token,
            CREATE_TICKET,
            json!({ "input": paid_by_card(&shop.session, &beer, "2", "70", &uid.to_lowercase()) }),
        )
        .await;
    assert_eq!(
        sold["createTicket"]["payments"],
        json!([{ "method": "PREPAID_CARD", "amount": { "amount": "70.00" }, "tendered": null, "reference": uid.to_lowercase() }])
    );
    // More than the card holds: refused whole, nothing taken from stock or the card.
    let short = app
        .gql(
            token,
            CREATE_TICKET,
            json!({ "input": paid_by_card(&shop.session, &beer, "4", "140", &uid) }),
        )
        .await;
    assert_eq!(error_code(&short), "CONFLICT", "{short}");
    assert_eq!(error_ext(&short, "field"), "payments");
    assert_eq!(on_hand(&app, owner, &beer).await, "8");

    let give_back = app
        .ok(
            token,
            "mutation($input: ReturnTicketInput!) { returnTicket(input: $input) { total { amount } } }",
            json!({ "input": {
                "ticketId": sold["createTicket"]["id"], "sessionId": shop.session,
                "idempotencyKey": uuid::Uuid::new_v4().to_string(),
                "lines": [{ "lineId": sold["createTicket"]["lines"][0]["id"], "quantity": "1" }],
                "refundMethod": "PREPAID_CARD", "cardUid": uid,
            }}),
        )
        .await;
    assert_eq!(give_back["returnTicket"]["total"]["amount"], "-35.00");
    let state = app.ok(token, CARD, json!({ "id": card })).await;
    assert_eq!(state["prepaidCard"]["balance"]["amount"], "165.00");
    let kinds: Vec<&str> = state["prepaidCardEntries"]["edges"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| e["node"]["kind"].as_str().expect("kind"))
        .collect();
    assert_eq!(kinds, ["REFUND", "CHARGE", "TOP_UP"]);
    // The drawer holds the float and the cash top-up; card payments moved no cash.
    let session = app
        .ok(
            token,
            "query($id: ID!) { cashSession(id: $id) { expected { method amount { amount } } } }",
            json!({ "id": shop.session }),
        )
        .await;
    assert_eq!(
        session["cashSession"]["expected"],
        json!([{ "method": "CASH", "amount": { "amount": "700.00" } }])
    );
}

#[tokio::test]
async fn a_hundred_concurrent_charges_on_one_card_take_exactly_its_balance() {
    let app = TestApp::spawn().await;
    let shop = shop(&app).await;
    let uid = unique("HOT").to_uppercase();
    let card = loaded_card(&app, &shop, &uid, "100").await;
    let (_, reader) = new_device(&app, &shop.owner, json!({ "name": "Lector barra" })).await;
    let charges = (0..100).map(|n| {
        reader_charge(
            &app,
            &reader,
            json!({ "cardUid": uid, "amount": "3.00", "transactionId": format!("barra-{n}") }),
        )
    });
    let answers = futures_util::future::join_all(charges).await;
    assert!(
        answers.iter().all(|(status, _)| *status == 200),
        "{answers:?}"
    );
    let approved = answers
        .iter()
        .filter(|(_, a)| a["approved"] == true)
        .count();
    assert_eq!(approved, 33, "100.00 holds 33 charges of 3.00");
    for (_, declined) in answers.iter().filter(|(_, a)| a["approved"] == false) {
        assert_eq!(declined["reason"], "INSUFFICIENT_BALANCE", "{declined}");
    }
    let state = app
        .ok(Some(&shop.owner.access_token), CARD, json!({ "id": card }))
        .await;
    assert_eq!(state["prepaidCard"]["balance"]["amount"], "1.00");
    assert_eq!(state["prepaidCardEntries"]["totalCount"], 34);

    // A retried charge (the reader lost the answer) is applied once and answers the same.
    let first = answers
        .iter()
        .find(|(_, a)| a["approved"] == true)
        .map(|(_, a)| a.clone())
        .expect("an approved charge");
    let retried = reader_charge(
        &app,
        &reader,
        json!({ "cardUid": uid, "amount": 3, "transactionId": first["transactionId"] }),
    )
    .await;
    assert_eq!(retried, (200, first.clone()));
    let reused = reader_charge(
        &app,
        &reader,
        json!({ "cardUid": uid, "amount": "1.00", "transactionId": first["transactionId"] }),
    )
    .await;
    assert_eq!(reused.0, 400, "{reused:?}");
    let state = app
        .ok(Some(&shop.owner.access_token), CARD, json!({ "id": card }))
        .await;
    assert_eq!(state["prepaidCard"]["balance"]["amount"], "1.00");
    // A reader needs its token, and a bad body is refused with a reason.
    assert_eq!(reader_charge(&app, "dev_nope", json!({})).await.0, 401);
    let bad = reader_charge(
        &app,
        &reader,
        json!({ "cardUid": uid, "amount": "1.005", "transactionId": "x" }),
    )
    .await;
    assert_eq!(bad.0, 400, "{bad:?}");
}

#[tokio::test]
async fn a_reader_charges_over_mqtt_and_hears_the_answer() {
    let app = TestApp::spawn().await;
    let shop = shop(&app).await;
    let uid = unique("MQ").to_uppercase();
    loaded_card(&app, &shop, &uid, "50").await;
    let (_, reader) = new_device(&app, &shop.owner, json!({ "name": "Lector terraza" })).await;
    let mut device = crate::mqtt::connect(&app, Some(&reader))
        .await
        .expect("connected");
    device
        .subscribe("v1/devices/me/prepaid/charge/response")
        .await;
    for (amount, approved) in [("45.50", true), ("5", false)] {
        device
            .publish_acknowledged(
                "v1/devices/me/prepaid/charge",
                json!({ "cardUid": uid, "amount": amount, "transactionId": unique("t") })
                    .to_string(),
            )
            .await;
        let answer = device
            .next_publish("v1/devices/me/prepaid/charge/response")
            .await;
        let answer: Value = serde_json::from_slice(&answer.payload).expect("JSON");
        assert_eq!(answer["approved"], approved, "{answer}");
        assert_eq!(answer["balance"], "4.50", "{answer}");
    }
}

#[tokio::test]
async fn a_lost_card_is_blocked_and_its_balance_moves_to_a_new_one() {
    let app = TestApp::spawn().await;
    let shop = shop(&app).await;
    let token = Some(shop.owner.access_token.as_str());
    let lost_uid = unique("LOST").to_uppercase();
    let lost = loaded_card(&app, &shop, &lost_uid, "80").await;
    let new = loaded_card(&app, &shop, &unique("NEW").to_uppercase(), "0").await;
    let blocked = app
        .ok(
            token,
            "mutation($id: ID!, $to: ID!) { blockPrepaidCard(input: { id: $id, moveToCardId: $to }) { status balance { amount } replacedById } }",
            json!({ "id": lost, "to": new }),
        )
        .await;
    assert_eq!(
        blocked["blockPrepaidCard"],
        json!({ "status": "BLOCKED", "balance": { "amount": "0.00" }, "replacedById": new })
    );
    let moved = app.ok(token, CARD, json!({ "id": new })).await;
    assert_eq!(moved["prepaidCard"]["balance"]["amount"], "80.00");
    assert_eq!(
        moved["prepaidCardEntries"]["edges"][0]["node"]["kind"],
        "TRANSFER_IN"
    );
    let (_, reader) = new_device(&app, &shop.owner, json!({ "name": "Lector" })).await;
    let (_, declined) = reader_charge(
        &app,
        &reader,
        json!({ "cardUid": lost_uid, "amount": "1", "transactionId": "after-block" }),
    )
    .await;
    assert_eq!(declined["approved"], false);
    assert_eq!(declined["reason"], "CARD_BLOCKED");
    let again = app
        .gql(
            token,
            TOP_UP,
            json!({ "c": lost, "s": shop.session, "a": "10", "t": "again-1" }),
        )
        .await;
    assert_eq!(error_ext(&again, "field"), "cardId", "{again}");
}

#[tokio::test]
async fn another_business_can_neither_see_load_block_nor_charge_a_card() {
    let app = TestApp::spawn().await;
    let a = shop(&app).await;
    let uid = unique("MINE").to_uppercase();
    let card = loaded_card(&app, &a, &uid, "30").await;
    let b = shop(&app).await;
    let token = Some(b.owner.access_token.as_str());
    let listed = app
        .ok(token, "{ prepaidCards { totalCount } }", json!({}))
        .await;
    assert_eq!(listed["prepaidCards"]["totalCount"], 0);
    for (query, variables) in [
        (CARD, json!({ "id": card })),
        (
            "query($u: String!) { prepaidCardByUid(uid: $u) { id } }",
            json!({ "u": uid }),
        ),
        (
            TOP_UP,
            json!({ "c": card, "s": b.session, "a": "10", "t": "b-top-up" }),
        ),
        (
            "mutation($id: ID!) { blockPrepaidCard(input: { id: $id }) { id } }",
            json!({ "id": card }),
        ),
    ] {
        let body = app.gql(token, query, variables).await;
        assert_eq!(error_code(&body), "NOT_FOUND", "{query}: {body}");
    }
    // B's reader and B's till do not reach A's card.
    let (_, reader) = new_device(&app, &b.owner, json!({ "name": "Lector B" })).await;
    let (_, answer) = reader_charge(
        &app,
        &reader,
        json!({ "cardUid": uid, "amount": "1", "transactionId": "b-1" }),
    )
    .await;
    assert_eq!(answer["reason"], "UNKNOWN_CARD", "{answer}");
    let (_, variant) = piece(&app, &b.owner, "5").await;
    receive(&app, &b.owner, &b.location, &variant, "1", "1").await;
    let sale = app
        .gql(
            token,
            CREATE_TICKET,
            json!({ "input": paid_by_card(&b.session, &variant, "1", "5", &uid) }),
        )
        .await;
    assert_eq!(error_ext(&sale, "field"), "payments", "{sale}");
    let a_view = app
        .ok(Some(&a.owner.access_token), CARD, json!({ "id": card }))
        .await;
    assert_eq!(a_view["prepaidCard"]["balance"]["amount"], "30.00");
}
