//! Every text a client sends goes through one guard: no control characters (line breaks
//! only in prose), a maximum length, and Unicode NFC; on both databases alike.

use crate::helpers::*;
use serde_json::{Value, json};

const CREATE_CONTACT: &str =
    "mutation($input: CreateContactInput!) { createContact(input: $input) { id firstName } }";

async fn contact_count(app: &TestApp, session: &Session) -> u64 {
    app.ok(
        Some(&session.access_token),
        "{ contacts { totalCount } }",
        json!({}),
    )
    .await["contacts"]["totalCount"]
        .as_u64()
        .expect("count")
}

fn assert_refused(body: &Value, field: &str) {
    assert_eq!(error_code(body), "BAD_USER_INPUT", "{body}");
    assert_eq!(error_ext(body, "field"), field, "{body}");
    assert!(body.get("data").is_none(), "nothing ran: {body}");
}

#[tokio::test]
async fn control_characters_are_refused_naming_the_field_whether_in_variables_or_the_document() {
    let app = TestApp::spawn().await;
    let owner = app.sign_up().await;
    let token = Some(owner.access_token.as_str());
    for bad in [
        "a\u{0}b",
        "tab\there",
        "line\nbreak",
        "bell\u{7}",
        "del\u{7f}",
    ] {
        let body = app
            .gql(
                token,
                CREATE_CONTACT,
                json!({ "input": { "firstName": bad } }),
            )
            .await;
        assert_refused(&body, "firstName");
        let body = app
            .gql(
                token,
                CREATE_CONTACT,
                json!({ "input": { "firstName": "Ana", "tags": ["ok", bad] } }),
            )
            .await;
        assert_refused(&body, "tags");
    }
    // Written into the document rather than passed as a variable.
    let body = app
        .gql(
            token,
            r#"mutation { createCompany(input: { name: "a\u0000b" }) { id } }"#,
            json!({}),
        )
        .await;
    assert_refused(&body, "name");
    // In a filter of a query, too.
    let body = app
        .gql(
            token,
            r#"{ contacts(filter: { search: "x\u0000" }) { totalCount } }"#,
            json!({}),
        )
        .await;
    assert_refused(&body, "search");
    assert_eq!(contact_count(&app, &owner).await, 0);
    let companies = app
        .ok(token, "{ companies { totalCount } }", json!({}))
        .await;
    assert_eq!(companies["companies"]["totalCount"], 0);
}

#[tokio::test]
async fn prose_keeps_its_line_breaks_and_every_text_has_a_maximum_length() {
    let app = TestApp::spawn().await;
    let owner = app.sign_up().await;
    let token = Some(owner.access_token.as_str());
    let contact = app
        .ok(
            token,
            CREATE_CONTACT,
            json!({ "input": { "firstName": "Ana" } }),
        )
        .await["createContact"]["id"]
        .clone();
    let log = "mutation($input: LogActivityInput!) { logActivity(input: $input) { body } }";
    let body = "Llamó.\r\n\tQuiere 3 cajas.\nVolver a llamar el lunes.";
    let logged = app
        .ok(
            token,
            log,
            json!({ "input": { "kind": "NOTE", "subject": "Pedido", "body": body, "contactId": contact } }),
        )
        .await;
    assert_eq!(logged["logActivity"]["body"], body);
    let refused = app
        .gql(
            token,
            log,
            json!({ "input": { "kind": "NOTE", "subject": "Pedido", "body": "nul\u{0}", "contactId": contact } }),
        )
        .await;
    assert_refused(&refused, "body");

    let long_name = "a".repeat(2_049);
    let body = app
        .gql(
            token,
            CREATE_CONTACT,
            json!({ "input": { "firstName": long_name } }),
        )
        .await;
    assert_refused(&body, "firstName");
    let long_body = "a".repeat(65_537);
    let body = app
        .gql(
            token,
            log,
            json!({ "input": { "kind": "NOTE", "subject": "x", "body": long_body, "contactId": contact } }),
        )
        .await;
    assert_refused(&body, "body");
    // Counted in characters, not bytes: 2,048 two-byte letters fit.
    let accented = "é".repeat(2_048);
    let searched = app
        .gql(
            token,
            "query($s: String) { contacts(filter: { search: $s }) { totalCount } }",
            json!({ "s": accented }),
        )
        .await;
    assert_eq!(searched["data"]["contacts"]["totalCount"], 0, "{searched}");
}

#[tokio::test]
async fn names_and_search_text_are_stored_and_compared_in_nfc() {
    let app = TestApp::spawn().await;
    let owner = app.sign_up().await;
    let token = Some(owner.access_token.as_str());
    // "José" typed with a combining accent, as some keyboards send it.
    let decomposed = "Jose\u{301}";
    let created = app
        .ok(
            token,
            CREATE_CONTACT,
            json!({ "input": { "firstName": decomposed, "lastName": "Nu\u{301}n\u{303}ez" } }),
        )
        .await;
    assert_eq!(created["createContact"]["firstName"], "Jos\u{e9}");
    for search in ["Jos\u{e9}", "Jose\u{301}", "N\u{fa}\u{f1}ez"] {
        let found = app
            .ok(
                token,
                "query($s: String) { contacts(filter: { search: $s }) { totalCount } }",
                json!({ "s": search }),
            )
            .await;
        assert_eq!(found["contacts"]["totalCount"], 1, "searching {search:?}");
    }
}
