//! Sales orders: stock reserved on confirmation, paid in parts, fulfilled, returned,
//! refunded, cancelled.

use crate::fixtures::commerce::*;
use crate::helpers::*;
use serde_json::{Value, json};

pub const ORDER_FIELDS: &str = "id number status source total { amount } subtotal { amount }
    discount { amount } tax { amount } paid { amount } refunded { amount } balanceDue { amount }
    deliveryAddress { street city postalCode country }
    lines { id quantity discount { amount } orderDiscount { amount } total { amount } base { amount } iva { amount } returnedQuantity }
    payments { kind method amount { amount } reference }";

pub async fn create_order(app: &TestApp, session: &Session, input: Value) -> Value {
    let created = app
        .ok(
            Some(&session.access_token),
            &format!("mutation($input: CreateSalesOrderInput!) {{ createSalesOrder(input: $input) {{ {ORDER_FIELDS} }} }}"),
            json!({ "input": input }),
        )
        .await;
    created["createSalesOrder"].clone()
}

/// Runs an order mutation taking `input`, answering the whole body.
pub async fn order_mutation(app: &TestApp, session: &Session, name: &str, input: Value) -> Value {
    let input_type = match name {
        "confirmSalesOrder" | "fulfilSalesOrder" => "ByIdInput".to_owned(),
        other => format!("{}Input", capitalised(other)),
    };
    app.gql(
        Some(&session.access_token),
        &format!(
            "mutation($input: {input_type}!) {{ {name}(input: $input) {{ {ORDER_FIELDS} }} }}"
        ),
        json!({ "input": input }),
    )
    .await
}

fn capitalised(name: &str) -> String {
    let mut chars = name.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().collect::<String>() + chars.as_str())
        .unwrap_or_default()
}

async fn level(app: &TestApp, session: &Session, variant: &str) -> (String, String, String) {
    let data = app
        .ok(
            Some(&session.access_token),
            "query($v: ID!) { stockLevels(filter: { variantId: $v }) { edges { node { onHand reserved available } } } }",
            json!({ "v": variant }),
        )
        .await;
    let node = &data["stockLevels"]["edges"][0]["node"];
    (
        text(&node["onHand"]),
        text(&node["reserved"]),
        text(&node["available"]),
    )
}

#[tokio::test]
async fn an_order_reserves_its_stock_is_paid_in_parts_fulfilled_returned_and_refunded() {
    let app = TestApp::spawn().await;
    let shop = shop(&app).await;
    let owner = &shop.owner;
    let (_, shirt) = piece(&app, owner, "116").await;
    let (_, beef) = product(
        &app,
        owner,
        json!({ "name": "Arrachera", "unit": "KILOGRAM", "tax": "IVA_0", "variants": [{ "sku": unique("ARR"), "price": "200" }] }),
    )
    .await;
    receive(&app, owner, &shop.location, &shirt, "5", "50").await;
    receive(&app, owner, &shop.location, &beef, "10", "120").await;

    let order = create_order(
        &app,
        owner,
        json!({
            "lines": [
                { "variantId": shirt, "quantity": "2", "discount": "32" },
                { "variantId": beef, "quantity": "1.5" },
            ],
            "discount": "50",
            "deliveryAddress": { "street": "Av. Juárez 10", "city": "Puebla", "postalCode": "72000" },
            "notes": "Entregar por la tarde",
        }),
    )
    .await;
    assert_eq!(order["status"], "DRAFT");
    assert_eq!(order["source"], "API");
    // 2 × 116 − 32 = 200, and 1.5 kg × 200 = 300: the order's 50 is shared 20 / 30.
    assert_eq!(order["subtotal"]["amount"], "500.00");
    assert_eq!(order["discount"]["amount"], "50.00");
    assert_eq!(order["total"]["amount"], "450.00");
    assert_eq!(order["lines"][0]["orderDiscount"]["amount"], "20.00");
    assert_eq!(order["lines"][1]["orderDiscount"]["amount"], "30.00");
    assert_eq!(order["lines"][0]["total"]["amount"], "180.00");
    // The shirt's IVA comes out of what is actually charged: 180 / 1.16.
    assert_eq!(order["lines"][0]["base"]["amount"], "155.17");
    assert_eq!(order["lines"][0]["iva"]["amount"], "24.83");
    assert_eq!(order["tax"]["amount"], "24.83");
    assert_eq!(order["deliveryAddress"]["country"], "MX");
    let id = text(&order["id"]);
    // Nothing is held for a draft.
    assert_eq!(level(&app, owner, &shirt).await.1, "0");
    let unpaid = order_mutation(
        &app,
        owner,
        "recordSalesOrderPayment",
        json!({ "id": id, "amount": "100", "method": "CASH" }),
    )
    .await;
    assert_eq!(error_code(&unpaid), "CONFLICT", "{unpaid}");

    let confirmed = order_mutation(&app, owner, "confirmSalesOrder", json!({ "id": id })).await;
    assert_eq!(
        confirmed["data"]["confirmSalesOrder"]["status"],
        "CONFIRMED"
    );
    assert_eq!(
        level(&app, owner, &shirt).await,
        ("5".into(), "2".into(), "3".into())
    );
    assert_eq!(level(&app, owner, &beef).await.2, "8.5");
    // The till cannot sell what the order holds: 3 of the 5 shirts are free.
    let over = app
        .gql(
            Some(&owner.access_token),
            CREATE_TICKET,
            json!({ "input": cash_sale(&shop.session, &shirt, "4", "464") }),
        )
        .await;
    assert_eq!(error_code(&over), "CONFLICT", "{over}");
    assert!(over.to_string().contains("has 3 left"), "{over}");
    let changed = order_mutation(
        &app,
        owner,
        "updateSalesOrder",
        json!({ "id": id, "notes": "x" }),
    )
    .await;
    assert_eq!(error_code(&changed), "CONFLICT", "{changed}");

    let part = order_mutation(
        &app,
        owner,
        "recordSalesOrderPayment",
        json!({ "id": id, "amount": "150", "method": "TRANSFER", "reference": "SPEI 123" }),
    )
    .await;
    let part = &part["data"]["recordSalesOrderPayment"];
    assert_eq!(part["status"], "CONFIRMED");
    assert_eq!(part["balanceDue"]["amount"], "300.00");
    let over = order_mutation(
        &app,
        owner,
        "recordSalesOrderPayment",
        json!({ "id": id, "amount": "300.01", "method": "CASH" }),
    )
    .await;
    assert_eq!(error_code(&over), "CONFLICT");
    assert_eq!(error_ext(&over, "field"), "amount");
    let by_hand_stripe = order_mutation(
        &app,
        owner,
        "recordSalesOrderPayment",
        json!({ "id": id, "amount": "1", "method": "STRIPE" }),
    )
    .await;
    assert_eq!(error_ext(&by_hand_stripe, "field"), "method");
    let paid = order_mutation(
        &app,
        owner,
        "recordSalesOrderPayment",
        json!({ "id": id, "amount": "300", "method": "CARD", "reference": "AUT 998" }),
    )
    .await;
    let paid = &paid["data"]["recordSalesOrderPayment"];
    assert_eq!(paid["status"], "PAID");
    assert_eq!(paid["paid"]["amount"], "450.00");
    assert_eq!(paid["payments"].as_array().map(Vec::len), Some(2));

    let fulfilled = order_mutation(&app, owner, "fulfilSalesOrder", json!({ "id": id })).await;
    let fulfilled = &fulfilled["data"]["fulfilSalesOrder"];
    assert_eq!(fulfilled["status"], "FULFILLED");
    assert_eq!(
        level(&app, owner, &shirt).await,
        ("3".into(), "0".into(), "3".into())
    );
    assert_eq!(
        level(&app, owner, &beef).await,
        ("8.5".into(), "0".into(), "8.5".into())
    );
    let again = order_mutation(&app, owner, "cancelSalesOrder", json!({ "id": id })).await;
    assert_eq!(
        error_code(&again),
        "CONFLICT",
        "a fulfilled order is returned, not cancelled"
    );

    let shirt_line = text(&fulfilled["lines"][0]["id"]);
    let beef_line = text(&fulfilled["lines"][1]["id"]);
    let one_back = order_mutation(
        &app,
        owner,
        "returnSalesOrder",
        json!({ "id": id, "lines": [{ "lineId": shirt_line, "quantity": "1" }], "reason": "Talla equivocada" }),
    )
    .await;
    assert_eq!(one_back["data"]["returnSalesOrder"]["status"], "FULFILLED");
    assert_eq!(level(&app, owner, &shirt).await.0, "4");
    let too_many = order_mutation(
        &app,
        owner,
        "returnSalesOrder",
        json!({ "id": id, "lines": [{ "lineId": shirt_line, "quantity": "2" }] }),
    )
    .await;
    assert_eq!(error_code(&too_many), "CONFLICT", "{too_many}");
    let all_back = order_mutation(
        &app,
        owner,
        "returnSalesOrder",
        json!({ "id": id, "lines": [{ "lineId": shirt_line, "quantity": "1" }, { "lineId": beef_line, "quantity": "1.5" }] }),
    )
    .await;
    assert_eq!(
        all_back["data"]["returnSalesOrder"]["status"], "RETURNED",
        "{all_back}"
    );
    assert_eq!(level(&app, owner, &shirt).await.0, "5");

    let too_much = order_mutation(
        &app,
        owner,
        "refundSalesOrder",
        json!({ "id": id, "amount": "450.01", "method": "CARD", "reason": "Devolución" }),
    )
    .await;
    assert_eq!(error_code(&too_much), "CONFLICT");
    let refunded = order_mutation(
        &app,
        owner,
        "refundSalesOrder",
        json!({ "id": id, "amount": "450", "method": "TRANSFER", "reason": "Devolución completa" }),
    )
    .await;
    let refunded = &refunded["data"]["refundSalesOrder"];
    assert_eq!(refunded["refunded"]["amount"], "450.00");
    assert_eq!(refunded["payments"][2]["kind"], "REFUND");
    let movements = app
        .ok(
            Some(&owner.access_token),
            "query($v: ID!) { stockMovements(filter: { variantId: $v }) { edges { node { kind quantity } } } }",
            json!({ "v": shirt }),
        )
        .await;
    let kinds: Vec<String> = movements["stockMovements"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| text(&e["node"]["kind"]))
        .collect();
    assert_eq!(kinds, ["RETURN", "RETURN", "SALE", "RECEIPT"]);
}

#[tokio::test]
async fn a_short_line_reserves_nothing_and_cancelling_releases_what_was_held() {
    let app = TestApp::spawn().await;
    let shop = shop(&app).await;
    let owner = &shop.owner;
    let (_, plenty) = piece(&app, owner, "10").await;
    let (_, scarce) = piece(&app, owner, "10").await;
    receive(&app, owner, &shop.location, &plenty, "10", "5").await;
    receive(&app, owner, &shop.location, &scarce, "1", "5").await;
    let order = create_order(
        &app,
        owner,
        json!({ "lines": [{ "variantId": plenty, "quantity": "3" }, { "variantId": scarce, "quantity": "2" }] }),
    )
    .await;
    let id = text(&order["id"]);
    let short = order_mutation(&app, owner, "confirmSalesOrder", json!({ "id": id })).await;
    assert_eq!(error_code(&short), "CONFLICT", "{short}");
    assert_eq!(error_ext(&short, "field"), "lines");
    assert!(short.to_string().contains("has 1 available"), "{short}");
    assert_eq!(level(&app, owner, &plenty).await.1, "0", "all or nothing");

    let fixed = order_mutation(
        &app,
        owner,
        "updateSalesOrder",
        json!({ "id": id, "lines": [{ "variantId": plenty, "quantity": "3" }, { "variantId": scarce, "quantity": "1" }] }),
    )
    .await;
    assert_eq!(
        fixed["data"]["updateSalesOrder"]["total"]["amount"], "40.00",
        "{fixed}"
    );
    let confirmed = order_mutation(&app, owner, "confirmSalesOrder", json!({ "id": id })).await;
    assert_eq!(
        confirmed["data"]["confirmSalesOrder"]["status"],
        "CONFIRMED"
    );
    assert_eq!(level(&app, owner, &scarce).await.2, "0");
    let cancelled = order_mutation(
        &app,
        owner,
        "cancelSalesOrder",
        json!({ "id": id, "reason": "El cliente ya no lo quiere" }),
    )
    .await;
    assert_eq!(cancelled["data"]["cancelSalesOrder"]["status"], "CANCELLED");
    assert_eq!(
        level(&app, owner, &scarce).await,
        ("1".into(), "0".into(), "1".into())
    );
    assert_eq!(level(&app, owner, &plenty).await.1, "0");
    let late = order_mutation(&app, owner, "fulfilSalesOrder", json!({ "id": id })).await;
    assert_eq!(error_code(&late), "CONFLICT");
}

#[tokio::test]
async fn concurrent_confirmations_of_the_last_unit_reserve_it_once() {
    let app = TestApp::spawn().await;
    let shop = shop(&app).await;
    let owner = &shop.owner;
    let (_, variant) = piece(&app, owner, "10").await;
    receive(&app, owner, &shop.location, &variant, "1", "5").await;
    let mut ids = Vec::new();
    for _ in 0..6 {
        let order = create_order(
            &app,
            owner,
            json!({ "lines": [{ "variantId": variant, "quantity": "1" }] }),
        )
        .await;
        ids.push(text(&order["id"]));
    }
    let confirms = ids
        .iter()
        .map(|id| order_mutation(&app, owner, "confirmSalesOrder", json!({ "id": id })));
    let answers = futures_util::future::join_all(confirms).await;
    let won = answers.iter().filter(|a| a.get("errors").is_none()).count();
    assert_eq!(won, 1, "{answers:?}");
    for lost in answers.iter().filter(|a| a.get("errors").is_some()) {
        assert_eq!(error_code(lost), "CONFLICT", "{lost}");
    }
    assert_eq!(
        level(&app, owner, &variant).await,
        ("1".into(), "1".into(), "0".into())
    );
}

#[tokio::test]
async fn bad_order_input_names_its_field_and_writes_nothing() {
    let app = TestApp::spawn().await;
    let shop = shop(&app).await;
    let owner = &shop.owner;
    let (_, variant) = piece(&app, owner, "10").await;
    let create = |input: Value| {
        app.gql(
            Some(&owner.access_token),
            "mutation($input: CreateSalesOrderInput!) { createSalesOrder(input: $input) { id } }",
            json!({ "input": input }),
        )
    };
    for (input, field) in [
        (json!({ "lines": [] }), "lines"),
        (
            json!({ "lines": [{ "variantId": variant, "quantity": "1.5" }] }),
            "quantity",
        ),
        (
            json!({ "lines": [{ "variantId": variant, "quantity": "1" }], "discount": "10.01" }),
            "discount",
        ),
        (
            json!({ "lines": [{ "variantId": variant, "quantity": "1", "discount": "11" }] }),
            "discount",
        ),
        (
            json!({ "lines": [{ "code": "0000000" , "quantity": "1" }] }),
            "code",
        ),
        (
            json!({ "lines": [{ "variantId": variant, "quantity": "1" }],
                    "deliveryAddress": { "street": "", "city": "Puebla" } }),
            "deliveryAddress.street",
        ),
        (
            json!({ "lines": [{ "variantId": variant, "quantity": "1" }],
                    "deliveryAddress": { "street": "Calle 1", "city": "Puebla", "country": "Mexico" } }),
            "deliveryAddress.country",
        ),
        (
            json!({ "lines": [{ "variantId": variant, "quantity": "1" }], "contactId": uuid::Uuid::new_v4() }),
            "contactId",
        ),
    ] {
        let body = create(input.clone()).await;
        assert_eq!(error_code(&body), "BAD_USER_INPUT", "{input}: {body}");
        assert_eq!(error_ext(&body, "field"), field, "{input}: {body}");
    }
    let none = app
        .ok(
            Some(&owner.access_token),
            "{ salesOrders { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(none["salesOrders"]["totalCount"], 0);
}

#[tokio::test]
async fn an_agent_takes_an_order_in_a_whatsapp_conversation_and_sends_its_status_as_a_template() {
    use crate::fixtures::messaging::*;
    use crate::messaging_double::inbound_text;
    let (app, double) = app_with_providers().await;
    let shop = shop_of(&app, app.sign_up().await).await;
    let owner = &shop.owner;
    let token = Some(owner.access_token.as_str());
    let wa = whatsapp_channel(&app, owner).await;
    let phone = unique_phone();
    let body = inbound_text(
        &wa.phone_number_id,
        &phone,
        "Lupita Ramírez",
        &unique("wamid."),
        "Quiero 2 playeras",
    );
    assert_eq!(webhook(&app, &body, None).await.status(), 200);
    let conversation = app
        .ok(
            token,
            "{ conversations { edges { node { id contact { id } } } } }",
            json!({}),
        )
        .await;
    let node = &conversation["conversations"]["edges"][0]["node"];
    let (conversation, contact) = (text(&node["id"]), text(&node["contact"]["id"]));
    let template = approved_template(&app, owner, &wa, &double).await;
    let (_, shirt) = piece(&app, owner, "150").await;
    receive(&app, owner, &shop.location, &shirt, "5", "60").await;

    let order = create_order(
        &app,
        owner,
        json!({ "conversationId": conversation, "lines": [{ "variantId": shirt, "quantity": "2" }] }),
    )
    .await;
    assert_eq!(order["source"], "INBOX");
    let id = text(&order["id"]);
    let taken = app
        .ok(
            token,
            "query($c: ID!) { salesOrders(filter: { conversationId: $c }) { edges { node { id contact { id } conversation { id } } } } }",
            json!({ "c": conversation }),
        )
        .await;
    let found = &taken["salesOrders"]["edges"][0]["node"];
    assert_eq!(found["id"], id);
    assert_eq!(
        found["contact"]["id"], contact,
        "the conversation's contact is the customer"
    );
    crate::orders::order_mutation(&app, owner, "confirmSalesOrder", json!({ "id": id })).await;

    const SEND: &str = "mutation($input: SendSalesOrderMessageInput!) { sendSalesOrderMessage(input: $input) { kind body status } }";
    let sent = app
        .ok(
            token,
            SEND,
            json!({ "input": { "id": id, "templateId": template, "variables": ["{customer}", "pedido {number} {status}, total {total}"] } }),
        )
        .await;
    let number = order["number"].as_i64().expect("number");
    assert_eq!(sent["sendSalesOrderMessage"]["kind"], "TEMPLATE");
    assert_eq!(
        sent["sendSalesOrderMessage"]["body"],
        format!("Hola Lupita, tu descuento es pedido {number} confirmado, total $300.00 MXN.")
    );
    eventually(
        &app,
        owner,
        "{ conversations { edges { node { messages(first: 1) { edges { node { status } } } } } } }",
        |s| {
            s["conversations"]["edges"][0]["node"]["messages"]["edges"][0]["node"]["status"]
                == "SENT"
        },
    )
    .await;
    let delivered = double.calls("whatsapp.messages").pop().expect("sent");
    assert_eq!(
        delivered.body["template"]["components"][0]["parameters"][0]["text"],
        "Lupita"
    );

    let elsewhere = create_order(
        &app,
        owner,
        json!({ "lines": [{ "variantId": shirt, "quantity": "1" }] }),
    )
    .await;
    let not_in_inbox = app
        .gql(
            token,
            SEND,
            json!({ "input": { "id": elsewhere["id"], "templateId": template, "variables": ["a", "b"] } }),
        )
        .await;
    assert_eq!(error_code(&not_in_inbox), "BAD_USER_INPUT");
    assert_eq!(error_ext(&not_in_inbox, "field"), "id");
}

#[tokio::test]
async fn a_price_list_prices_the_orders_of_its_customers_and_the_tickets_that_name_it() {
    let app = TestApp::spawn().await;
    let shop = shop(&app).await;
    let owner = &shop.owner;
    let token = Some(owner.access_token.as_str());
    let (_, soda) = piece(&app, owner, "20").await;
    let (_, chips) = piece(&app, owner, "18").await;
    receive(&app, owner, &shop.location, &soda, "100", "8").await;
    receive(&app, owner, &shop.location, &chips, "100", "8").await;
    let list = app
        .ok(
            token,
            "mutation { createPriceList(input: { name: \"Mayoreo\", contactTag: \"Mayoreo\" }) { id contactTag active } }",
            json!({}),
        )
        .await;
    assert_eq!(list["createPriceList"]["contactTag"], "mayoreo");
    let list = text(&list["createPriceList"]["id"]);
    let priced = app
        .ok(
            token,
            "mutation($id: ID!, $v: ID!) { setPriceListPrices(input: { id: $id, prices: [{ variantId: $v, price: \"15.50\" }] }) {
                prices { variant { id } price { amount } } } }",
            json!({ "id": list, "v": soda }),
        )
        .await;
    assert_eq!(
        priced["setPriceListPrices"]["prices"][0]["price"]["amount"],
        "15.50"
    );
    let duplicate = app
        .gql(
            token,
            "mutation { createPriceList(input: { name: \"Mayoreo\" }) { id } }",
            json!({}),
        )
        .await;
    assert_eq!(error_code(&duplicate), "CONFLICT");

    let tendero = app
        .ok(
            token,
            "mutation { createContact(input: { firstName: \"Don Beto\", tags: [\"mayoreo\"] }) { id } }",
            json!({}),
        )
        .await;
    let tendero = text(&tendero["createContact"]["id"]);
    let order = create_order(
        &app,
        owner,
        json!({ "contactId": tendero, "lines": [{ "variantId": soda, "quantity": "10" }, { "variantId": chips, "quantity": "1" }] }),
    )
    .await;
    // The list prices the soda; the chips, not on it, sell at the catalog's price.
    assert_eq!(order["lines"][0]["total"]["amount"], "155.00");
    assert_eq!(order["lines"][1]["total"]["amount"], "18.00");
    let walk_in = create_order(
        &app,
        owner,
        json!({ "lines": [{ "variantId": soda, "quantity": "10" }] }),
    )
    .await;
    assert_eq!(walk_in["total"]["amount"], "200.00");

    let at_the_till = app
        .ok(
            token,
            CREATE_TICKET,
            json!({ "input": {
                "sessionId": shop.session,
                "idempotencyKey": uuid::Uuid::new_v4().to_string(),
                "priceListId": list,
                "lines": [{ "variantId": soda, "quantity": "2" }],
                "payments": [{ "method": "CASH", "amount": "31" }],
            } }),
        )
        .await;
    assert_eq!(at_the_till["createTicket"]["total"]["amount"], "31.00");

    app.ok(
        token,
        "mutation($id: ID!) { updatePriceList(input: { id: $id, active: false }) { active } }",
        json!({ "id": list }),
    )
    .await;
    let switched_off = create_order(
        &app,
        owner,
        json!({ "contactId": tendero, "lines": [{ "variantId": soda, "quantity": "1" }] }),
    )
    .await;
    assert_eq!(switched_off["total"]["amount"], "20.00");
    let named_off = app
        .gql(
            token,
            "mutation($l: ID!, $v: ID!) { createSalesOrder(input: { priceListId: $l, lines: [{ variantId: $v, quantity: \"1\" }] }) { id } }",
            json!({ "l": list, "v": soda }),
        )
        .await;
    assert_eq!(error_ext(&named_off, "field"), "priceListId");
}

#[tokio::test]
async fn the_orders_page_costs_the_same_statements_for_two_orders_or_twelve() {
    let app = TestApp::spawn().await;
    let shop = shop(&app).await;
    let owner = &shop.owner;
    let token = Some(owner.access_token.as_str());
    let (_, variant) = piece(&app, owner, "10").await;
    receive(&app, owner, &shop.location, &variant, "100", "5").await;
    let customer = app
        .ok(
            token,
            "mutation { createContact(input: { firstName: \"Lupe\" }) { id } }",
            json!({}),
        )
        .await;
    let customer = text(&customer["createContact"]["id"]);
    let page = "{ salesOrders(first: 50) { totalCount edges { node { number status total { amount }
        contact { name } location { name } createdBy { email }
        lines { description variant { sku product { name } } } payments { method amount { amount } } } } } }";
    let take = |n: usize| {
        let (app, owner, variant, customer) = (&app, owner, &variant, &customer);
        async move {
            for _ in 0..n {
                let order = create_order(
                    app,
                    owner,
                    json!({ "contactId": customer, "lines": [{ "variantId": variant, "quantity": "1" }, { "variantId": variant, "quantity": "2" }] }),
                )
                .await;
                order_mutation(
                    app,
                    owner,
                    "confirmSalesOrder",
                    json!({ "id": order["id"] }),
                )
                .await;
                order_mutation(
                    app,
                    owner,
                    "recordSalesOrderPayment",
                    json!({ "id": order["id"], "amount": "10", "method": "CASH" }),
                )
                .await;
            }
        }
    };
    // Background work shares the statement counter and only adds to it: the fewest of a few
    // runs is the page's own cost.
    let fewest = || async {
        let mut fewest = u64::MAX;
        let mut body = json!(null);
        for _ in 0..3 {
            let before = app.sql_statements();
            body = app.ok(token, page, json!({})).await;
            fewest = fewest.min(app.sql_statements() - before);
        }
        (body, fewest)
    };
    take(2).await;
    let (two, with_two) = fewest().await;
    take(10).await;
    let (twelve, with_twelve) = fewest().await;
    assert_eq!(two["salesOrders"]["totalCount"], 2);
    assert_eq!(twelve["salesOrders"]["totalCount"], 12);
    assert_eq!(
        twelve["salesOrders"]["edges"][11]["node"]["lines"]
            .as_array()
            .map(Vec::len),
        Some(2)
    );
    assert_eq!(with_two, with_twelve, "statements grew with the page");
}
