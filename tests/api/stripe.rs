//! Card payments through Stripe: a Checkout page per invoice balance, and Stripe's events
//! verified, applied once, in whatever order they come.

use crate::fixtures::billing::{invoicing_business, receipt_settled, stamped};
use crate::helpers::{Session, TestApp, error_code, text};
use crate::stripe_double::{SECRET_KEY, StripeDouble, WEBHOOK_SECRET, event, event_at, signature};
use reqwest::StatusCode;
use serde_json::{Value, json};

const LINK: &str = "mutation($id: ID!) { createCheckoutLink(input: { invoiceId: $id }) { checkoutUrl balance { amount } } }";
const STATE: &str = "query($id: ID!) { invoice(id: $id) { paid { amount } balance { amount } payments { installment amount { amount } reference receipt { status } } } }";

async fn app_with_stripe() -> (TestApp, StripeDouble) {
    let double = StripeDouble::start().await;
    let url = double.url.clone();
    let app = TestApp::spawn_with(move |c| {
        c.stripe.secret_key = Some(tianguis::config::Secret::new(SECRET_KEY));
        c.stripe.api_url = url;
        c.stripe.webhook_secret = Some(tianguis::config::Secret::new(WEBHOOK_SECRET));
        c.stripe.price_pro = Some("price_pro_monthly".into());
    })
    .await;
    (app, double)
}

async fn deliver(app: &TestApp, body: &str, header: Option<String>) -> (StatusCode, Value) {
    let mut request = reqwest::Client::new()
        .post(format!("{}/webhooks/stripe", app.base))
        .header("content-type", "application/json")
        .body(body.to_owned());
    if let Some(header) = header {
        request = request.header("stripe-signature", header);
    }
    let response = request.send().await.expect("delivered");
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn signed(app: &TestApp, body: &str) -> (StatusCode, Value) {
    let header = signature(body, WEBHOOK_SECRET, chrono::Utc::now().timestamp());
    deliver(app, body, Some(header)).await
}

/// A stamped PPD invoice (13,880.00) with a Checkout page; the metadata Stripe was given.
async fn invoice_with_checkout(app: &TestApp, double: &StripeDouble) -> (Session, String, Value) {
    let owner = invoicing_business(app).await;
    let id = stamped(app, &owner, "PPD", "99").await;
    app.ok(Some(&owner.access_token), LINK, json!({ "id": id }))
        .await;
    let created = double.created();
    let form = created.last().expect("a Checkout Session");
    let metadata = json!({
        "tenant_id": form["metadata[tenant_id]"],
        "invoice_id": form["metadata[invoice_id]"],
    });
    (owner, id, metadata)
}

fn completed(session: &str, intent: &str, amount: i64, metadata: &Value) -> Value {
    json!({
        "id": session, "object": "checkout.session", "mode": "payment", "status": "complete",
        "payment_status": "paid", "payment_intent": intent, "amount_total": amount,
        "currency": "mxn", "metadata": metadata,
    })
}

#[tokio::test]
async fn an_invoice_is_paid_by_card_on_a_checkout_page_and_recorded_once() {
    let (app, double) = app_with_stripe().await;
    let (owner, id, metadata) = invoice_with_checkout(&app, &double).await;
    let token = Some(owner.access_token.as_str());

    let created = double.created();
    assert_eq!(created.len(), 1);
    let form = &created[0];
    assert_eq!(form["mode"], "payment");
    assert_eq!(form["line_items[0][price_data][unit_amount]"], "1388000");
    assert_eq!(form["line_items[0][price_data][currency]"], "mxn");
    assert_eq!(
        form["line_items[0][price_data][product_data][name]"],
        "Factura F-1"
    );
    assert_eq!(form["metadata[invoice_id]"], id);
    assert_eq!(form["payment_intent_data[metadata][invoice_id]"], id);
    // The same balance: the same page, without asking Stripe again.
    let again = app.ok(token, LINK, json!({ "id": id })).await;
    assert!(
        text(&again["createCheckoutLink"]["checkoutUrl"])
            .starts_with("https://checkout.stripe.com/")
    );
    assert_eq!(double.created().len(), 1);

    let paid = event(
        "evt_paid",
        "checkout.session.completed",
        completed("cs_1", "pi_1", 1_388_000, &metadata),
    );
    let (status, body) = signed(&app, &paid).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["applied"], true);
    // Replayed, and reported again by the PaymentIntent's own event: still one payment.
    let (status, body) = signed(&app, &paid).await;
    assert_eq!(
        (status, body["applied"].clone()),
        (StatusCode::OK, json!(false))
    );
    let succeeded = event(
        "evt_pi_ok",
        "payment_intent.succeeded",
        json!({ "id": "pi_1", "object": "payment_intent", "amount_received": 1_388_000, "currency": "mxn", "metadata": metadata }),
    );
    assert_eq!(signed(&app, &succeeded).await.0, StatusCode::OK);
    // A failure of an earlier attempt arriving late changes nothing.
    let failed = event(
        "evt_pi_failed",
        "payment_intent.payment_failed",
        json!({ "id": "pi_1", "object": "payment_intent", "last_payment_error": { "message": "declined" }, "metadata": metadata }),
    );
    assert_eq!(signed(&app, &failed).await.0, StatusCode::OK);

    let invoice = receipt_settled(&app, &owner, &id, 1).await;
    assert_eq!(invoice["balance"]["amount"], "0.00");
    assert_eq!(invoice["payments"].as_array().map(Vec::len), Some(1));
    assert_eq!(
        invoice["payments"][0]["receipt"]["status"], "STAMPED",
        "{invoice}"
    );
    let state = app.ok(token, STATE, json!({ "id": id })).await;
    assert_eq!(state["invoice"]["payments"][0]["reference"], "pi_1");
    // Paid: no more pages.
    let link = app.gql(token, LINK, json!({ "id": id })).await;
    assert_eq!(error_code(&link), "CONFLICT");
}

#[tokio::test]
async fn forged_stale_and_tampered_events_are_refused() {
    let (app, double) = app_with_stripe().await;
    let (owner, id, metadata) = invoice_with_checkout(&app, &double).await;
    let paid = event(
        "evt_forged",
        "checkout.session.completed",
        completed("cs_1", "pi_1", 1_388_000, &metadata),
    );
    let now = chrono::Utc::now().timestamp();
    for (header, reason) in [
        (None, "bad_signature"),
        (
            Some(signature(&paid, "whsec_someone_else", now)),
            "bad_signature",
        ),
        (
            Some(signature(&paid, WEBHOOK_SECRET, now - 600)),
            "stale_signature",
        ),
        (
            Some(signature(
                &paid.replace("1388000", "100"),
                WEBHOOK_SECRET,
                now,
            )),
            "bad_signature",
        ),
    ] {
        let (status, body) = deliver(&app, &paid, header).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(body["error"]["code"], reason, "{body}");
    }
    let state = app
        .ok(Some(&owner.access_token), STATE, json!({ "id": id }))
        .await;
    assert_eq!(
        state["invoice"]["paid"]["amount"], "0.00",
        "nothing forged was applied"
    );
}

#[tokio::test]
async fn a_refund_before_its_payment_waits_and_refunds_settle_on_the_largest() {
    let (app, double) = app_with_stripe().await;
    let (owner, id, metadata) = invoice_with_checkout(&app, &double).await;
    let refund = |event_id: &str, refunded: i64| {
        event(
            event_id,
            "charge.refunded",
            json!({ "id": "ch_1", "object": "charge", "payment_intent": "pi_1", "amount_refunded": refunded, "metadata": metadata }),
        )
    };
    let early = refund("evt_refund_1", 100_000);
    let (status, body) = signed(&app, &early).await;
    assert_eq!(status, StatusCode::CONFLICT, "not yet: {body}");

    let paid = event(
        "evt_paid",
        "checkout.session.completed",
        completed("cs_1", "pi_1", 500_000, &metadata),
    );
    assert_eq!(signed(&app, &paid).await.0, StatusCode::OK);
    // Stripe delivers the refund again: now it applies.
    assert_eq!(signed(&app, &early).await.0, StatusCode::OK);
    let state = app
        .ok(Some(&owner.access_token), STATE, json!({ "id": id }))
        .await;
    assert_eq!(state["invoice"]["paid"]["amount"], "4000.00");
    // A second refund (cumulative 2,500.00), then an older one (1,000.00) arriving late.
    assert_eq!(
        signed(&app, &refund("evt_refund_2", 250_000)).await.0,
        StatusCode::OK
    );
    assert_eq!(
        signed(&app, &refund("evt_refund_0", 100_000)).await.0,
        StatusCode::OK
    );
    let state = app
        .ok(Some(&owner.access_token), STATE, json!({ "id": id }))
        .await;
    assert_eq!(state["invoice"]["paid"]["amount"], "2500.00");
    assert_eq!(state["invoice"]["balance"]["amount"], "11380.00");
}

#[tokio::test]
async fn without_stripe_set_up_there_are_no_card_payments() {
    let app = TestApp::spawn().await;
    let owner = invoicing_business(&app).await;
    let id = stamped(&app, &owner, "PUE", "03").await;
    let link = app
        .gql(Some(&owner.access_token), LINK, json!({ "id": id }))
        .await;
    assert_eq!(error_code(&link), "CONFLICT", "{link}");
    let (status, _) = deliver(&app, "{}", Some("t=1,v1=00".into())).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn an_event_naming_another_business_or_no_invoice_of_ours_changes_nothing() {
    let (app, double) = app_with_stripe().await;
    let (owner, id, metadata) = invoice_with_checkout(&app, &double).await;
    let (_, _, other) = invoice_with_checkout(&app, &double).await;
    for (event_id, metadata) in [
        // Another business's id with this invoice: not found there.
        (
            "evt_cross",
            json!({ "tenant_id": other["tenant_id"], "invoice_id": metadata["invoice_id"] }),
        ),
        (
            "evt_no_invoice",
            json!({ "tenant_id": metadata["tenant_id"] }),
        ),
        (
            "evt_unknown_business",
            json!({ "tenant_id": uuid::Uuid::now_v7().to_string(), "invoice_id": metadata["invoice_id"] }),
        ),
    ] {
        let paid = event(
            event_id,
            "checkout.session.completed",
            completed("cs_x", event_id, 1_388_000, &metadata),
        );
        let (status, body) = signed(&app, &paid).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["applied"], false, "{event_id}");
    }
    let state = app
        .ok(Some(&owner.access_token), STATE, json!({ "id": id }))
        .await;
    assert_eq!(state["invoice"]["paid"]["amount"], "0.00");
}

const DEVICE: &str =
    "mutation($input: CreateDeviceInput!) { createDevice(input: $input) { device { id } } }";

async fn add_device(app: &TestApp, owner: &Session, n: usize) -> Value {
    app.gql(
        Some(&owner.access_token),
        DEVICE,
        json!({ "input": { "name": format!("Sensor {n}") } }),
    )
    .await
}

async fn plan_of(app: &TestApp, owner: &Session) -> String {
    text(
        &app.ok(Some(&owner.access_token), "{ tenant { plan } }", json!({}))
            .await["tenant"]["plan"],
    )
}

fn subscription(id: &str, status: &str, metadata: &Value) -> Value {
    json!({
        "id": id, "object": "subscription", "customer": "cus_1", "status": status,
        "items": { "object": "list", "data": [{ "id": "si_1", "price": { "id": "price_pro_monthly" } }] },
        "metadata": metadata,
    })
}

#[tokio::test]
async fn the_plan_follows_the_stripe_subscription_and_its_limits_follow_the_plan() {
    let (app, double) = app_with_stripe().await;
    let owner = app.sign_up().await;
    let token = Some(owner.access_token.as_str());
    for n in 1..=5 {
        let body = add_device(&app, &owner, n).await;
        assert!(body["errors"].is_null(), "{body}");
    }
    let sixth = add_device(&app, &owner, 6).await;
    assert_eq!(
        error_code(&sixth),
        "PLAN_LIMIT",
        "the free plan has 5 devices: {sixth}"
    );

    let change =
        "mutation($plan: PlanKind!) { startPlanChange(input: { plan: $plan }) { checkoutUrl } }";
    let unsold = app
        .gql(token, change, json!({ "plan": "ENTERPRISE" }))
        .await;
    assert_eq!(
        error_code(&unsold),
        "BAD_USER_INPUT",
        "no enterprise price here: {unsold}"
    );
    let started = app.ok(token, change, json!({ "plan": "PRO" })).await;
    assert!(
        text(&started["startPlanChange"]["checkoutUrl"])
            .starts_with("https://checkout.stripe.com/")
    );
    let created = double.created();
    let form = created.last().expect("a subscription Checkout Session");
    assert_eq!(form["mode"], "subscription");
    assert_eq!(form["line_items[0][price]"], "price_pro_monthly");
    let metadata = json!({
        "tenant_id": form["subscription_data[metadata][tenant_id]"],
        "plan": form["subscription_data[metadata][plan]"],
    });
    assert_eq!(
        plan_of(&app, &owner).await,
        "free",
        "nothing changes before Stripe confirms"
    );

    let now = chrono::Utc::now().timestamp();
    let active = event_at(
        "evt_sub_created",
        "customer.subscription.created",
        subscription("sub_1", "active", &metadata),
        now - 60,
    );
    assert_eq!(signed(&app, &active).await.0, StatusCode::OK);
    assert_eq!(plan_of(&app, &owner).await, "pro");
    let body = add_device(&app, &owner, 6).await;
    assert!(body["errors"].is_null(), "the pro plan has room: {body}");

    // Cancelled in Stripe: back to free. An older update arriving afterwards changes nothing.
    let deleted = event_at(
        "evt_sub_deleted",
        "customer.subscription.deleted",
        subscription("sub_1", "canceled", &metadata),
        now,
    );
    assert_eq!(signed(&app, &deleted).await.0, StatusCode::OK);
    let stale = event_at(
        "evt_sub_updated",
        "customer.subscription.updated",
        subscription("sub_1", "active", &metadata),
        now - 30,
    );
    assert_eq!(signed(&app, &stale).await.0, StatusCode::OK);
    assert_eq!(plan_of(&app, &owner).await, "free");
    let seventh = add_device(&app, &owner, 7).await;
    assert_eq!(error_code(&seventh), "PLAN_LIMIT", "{seventh}");
}

#[tokio::test]
async fn a_proposal_paid_by_card_becomes_a_paid_invoice_once_stamped() {
    let (app, double) = app_with_stripe().await;
    let owner = invoicing_business(&app).await;
    let token = Some(owner.access_token.as_str());
    let company = crate::fixtures::crm::create(
        &app,
        &owner,
        crate::fixtures::crm::CREATE_COMPANY,
        "createCompany",
        json!({ "name": "Robótica", "legalName": "Universidad Robótica Española", "rfc": "URE180429TM6", "taxRegime": "601", "postalCode": "65000" }),
    )
    .await;
    let proposal = app
        .ok(
            token,
            "mutation($input: CreateProposalInput!) { createProposal(input: $input) { id total { amount } } }",
            json!({ "input": { "title": "Software", "companyId": text(&company["id"]), "items": [
                { "description": "Desarrollo", "quantity": "2", "unitPrice": "1500" }
            ] } }),
        )
        .await;
    assert_eq!(proposal["createProposal"]["total"]["amount"], "3480.00");
    let proposal = text(&proposal["createProposal"]["id"]);
    app.ok(token, "mutation($id: ID!) { sendProposal(input: { id: $id, to: \"compras@robotica.mx\" }) { id } }", json!({ "id": proposal }))
        .await;
    app.ok(token, "mutation($id: ID!) { acceptProposal(input: { id: $id, acceptedBy: \"Memo\" }) { status } }", json!({ "id": proposal }))
        .await;
    let drafted = crate::helpers::eventually(
        &app,
        &owner,
        "{ invoices(first: 1) { nodes { id } } }",
        |s| s["invoices"]["nodes"][0]["id"].is_string(),
    )
    .await;
    let invoice = text(&drafted["invoices"]["nodes"][0]["id"]);

    let link = app
        .ok(token, "mutation($id: ID!) { createProposalCheckoutLink(input: { proposalId: $id }) { checkoutUrl paidAt } }", json!({ "id": proposal }))
        .await;
    assert!(
        text(&link["createProposalCheckoutLink"]["checkoutUrl"])
            .starts_with("https://checkout.stripe.com/")
    );
    let form = double
        .created()
        .last()
        .cloned()
        .expect("a Checkout Session");
    assert_eq!(form["line_items[0][price_data][unit_amount]"], "348000");
    let metadata = json!({ "tenant_id": form["metadata[tenant_id]"], "proposal_id": form["metadata[proposal_id]"] });
    let paid = event(
        "evt_proposal_paid",
        "checkout.session.completed",
        completed("cs_p", "pi_p", 348_000, &metadata),
    );
    assert_eq!(signed(&app, &paid).await.0, StatusCode::OK);

    let state = app
        .ok(token, "query($p: ID!, $i: ID!) { proposal(id: $p) { paidAt } invoice(id: $i) { paymentMethod paymentForm } }", json!({ "p": proposal, "i": invoice }))
        .await;
    assert!(state["proposal"]["paidAt"].is_string(), "{state}");
    assert_eq!(
        (
            state["invoice"]["paymentMethod"].clone(),
            state["invoice"]["paymentForm"].clone()
        ),
        (json!("PUE"), json!("04"))
    );

    app.ok(
        token,
        "mutation($id: ID!) { stampInvoice(input: { id: $id }) { status } }",
        json!({ "id": invoice }),
    )
    .await;
    crate::fixtures::billing::settled(&app, &owner, &invoice, "STAMPING").await;
    let invoice = app.ok(token, STATE, json!({ "id": invoice })).await;
    assert_eq!(invoice["invoice"]["balance"]["amount"], "0.00", "{invoice}");
    assert_eq!(invoice["invoice"]["payments"][0]["reference"], "pi_p");
    assert_eq!(invoice["invoice"]["payments"][0]["receipt"], Value::Null);
}

#[tokio::test]
async fn an_order_is_paid_on_its_checkout_page_once_and_money_it_cannot_take_is_reported() {
    use crate::fixtures::commerce::{piece, receive, shop};
    let (app, double) = app_with_stripe().await;
    let shop = shop(&app).await;
    let owner = &shop.owner;
    let token = Some(owner.access_token.as_str());
    let (_, variant) = piece(&app, owner, "250").await;
    receive(&app, owner, &shop.location, &variant, "3", "100").await;
    let order = crate::orders::create_order(
        &app,
        owner,
        json!({ "lines": [{ "variantId": variant, "quantity": "2" }] }),
    )
    .await;
    let id = text(&order["id"]);
    const ORDER_LINK: &str = "mutation($id: ID!) { salesOrderCheckoutLink(input: { id: $id }) { status checkoutUrl balanceDue { amount } } }";
    let draft = app.gql(token, ORDER_LINK, json!({ "id": id })).await;
    assert_eq!(error_code(&draft), "CONFLICT", "a draft is confirmed first");
    crate::orders::order_mutation(&app, owner, "confirmSalesOrder", json!({ "id": id })).await;
    let link = app.ok(token, ORDER_LINK, json!({ "id": id })).await;
    assert!(
        text(&link["salesOrderCheckoutLink"]["checkoutUrl"])
            .starts_with("https://checkout.stripe.com/")
    );
    let created = double.created();
    let form = created.last().expect("a Checkout Session");
    assert_eq!(form["line_items[0][price_data][unit_amount]"], "50000");
    assert_eq!(form["metadata[sales_order_id]"], id);
    let metadata = json!({
        "tenant_id": form["metadata[tenant_id]"],
        "sales_order_id": id,
    });
    app.ok(token, ORDER_LINK, json!({ "id": id })).await;
    assert_eq!(double.created().len(), 1, "the same balance, the same page");

    let paid = event(
        "evt_order_paid",
        "checkout.session.completed",
        completed("cs_o", "pi_o", 50_000, &metadata),
    );
    assert_eq!(signed(&app, &paid).await.0, StatusCode::OK);
    let succeeded = event(
        "evt_order_pi",
        "payment_intent.succeeded",
        json!({ "id": "pi_o", "object": "payment_intent", "amount_received": 50_000, "currency": "mxn", "metadata": metadata }),
    );
    assert_eq!(signed(&app, &succeeded).await.0, StatusCode::OK);
    let state = app
        .ok(
            token,
            "query($id: ID!) { salesOrder(id: $id) { status paid { amount } payments { method reference amount { amount } } } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(state["salesOrder"]["status"], "PAID");
    assert_eq!(state["salesOrder"]["paid"]["amount"], "500.00");
    assert_eq!(
        state["salesOrder"]["payments"],
        json!([{ "method": "STRIPE", "reference": "pi_o", "amount": { "amount": "500.00" } }]),
        "recorded once though reported twice"
    );

    // A second payment for an order already paid is kept in the audit log, not applied.
    let twice = event(
        "evt_order_paid_again",
        "checkout.session.completed",
        completed("cs_o2", "pi_o2", 50_000, &metadata),
    );
    let (status, body) = signed(&app, &twice).await;
    assert_eq!(
        (status, body["applied"].clone()),
        (StatusCode::OK, json!(true))
    );
    let audit = app
        .ok(
            token,
            "{ auditLogs(filter: { action: \"commerce.order.payment_unapplied\" }) { edges { node { data } } } }",
            json!({}),
        )
        .await;
    let entries = audit["auditLogs"]["edges"].as_array().expect("edges");
    assert_eq!(entries.len(), 1, "{audit}");
    assert_eq!(entries[0]["node"]["data"]["paymentIntent"], "pi_o2");
    let paid = app
        .ok(
            token,
            "query($id: ID!) { salesOrder(id: $id) { paid { amount } } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(paid["salesOrder"]["paid"]["amount"], "500.00");
}

#[tokio::test]
async fn a_prepaid_card_is_loaded_online_once_per_payment() {
    use crate::fixtures::commerce::{loaded_card, shop};
    let (app, double) = app_with_stripe().await;
    let shop = shop(&app).await;
    let token = Some(shop.owner.access_token.as_str());
    let uid = crate::helpers::unique("PULSERA").to_uppercase();
    let card = loaded_card(&app, &shop, &uid, "50").await;
    let url = app
        .ok(
            token,
            "mutation($c: ID!) { prepaidCardCheckoutLink(input: { cardId: $c, amount: \"200\" }) }",
            json!({ "c": card }),
        )
        .await;
    assert!(text(&url["prepaidCardCheckoutLink"]).starts_with("https://checkout.stripe.com/"));
    let created = double.created();
    let form = created.last().expect("a Checkout Session");
    assert_eq!(form["line_items[0][price_data][unit_amount]"], "20000");
    assert_eq!(form["metadata[prepaid_card_id]"], card);
    let metadata = json!({ "tenant_id": form["metadata[tenant_id]"], "prepaid_card_id": card });
    let paid = event(
        "evt_top_up",
        "checkout.session.completed",
        completed("cs_t", "pi_t", 20_000, &metadata),
    );
    assert_eq!(signed(&app, &paid).await.0, StatusCode::OK);
    let again = event(
        "evt_top_up_pi",
        "payment_intent.succeeded",
        json!({ "id": "pi_t", "object": "payment_intent", "amount_received": 20_000, "currency": "mxn", "metadata": metadata }),
    );
    assert_eq!(signed(&app, &again).await.0, StatusCode::OK);
    let state = app
        .ok(
            token,
            "query($id: ID!) { prepaidCard(id: $id) { balance { amount } } prepaidCardEntries(cardId: $id) { edges { node { kind amount { amount } } } } }",
            json!({ "id": card }),
        )
        .await;
    assert_eq!(state["prepaidCard"]["balance"]["amount"], "250.00");
    let top_ups = state["prepaidCardEntries"]["edges"]
        .as_array()
        .expect("entries")
        .iter()
        .filter(|e| e["node"]["kind"] == "TOP_UP")
        .count();
    assert_eq!(
        top_ups, 2,
        "the cash one and one online, though reported twice"
    );
}

#[tokio::test]
async fn an_event_takes_its_deposit_then_its_balance_on_checkout_pages_each_once() {
    let (app, double) = app_with_stripe().await;
    let owner = app.sign_up().await;
    let token = Some(owner.access_token.as_str());
    let starts = chrono::Utc::now() + chrono::TimeDelta::days(20);
    let id = crate::events::event(&app, &owner, "Boda en línea", starts, 5).await;
    const EVENT_LINK: &str =
        "mutation($id: ID!) { createEventCheckoutLink(id: $id) { checkoutUrl } }";
    const STATE: &str = "query($id: ID!) { event(id: $id) { status paid { amount } balance { amount } payments { kind method reference amount { amount } } } }";

    let link = app.ok(token, EVENT_LINK, json!({ "id": id })).await;
    assert!(
        text(&link["createEventCheckoutLink"]["checkoutUrl"])
            .starts_with("https://checkout.stripe.com/")
    );
    let form = double
        .created()
        .last()
        .cloned()
        .expect("a Checkout Session");
    assert_eq!(
        form["line_items[0][price_data][unit_amount]"], "500000",
        "the deposit first"
    );
    assert_eq!(form["metadata[event_id]"], id);
    let metadata = json!({ "tenant_id": form["metadata[tenant_id]"], "event_id": id });
    app.ok(token, EVENT_LINK, json!({ "id": id })).await;
    assert_eq!(double.created().len(), 1, "the same amount, the same page");

    let deposit = completed("cs_e1", "pi_e1", 500_000, &metadata);
    for delivery in ["evt_event_deposit", "evt_event_deposit_again"] {
        let paid = event(delivery, "checkout.session.completed", deposit.clone());
        assert_eq!(signed(&app, &paid).await.0, StatusCode::OK);
    }
    let state = app.ok(token, STATE, json!({ "id": id })).await;
    assert_eq!(
        state["event"]["status"], "CONFIRMED",
        "the deposit confirms it: {state}"
    );
    assert_eq!(
        state["event"]["payments"],
        json!([{ "kind": "DEPOSIT", "method": "STRIPE", "reference": "pi_e1", "amount": { "amount": "5000.00" } }]),
        "recorded once though delivered twice"
    );

    // The next page asks for the balance.
    app.ok(token, EVENT_LINK, json!({ "id": id })).await;
    let form = double
        .created()
        .last()
        .cloned()
        .expect("a second Checkout Session");
    assert_eq!(double.created().len(), 2);
    assert_eq!(form["line_items[0][price_data][unit_amount]"], "1500000");
    let balance = event(
        "evt_event_balance",
        "checkout.session.completed",
        completed("cs_e2", "pi_e2", 1_500_000, &metadata),
    );
    assert_eq!(signed(&app, &balance).await.0, StatusCode::OK);
    let state = app.ok(token, STATE, json!({ "id": id })).await;
    assert_eq!(state["event"]["paid"]["amount"], "20000.00");
    assert_eq!(state["event"]["balance"]["amount"], "0.00");
    assert_eq!(state["event"]["payments"][1]["kind"], "BALANCE");
    let paid_up = app.gql(token, EVENT_LINK, json!({ "id": id })).await;
    assert_eq!(error_code(&paid_up), "CONFLICT", "nothing left to pay");

    // Paid again by a page opened earlier: kept for a person, not applied.
    let late = event(
        "evt_event_late",
        "checkout.session.completed",
        completed("cs_e3", "pi_e3", 1_500_000, &metadata),
    );
    assert_eq!(signed(&app, &late).await.0, StatusCode::OK);
    let audit = app
        .ok(
            token,
            "{ auditLogs(filter: { action: \"scheduling.event.payment_unapplied\" }) { edges { node { data } } } }",
            json!({}),
        )
        .await;
    let entries = audit["auditLogs"]["edges"].as_array().expect("edges");
    assert_eq!(entries.len(), 1, "{audit}");
    assert_eq!(entries[0]["node"]["data"]["paymentIntent"], "pi_e3");
    let state = app.ok(token, STATE, json!({ "id": id })).await;
    assert_eq!(state["event"]["paid"]["amount"], "20000.00");
}
