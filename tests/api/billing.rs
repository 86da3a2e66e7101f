//! Billing: the fiscal profile and CSD, invoices drafted, stamped as CFDI 4.0 by the
//! sandbox PAC, cancelled; bad fiscal data refused before any PAC sees it; kept to their
//! business.

use crate::fixtures::billing::*;
use crate::helpers::eventually;
use crate::helpers::{Session, TestApp, error_code, error_ext, text};
use serde_json::{Value, json};
use tianguis_domain::billing::cfdi::{Element, cadena};
use tianguis_domain::billing::csd::verify_seal;
use tianguis_domain::ports::Clock;

#[tokio::test]
async fn a_csd_is_checked_against_its_password_the_rfc_and_today() {
    let app = TestApp::spawn().await;
    let owner = app.sign_up().await;
    let token = Some(owner.access_token.as_str());
    let early = app
        .gql(token, UPLOAD, csd("eku.cer", "eku.key", PASSWORD))
        .await;
    assert_eq!(error_code(&early), "BAD_USER_INPUT", "{early}");

    let unavailable_pac = app
        .gql(
            token,
            SET_PROFILE,
            json!({ "input": { "rfc": ISSUER_RFC, "legalName": "Escuela Kemper Urgate", "taxRegime": "601", "postalCode": "42501", "pac": "otro" } }),
        )
        .await;
    assert_eq!(
        error_ext(&unavailable_pac, "field"),
        "pac",
        "{unavailable_pac}"
    );
    set_profile(&app, &owner, "XAXX010101000").await;
    for (cer, key, password, field) in [
        ("eku.cer", "eku.key", "wrong", "password"),
        ("eku.cer", "expired.key", PASSWORD, "privateKey"),
        ("expired.cer", "expired.key", PASSWORD, "certificate"),
        // Valid, but issued to another RFC than the profile's.
        ("eku.cer", "eku.key", PASSWORD, "certificate"),
    ] {
        let body = app.gql(token, UPLOAD, csd(cer, key, password)).await;
        assert_eq!(error_code(&body), "BAD_USER_INPUT", "{cer} {key}: {body}");
        assert_eq!(error_ext(&body, "field"), field, "{cer} {key}: {body}");
    }
    set_profile(&app, &owner, ISSUER_RFC).await;
    let uploaded = app
        .ok(token, UPLOAD, csd("eku.cer", "eku.key", PASSWORD))
        .await;
    assert_eq!(
        uploaded["uploadCsd"]["certificate"]["number"],
        "30001000000500003416"
    );
    let profile = app
        .ok(
            token,
            "{ fiscalProfile { rfc series pac certificate { number } } }",
            json!({}),
        )
        .await;
    assert_eq!(profile["fiscalProfile"]["series"], "F");
    assert_eq!(profile["fiscalProfile"]["pac"], "sandbox");
    // Another RFC drops the CSD issued for the old one.
    set_profile(&app, &owner, "XAXX010101000").await;
    let profile = app
        .ok(
            token,
            "{ fiscalProfile { certificate { number } } }",
            json!({}),
        )
        .await;
    assert_eq!(profile["fiscalProfile"]["certificate"], Value::Null);
}

#[tokio::test]
async fn an_invoice_is_stamped_by_the_pac_and_its_seals_verify() {
    let app = TestApp::spawn().await;
    let owner = invoicing_business(&app).await;
    let token = Some(owner.access_token.as_str());
    let id = draft(&app, &owner, receiver()).await;
    let stamping = app.ok(token, STAMP, json!({ "id": id })).await;
    assert_eq!(stamping["stampInvoice"]["status"], "STAMPING");
    let invoice = settled(&app, &owner, &id, "STAMPING").await;
    assert_eq!(invoice["status"], "STAMPED", "{invoice}");
    // 9,500 + 1,520 IVA; 3,000 + 480 IVA − 320 IVA withheld − 300 ISR withheld.
    assert_eq!(invoice["total"]["amount"], "13880.00");

    let xml = text(&invoice["xml"]);
    let doc = Element::parse(&xml).expect("the stamped CFDI parses");
    assert_eq!(doc.get("Total"), Some("13880.00"));
    assert_eq!(doc.get("Serie"), Some("F"));
    let sello = doc.get("Sello").expect("sello");
    assert!(verify_seal(
        doc.get("Certificado").expect("certificate"),
        cadena::comprobante(&doc).as_bytes(),
        sello
    ));
    let tfd = doc
        .path(&["Complemento", "TimbreFiscalDigital"])
        .expect("a TimbreFiscalDigital");
    assert_eq!(tfd.get("UUID"), invoice["uuid"].as_str());
    assert_eq!(tfd.get("SelloCFD"), Some(sello));
    assert_eq!(tfd.get("Version"), Some("1.1"));
    assert!(tfd.get("SelloSAT").is_some_and(|s| !s.is_empty()));
    let url = text(&invoice["verificationUrl"]);
    let seal_tail = sello[sello.len() - 8..]
        .replace('+', "%2B")
        .replace('/', "%2F")
        .replace('=', "%3D");
    assert_eq!(
        url,
        format!(
            "https://verificacfdi.facturaelectronica.sat.gob.mx/default.aspx?id={}&re=EKU9003173C9&rr=URE180429TM6&tt=13880.00&fe={seal_tail}",
            text(&invoice["uuid"])
        )
    );

    // A stamped invoice is final.
    let again = app.gql(token, STAMP, json!({ "id": id })).await;
    assert_eq!(error_code(&again), "CONFLICT", "{again}");
    let edit = app
        .gql(
            token,
            "mutation($id: ID!) { updateInvoice(input: { id: $id, paymentForm: \"01\" }) { id } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(error_code(&edit), "CONFLICT", "{edit}");
}

#[tokio::test]
async fn bad_fiscal_data_is_refused_before_any_pac_call() {
    let app = TestApp::spawn().await;
    let owner = invoicing_business(&app).await;
    let token = Some(owner.access_token.as_str());
    let mut bad_rfc = receiver();
    bad_rfc["rfc"] = json!("URE18042");
    let body = app
        .gql(token, CREATE, json!({ "input": { "receiver": bad_rfc, "items": [{ "description": "x", "quantity": "1", "unitPrice": "1" }] } }))
        .await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT");
    assert_eq!(error_ext(&body, "field"), "receiver.rfc");
    let mut unknown_use = receiver();
    unknown_use["cfdiUse"] = json!("Z99");
    for (input, field) in [
        (
            json!({ "receiver": unknown_use, "items": [{ "description": "x", "quantity": "1", "unitPrice": "1" }] }),
            "receiver.cfdiUse",
        ),
        (
            json!({ "receiver": receiver(), "items": [{ "description": "x", "sku": "x".repeat(101), "quantity": "1", "unitPrice": "1" }] }),
            "sku",
        ),
        (
            json!({ "receiver": receiver(), "items": [{ "description": "x", "productKey": "811115", "quantity": "1", "unitPrice": "1" }] }),
            "productKey",
        ),
    ] {
        let body = app.gql(token, CREATE, json!({ "input": input })).await;
        assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body}");
        assert_eq!(error_ext(&body, "field"), field, "{body}");
    }

    let mut salaried = receiver();
    salaried["rfc"] = json!("XIQB891116QE4");
    salaried["taxRegime"] = json!("605");
    let mut no_postal = receiver();
    no_postal
        .as_object_mut()
        .expect("object")
        .remove("postalCode");
    let mut ppd_with_transfer = receiver();
    ppd_with_transfer["cfdiUse"] = json!("G03");
    for (receiver, field) in [
        (salaried, "receiver.cfdiUse"),
        (no_postal, "receiver.postalCode"),
    ] {
        let id = draft(&app, &owner, receiver).await;
        let body = app.gql(token, STAMP, json!({ "id": id })).await;
        assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body}");
        assert_eq!(error_ext(&body, "field"), field, "{body}");
        let state = app.ok(token, STATE, json!({ "id": id })).await;
        assert_eq!(
            state["invoice"]["status"], "DRAFT",
            "never handed to the PAC"
        );
    }
    let id = draft(&app, &owner, ppd_with_transfer).await;
    app.ok(
        token,
        "mutation($id: ID!) { updateInvoice(input: { id: $id, paymentMethod: \"PPD\" }) { id } }",
        json!({ "id": id }),
    )
    .await;
    let body = app.gql(token, STAMP, json!({ "id": id })).await;
    assert_eq!(error_ext(&body, "field"), "paymentForm", "{body}");
}

#[tokio::test]
async fn cancellation_takes_sats_motives_and_settles_the_status() {
    let app = TestApp::spawn().await;
    let owner = invoicing_business(&app).await;
    let token = Some(owner.access_token.as_str());
    let cancel = "mutation($input: CancelInvoiceInput!) { cancelInvoice(input: $input) { status cancellation { motive } } }";
    let id = draft(&app, &owner, receiver()).await;
    let early = app
        .gql(
            token,
            cancel,
            json!({ "input": { "id": id, "motive": "02" } }),
        )
        .await;
    assert_eq!(
        error_code(&early),
        "CONFLICT",
        "a draft is not cancelled: {early}"
    );
    app.ok(token, STAMP, json!({ "id": id })).await;
    settled(&app, &owner, &id, "STAMPING").await;

    for (input, field) in [
        (json!({ "id": id, "motive": "05" }), "motive"),
        (json!({ "id": id, "motive": "01" }), "substituteUuid"),
        (
            json!({ "id": id, "motive": "02", "substituteUuid": "5FB2822E-396D-4725-8521-CDC4BDD20CCF" }),
            "substituteUuid",
        ),
    ] {
        let body = app.gql(token, cancel, json!({ "input": input })).await;
        assert_eq!(error_ext(&body, "field"), field, "{body}");
    }
    let requested = app
        .ok(token, cancel, json!({ "input": { "id": id, "motive": "01", "substituteUuid": "5fb2822e-396d-4725-8521-cdc4bdd20ccf" } }))
        .await;
    assert_eq!(requested["cancelInvoice"]["status"], "CANCELLING");
    let invoice = settled(&app, &owner, &id, "CANCELLING").await;
    assert_eq!(invoice["status"], "CANCELLED", "{invoice}");
    assert_eq!(invoice["cancellation"]["motive"], "01");
    assert_eq!(
        invoice["cancellation"]["substituteUuid"],
        "5FB2822E-396D-4725-8521-CDC4BDD20CCF"
    );
    assert!(invoice["cancellation"]["cancelledAt"].is_string());
}

#[tokio::test]
async fn an_accepted_proposal_becomes_one_draft_invoice_for_its_company() {
    let app = TestApp::spawn().await;
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
    let company = text(&company["id"]);
    let proposal = app
        .ok(
            token,
            "mutation($input: CreateProposalInput!) { createProposal(input: $input) { id total { amount } } }",
            json!({ "input": { "title": "Software", "companyId": company, "items": [
                { "description": "Desarrollo", "quantity": "2", "unitPrice": "1500.50", "discount": "1" }
            ] } }),
        )
        .await;
    let total = proposal["createProposal"]["total"]["amount"].clone();
    let proposal = text(&proposal["createProposal"]["id"]);
    app.ok(
        token,
        "mutation($id: ID!) { sendProposal(input: { id: $id, to: \"compras@robotica.mx\" }) { id } }",
        json!({ "id": proposal }),
    )
    .await;
    app.ok(
        token,
        "mutation($id: ID!) { acceptProposal(input: { id: $id, acceptedBy: \"Memo\" }) { status } }",
        json!({ "id": proposal }),
    )
    .await;
    let query = "{ invoices(first: 10) { totalCount nodes { proposalId status total { amount } receiver { rfc name taxRegime postalCode } company { name } items { description } } } }";
    // The page and its count are two reads: the draft can commit between them.
    let listed = eventually(&app, &owner, query, |s| {
        s["invoices"]["nodes"].as_array().map(Vec::len) == Some(1)
    })
    .await;
    assert_eq!(listed["invoices"]["totalCount"], 1);
    let invoice = &listed["invoices"]["nodes"][0];
    assert_eq!(invoice["proposalId"], json!(proposal));
    assert_eq!(invoice["status"], "DRAFT");
    assert_eq!(invoice["total"]["amount"], total);
    assert_eq!(invoice["receiver"]["rfc"], "URE180429TM6");
    assert_eq!(invoice["receiver"]["name"], "UNIVERSIDAD ROBÓTICA ESPAÑOLA");
    assert_eq!(invoice["company"]["name"], "Robótica");
    assert_eq!(invoice["items"][0]["description"], "Desarrollo");
}

#[tokio::test]
async fn a_draft_takes_new_items_and_a_contacts_company_as_receiver() {
    let app = TestApp::spawn().await;
    let owner = invoicing_business(&app).await;
    let token = Some(owner.access_token.as_str());
    let id = draft(&app, &owner, receiver()).await;
    let company = crate::fixtures::crm::create(
        &app,
        &owner,
        crate::fixtures::crm::CREATE_COMPANY,
        "createCompany",
        json!({ "name": "Kemper", "legalName": "Comercializadora Kemper", "rfc": "CKE180101AB1", "taxRegime": "601", "postalCode": "06600" }),
    )
    .await;
    let contact = crate::fixtures::crm::create(
        &app,
        &owner,
        "mutation($input: CreateContactInput!) { createContact(input: $input) { id } }",
        "createContact",
        json!({ "firstName": "Ana", "lastName": "Ruiz", "email": "ana@kemper.mx", "companyId": text(&company["id"]) }),
    )
    .await;
    let updated = app
        .ok(
            token,
            "mutation($input: UpdateInvoiceInput!) { updateInvoice(input: $input) { total { amount } items { description amount { amount } } receiver { rfc name postalCode email } company { name } } }",
            json!({ "input": { "id": id, "contactId": text(&contact["id"]), "items": [
                { "description": "Mantenimiento", "quantity": "3", "unitPrice": "33.335", "taxRate": "IVA_8" }
            ] } }),
        )
        .await;
    let invoice = &updated["updateInvoice"];
    // 3 × 33.335 = 100.005 → 100.01; IVA 8 % = 8.0008 → 8.00.
    assert_eq!(invoice["total"]["amount"], "108.01");
    assert_eq!(invoice["items"].as_array().map(Vec::len), Some(1));
    assert_eq!(invoice["items"][0]["amount"]["amount"], "100.01");
    assert_eq!(invoice["receiver"]["rfc"], "CKE180101AB1");
    assert_eq!(invoice["receiver"]["name"], "COMERCIALIZADORA KEMPER");
    assert_eq!(invoice["receiver"]["postalCode"], "06600");
    assert_eq!(invoice["receiver"]["email"], "ana@kemper.mx");
    assert_eq!(invoice["company"]["name"], "Kemper");
}

#[tokio::test]
async fn a_stamped_invoice_is_emailed_to_its_receiver_with_the_xml_and_its_pdf_kept_among_its_files()
 {
    let (app, mut mail) = crate::helpers::app_with_smtp().await;
    let owner = invoicing_business(&app).await;
    mail.next_to(&owner.email).await; // the owner's address confirmation
    let token = Some(owner.access_token.as_str());
    let mut to = receiver();
    to["email"] = json!("facturas@robotica.mx");
    let id = draft(&app, &owner, to).await;
    app.ok(token, STAMP, json!({ "id": id })).await;
    let invoice = settled(&app, &owner, &id, "STAMPING").await;
    let uuid = text(&invoice["uuid"]);

    let sent = mail.next_to("facturas@robotica.mx").await;
    let xml = sent.attachment("F-1.xml").expect("the XML attached");
    assert_eq!(
        String::from_utf8(xml).expect("utf-8"),
        text(&invoice["xml"])
    );
    let printed = crate::pdfs::text_of(&sent.attachment("F-1.pdf").expect("the printed copy"));
    assert!(
        printed.contains(&uuid),
        "the fiscal folio is printed: {printed}"
    );
    assert!(
        printed.contains("UNIVERSIDAD ROBÓTICA ESPAÑOLA"),
        "the receiver is printed"
    );
    let stamped = Element::parse(&text(&invoice["xml"])).expect("the CFDI parses");
    let total = stamped.get("Total").expect("a total");
    assert!(printed.contains(total), "the total {total} is printed");
    assert!(printed.contains("Sello digital del SAT"));
    // The same copy is kept among the invoice's files, once however often it is asked for.
    let kept = crate::pdfs::rendered(&app, &owner, "renderInvoicePdf", &id).await;
    assert_eq!(kept["name"], "Factura F-1.pdf");
    assert_eq!(
        crate::pdfs::rendered(&app, &owner, "renderInvoicePdf", &id).await["id"],
        kept["id"]
    );
    let stored = crate::pdfs::download(&app, &owner, &text(&kept["id"])).await;
    assert_eq!(
        stored,
        sent.attachment("F-1.pdf").expect("the printed copy")
    );
    let html = app
        .ok(
            token,
            "query($id: ID!) { invoice(id: $id) { printableHtml } }",
            json!({ "id": id }),
        )
        .await;
    let html = text(&html["invoice"]["printableHtml"]);
    assert!(html.contains(&uuid) && html.contains("<svg"));
    mail.assert_quiet(std::time::Duration::from_millis(300))
        .await;
}

const PAY: &str = "mutation($input: RecordPaymentInput!) { recordPayment(input: $input) { id installment amount { amount } balanceAfter { amount } receipt { status number } } }";

#[tokio::test]
async fn each_payment_of_a_ppd_invoice_gets_a_stamped_receipt_and_the_balance_follows() {
    let app = TestApp::spawn().await;
    let owner = invoicing_business(&app).await;
    let token = Some(owner.access_token.as_str());
    let id = stamped(&app, &owner, "PPD", "99").await;

    let first = app
        .ok(token, PAY, json!({ "input": { "invoiceId": id, "amount": "5000", "paymentForm": "03", "reference": "SPEI 0042" } }))
        .await;
    let first = &first["recordPayment"];
    assert_eq!(first["installment"], 1);
    assert_eq!(first["balanceAfter"]["amount"], "8880.00");
    assert_eq!(first["receipt"]["status"], "STAMPING");
    assert_eq!(first["receipt"]["number"], "P-1");
    let invoice = receipt_settled(&app, &owner, &id, 1).await;
    let receipt = &invoice["payments"][0]["receipt"];
    assert_eq!(receipt["status"], "STAMPED", "{invoice}");

    let doc = Element::parse(&text(&receipt["xml"])).expect("the receipt parses");
    assert_eq!(doc.get("TipoDeComprobante"), Some("P"));
    assert!(verify_seal(
        doc.get("Certificado").expect("certificate"),
        cadena::comprobante(&doc).as_bytes(),
        doc.get("Sello").expect("sello"),
    ));
    let related = doc
        .path(&["Complemento", "Pagos", "Pago", "DoctoRelacionado"])
        .expect("the paid invoice");
    assert_eq!(related.get("IdDocumento"), invoice["uuid"].as_str());
    assert_eq!(related.get("NumParcialidad"), Some("1"));
    assert_eq!(related.get("ImpSaldoAnt"), Some("13880.00"));
    assert_eq!(related.get("ImpPagado"), Some("5000.00"));
    assert_eq!(related.get("ImpSaldoInsoluto"), Some("8880.00"));
    let payment = doc
        .path(&["Complemento", "Pagos", "Pago"])
        .expect("payment");
    assert_eq!(payment.get("NumOperacion"), Some("SPEI 0042"));
    assert_eq!(
        doc.path(&["Complemento", "TimbreFiscalDigital"])
            .and_then(|t| t.get("UUID")),
        receipt["uuid"].as_str()
    );
    // Its printed copy, kept among the invoice's files at stamping, shows the payment.
    let listed = app
        .ok(
            token,
            "query($id: ID!) { files(folderKind: INVOICE, folderId: $id) { id name tags } }",
            json!({ "id": id }),
        )
        .await;
    let kept = listed["files"]
        .as_array()
        .and_then(|files| files.iter().find(|f| f["name"] == "Recibo de pago P-1.pdf"))
        .cloned()
        .expect("the receipt's PDF kept at stamping");
    assert_eq!(kept["tags"], json!(["generated"]));
    let payment_id = text(&invoice["payments"][0]["id"]);
    let rendered =
        crate::pdfs::rendered(&app, &owner, "renderPaymentReceiptPdf", &payment_id).await;
    assert_eq!(rendered["id"], kept["id"]);
    let printed =
        crate::pdfs::text_of(&crate::pdfs::download(&app, &owner, &text(&kept["id"])).await);
    for shown in [
        "Recibo de pago P-1",
        "5000.00",
        "8880.00",
        receipt["uuid"].as_str().expect("a UUID"),
        invoice["uuid"].as_str().expect("a UUID"),
    ] {
        assert!(printed.contains(shown), "{shown} in {printed}");
    }

    let rest = app
        .ok(
            token,
            PAY,
            json!({ "input": { "invoiceId": id, "amount": "8880", "paymentForm": "01" } }),
        )
        .await;
    assert_eq!(rest["recordPayment"]["installment"], 2);
    assert_eq!(rest["recordPayment"]["receipt"]["number"], "P-2");
    let invoice = receipt_settled(&app, &owner, &id, 2).await;
    assert_eq!(invoice["payments"][1]["receipt"]["status"], "STAMPED");
    assert_eq!(invoice["paid"]["amount"], "13880.00");
    assert_eq!(invoice["balance"]["amount"], "0.00");
    let over = app
        .gql(
            token,
            PAY,
            json!({ "input": { "invoiceId": id, "amount": "0.01", "paymentForm": "01" } }),
        )
        .await;
    assert_eq!(error_ext(&over, "field"), "amount", "{over}");
}

#[tokio::test]
async fn payments_are_checked_and_a_pue_invoice_needs_no_receipt() {
    let app = TestApp::spawn().await;
    let owner = invoicing_business(&app).await;
    let token = Some(owner.access_token.as_str());
    let unstamped = draft(&app, &owner, receiver()).await;
    let early = app
        .gql(
            token,
            PAY,
            json!({ "input": { "invoiceId": unstamped, "amount": "1", "paymentForm": "01" } }),
        )
        .await;
    assert_eq!(error_code(&early), "CONFLICT", "{early}");

    let id = stamped(&app, &owner, "PUE", "03").await;
    let tomorrow = (chrono::Utc::now() + chrono::TimeDelta::days(1)).to_rfc3339();
    for (input, field) in [
        (
            json!({ "invoiceId": id, "amount": "1", "paymentForm": "99" }),
            "paymentForm",
        ),
        (
            json!({ "invoiceId": id, "amount": "1", "paymentForm": "ZZ" }),
            "paymentForm",
        ),
        (
            json!({ "invoiceId": id, "amount": "0", "paymentForm": "03" }),
            "amount",
        ),
        (
            json!({ "invoiceId": id, "amount": "1.001", "paymentForm": "03" }),
            "amount",
        ),
        (
            json!({ "invoiceId": id, "amount": "13880.01", "paymentForm": "03" }),
            "amount",
        ),
        (
            json!({ "invoiceId": id, "amount": "1", "paymentForm": "03", "paidAt": tomorrow }),
            "paidAt",
        ),
        (
            json!({ "invoiceId": id, "amount": "1", "paymentForm": "03", "exchangeRate": "17.5" }),
            "exchangeRate",
        ),
    ] {
        let body = app.gql(token, PAY, json!({ "input": input })).await;
        assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body}");
        assert_eq!(error_ext(&body, "field"), field, "{body}");
    }
    let paid = app
        .ok(
            token,
            PAY,
            json!({ "input": { "invoiceId": id, "amount": "13880", "paymentForm": "03" } }),
        )
        .await;
    assert_eq!(
        paid["recordPayment"]["receipt"],
        Value::Null,
        "PUE: paid in one go, no receipt"
    );
    assert_eq!(paid["recordPayment"]["balanceAfter"]["amount"], "0.00");
    // An invoice with payments standing is not cancelled.
    let cancel = app
        .gql(
            token,
            "mutation($id: ID!) { cancelInvoice(input: { id: $id, motive: \"02\" }) { id } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(error_code(&cancel), "CONFLICT", "{cancel}");
}

const PLAN: &str = "mutation($input: CreateInstallmentPlanInput!) { createInstallmentPlan(input: $input) { installments { number months dueDate amount { amount } status } } }";

#[tokio::test]
async fn an_installment_plan_splits_the_balance_exactly_and_reminds_once_when_one_falls_due() {
    let (app, mut mail) = crate::helpers::app_with_smtp().await;
    let owner = invoicing_business(&app).await;
    mail.next_to(&owner.email).await; // the owner's address confirmation
    let token = Some(owner.access_token.as_str());
    let mut to = receiver();
    to["email"] = json!("cobranza@robotica.mx");
    let id = draft(&app, &owner, to).await;
    app.ok(
        token,
        "mutation($id: ID!) { updateInvoice(input: { id: $id, paymentMethod: \"PPD\", paymentForm: \"99\" }) { id } }",
        json!({ "id": id }),
    )
    .await;
    app.ok(token, STAMP, json!({ "id": id })).await;
    settled(&app, &owner, &id, "STAMPING").await;
    mail.next_to("cobranza@robotica.mx").await; // the stamped invoice

    let bad = app
        .gql(
            token,
            PLAN,
            json!({ "input": { "invoiceId": id, "months": 4 } }),
        )
        .await;
    assert_eq!(error_ext(&bad, "field"), "months", "{bad}");
    let tomorrow = (app.clock.now() + chrono::TimeDelta::days(1)).date_naive();
    let plan = app
        .ok(token, PLAN, json!({ "input": { "invoiceId": id, "months": 3, "firstDueDate": tomorrow.to_string() } }))
        .await;
    let installments = plan["createInstallmentPlan"]["installments"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let amounts: Vec<&str> = installments
        .iter()
        .filter_map(|i| i["amount"]["amount"].as_str())
        .collect();
    assert_eq!(
        amounts,
        ["4626.67", "4626.67", "4626.66"],
        "13,880.00 in three, to the cent"
    );
    assert_eq!(installments[0]["dueDate"], json!(tomorrow.to_string()));
    assert!(
        installments
            .iter()
            .all(|i| i["status"] == "PENDING" && i["months"] == 3)
    );
    let again = app
        .gql(
            token,
            PLAN,
            json!({ "input": { "invoiceId": id, "months": 6 } }),
        )
        .await;
    assert_eq!(error_code(&again), "CONFLICT", "{again}");

    // The first installment is paid (and some of the second); the second falls due unpaid.
    app.ok(
        token,
        PAY,
        json!({ "input": { "invoiceId": id, "amount": "5000", "paymentForm": "03" } }),
    )
    .await;
    // Forty days, in two steps so the session stays alive.
    app.clock.advance(chrono::TimeDelta::days(20));
    let session = app.refreshed(&owner).await;
    app.clock.advance(chrono::TimeDelta::days(20));
    let session = app.refreshed(&session).await;
    let query =
        format!("{{ invoice(id: \"{id}\") {{ installments {{ number status remindedAt }} }} }}");
    let state = eventually(&app, &session, &query, |s| {
        s["invoice"]["installments"][1]["status"] == "OVERDUE"
    })
    .await;
    let installments = &state["invoice"]["installments"];
    assert_eq!(installments[0]["status"], "PAID");
    assert!(installments[1]["remindedAt"].is_string());
    assert_eq!(installments[2]["status"], "PENDING");
    let reminder = mail.next_to("cobranza@robotica.mx").await;
    let subject = reminder.header("Subject").unwrap_or_default();
    assert!(!subject.is_empty());
    // Another day passes: no second reminder for the same installment.
    app.clock.advance(chrono::TimeDelta::days(1));
    mail.assert_quiet(std::time::Duration::from_millis(1500))
        .await;
}

mod finkok {
    //! The same invoice life through Finkok, against a double of its SOAP services.

    use super::*;
    use crate::finkok_double::{FinkokDouble, PASSWORD, USER};

    async fn app_with_finkok() -> (TestApp, FinkokDouble) {
        let double = FinkokDouble::start().await;
        let url = double.url.clone();
        (
            TestApp::spawn_with(move |c| c.finkok_url = url).await,
            double,
        )
    }

    async fn finkok_business(app: &TestApp, password: &str) -> Session {
        let owner = invoicing_business(app).await;
        app.ok(
            Some(&owner.access_token),
            SET_PROFILE,
            json!({ "input": { "rfc": ISSUER_RFC, "legalName": "Escuela Kemper Urgate", "taxRegime": "601", "postalCode": "42501",
                               "pac": "finkok", "pacUsername": USER, "pacPassword": password } }),
        )
        .await;
        owner
    }

    /// Runs the queued billing job now instead of at its retry time.
    async fn run_billing_job_now(app: &TestApp, owner: &Session) {
        let token = Some(owner.access_token.as_str());
        let queued = eventually(
            app,
            owner,
            "{ jobs(kind: \"billing\", status: QUEUED) { edges { node { id } } } }",
            |s| s["jobs"]["edges"].as_array().is_some_and(|e| !e.is_empty()),
        )
        .await;
        let id = queued["jobs"]["edges"][0]["node"]["id"].clone();
        app.ok(
            token,
            "mutation($id: ID!) { cancelJob(input: { id: $id }) { status } }",
            json!({ "id": id }),
        )
        .await;
        app.ok(
            token,
            "mutation($id: ID!) { retryJob(input: { id: $id }) { status } }",
            json!({ "id": id }),
        )
        .await;
    }

    #[tokio::test]
    async fn finkok_stamps_retries_when_down_and_cancels_once_the_receiver_accepts() {
        let (app, double) = app_with_finkok().await;
        let owner = finkok_business(&app, PASSWORD).await;
        let token = Some(owner.access_token.as_str());
        let profile = app.ok(token, "{ fiscalProfile { pac } }", json!({})).await;
        assert_eq!(profile["fiscalProfile"]["pac"], "finkok");
        // Finkok is down for the first attempt: the invoice waits, the job retries.
        double
            .unavailable
            .store(1, std::sync::atomic::Ordering::SeqCst);
        let id = draft(&app, &owner, receiver()).await;
        app.ok(token, STAMP, json!({ "id": id })).await;
        let waiting = eventually(
            &app,
            &owner,
            &format!("{{ invoice(id: \"{id}\") {{ status pacError {{ code }} }} }}"),
            |s| s["invoice"]["pacError"]["code"] == "PAC_UNAVAILABLE",
        )
        .await;
        assert_eq!(waiting["invoice"]["status"], "STAMPING");
        run_billing_job_now(&app, &owner).await;
        let invoice = settled(&app, &owner, &id, "STAMPING").await;
        assert_eq!(invoice["status"], "STAMPED", "{invoice}");
        let doc = Element::parse(&text(&invoice["xml"])).expect("stamped CFDI");
        assert_eq!(
            doc.path(&["Complemento", "TimbreFiscalDigital"])
                .and_then(|t| t.get("UUID")),
            invoice["uuid"].as_str()
        );

        // SAT holds the cancellation for the receiver; asked again, it is done.
        app.ok(
            token,
            "mutation($id: ID!) { cancelInvoice(input: { id: $id, motive: \"02\" }) { status } }",
            json!({ "id": id }),
        )
        .await;
        let pending = eventually(
            &app,
            &owner,
            &format!("{{ invoice(id: \"{id}\") {{ status pacError {{ code }} }} }}"),
            |s| s["invoice"]["pacError"]["code"] == "CANCELLATION_PENDING",
        )
        .await;
        assert_eq!(pending["invoice"]["status"], "CANCELLING");
        run_billing_job_now(&app, &owner).await;
        let cancelled = settled(&app, &owner, &id, "CANCELLING").await;
        assert_eq!(cancelled["status"], "CANCELLED", "{cancelled}");
        assert_eq!(cancelled["pacError"], Value::Null);
        // After the refused first attempt, one of each operation.
        assert_eq!(
            double.unavailable.load(std::sync::atomic::Ordering::SeqCst),
            0
        );
        assert_eq!(double.calls(), ["stamp", "sign_cancel", "get_sat_status"]);
    }

    #[tokio::test]
    async fn a_finkok_refusal_is_kept_on_the_invoice_with_its_code() {
        let (app, _double) = app_with_finkok().await;
        let owner = finkok_business(&app, "not-the-password").await;
        let id = draft(&app, &owner, receiver()).await;
        app.ok(Some(&owner.access_token), STAMP, json!({ "id": id }))
            .await;
        let invoice = settled(&app, &owner, &id, "STAMPING").await;
        assert_eq!(invoice["status"], "FAILED", "{invoice}");
        assert_eq!(invoice["pacError"]["code"], "300");
        assert!(text(&invoice["pacError"]["message"]).contains("inválidos"));
    }
}
