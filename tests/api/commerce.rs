//! Commerce: the catalog, stock through its ledger, and the point of sale.

use crate::fixtures::commerce::*;
use crate::helpers::*;
use serde_json::{Value, json};

fn amount(value: &Value) -> String {
    text(&value["amount"])
}

#[tokio::test]
async fn products_have_variants_found_by_barcode_or_sku_and_bad_codes_are_refused() {
    let app = TestApp::spawn().await;
    let owner = app.sign_up().await;
    let token = Some(owner.access_token.as_str());
    let sku = unique("PLAY");
    let created = app
        .ok(
            token,
            CREATE_PRODUCT,
            json!({ "input": {
                "name": "Playera básica",
                "optionNames": ["Talla", "Color"],
                "variants": [
                    { "sku": format!("{sku}-M-R"), "barcode": "7501055300075", "optionValues": ["M", "Rojo"], "price": "199" },
                    { "sku": format!("{sku}-G-R"), "optionValues": ["G", "Rojo"], "price": "219.50" },
                ],
            }}),
        )
        .await;
    let product = &created["createProduct"];
    assert_eq!(product["status"], "ACTIVE");
    assert_eq!(product["variants"][0]["optionValues"], json!(["M", "Rojo"]));
    assert_eq!(
        product["variants"][1]["price"],
        json!({ "amount": "219.50", "currency": "MXN" })
    );

    for code in ["7501055300075", &format!("{sku}-G-R")] {
        let found = app
            .ok(
                token,
                "query($c: String!) { variantByCode(code: $c) { sku product { name } } }",
                json!({ "c": code }),
            )
            .await;
        assert_eq!(
            found["variantByCode"]["product"]["name"], "Playera básica",
            "{code}"
        );
    }
    let search = app
        .ok(
            token,
            "query($s: String!) { products(filter: { search: $s }) { totalCount } }",
            json!({ "s": format!("{sku}-g") }),
        )
        .await;
    assert_eq!(search["products"]["totalCount"], 1);

    let bad = |variant: Value, options: Value| json!({ "input": { "name": "Otra", "optionNames": options, "variants": [variant] } });
    for (input, code, field) in [
        (
            bad(
                json!({ "sku": unique("X"), "barcode": "7501055300076", "price": "1" }),
                json!([]),
            ),
            "BAD_USER_INPUT",
            "barcode",
        ),
        (
            bad(
                json!({ "sku": format!("{sku}-M-R"), "price": "1" }),
                json!([]),
            ),
            "CONFLICT",
            "sku",
        ),
        (
            bad(
                json!({ "sku": unique("X"), "barcode": "7501055300075", "price": "1" }),
                json!([]),
            ),
            "CONFLICT",
            "barcode",
        ),
        (
            bad(json!({ "sku": unique("X"), "price": "1.001" }), json!([])),
            "BAD_USER_INPUT",
            "price",
        ),
        (
            bad(
                json!({ "sku": unique("X"), "price": "1" }),
                json!(["Talla"]),
            ),
            "BAD_USER_INPUT",
            "optionValues",
        ),
    ] {
        let body = app.gql(token, CREATE_PRODUCT, input).await;
        assert_eq!(error_code(&body), code, "{body}");
        assert_eq!(error_ext(&body, "field"), field, "{body}");
    }
    // Nothing of the refused products was written.
    let all = app
        .ok(token, "{ products { totalCount } }", json!({}))
        .await;
    assert_eq!(all["products"]["totalCount"], 1);
}

#[tokio::test]
async fn receipts_raise_stock_and_average_the_cost_and_the_ledger_keeps_each_move() {
    let app = TestApp::spawn().await;
    let shop = shop(&app).await;
    let owner = &shop.owner;
    let (_, variant) = piece(&app, owner, "99").await;
    receive(&app, owner, &shop.location, &variant, "10", "50").await;
    receive(&app, owner, &shop.location, &variant, "30", "60").await;
    let token = Some(owner.access_token.as_str());
    let state = app
        .ok(
            token,
            "query($v: ID!) { stockMovements(filter: { variantId: $v }) { totalCount edges { node {
                kind quantity balanceAfter unitCost { amount } } } }
               stockLevels(filter: { variantId: $v }) { edges { node { onHand variant { cost { amount } onHand } } } } }",
            json!({ "v": variant }),
        )
        .await;
    assert_eq!(state["stockMovements"]["totalCount"], 2);
    assert_eq!(
        state["stockMovements"]["edges"][0]["node"],
        json!({ "kind": "RECEIPT", "quantity": "30", "balanceAfter": "40", "unitCost": { "amount": "60.00" } })
    );
    let level = &state["stockLevels"]["edges"][0]["node"];
    assert_eq!(level["onHand"], "40");
    // (10 × 50 + 30 × 60) / 40 = 57.50
    assert_eq!(level["variant"]["cost"]["amount"], "57.50");
    assert_eq!(level["variant"]["onHand"], "40");

    // A second location: a transfer moves stock and leaves the source at zero at most.
    let warehouse = app
        .ok(
            token,
            "mutation { createStockLocation(input: { name: \"Bodega\", kind: WAREHOUSE }) { id } }",
            json!({}),
        )
        .await;
    let warehouse = text(&warehouse["createStockLocation"]["id"]);
    let transfer = "mutation($f: ID!, $t: ID!, $v: ID!, $q: Decimal!) { transferStock(input: {
        fromLocationId: $f, toLocationId: $t, lines: [{ variantId: $v, quantity: $q }] }) { kind quantity balanceAfter } }";
    let moved = app
        .ok(
            token,
            transfer,
            json!({ "f": shop.location, "t": warehouse, "v": variant, "q": "15" }),
        )
        .await;
    assert_eq!(
        moved["transferStock"],
        json!([
            { "kind": "TRANSFER_OUT", "quantity": "-15", "balanceAfter": "25" },
            { "kind": "TRANSFER_IN", "quantity": "15", "balanceAfter": "15" },
        ])
    );
    let too_much = app
        .gql(
            token,
            transfer,
            json!({ "f": warehouse, "t": shop.location, "v": variant, "q": "16" }),
        )
        .await;
    assert_eq!(error_code(&too_much), "CONFLICT", "{too_much}");
    assert_eq!(error_ext(&too_much, "field"), "lines");
    assert_eq!(on_hand(&app, owner, &variant).await, "40");
}

#[tokio::test]
async fn adjustments_and_waste_need_a_reason_and_never_take_stock_below_zero() {
    let app = TestApp::spawn().await;
    let shop = shop(&app).await;
    let owner = &shop.owner;
    let token = Some(owner.access_token.as_str());
    let (_, beef) = product(
        &app,
        owner,
        json!({ "name": "Arrachera", "unit": "KILOGRAM", "tax": "IVA_0", "variants": [{ "sku": unique("ARR"), "price": "389.90" }] }),
    )
    .await;
    receive(&app, owner, &shop.location, &beef, "12.5", "250").await;
    let waste = "mutation($l: ID!, $v: ID!, $q: Decimal!, $r: String!) { recordWaste(input: {
        locationId: $l, variantId: $v, quantity: $q, reason: $r }) { kind quantity balanceAfter reason } }";
    let wasted = app
        .ok(
            token,
            waste,
            json!({ "l": shop.location, "v": beef, "q": "0.375", "r": "Recorte" }),
        )
        .await;
    assert_eq!(
        wasted["recordWaste"],
        json!({ "kind": "WASTE", "quantity": "-0.375", "balanceAfter": "12.125", "reason": "Recorte" })
    );
    let adjust = "mutation($l: ID!, $v: ID!, $q: Decimal!, $r: String!) { adjustStock(input: {
        locationId: $l, variantId: $v, quantity: $q, reason: $r }) { balanceAfter } }";
    for (quantity, reason, code, field) in [
        ("-12.126", "Conteo", "CONFLICT", "quantity"),
        ("1.0001", "Conteo", "BAD_USER_INPUT", "quantity"),
        ("1", " ", "BAD_USER_INPUT", "reason"),
    ] {
        let body = app
            .gql(
                token,
                adjust,
                json!({ "l": shop.location, "v": beef, "q": quantity, "r": reason }),
            )
            .await;
        assert_eq!(error_code(&body), code, "{quantity}: {body}");
        assert_eq!(error_ext(&body, "field"), field);
    }
    let counted = app
        .ok(
            token,
            adjust,
            json!({ "l": shop.location, "v": beef, "q": "-12.125", "r": "Conteo" }),
        )
        .await;
    assert_eq!(counted["adjustStock"]["balanceAfter"], "0");

    // A cashier sells but does not adjust stock.
    let cashier = app.join_as(owner, "cashier").await;
    let refused = app
        .gql(
            Some(&cashier.access_token),
            adjust,
            json!({ "l": shop.location, "v": beef, "q": "1", "r": "x" }),
        )
        .await;
    assert_eq!(error_code(&refused), "FORBIDDEN");
}

#[tokio::test]
async fn a_ticket_takes_taxes_out_of_its_prices_settles_split_payments_and_the_session_closes_on_the_count()
 {
    let app = TestApp::spawn().await;
    let shop = shop(&app).await;
    let owner = &shop.owner;
    let token = Some(owner.access_token.as_str());
    let beer_sku = unique("CERV");
    let (_, beer) = product(
        &app,
        owner,
        json!({ "name": "Cerveza", "iepsRate": "0.265", "satProductKey": "50202201",
                "variants": [{ "sku": beer_sku, "barcode": "036000291452", "price": "35" }] }),
    )
    .await;
    let (_, beef) = product(
        &app,
        owner,
        json!({ "name": "Bistec", "unit": "KILOGRAM", "tax": "IVA_0", "variants": [{ "sku": unique("BIS"), "price": "189.90" }] }),
    )
    .await;
    receive(&app, owner, &shop.location, &beer, "24", "18").await;
    receive(&app, owner, &shop.location, &beef, "20", "120").await;
    // 2 beers scanned by barcode (70.00) and 1.235 kg of beef (234.53): 304.53.
    let sold = app
        .ok(
            token,
            CREATE_TICKET,
            json!({ "input": {
                "sessionId": shop.session,
                "idempotencyKey": uuid::Uuid::new_v4().to_string(),
                "lines": [
                    { "code": "036000291452", "quantity": "2" },
                    { "variantId": beef, "quantity": "1.235" },
                ],
                "payments": [
                    { "method": "CARD", "amount": "100", "reference": "AUTH-881" },
                    { "method": "CASH", "amount": "300" },
                ],
            }}),
        )
        .await;
    let ticket = &sold["createTicket"];
    assert_eq!(ticket["kind"], "SALE");
    assert_eq!(
        ticket["total"],
        json!({ "amount": "304.53", "currency": "MXN" })
    );
    assert_eq!(amount(&ticket["change"]), "95.47");
    let beer_line = &ticket["lines"][0];
    assert_eq!(
        (
            amount(&beer_line["total"]),
            amount(&beer_line["base"]),
            amount(&beer_line["ieps"]),
            amount(&beer_line["iva"])
        ),
        (
            "70.00".into(),
            "47.70".into(),
            "12.64".into(),
            "9.66".into()
        )
    );
    assert_eq!(amount(&ticket["tax"]), "22.30");
    assert_eq!(
        ticket["payments"],
        json!([
            { "method": "CARD", "amount": { "amount": "100.00" }, "tendered": null, "reference": "AUTH-881" },
            { "method": "CASH", "amount": { "amount": "204.53" }, "tendered": { "amount": "300.00" }, "reference": null },
        ])
    );
    assert_eq!(on_hand(&app, owner, &beer).await, "22");
    assert_eq!(on_hand(&app, owner, &beef).await, "18.765");

    // A card cannot pay more than the total, and the payments must cover it.
    for payments in [
        json!([{ "method": "CARD", "amount": "36" }]),
        json!([{ "method": "CASH", "amount": "34.99" }]),
    ] {
        let body = app
            .gql(
                token,
                CREATE_TICKET,
                json!({ "input": {
                "sessionId": shop.session, "idempotencyKey": uuid::Uuid::new_v4().to_string(),
                "lines": [{ "variantId": beer, "quantity": "1" }], "payments": payments } }),
            )
            .await;
        assert_eq!(error_ext(&body, "field"), "payments", "{body}");
    }
    assert_eq!(
        on_hand(&app, owner, &beer).await,
        "22",
        "refused tickets take no stock"
    );

    // The drawer should hold the float and the cash kept; the card its amount.
    let close = "mutation($id: ID!, $cash: Decimal!) { closeCashSession(input: { id: $id,
        counted: [{ method: CASH, amount: $cash }, { method: CARD, amount: \"100\" }] }) {
        status expected { method amount { amount } } counted { method amount { amount } } difference { amount } } }";
    let closed = app
        .ok(token, close, json!({ "id": shop.session, "cash": "700" }))
        .await;
    let closed = &closed["closeCashSession"];
    assert_eq!(closed["status"], "CLOSED");
    assert_eq!(
        closed["expected"],
        json!([
            { "method": "CARD", "amount": { "amount": "100.00" } },
            { "method": "CASH", "amount": { "amount": "704.53" } },
        ])
    );
    assert_eq!(amount(&closed["difference"]), "-4.53");
    let after = app
        .gql(
            token,
            CREATE_TICKET,
            json!({ "input": cash_sale(&shop.session, &beer, "1", "35") }),
        )
        .await;
    assert_eq!(error_ext(&after, "field"), "sessionId", "{after}");
}

#[tokio::test]
async fn concurrent_sales_of_the_last_unit_have_exactly_one_winner() {
    let app = TestApp::spawn().await;
    let shop = shop(&app).await;
    let owner = &shop.owner;
    let (_, variant) = piece(&app, owner, "10").await;
    receive(&app, owner, &shop.location, &variant, "1", "5").await;
    let sales = (0..8).map(|_| {
        app.gql(
            Some(&owner.access_token),
            CREATE_TICKET,
            json!({ "input": cash_sale(&shop.session, &variant, "1", "10") }),
        )
    });
    let answers = futures_util::future::join_all(sales).await;
    let won = answers.iter().filter(|a| a.get("errors").is_none()).count();
    assert_eq!(won, 1, "{answers:?}");
    for lost in answers.iter().filter(|a| a.get("errors").is_some()) {
        assert_eq!(error_code(lost), "CONFLICT", "{lost}");
        assert_eq!(error_ext(lost, "field"), "lines");
    }
    assert_eq!(on_hand(&app, owner, &variant).await, "0");
    let tickets = app
        .ok(
            Some(&owner.access_token),
            "{ tickets { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(tickets["tickets"]["totalCount"], 1);

    // A product that allows back-orders sells past zero.
    let (backordered_product, backordered) = piece(&app, owner, "10").await;
    app.ok(
        Some(&owner.access_token),
        "mutation($id: ID!) { updateProduct(input: { id: $id, allowBackorder: true }) { allowBackorder } }",
        json!({ "id": backordered_product }),
    )
    .await;
    app.ok(
        Some(&owner.access_token),
        CREATE_TICKET,
        json!({ "input": cash_sale(&shop.session, &backordered, "2", "20") }),
    )
    .await;
    assert_eq!(on_hand(&app, owner, &backordered).await, "-2");
}

#[tokio::test]
async fn a_retried_ticket_is_recorded_once_and_a_reused_key_with_other_content_is_refused() {
    let app = TestApp::spawn().await;
    let shop = shop(&app).await;
    let owner = &shop.owner;
    let token = Some(owner.access_token.as_str());
    let (_, variant) = piece(&app, owner, "25").await;
    receive(&app, owner, &shop.location, &variant, "10", "10").await;
    let sale = cash_sale(&shop.session, &variant, "2", "50");
    // The till sends the same sale several times at once, then once more later.
    let tries = (0..4).map(|_| app.ok(token, CREATE_TICKET, json!({ "input": sale })));
    let answers = futures_util::future::join_all(tries).await;
    let again = app.ok(token, CREATE_TICKET, json!({ "input": sale })).await;
    let id = &again["createTicket"]["id"];
    for answer in &answers {
        assert_eq!(&answer["createTicket"]["id"], id);
        assert_eq!(answer["createTicket"]["lines"][0]["quantity"], "2");
    }
    assert_eq!(on_hand(&app, owner, &variant).await, "8");
    let mut other = sale.clone();
    other["lines"][0]["quantity"] = json!("3");
    let refused = app
        .gql(token, CREATE_TICKET, json!({ "input": other }))
        .await;
    assert_eq!(error_code(&refused), "CONFLICT");
    assert_eq!(error_ext(&refused, "field"), "idempotencyKey");
    let tickets = app.ok(token, "{ tickets { totalCount } }", json!({})).await;
    assert_eq!(tickets["tickets"]["totalCount"], 1);
}

#[tokio::test]
async fn a_return_gives_back_part_of_a_sale_never_more_and_refunds_from_the_drawer() {
    let app = TestApp::spawn().await;
    let shop = shop(&app).await;
    let owner = &shop.owner;
    let token = Some(owner.access_token.as_str());
    let (_, variant) = piece(&app, owner, "116").await;
    receive(&app, owner, &shop.location, &variant, "5", "60").await;
    let mut sale = cash_sale(&shop.session, &variant, "3", "300");
    sale["lines"][0]["discount"] = json!("48");
    let sold = app.ok(token, CREATE_TICKET, json!({ "input": sale })).await;
    let ticket = &sold["createTicket"];
    assert_eq!(amount(&ticket["total"]), "300.00");
    let line = text(&ticket["lines"][0]["id"]);
    let give_back = |quantity: &str, restock: bool| {
        json!({ "input": {
            "ticketId": ticket["id"], "sessionId": shop.session,
            "idempotencyKey": uuid::Uuid::new_v4().to_string(),
            "lines": [{ "lineId": line, "quantity": quantity }], "restock": restock, "reason": "Talla",
        }})
    };
    let returned = "mutation($input: ReturnTicketInput!) { returnTicket(input: $input) {
        kind originalTicketId total { amount } lines { quantity total { amount } discount { amount } }
        payments { method amount { amount } } } }";
    let first = app.ok(token, returned, give_back("1", true)).await;
    let first = &first["returnTicket"];
    assert_eq!(first["kind"], "RETURN");
    assert_eq!(first["originalTicketId"], ticket["id"]);
    // A third of the line: 300 / 3 = 100, with its third of the discount.
    assert_eq!(amount(&first["total"]), "-100.00");
    assert_eq!(amount(&first["lines"][0]["discount"]), "-16.00");
    assert_eq!(
        first["payments"],
        json!([{ "method": "CASH", "amount": { "amount": "-100.00" } }])
    );
    assert_eq!(on_hand(&app, owner, &variant).await, "3");

    let too_many = app.gql(token, returned, give_back("3", true)).await;
    assert_eq!(error_code(&too_many), "BAD_USER_INPUT", "{too_many}");
    assert_eq!(error_ext(&too_many, "field"), "quantity");
    // Damaged goods come back without going on the shelf.
    app.ok(token, returned, give_back("2", false)).await;
    assert_eq!(on_hand(&app, owner, &variant).await, "3");
    let session = app
        .ok(
            token,
            "query($id: ID!) { cashSession(id: $id) { expected { method amount { amount } } } }",
            json!({ "id": shop.session }),
        )
        .await;
    // 500 float + 300 sale − 300 refunded.
    assert_eq!(
        session["cashSession"]["expected"],
        json!([{ "method": "CASH", "amount": { "amount": "500.00" } }])
    );
    let line_after = app
        .ok(
            token,
            "query($id: ID!) { ticket(id: $id) { lines { returnedQuantity } } }",
            json!({ "id": ticket["id"] }),
        )
        .await;
    assert_eq!(line_after["ticket"]["lines"][0]["returnedQuantity"], "3");
}

#[tokio::test]
async fn a_cashier_sells_only_in_their_own_session_and_sees_only_their_tickets() {
    let app = TestApp::spawn().await;
    let shop = shop(&app).await;
    let owner = &shop.owner;
    let (_, variant) = piece(&app, owner, "10").await;
    receive(&app, owner, &shop.location, &variant, "10", "5").await;
    app.ok(
        Some(&owner.access_token),
        CREATE_TICKET,
        json!({ "input": cash_sale(&shop.session, &variant, "1", "10") }),
    )
    .await;
    let cashier = app.join_as(owner, "cashier").await;
    let token = Some(cashier.access_token.as_str());
    // The owner's register is taken; the cashier's own register is not.
    let taken = app
        .gql(token, "mutation($r: ID!) { openCashSession(input: { registerId: $r, openingFloat: \"0\" }) { id } }", json!({ "r": shop.register }))
        .await;
    assert_eq!(error_code(&taken), "CONFLICT");
    assert_eq!(error_ext(&taken, "field"), "registerId");
    let refused = app
        .gql(
            token,
            CREATE_TICKET,
            json!({ "input": cash_sale(&shop.session, &variant, "1", "10") }),
        )
        .await;
    assert_eq!(error_ext(&refused, "field"), "sessionId", "{refused}");
    let register = new_register(&app, owner, &shop.location).await;
    let mine = "{ myOpenCashSession { id } }";
    let none = app.ok(token, mine, json!({})).await;
    assert_eq!(none["myOpenCashSession"], json!(null));
    let own = open_session(&app, &cashier, &register).await;
    let resumed = app.ok(token, mine, json!({})).await;
    assert_eq!(resumed["myOpenCashSession"]["id"], own.as_str());
    app.ok(
        token,
        CREATE_TICKET,
        json!({ "input": cash_sale(&own, &variant, "2", "20") }),
    )
    .await;
    let seen = app
        .ok(token, "{ tickets { totalCount edges { node { cashier { email } } } } cashSessions { totalCount } }", json!({}))
        .await;
    assert_eq!(seen["tickets"]["totalCount"], 1);
    assert_eq!(
        seen["tickets"]["edges"][0]["node"]["cashier"]["email"],
        cashier.email
    );
    assert_eq!(seen["cashSessions"]["totalCount"], 1);
    let owners = app
        .gql(
            token,
            "query($id: ID!) { cashSession(id: $id) { id } }",
            json!({ "id": shop.session }),
        )
        .await;
    assert_eq!(error_code(&owners), "NOT_FOUND");
    // Selling is not managing the catalog.
    let product = app
        .gql(
            token,
            CREATE_PRODUCT,
            json!({ "input": { "name": "x", "variants": [{ "sku": unique("X"), "price": "1" }] } }),
        )
        .await;
    assert_eq!(error_code(&product), "FORBIDDEN");
    let all = app
        .ok(
            Some(&owner.access_token),
            "{ tickets { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(all["tickets"]["totalCount"], 2);
}

#[tokio::test]
async fn falling_below_the_threshold_emails_the_location_once() {
    let (app, mut mail) = app_with_smtp().await;
    let shop = shop(&app).await;
    let owner = &shop.owner;
    let token = Some(owner.access_token.as_str());
    app.ok(
        token,
        "mutation($id: ID!) { updateStockLocation(input: { id: $id, alertEmails: [\"bodega@example.mx\"] }) { alertEmails } }",
        json!({ "id": shop.location }),
    )
    .await;
    let (_, variant) = product(
        &app,
        owner,
        json!({ "name": "Tequila", "variants": [{ "sku": unique("TEQ"), "price": "400", "lowStockThreshold": "5" }] }),
    )
    .await;
    receive(&app, owner, &shop.location, &variant, "6", "200").await;
    for _ in 0..3 {
        app.ok(
            token,
            CREATE_TICKET,
            json!({ "input": cash_sale(&shop.session, &variant, "1", "400") }),
        )
        .await;
    }
    let alert = mail.next_to("bodega@example.mx").await;
    assert!(alert.data.contains("Tequila"), "{}", alert.data);
    let low = app
        .ok(
            token,
            "{ auditLogs(filter: { action: \"commerce.stock.low\" }) { totalCount }
               stockLevels(filter: { lowOnly: true }) { edges { node { onHand } } } }",
            json!({}),
        )
        .await;
    // 6 → 5 → 4 → 3: it crossed once.
    assert_eq!(low["auditLogs"]["totalCount"], 1);
    assert_eq!(
        low["stockLevels"]["edges"],
        json!([{ "node": { "onHand": "3" } }])
    );
}

#[tokio::test]
async fn the_receipt_fits_80_mm_paper_and_carries_the_invoicing_code() {
    let app = TestApp::spawn().await;
    let shop = shop(&app).await;
    let owner = &shop.owner;
    let token = Some(owner.access_token.as_str());
    let (_, variant) = product(
        &app,
        owner,
        json!({ "name": "Playera de algodón peinado con estampado conmemorativo", "variants": [{ "sku": unique("P"), "price": "249.90" }] }),
    )
    .await;
    receive(&app, owner, &shop.location, &variant, "3", "100").await;
    let sold = app
        .ok(
            token,
            CREATE_TICKET,
            json!({ "input": cash_sale(&shop.session, &variant, "2", "500") }),
        )
        .await;
    let ticket = &sold["createTicket"];
    let receipt = app
        .ok(
            token,
            "query($id: ID!) { ticketReceipt(id: $id) { text html } }",
            json!({ "id": ticket["id"] }),
        )
        .await;
    let printed = text(&receipt["ticketReceipt"]["text"]);
    assert!(
        printed.lines().all(|l| l.chars().count() <= 48),
        "{printed}"
    );
    assert!(printed.contains("499.80"), "{printed}");
    assert!(printed.contains("Cambio"), "{printed}");
    assert!(printed.contains(&text(&ticket["receiptCode"])), "{printed}");
    let html = text(&receipt["ticketReceipt"]["html"]);
    assert!(html.contains("80mm"), "{html}");
    // The PDF carries the same lines on an 80 mm roll.
    let pdf =
        crate::pdfs::rendered(&app, owner, "renderTicketReceiptPdf", &text(&ticket["id"])).await;
    assert_eq!(pdf["folderKind"], "TICKET");
    let bytes = crate::pdfs::open(&app, &text(&pdf["url"])).await;
    let document = lopdf::Document::load_mem(&bytes).expect("a PDF");
    let page = document
        .get_pages()
        .values()
        .next()
        .copied()
        .expect("a page");
    let media_box = document
        .get_dictionary(page)
        .and_then(|p| p.get(b"MediaBox"))
        .and_then(|b| b.as_array())
        .expect("a media box")
        .clone();
    let width = media_box[2].as_float().expect("a width");
    assert!((width - 226.77).abs() < 0.1, "80 mm wide: {width}");
    let in_pdf = crate::pdfs::text_of(&bytes);
    for line in [
        "499.80",
        "Cambio",
        ticket["receiptCode"].as_str().expect("a code"),
    ] {
        assert!(in_pdf.contains(line), "{line} in {in_pdf}");
    }
}

#[tokio::test]
async fn a_page_of_tickets_costs_the_same_statements_whatever_its_size() {
    let app = TestApp::spawn().await;
    let shop = shop(&app).await;
    let owner = &shop.owner;
    let token = Some(owner.access_token.as_str());
    let (_, variant) = piece(&app, owner, "10").await;
    receive(&app, owner, &shop.location, &variant, "100", "5").await;
    let page = "{ tickets(first: 50) { totalCount edges { node { number total { amount } register { name location { name } }
        cashier { email } lines { description variant { sku product { name } } } payments { method } } } } }";
    let sell = |n: usize| {
        let shop = &shop;
        let variant = &variant;
        let app = &app;
        async move {
            for _ in 0..n {
                app.ok(
                    token,
                    CREATE_TICKET,
                    json!({ "input": cash_sale(&shop.session, variant, "1", "10") }),
                )
                .await;
            }
        }
    };
    // Background work (the events the sales recorded) shares the statement counter and only
    // adds to it: the fewest statements of a few runs is the page's own cost.
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
    sell(2).await;
    let (two, with_two) = fewest().await;
    sell(10).await;
    let (twelve, with_twelve) = fewest().await;
    assert_eq!(two["tickets"]["totalCount"], 2);
    assert_eq!(twelve["tickets"]["totalCount"], 12);
    assert_eq!(with_two, with_twelve, "statements grew with the page");
}

#[tokio::test]
async fn the_free_plan_includes_a_hundred_products() {
    let app = TestApp::spawn().await;
    let owner = app.sign_up().await;
    for batch in 0..10 {
        let creates = (0..10).map(|n| {
            app.ok(
                Some(&owner.access_token),
                CREATE_PRODUCT,
                json!({ "input": { "name": format!("P{batch}-{n}"), "variants": [{ "sku": unique("S"), "price": "1" }] } }),
            )
        });
        futures_util::future::join_all(creates).await;
    }
    let one_more = app
        .gql(
            Some(&owner.access_token),
            CREATE_PRODUCT,
            json!({ "input": { "name": "P100", "variants": [{ "sku": unique("S"), "price": "1" }] } }),
        )
        .await;
    assert_eq!(error_code(&one_more), "PLAN_LIMIT", "{one_more}");
}

#[tokio::test]
async fn a_stocktake_is_counted_reviewed_and_posted_as_adjustments_at_once() {
    let app = TestApp::spawn().await;
    let shop = shop(&app).await;
    let owner = &shop.owner;
    let token = Some(owner.access_token.as_str());
    let (_, shirts) = piece(&app, owner, "99").await;
    let (_, caps) = piece(&app, owner, "50").await;
    let (_, socks) = piece(&app, owner, "20").await;
    receive(&app, owner, &shop.location, &shirts, "10", "40").await;
    receive(&app, owner, &shop.location, &caps, "4", "20").await;
    receive(&app, owner, &shop.location, &socks, "7", "5").await;
    let started = app
        .ok(token, "mutation($l: ID!) { startStockCount(input: { locationId: $l, note: \"Cierre de mes\" }) { id status } }", json!({ "l": shop.location }))
        .await;
    let count = text(&started["startStockCount"]["id"]);
    let record = "mutation($id: ID!, $lines: [CountedLineInput!]!) { recordStockCount(input: { id: $id, lines: $lines }) {
        variant { id } counted onHand difference } }";
    app.ok(token, record, json!({ "id": count, "lines": [{ "variantId": shirts, "quantity": "9" }, { "variantId": caps, "quantity": "5" }] }))
        .await;
    // A recount replaces the figure; a sale meanwhile is seen by the review.
    let reviewed = app
        .ok(
            token,
            record,
            json!({ "id": count, "lines": [{ "variantId": shirts, "quantity": "8" }] }),
        )
        .await;
    assert_eq!(
        reviewed["recordStockCount"].as_array().map(Vec::len),
        Some(2)
    );
    app.ok(
        token,
        CREATE_TICKET,
        json!({ "input": cash_sale(&shop.session, &caps, "1", "50") }),
    )
    .await;
    let lines = app
        .ok(token, "query($id: ID!) { stockCountLines(id: $id) { variant { id } counted onHand difference } }", json!({ "id": count }))
        .await;
    let by_variant = |variant: &str| -> Value {
        lines["stockCountLines"]
            .as_array()
            .expect("lines")
            .iter()
            .find(|l| l["variant"]["id"] == variant)
            .cloned()
            .expect("a line")
    };
    assert_eq!(by_variant(&shirts)["difference"], "-2");
    assert_eq!(by_variant(&caps)["difference"], "2");
    let cashier = app.join_as(owner, "cashier").await;
    let refused = app
        .gql(
            Some(&cashier.access_token),
            "mutation($id: ID!) { postStockCount(input: { id: $id }) { status } }",
            json!({ "id": count }),
        )
        .await;
    assert_eq!(error_code(&refused), "FORBIDDEN");
    let posted = app
        .ok(
            token,
            "mutation($id: ID!) { postStockCount(input: { id: $id }) { status postedAt } }",
            json!({ "id": count }),
        )
        .await;
    assert_eq!(posted["postStockCount"]["status"], "POSTED");
    assert_eq!(on_hand(&app, owner, &shirts).await, "8");
    assert_eq!(on_hand(&app, owner, &caps).await, "5");
    assert_eq!(
        on_hand(&app, owner, &socks).await,
        "7",
        "uncounted variants stay as they are"
    );
    let adjustments = app
        .ok(token, "query($r: ID!) { stockMovements(filter: { referenceId: $r, kind: ADJUSTMENT }) { totalCount } }", json!({ "r": count }))
        .await;
    assert_eq!(adjustments["stockMovements"]["totalCount"], 2);
    let again = app
        .gql(
            token,
            record,
            json!({ "id": count, "lines": [{ "variantId": socks, "quantity": "1" }] }),
        )
        .await;
    assert_eq!(error_ext(&again, "field"), "id", "a posted count is closed");
}

#[tokio::test]
async fn the_demo_shops_come_with_a_catalog_stock_a_day_of_sales_and_orders() {
    let app = TestApp::spawn().await;
    const SHOWN: &str = "{ products { totalCount } tickets { totalCount } salesOrders { totalCount edges { node { status total { amount } } } }
        stockLevels(first: 100) { edges { node { onHand reserved } } } priceLists { name } prepaidCards { edges { node { balance { amount } } } } }";
    let (butcher, _) = seeded_demo(&app, "carniceria").await;
    let shown = app.ok(Some(&butcher), SHOWN, json!({})).await;
    assert_eq!(shown["products"]["totalCount"], 5);
    assert_eq!(shown["tickets"]["totalCount"], 5);
    assert_eq!(
        shown["salesOrders"]["edges"][0]["node"]["status"],
        "CONFIRMED"
    );
    let reserved = shown["stockLevels"]["edges"]
        .as_array()
        .expect("levels")
        .iter()
        .filter(|l| l["node"]["reserved"] != "0")
        .count();
    assert_eq!(reserved, 3, "the delivery order holds its three products");

    let (boutique, _) = seeded_demo(&app, "tienda-ropa").await;
    let shown = app.ok(Some(&boutique), SHOWN, json!({})).await;
    assert_eq!(shown["products"]["totalCount"], 3);
    assert_eq!(shown["priceLists"][0]["name"], "Mayoreo");
    // The reseller's 12 shirts at the wholesale 149 each.
    assert_eq!(
        shown["salesOrders"]["edges"][0]["node"]["total"]["amount"],
        "1788.00"
    );

    let (bar, printed) = seeded_demo(&app, "bar").await;
    let shown = app.ok(Some(&bar), SHOWN, json!({})).await;
    assert_eq!(shown["tickets"]["totalCount"], 3);
    assert_eq!(
        shown["prepaidCards"]["edges"][0]["node"]["balance"]["amount"],
        "390.00"
    );
    assert!(printed.contains("/api/v1/prepaid/charges"), "{printed}");
}
