//! The public proposal page in a real headless browser: a customer on a phone opens the
//! link, types their name and accepts. Runs where TEST_CHROMEDRIVER names a chromedriver
//! (with Chromium beside it); `.ci/run` installs both and sets it.

use crate::fixtures::crm::new_contact;
use crate::helpers::app_with_smtp;
use crate::helpers::*;
use serde_json::{Value, json};
use std::process::Stdio;
use std::time::Duration;

/// Just enough of the W3C WebDriver protocol, spoken to chromedriver over HTTP.
struct Browser {
    driver: tokio::process::Child,
    base: String,
    session: String,
    http: reqwest::Client,
}

impl Browser {
    async fn start(chromedriver: &str) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let driver = tokio::process::Command::new(chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("chromedriver starts");
        let base = format!("http://127.0.0.1:{port}");
        let http = reqwest::Client::new();
        for _ in 0..100 {
            if http.get(format!("{base}/status")).send().await.is_ok() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let binary = std::env::var("TEST_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
        let created: Value = http
            .post(format!("{base}/session"))
            .json(&json!({ "capabilities": { "alwaysMatch": { "browserName": "chrome", "goog:chromeOptions": {
                "binary": binary,
                // A phone's screen; no network beyond the test server.
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                         "--disable-quic", "--no-first-run", "--disable-background-networking",
                         "--disable-component-update", "--disable-sync"],
                "mobileEmulation": { "deviceMetrics": { "width": 390, "height": 844, "pixelRatio": 3.0, "mobile": true, "touch": true } }
            } } } }))
            .send()
            .await
            .expect("new session")
            .json()
            .await
            .expect("session json");
        let session = created["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no browser session: {created}"))
            .to_owned();
        let browser = Self {
            driver,
            base,
            session,
            http,
        };
        // Finding an element waits for it to appear (up to 10 s): a submitted form's next
        // page may still be loading when the test looks for what it shows.
        browser
            .command(
                reqwest::Method::POST,
                "/timeouts",
                json!({ "implicit": 10_000 }),
            )
            .await;
        browser
    }

    async fn command(&self, method: reqwest::Method, path: &str, body: Value) -> Value {
        let url = format!("{}/session/{}{path}", self.base, self.session);
        let mut request = self.http.request(method, url);
        if !body.is_null() {
            request = request.json(&body);
        }
        let response: Value = request
            .send()
            .await
            .expect("webdriver command")
            .json()
            .await
            .expect("webdriver json");
        assert!(
            response["value"]["error"].is_null(),
            "webdriver {path}: {response}"
        );
        response["value"].clone()
    }

    async fn open(&self, url: &str) {
        self.command(reqwest::Method::POST, "/url", json!({ "url": url }))
            .await;
    }

    async fn find(&self, css: &str) -> String {
        let found = self
            .command(
                reqwest::Method::POST,
                "/element",
                json!({ "using": "css selector", "value": css }),
            )
            .await;
        // The reference's key is the protocol's fixed element identifier.
        found
            .as_object()
            .and_then(|o| o.iter().find(|(k, _)| k.starts_with("element-")))
            .map(|(_, v)| text(v))
            .unwrap_or_else(|| panic!("no element {css}: {found}"))
    }

    async fn type_into(&self, css: &str, value: &str) {
        let element = self.find(css).await;
        self.command(
            reqwest::Method::POST,
            &format!("/element/{element}/value"),
            json!({ "text": value }),
        )
        .await;
    }

    async fn click(&self, css: &str) {
        let element = self.find(css).await;
        self.command(
            reqwest::Method::POST,
            &format!("/element/{element}/click"),
            json!({}),
        )
        .await;
    }

    async fn text_of(&self, css: &str) -> String {
        let element = self.find(css).await;
        text(
            &self
                .command(
                    reqwest::Method::GET,
                    &format!("/element/{element}/text"),
                    Value::Null,
                )
                .await,
        )
    }

    /// The page's width and the window's: equal when nothing scrolls sideways.
    async fn widths(&self) -> (i64, i64) {
        let widths = self.command(
            reqwest::Method::POST,
            "/execute/sync",
            json!({ "script": "return [document.documentElement.scrollWidth, window.innerWidth]", "args": [] }),
        )
        .await;
        let width = |i: usize| widths[i].as_i64().expect("width");
        (width(0), width(1))
    }

    async fn close(mut self) {
        self.command(reqwest::Method::DELETE, "", Value::Null).await;
        let _ = self.driver.kill().await;
    }
}

#[tokio::test]
async fn a_customer_accepts_a_proposal_in_a_phone_browser() {
    let Ok(chromedriver) = std::env::var("TEST_CHROMEDRIVER") else {
        eprintln!("TEST_CHROMEDRIVER is not set: the browser test needs chromedriver and Chromium");
        return;
    };
    let (app, mut sink) = app_with_smtp().await;
    let owner = app.sign_up().await;
    let token = Some(owner.access_token.as_str());
    let contact = new_contact(
        &app,
        &owner,
        json!({ "firstName": "Sofía", "email": "sofia@example.mx" }),
    )
    .await;
    let created = app
        .ok(
            token,
            "mutation($c: ID!) { createProposal(input: { title: \"Vitrina refrigerada\", contactId: $c,
               items: [{ description: \"Vitrina de 1.5 m con iluminación LED y control digital de temperatura\", quantity: \"2\", unitPrice: \"23999.90\" }] }) { id number } }",
            json!({ "c": contact }),
        )
        .await;
    let id = text(&created["createProposal"]["id"]);
    app.ok(
        token,
        "mutation($id: ID!) { sendProposal(input: { id: $id }) { id } }",
        json!({ "id": id }),
    )
    .await;
    let link = sink.next_to("sofia@example.mx").await.segment_after("p");

    let browser = Browser::start(&chromedriver).await;
    browser.open(&format!("{}/p/{link}", app.base)).await;
    assert!(
        browser
            .text_of("h1")
            .await
            .contains(&text(&created["createProposal"]["number"]))
    );
    let (page, window) = browser.widths().await;
    assert!(window <= 400, "a phone-sized window: {window}");
    assert_eq!(
        page, window,
        "the page fits a phone without sideways scrolling"
    );
    browser.type_into("#name", "Sofía Hernández").await;
    browser.click("button.accept").await;
    let outcome = browser.text_of("#outcome").await;
    assert!(outcome.contains("Sofía Hernández"), "{outcome}");
    browser.close().await;

    let state = app
        .ok(
            token,
            "query($id: ID!) { proposal(id: $id) { status acceptedBy viewCount } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(state["proposal"]["status"], "ACCEPTED");
    assert_eq!(state["proposal"]["acceptedBy"], "Sofía Hernández");
    assert_eq!(state["proposal"]["viewCount"], 1);
}
