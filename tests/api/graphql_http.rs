//! GraphQL over HTTP as its specification and the clients that follow it expect: media
//! types, status codes, GET, and malformed requests.

use crate::helpers::*;
use reqwest::header::{ACCEPT, ALLOW, CONTENT_TYPE};
use serde_json::{Value, json};

const GRAPHQL_RESPONSE: &str = "application/graphql-response+json";

fn content_type(response: &reqwest::Response) -> String {
    response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

async fn post(app: &TestApp, accept: Option<&str>, body: &str) -> reqwest::Response {
    let mut request = app
        .client
        .post(format!("{}/graphql", app.base))
        .header(CONTENT_TYPE, "application/json")
        .body(body.to_owned());
    if let Some(accept) = accept {
        request = request.header(ACCEPT, accept);
    }
    request.send().await.expect("sent")
}

async fn get(app: &TestApp, accept: Option<&str>, params: &[(&str, &str)]) -> reqwest::Response {
    let mut request = app
        .client
        .get(format!("{}/graphql", app.base))
        .query(params);
    if let Some(accept) = accept {
        request = request.header(ACCEPT, accept);
    }
    request.send().await.expect("sent")
}

#[tokio::test]
async fn the_response_media_type_follows_the_accept_header() {
    let app = TestApp::spawn().await;
    let query = r#"{"query":"{ __typename }"}"#;
    for (accept, expected) in [
        (None, "application/json"),
        (Some("*/*"), "application/json"),
        (Some("application/json"), "application/json"),
        (Some(GRAPHQL_RESPONSE), GRAPHQL_RESPONSE),
        (
            Some("application/json;q=0.9, application/graphql-response+json"),
            GRAPHQL_RESPONSE,
        ),
        (
            Some("application/graphql-response+json;q=0.5, application/json"),
            "application/json",
        ),
    ] {
        let response = post(&app, accept, query).await;
        assert_eq!(response.status(), 200, "{accept:?}");
        let media = content_type(&response);
        assert!(
            media.starts_with(expected) && media.contains("charset=utf-8"),
            "{accept:?} answered {media}"
        );
        let body: Value = response.json().await.expect("json");
        assert_eq!(body, json!({ "data": { "__typename": "Query" } }));
    }
}

#[tokio::test]
async fn a_request_that_never_ran_is_4xx_without_data_for_graphql_response_clients() {
    let app = TestApp::spawn().await;
    let never_ran = [
        r#"{"query":"{"}"#,
        r#"{"query":"{ noSuchField }"}"#,
        r#"{"query":"query($id: ID!) { __typename }","variables":{"id":null}}"#,
    ];
    for body in never_ran {
        let response = post(&app, Some(GRAPHQL_RESPONSE), body).await;
        assert_eq!(response.status(), 400, "{body}");
        assert!(content_type(&response).starts_with(GRAPHQL_RESPONSE));
        let answer: Value = response.json().await.expect("json");
        assert!(answer.get("data").is_none(), "{body}: {answer}");
        assert!(answer["errors"][0]["message"].is_string(), "{answer}");

        // Older clients get 200 and the same errors.
        let response = post(&app, Some("application/json"), body).await;
        assert_eq!(response.status(), 200, "{body}");
        let answer: Value = response.json().await.expect("json");
        assert!(answer.get("data").is_none(), "{body}: {answer}");
        assert_eq!(error_code(&answer), "GRAPHQL_VALIDATION_FAILED");
    }

    // A request that ran and failed in a resolver keeps 200 and its data entry.
    let response = post(
        &app,
        Some(GRAPHQL_RESPONSE),
        r#"{"query":"{ me { currentTenantId } }"}"#,
    )
    .await;
    assert_eq!(response.status(), 200);
    let answer: Value = response.json().await.expect("json");
    assert_eq!(answer["data"], Value::Null, "{answer}");
    assert_eq!(error_code(&answer), "UNAUTHENTICATED");
}

#[tokio::test]
async fn malformed_requests_are_400_and_other_bodies_415() {
    let app = TestApp::spawn().await;
    for body in [
        "",
        "{",
        "[]",
        r#"{"qeury":"{ __typename }"}"#,
        r#"{"query":{"obj":"ect"}}"#,
        r#"{"query":0}"#,
        r#"{"query":"{ __typename }","variables":"string"}"#,
        r#"{"query":"{ __typename }","variables":["array"]}"#,
        r#"{"query":"{ __typename }","extensions":false}"#,
        r#"{"query":"{ __typename }","operationName":7}"#,
    ] {
        for accept in [None, Some(GRAPHQL_RESPONSE)] {
            let response = post(&app, accept, body).await;
            assert_eq!(response.status(), 400, "{body} ({accept:?})");
            let answer: Value = response.json().await.expect("json");
            assert_eq!(error_code(&answer), "BAD_REQUEST", "{body}");
            assert!(answer.get("data").is_none());
        }
    }
    // Null parameters are the same as absent ones.
    let response = post(
        &app,
        None,
        r#"{"query":"{ __typename }","variables":null,"operationName":null,"extensions":null}"#,
    )
    .await;
    assert_eq!(response.status(), 200);

    let response = app
        .client
        .post(format!("{}/graphql", app.base))
        .header(CONTENT_TYPE, "text/plain")
        .body(r#"{"query":"{ __typename }"}"#)
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 415);
    let response = app
        .client
        .post(format!("{}/graphql", app.base))
        .body(r#"{"query":"{ __typename }"}"#)
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), 415);
}

#[tokio::test]
async fn queries_run_over_get_and_mutations_are_refused_there() {
    let app = TestApp::spawn().await;
    let owner = app.sign_up().await;

    let response = get(&app, None, &[("query", "{ __typename }")]).await;
    assert_eq!(response.status(), 200);
    assert!(content_type(&response).starts_with("application/json"));
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["data"]["__typename"], "Query");

    // Variables travel as JSON in the URL, and the caller's token still applies.
    let response = app
        .client
        .get(format!("{}/graphql", app.base))
        .query(&[
            (
                "query",
                "query Me($first: Int) { me { currentTenantId } contacts(first: $first) { totalCount } }",
            ),
            ("variables", r#"{"first":5}"#),
            ("operationName", "Me"),
        ])
        .bearer_auth(&owner.access_token)
        .send()
        .await
        .expect("sent");
    let body: Value = response.json().await.expect("json");
    assert_eq!(
        body["data"]["me"]["currentTenantId"], owner.tenant_id,
        "{body}"
    );
    assert_eq!(body["data"]["contacts"]["totalCount"], 0);

    let create = r#"mutation { createContact(input: { firstName: "Por GET" }) { id } }"#;
    for accept in [None, Some(GRAPHQL_RESPONSE)] {
        let response = app
            .client
            .get(format!("{}/graphql", app.base))
            .query(&[("query", create)])
            .header(ACCEPT, accept.unwrap_or("*/*"))
            .bearer_auth(&owner.access_token)
            .send()
            .await
            .expect("sent");
        assert_eq!(response.status(), 405);
        assert!(
            response
                .headers()
                .get(ALLOW)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|allow| allow.contains("POST"))
        );
    }
    let count = app
        .ok(
            Some(&owner.access_token),
            "{ contacts { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(
        count["contacts"]["totalCount"], 0,
        "a GET created something"
    );

    let response = get(
        &app,
        None,
        &[("query", "{ __typename }"), ("variables", "{")],
    )
    .await;
    assert_eq!(response.status(), 400);
}

#[tokio::test]
async fn graphiql_is_only_for_a_browser_that_sends_no_query() {
    let app = TestApp::spawn().await;
    let browser = "text/html,application/xhtml+xml,*/*;q=0.8";
    let page = get(&app, Some(browser), &[]).await;
    assert_eq!(page.status(), 200);
    assert!(content_type(&page).starts_with("text/html"));
    assert!(page.text().await.expect("text").contains("graphiql"));

    let answer = get(&app, Some(browser), &[("query", "{ __typename }")]).await;
    assert!(content_type(&answer).starts_with("application/json"));

    let no_query = get(&app, Some("application/json"), &[]).await;
    assert_eq!(no_query.status(), 400);
}
