//! Suppliers and purchase orders: sent by email, received into stock, paid.

use crate::fixtures::commerce::*;
use crate::helpers::*;
use serde_json::{Value, json};

const ORDER: &str = "query($id: ID!) { purchaseOrder(id: $id) { status total { amount } received { amount }
    lines { id quantity receivedQuantity unitCost { amount } } supplier { name payable { amount } } } }";

async fn supplier(app: &TestApp, session: &Session, email: &str) -> String {
    let created = app
        .ok(
            Some(&session.access_token),
            "mutation($n: String!, $e: String!) { createSupplier(input: { name: $n, rfc: \"EKU9003173C9\", email: $e, paymentTermsDays: 15 }) { id rfc payable { amount } } }",
            json!({ "n": unique("Distribuidora"), "e": email }),
        )
        .await;
    assert_eq!(created["createSupplier"]["payable"]["amount"], "0.00");
    text(&created["createSupplier"]["id"])
}

fn order_input(supplier: &str, location: &str, lines: Value) -> Value {
    json!({ "input": { "supplierId": supplier, "locationId": location, "lines": lines, "expectedOn": "2026-12-10" } })
}

const CREATE_ORDER: &str =
    "mutation($input: CreatePurchaseOrderInput!) { createPurchaseOrder(input: $input) {
    id number status total { amount } lines { id } } }";

#[tokio::test]
async fn a_purchase_order_is_emailed_received_in_two_deliveries_and_paid() {
    let (app, mut mail) = app_with_smtp().await;
    let shop = shop(&app).await;
    let owner = &shop.owner;
    let token = Some(owner.access_token.as_str());
    let supplier = supplier(&app, owner, "ventas@proveedor.mx").await;
    let (_, shirt) = piece(&app, owner, "99").await;
    let (_, beef) = product(
        &app,
        owner,
        json!({ "name": "Sirloin", "unit": "KILOGRAM", "variants": [{ "sku": unique("SIR"), "price": "250" }] }),
    )
    .await;
    let created = app
        .ok(
            token,
            CREATE_ORDER,
            order_input(
                &supplier,
                &shop.location,
                json!([
                    { "variantId": shirt, "quantity": "10", "unitCost": "45.50" },
                    { "variantId": beef, "quantity": "5.5", "unitCost": "120" },
                ]),
            ),
        )
        .await;
    let order = &created["createPurchaseOrder"];
    assert_eq!(order["status"], "DRAFT");
    // 10 × 45.50 + 5.5 × 120 = 1,115.00
    assert_eq!(order["total"]["amount"], "1115.00");
    let id = text(&order["id"]);

    let sent = app
        .ok(
            token,
            "mutation($id: ID!) { sendPurchaseOrder(input: { id: $id }) { status sentAt } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(sent["sendPurchaseOrder"]["status"], "SENT");
    let email = mail.next_to("ventas@proveedor.mx").await;
    assert!(email.data.contains("Orden de compra"), "{}", email.data);
    let number = &order["number"];
    let attached = email
        .attachment(&format!("OC-{number}.pdf"))
        .expect("the order as a PDF");
    let printed = crate::pdfs::text_of(&attached);
    for shown in [
        "Sirloin",
        "5.5",
        "120.00",
        "660.00",
        "455.00",
        "1,115.00 MXN",
    ] {
        assert!(printed.contains(shown), "{shown} in {printed}");
    }
    // The same PDF is kept among the order's files.
    let kept = crate::pdfs::rendered(&app, owner, "renderPurchaseOrderPdf", &id).await;
    assert_eq!(kept["folderKind"], "PURCHASE_ORDER");
    assert_eq!(
        crate::pdfs::download(&app, owner, &text(&kept["id"])).await,
        attached
    );
    let changed = app
        .gql(
            token,
            "mutation($id: ID!) { updatePurchaseOrder(input: { id: $id, notes: \"x\" }) { id } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(
        error_ext(&changed, "field"),
        "id",
        "a sent order is not edited"
    );

    let receive = "mutation($input: ReceivePurchaseOrderInput!) { receivePurchaseOrder(input: $input) { status received { amount } } }";
    let state = app.ok(token, ORDER, json!({ "id": id })).await;
    let lines = state["purchaseOrder"]["lines"].clone();
    let first = app
        .ok(
            token,
            receive,
            json!({ "input": { "id": id, "lines": [
                { "lineId": lines[0]["id"], "quantity": "6" },
                { "lineId": lines[1]["id"], "quantity": "5.5", "unitCost": "118" },
            ] } }),
        )
        .await;
    // 6 × 45.50 + 5.5 × 118 = 273 + 649
    assert_eq!(
        first["receivePurchaseOrder"],
        json!({ "status": "PARTIALLY_RECEIVED", "received": { "amount": "922.00" } })
    );
    assert_eq!(on_hand(&app, owner, &shirt).await, "6");
    assert_eq!(on_hand(&app, owner, &beef).await, "5.5");
    let too_many = app
        .gql(token, receive, json!({ "input": { "id": id, "lines": [{ "lineId": lines[0]["id"], "quantity": "5" }] } }))
        .await;
    assert_eq!(error_code(&too_many), "BAD_USER_INPUT");
    assert_eq!(error_ext(&too_many, "field"), "quantity");
    let rest = app
        .ok(token, receive, json!({ "input": { "id": id, "lines": [{ "lineId": lines[0]["id"], "quantity": "4" }] } }))
        .await;
    assert_eq!(rest["receivePurchaseOrder"]["status"], "RECEIVED");
    let movements = app
        .ok(
            token,
            "query($r: ID!) { stockMovements(filter: { referenceId: $r }) { totalCount } }",
            json!({ "r": id }),
        )
        .await;
    assert_eq!(movements["stockMovements"]["totalCount"], 3);

    let pay = "mutation($s: ID!, $o: ID, $a: Decimal!) { recordSupplierPayment(input: {
        supplierId: $s, purchaseOrderId: $o, amount: $a, reference: \"SPEI 123\" }) { amount { amount } method } }";
    let over = app
        .gql(
            token,
            pay,
            json!({ "s": supplier, "o": id, "a": "1104.01" }),
        )
        .await;
    assert_eq!(error_ext(&over, "field"), "amount", "{over}");
    let paid = app
        .ok(token, pay, json!({ "s": supplier, "o": id, "a": "1000" }))
        .await;
    assert_eq!(paid["recordSupplierPayment"]["method"], "TRANSFER");
    let closed = app
        .ok(
            token,
            "mutation($id: ID!) { closePurchaseOrder(input: { id: $id }) { status } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(closed["closePurchaseOrder"]["status"], "CLOSED");
    let state = app.ok(token, ORDER, json!({ "id": id })).await;
    assert_eq!(state["purchaseOrder"]["received"]["amount"], "1104.00");
    assert_eq!(
        state["purchaseOrder"]["supplier"]["payable"]["amount"],
        "104.00"
    );
}

#[tokio::test]
async fn an_order_that_received_nothing_is_cancelled_and_cannot_be_received() {
    let app = TestApp::spawn().await;
    let shop = shop(&app).await;
    let token = Some(shop.owner.access_token.as_str());
    let supplier = supplier(&app, &shop.owner, "a@proveedor.mx").await;
    let (_, variant) = piece(&app, &shop.owner, "10").await;
    let created = app
        .ok(
            token,
            CREATE_ORDER,
            order_input(
                &supplier,
                &shop.location,
                json!([{ "variantId": variant, "quantity": "2", "unitCost": "4" }]),
            ),
        )
        .await;
    let id = text(&created["createPurchaseOrder"]["id"]);
    let cancelled = app
        .ok(
            token,
            "mutation($id: ID!) { closePurchaseOrder(input: { id: $id }) { status } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(cancelled["closePurchaseOrder"]["status"], "CANCELLED");
    let late = app
        .gql(
            token,
            "mutation($id: ID!, $l: ID!) { receivePurchaseOrder(input: { id: $id, lines: [{ lineId: $l, quantity: \"1\" }] }) { id } }",
            json!({ "id": id, "l": created["createPurchaseOrder"]["lines"][0]["id"] }),
        )
        .await;
    assert_eq!(error_ext(&late, "field"), "id", "{late}");
    assert_eq!(on_hand(&app, &shop.owner, &variant).await, "0");
}

#[tokio::test]
async fn another_business_can_neither_see_nor_touch_suppliers_or_their_orders() {
    let app = TestApp::spawn().await;
    let a = shop(&app).await;
    let a_token = Some(a.owner.access_token.as_str());
    let supplier = supplier(&app, &a.owner, "a@proveedor.mx").await;
    let (_, variant) = piece(&app, &a.owner, "10").await;
    let created = app
        .ok(
            a_token,
            CREATE_ORDER,
            order_input(
                &supplier,
                &a.location,
                json!([{ "variantId": variant, "quantity": "2", "unitCost": "4" }]),
            ),
        )
        .await;
    let order = text(&created["createPurchaseOrder"]["id"]);
    let line = text(&created["createPurchaseOrder"]["lines"][0]["id"]);
    let b = shop(&app).await;
    let token = Some(b.owner.access_token.as_str());
    let lists = app
        .ok(
            token,
            "{ suppliers { totalCount } purchaseOrders { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(
        lists,
        json!({ "suppliers": { "totalCount": 0 }, "purchaseOrders": { "totalCount": 0 } })
    );
    for (query, variables) in [
        (
            "query($id: ID!) { supplier(id: $id) { id } }",
            json!({ "id": supplier }),
        ),
        (ORDER, json!({ "id": order })),
        (
            "query($id: ID!) { supplierPayments(supplierId: $id) { totalCount } }",
            json!({ "id": supplier }),
        ),
        (
            "mutation($id: ID!) { updateSupplier(input: { id: $id, name: \"x\" }) { id } }",
            json!({ "id": supplier }),
        ),
        (
            "mutation($id: ID!) { updatePurchaseOrder(input: { id: $id, notes: \"x\" }) { id } }",
            json!({ "id": order }),
        ),
        (
            "mutation($id: ID!) { sendPurchaseOrder(input: { id: $id }) { id } }",
            json!({ "id": order }),
        ),
        (
            "mutation($id: ID!) { renderPurchaseOrderPdf(id: $id) { file { id } } }",
            json!({ "id": order }),
        ),
        (
            "mutation($id: ID!, $l: ID!) { receivePurchaseOrder(input: { id: $id, lines: [{ lineId: $l, quantity: \"1\" }] }) { id } }",
            json!({ "id": order, "l": line }),
        ),
        (
            "mutation($id: ID!) { closePurchaseOrder(input: { id: $id }) { id } }",
            json!({ "id": order }),
        ),
        (
            "mutation($s: ID!) { recordSupplierPayment(input: { supplierId: $s, amount: \"1\" }) { id } }",
            json!({ "s": supplier }),
        ),
    ] {
        let body = app.gql(token, query, variables).await;
        assert_eq!(error_code(&body), "NOT_FOUND", "{query}: {body}");
    }
    let borrowed = app
        .gql(
            token,
            CREATE_ORDER,
            order_input(
                &supplier,
                &b.location,
                json!([{ "variantId": variant, "quantity": "1", "unitCost": "1" }]),
            ),
        )
        .await;
    assert_eq!(error_ext(&borrowed, "field"), "supplierId", "{borrowed}");
    let a_view = app.ok(a_token, ORDER, json!({ "id": order })).await;
    assert_eq!(a_view["purchaseOrder"]["status"], "DRAFT");
}
