//! Invoicing what the shop sells: a customer's ticket on the self-invoicing page, a sales
//! order, and the factura global of every ticket nobody invoiced.

use crate::fixtures::billing::{STAMP, invoicing_business, receiver, settled};
use crate::fixtures::commerce::*;
use crate::helpers::*;
use crate::orders::{create_order, order_mutation};
use serde_json::{Value, json};
use tianguis_domain::ports::Clock;

async fn slug(app: &TestApp, session: &Session) -> String {
    let data = app
        .ok(
            Some(&session.access_token),
            "{ tenant { slug } }",
            json!({}),
        )
        .await;
    text(&data["tenant"]["slug"])
}

async fn post_form(app: &TestApp, slug: &str, form: &[(&str, &str)]) -> (u16, String) {
    let response = reqwest::Client::new()
        .post(format!("{}/facturar/{slug}", app.base))
        .form(form)
        .send()
        .await
        .expect("posted");
    let status = response.status().as_u16();
    (status, response.text().await.unwrap_or_default())
}

/// A sale of 2 shirts at 116 (IVA 16 %) and a beer at 35 (IEPS 26.5 %, IVA 16 %): 267.00.
async fn sale(app: &TestApp, shop: &Shop) -> Value {
    let owner = &shop.owner;
    let (_, shirt) = piece(app, owner, "116").await;
    let (_, beer) = product(
        app,
        owner,
        json!({ "name": "Cerveza", "iepsRate": "0.265", "variants": [{ "sku": unique("CHE"), "price": "35" }] }),
    )
    .await;
    receive(app, owner, &shop.location, &shirt, "10", "50").await;
    receive(app, owner, &shop.location, &beer, "10", "15").await;
    let sold = app
        .ok(
            Some(&owner.access_token),
            CREATE_TICKET,
            json!({ "input": {
                "sessionId": shop.session,
                "idempotencyKey": uuid::Uuid::new_v4().to_string(),
                "lines": [{ "variantId": shirt, "quantity": "2" }, { "variantId": beer, "quantity": "1" }],
                "payments": [{ "method": "CASH", "amount": "300" }],
            } }),
        )
        .await;
    let ticket = sold["createTicket"].clone();
    assert_eq!(ticket["total"]["amount"], "267.00");
    ticket
}

const INVOICES: &str =
    "{ invoices { edges { node { id status total { amount } subtotal { amount } tax { amount }
    receiver { rfc name cfdiUse email } paymentForm globalPeriod { periodicity months year }
    items { sku description quantity unitPrice amount { amount } } } } } }";

#[tokio::test]
async fn a_customer_invoices_their_ticket_on_the_self_invoicing_page_once() {
    let (app, mut mail) = app_with_smtp().await;
    let owner = invoicing_business(&app).await;
    let shop = shop_of(&app, owner).await;
    let owner = &shop.owner;
    let ticket = sale(&app, &shop).await;
    let code = text(&ticket["receiptCode"]);
    let slug = slug(&app, owner).await;

    let page = reqwest::get(format!("{}/facturar/{slug}", app.base))
        .await
        .expect("page");
    assert_eq!(page.status(), 200);
    let html = page.text().await.expect("html");
    assert!(
        html.contains(r#"name="code""#) && html.contains("<form"),
        "{html}"
    );
    assert!(!html.contains("<script"), "works without JavaScript");
    let receipt = app
        .ok(
            Some(&owner.access_token),
            "query($id: ID!) { ticketReceipt(id: $id) { text } }",
            json!({ "id": ticket["id"] }),
        )
        .await;
    let printed: String = text(&receipt["ticketReceipt"]["text"])
        .lines()
        .map(str::trim)
        .collect();
    assert!(
        printed.contains(&format!("/facturar/{slug}")),
        "the receipt says where to invoice it: {printed}"
    );

    let r = receiver();
    let form = |code: &'static str| {
        vec![
            ("code", code),
            ("rfc", "URE180429TM6"),
            ("name", "Universidad Robótica Española"),
            ("tax_regime", "601"),
            ("postal_code", "65000"),
            ("cfdi_use", "G03"),
            ("email", "compras@ure.mx"),
        ]
    };
    assert_eq!(r["rfc"], "URE180429TM6");
    let (status, wrong) = post_form(&app, &slug, &form("ZZZZZZZZZZ")).await;
    assert_eq!(status, 422, "{wrong}");
    assert!(
        wrong.contains("no receipt of this business has that code"),
        "{wrong}"
    );
    assert!(
        wrong.contains("URE180429TM6"),
        "the form keeps what was typed"
    );
    let code: &'static str = Box::leak(code.into_boxed_str());
    let (status, done) = post_form(&app, &slug, &form(code)).await;
    assert_eq!(status, 200, "{done}");
    assert!(done.contains("compras@ure.mx"), "{done}");
    let (status, twice) = post_form(&app, &slug, &form(code)).await;
    assert_eq!(status, 422);
    assert!(twice.contains("invoiced already"), "{twice}");

    let invoices = app.ok(Some(&owner.access_token), INVOICES, json!({})).await;
    let invoice = &invoices["invoices"]["edges"][0]["node"];
    let id = text(&invoice["id"]);
    let stamped = settled(&app, owner, &id, "STAMPING").await;
    assert_eq!(stamped["status"], "STAMPED", "{stamped}");
    assert_eq!(invoice["receiver"]["rfc"], "URE180429TM6");
    assert_eq!(invoice["paymentForm"], "01", "paid in cash");
    // What the customer paid, to the cent: the IEPS rides in the beer's value.
    assert_eq!(invoice["total"]["amount"], "267.00", "{invoice}");
    let email = mail.next_to("compras@ure.mx").await;
    assert!(email.data.contains(".xml"), "the XML is attached");
    let ticket_now = app
        .ok(
            Some(&owner.access_token),
            "query($id: ID!) { ticket(id: $id) { invoiceId } }",
            json!({ "id": ticket["id"] }),
        )
        .await;
    assert_eq!(ticket_now["ticket"]["invoiceId"], json!(id));
}

#[tokio::test]
async fn the_factura_global_gathers_the_tickets_nobody_invoiced_and_the_pac_insists_on_its_period()
{
    let app = TestApp::spawn().await;
    let owner = invoicing_business(&app).await;
    let shop = shop_of(&app, owner).await;
    let owner = &shop.owner;
    let token = Some(owner.access_token.as_str());
    let first = sale(&app, &shop).await;
    let second = sale(&app, &shop).await;
    // Half of the second ticket's shirts come back: the global states what was kept.
    let shirt_line = &second["lines"][0];
    app.ok(
        token,
        "mutation($input: ReturnTicketInput!) { returnTicket(input: $input) { id } }",
        json!({ "input": {
            "ticketId": second["id"],
            "sessionId": shop.session,
            "idempotencyKey": uuid::Uuid::new_v4().to_string(),
            "lines": [{ "lineId": shirt_line["id"], "quantity": "1" }],
        } }),
    )
    .await;

    // The business's own calendar day, as the factura global counts days.
    let zone: chrono_tz::Tz = {
        let data = app.ok(token, "{ tenant { timezone } }", json!({})).await;
        text(&data["tenant"]["timezone"]).parse().expect("a zone")
    };
    let today = app.clock.now().with_timezone(&zone).date_naive();
    const GLOBAL: &str = "mutation($input: CreateGlobalInvoiceInput!) { createGlobalInvoice(input: $input) { id status total { amount }
        receiver { rfc name taxRegime cfdiUse postalCode } globalPeriod { periodicity months year } items { sku description quantity unitPrice } } }";
    let early = app
        .gql(
            token,
            GLOBAL,
            json!({ "input": { "periodicity": "DAILY", "from": today, "to": today } }),
        )
        .await;
    assert_eq!(
        error_ext(&early, "field"),
        "to",
        "the day has not ended: {early}"
    );
    app.clock.advance(chrono::TimeDelta::days(1));
    let owner = app.refreshed(owner).await;
    let token = Some(owner.access_token.as_str());
    let global = app
        .ok(
            token,
            GLOBAL,
            json!({ "input": { "periodicity": "DAILY", "from": today, "to": today } }),
        )
        .await;
    let global = &global["createGlobalInvoice"];
    assert_eq!(global["receiver"]["rfc"], "XAXX010101000");
    assert_eq!(global["receiver"]["name"], "PUBLICO EN GENERAL");
    assert_eq!(global["receiver"]["cfdiUse"], "S01");
    assert_eq!(global["receiver"]["postalCode"], "42501", "the issuer's");
    assert_eq!(
        global["globalPeriod"],
        json!({ "periodicity": "01", "months": format!("{:02}", chrono::Datelike::month(&today)), "year": chrono::Datelike::year(&today) })
    );
    // A line per ticket and tax rate; both rates here are IVA 16 %.
    let items = global["items"].as_array().expect("items");
    assert_eq!(items.len(), 2, "{global}");
    assert_eq!(items[0]["sku"], json!(first["number"].to_string()));
    assert_eq!(items[0]["description"], "Venta");
    assert_eq!(global["total"]["amount"], "418.00", "267 + (267 − 116)");
    let id = text(&global["id"]);
    app.ok(token, STAMP, json!({ "id": id })).await;
    let stamped = settled(&app, &owner, &id, "STAMPING").await;
    assert_eq!(stamped["status"], "STAMPED", "{stamped}");
    assert!(text(&stamped["xml"]).contains("<cfdi:InformacionGlobal Periodicidad=\"01\""));
    let again = app
        .gql(
            token,
            GLOBAL,
            json!({ "input": { "periodicity": "DAILY", "from": today, "to": today } }),
        )
        .await;
    assert_eq!(
        error_code(&again),
        "BAD_USER_INPUT",
        "every ticket is invoiced: {again}"
    );

    // An invoice written by hand to the general public lacks the period: the PAC refuses it.
    let by_hand = app
        .ok(
            token,
            "mutation($input: CreateInvoiceInput!) { createInvoice(input: $input) { id } }",
            json!({ "input": {
                "receiver": { "rfc": "XAXX010101000", "name": "PUBLICO EN GENERAL", "taxRegime": "616", "postalCode": "42501", "cfdiUse": "S01" },
                "paymentForm": "01",
                "items": [{ "description": "Venta", "quantity": "1", "unitPrice": "100" }],
            } }),
        )
        .await;
    let by_hand = text(&by_hand["createInvoice"]["id"]);
    app.ok(token, STAMP, json!({ "id": by_hand })).await;
    let refused = settled(&app, &owner, &by_hand, "STAMPING").await;
    assert_eq!(refused["status"], "FAILED", "{refused}");
    assert!(
        text(&refused["pacError"]["message"]).contains("InformacionGlobal"),
        "{refused}"
    );
}

#[tokio::test]
async fn a_paid_order_is_invoiced_once_with_its_lines_net_of_returns() {
    let app = TestApp::spawn().await;
    let owner = invoicing_business(&app).await;
    let shop = shop_of(&app, owner).await;
    let owner = &shop.owner;
    let token = Some(owner.access_token.as_str());
    let (_, shirt) = piece(&app, owner, "116").await;
    receive(&app, owner, &shop.location, &shirt, "5", "50").await;
    let order = create_order(
        &app,
        owner,
        json!({ "lines": [{ "variantId": shirt, "quantity": "3" }], "discount": "48" }),
    )
    .await;
    let id = text(&order["id"]);
    const INVOICE: &str = "mutation($input: InvoiceSalesOrderInput!) { invoiceSalesOrder(input: $input) {
        id paymentMethod paymentForm total { amount } receiver { rfc } items { quantity unitPrice amount { amount } } } }";
    let draft = app
        .gql(
            token,
            INVOICE,
            json!({ "input": { "orderId": id, "receiver": receiver() } }),
        )
        .await;
    assert_eq!(
        error_code(&draft),
        "CONFLICT",
        "a draft order is not invoiced"
    );
    order_mutation(&app, owner, "confirmSalesOrder", json!({ "id": id })).await;
    order_mutation(
        &app,
        owner,
        "recordSalesOrderPayment",
        json!({ "id": id, "amount": "300", "method": "TRANSFER" }),
    )
    .await;
    let invoiced = app
        .ok(
            token,
            INVOICE,
            json!({ "input": { "orderId": id, "receiver": receiver() } }),
        )
        .await;
    let invoice = &invoiced["invoiceSalesOrder"];
    assert_eq!(invoice["paymentMethod"], "PUE");
    assert_eq!(invoice["paymentForm"], "03");
    assert_eq!(invoice["receiver"]["rfc"], "URE180429TM6");
    // 3 × 116 − 48 = 300 charged: 258.62 before IVA, 41.38 of IVA.
    assert_eq!(invoice["total"]["amount"], "300.00", "{invoice}");
    assert_eq!(
        text(&invoice["items"][0]["quantity"]).parse::<f64>().ok(),
        Some(3.0)
    );
    let twice = app
        .gql(token, INVOICE, json!({ "input": { "orderId": id } }))
        .await;
    assert_eq!(error_code(&twice), "CONFLICT");
    let state = app
        .ok(
            token,
            "query($id: ID!) { salesOrder(id: $id) { invoiceId } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(state["salesOrder"]["invoiceId"], invoice["id"]);
}

#[tokio::test]
async fn proposal_and_invoice_items_name_real_products_of_the_business() {
    let app = TestApp::spawn().await;
    let owner = invoicing_business(&app).await;
    let token = Some(owner.access_token.as_str());
    let (product, _) = piece(&app, &owner, "116").await;
    let customer = app
        .ok(
            token,
            "mutation { createContact(input: { firstName: \"Rocío\" }) { id } }",
            json!({}),
        )
        .await;
    let customer = text(&customer["createContact"]["id"]);
    let proposal = app
        .ok(
            token,
            "mutation($p: ID!, $c: ID!) { createProposal(input: { title: \"Uniformes\", contactId: $c, items: [{ productId: $p, description: \"Playera\", quantity: \"10\", unitPrice: \"100\" }] }) {
                items { productId product { id name } } } }",
            json!({ "p": product, "c": customer }),
        )
        .await;
    assert_eq!(
        proposal["createProposal"]["items"][0]["product"]["id"],
        json!(product)
    );
    let invoice = app
        .ok(
            token,
            "mutation($input: CreateInvoiceInput!) { createInvoice(input: $input) { items { product { id } } } }",
            json!({ "input": { "receiver": receiver(), "items": [{ "productId": product, "description": "Playera", "quantity": "1", "unitPrice": "100" }] } }),
        )
        .await;
    assert_eq!(
        invoice["createInvoice"]["items"][0]["product"]["id"],
        json!(product)
    );
    // Another business's product, or none at all, is refused on the field.
    let other = app.sign_up().await;
    let (foreign, _) = piece(&app, &other, "10").await;
    for id in [foreign, uuid::Uuid::new_v4().to_string()] {
        let refused = app
            .gql(
                token,
                "mutation($p: ID!, $c: ID!) { createProposal(input: { title: \"X\", contactId: $c, items: [{ productId: $p, description: \"X\", quantity: \"1\", unitPrice: \"1\" }] }) { id } }",
                json!({ "p": id, "c": customer }),
            )
            .await;
        assert_eq!(error_code(&refused), "BAD_USER_INPUT", "{refused}");
        assert_eq!(error_ext(&refused, "field"), "productId");
        let refused = app
            .gql(
                token,
                "mutation($input: CreateInvoiceInput!) { createInvoice(input: $input) { id } }",
                json!({ "input": { "receiver": receiver(), "items": [{ "productId": id, "description": "X", "quantity": "1", "unitPrice": "1" }] } }),
            )
            .await;
        assert_eq!(error_ext(&refused, "field"), "productId", "{refused}");
    }
}
