//! Public forms: the hosted page without JavaScript, the JSON endpoint and its CORS list,
//! contact dedupe, consent and attribution, the honeypot, per-address limits, the CAPTCHA
//! check against a local double of `siteverify`, and the event workflows start on.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::Form;
use serde_json::{Value, json};
use std::collections::HashMap;
use tianguis::config::CaptchaConfig;
use tianguis_integrations::captcha::CaptchaProvider;

use crate::fixtures::automation::workflow;
use crate::helpers::*;

const CREATE: &str = "mutation($input: CreateFormInput!) { createForm(input: $input) {
    id pageUrl endpointUrl embedCode fields { key kind mapsTo } } }";

fn contact_form(extra: Value) -> Value {
    let mut input = json!({
        "name": "Cotiza tu riego",
        "fields": [
            { "key": "nombre", "label": "Nombre", "kind": "TEXT", "required": true, "mapsTo": "CONTACT_FIRST_NAME" },
            { "key": "correo", "label": "Correo", "kind": "EMAIL", "required": true, "mapsTo": "CONTACT_EMAIL" },
            { "key": "hectareas", "label": "Hectáreas", "kind": "NUMBER" },
            { "key": "cultivo", "label": "Cultivo", "kind": "SELECT", "options": ["maíz", "aguacate"] },
        ],
        "consentText": "Acepto que me contacten por correo.",
        "allowedOrigins": ["https://riegos-del-valle.mx"],
        "tags": ["formulario"],
    });
    if let (Some(base), Some(more)) = (input.as_object_mut(), extra.as_object()) {
        base.extend(more.clone());
    }
    input
}

async fn new_form(app: &TestApp, owner: &Session, input: Value) -> Value {
    app.ok(Some(&owner.access_token), CREATE, json!({ "input": input }))
        .await["createForm"]
        .clone()
}

fn path_of(url: &Value) -> String {
    let url = url.as_str().expect("url");
    url[url
        .find("/formularios/")
        .or_else(|| url.find("/api/v1/"))
        .expect("path")..]
        .to_owned()
}

async fn submissions(app: &TestApp, owner: &Session, form: &str) -> Vec<Value> {
    let body = app
        .ok(
            Some(&owner.access_token),
            "query($f: ID) { formSubmissions(formId: $f, first: 50) { edges { node {
                id contactCreated values consentText consentedAt ip utmSource utmMedium utmCampaign referrer
                contact { id firstName email tags } lead { id title source attribution { utmSource utmMedium utmCampaign referrer } } } } } }",
            json!({ "f": form }),
        )
        .await;
    body["formSubmissions"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| e["node"].clone())
        .collect()
}

#[tokio::test]
async fn the_hosted_page_takes_a_submission_without_javascript_and_keeps_consent_and_attribution() {
    let app = TestApp::spawn().await;
    let owner = app.sign_up().await;
    let form = new_form(&app, &owner, contact_form(json!({}))).await;
    let id = text(&form["id"]);
    assert!(text(&form["embedCode"]).contains(&text(&form["pageUrl"])));
    let page_path = path_of(&form["pageUrl"]);

    let page = app
        .client
        .get(format!(
            "{}{page_path}?utm_source=facebook&utm_medium=cpc&utm_campaign=primavera",
            app.base
        ))
        .header("Referer", "https://facebook.com/anuncio")
        .send()
        .await
        .expect("page");
    assert_eq!(page.status(), 200);
    let html = page.text().await.expect("html");
    assert!(!html.contains("<script"), "works with JavaScript off");
    assert!(html.contains(r#"name="correo""#) && html.contains(r#"type="email""#));
    assert!(html.contains("Acepto que me contacten por correo."));
    assert!(html.contains(r#"name="utm_campaign" value="primavera""#));
    assert!(
        html.contains(r#"name="website""#),
        "the honeypot is on the page"
    );

    // What the page posts back: its fields, the consent box and the hidden attribution.
    let mut fields = HashMap::from([
        ("nombre", "Lucía"),
        ("correo", "lucia@example.mx"),
        ("hectareas", "12.5"),
        ("cultivo", "aguacate"),
        ("website", ""),
        ("utm_source", "facebook"),
        ("utm_medium", "cpc"),
        ("utm_campaign", "primavera"),
        ("referrer", "https://facebook.com/anuncio"),
    ]);
    let without_consent = app
        .client
        .post(format!("{}{page_path}", app.base))
        .form(&fields)
        .send()
        .await
        .expect("post");
    assert_eq!(without_consent.status(), 422);
    let refused = without_consent.text().await.expect("html");
    assert!(refused.contains(r#"data-field="consent""#));
    assert!(
        refused.contains(r#"value="Lucía""#),
        "the page keeps what was typed"
    );
    assert!(
        submissions(&app, &owner, &id).await.is_empty(),
        "nothing half-written"
    );

    fields.insert("consent", "on");
    let thanks = app
        .client
        .post(format!("{}{page_path}", app.base))
        .form(&fields)
        .send()
        .await
        .expect("post");
    assert_eq!(thanks.status(), 200);
    assert!(thanks.text().await.expect("html").contains("Gracias"));

    let taken = submissions(&app, &owner, &id).await;
    assert_eq!(taken.len(), 1);
    let s = &taken[0];
    assert_eq!(s["contactCreated"], true);
    assert_eq!(s["consentText"], "Acepto que me contacten por correo.");
    assert!(s["consentedAt"].is_string());
    assert!(s["ip"].as_str().is_some_and(|ip| ip.starts_with("127.")));
    assert_eq!(s["values"]["hectareas"], "12.5");
    assert_eq!(s["contact"]["firstName"], "Lucía");
    assert_eq!(s["contact"]["tags"], json!(["formulario"]));
    assert_eq!(s["lead"]["source"], "WEB");
    assert_eq!(
        s["lead"]["attribution"],
        json!({ "utmSource": "facebook", "utmMedium": "cpc", "utmCampaign": "primavera",
                "referrer": "https://facebook.com/anuncio" })
    );
}

#[tokio::test]
async fn the_json_endpoint_answers_only_listed_origins_and_names_the_field_at_fault() {
    let app = TestApp::spawn().await;
    let owner = app.sign_up().await;
    let form = new_form(&app, &owner, contact_form(json!({ "consentText": null }))).await;
    let endpoint = format!("{}{}", app.base, path_of(&form["endpointUrl"]));

    let preflight = |origin: &'static str| {
        app.client
            .request(reqwest::Method::OPTIONS, &endpoint)
            .header("Origin", origin)
            .header("Access-Control-Request-Method", "POST")
            .send()
    };
    let allowed = preflight("https://riegos-del-valle.mx")
        .await
        .expect("sent");
    assert_eq!(allowed.status(), 204);
    assert_eq!(
        allowed.headers()["access-control-allow-origin"],
        "https://riegos-del-valle.mx"
    );
    let other = preflight("https://otro-sitio.mx").await.expect("sent");
    assert_eq!(other.status(), 403);
    assert!(other.headers().get("access-control-allow-origin").is_none());

    let post = |origin: &'static str, body: Value| {
        app.client
            .post(&endpoint)
            .header("Origin", origin)
            .json(&body)
            .send()
    };
    let foreign = post(
        "https://otro-sitio.mx",
        json!({ "values": { "nombre": "Eva", "correo": "eva@example.mx" } }),
    )
    .await
    .expect("sent");
    assert_eq!(foreign.status(), 403);

    for (values, field) in [
        (json!({ "nombre": "Eva" }), "correo"),
        (
            json!({ "nombre": "Eva", "correo": "no-es-correo" }),
            "correo",
        ),
        (
            json!({ "nombre": "Eva", "correo": "eva@example.mx", "hectareas": "muchas" }),
            "hectareas",
        ),
        (
            json!({ "nombre": "Eva", "correo": "eva@example.mx", "cultivo": "trigo" }),
            "cultivo",
        ),
    ] {
        let refused = post("https://riegos-del-valle.mx", json!({ "values": values }))
            .await
            .expect("sent");
        assert_eq!(refused.status(), 422);
        let body: Value = refused.json().await.expect("json");
        assert_eq!(body["error"]["code"], "BAD_USER_INPUT");
        assert_eq!(body["error"]["field"], field, "{body}");
    }

    let created = post(
        "https://riegos-del-valle.mx",
        json!({ "values": { "nombre": "Eva", "correo": "eva@example.mx", "hectareas": 3 },
                "utmSource": "google" }),
    )
    .await
    .expect("sent");
    assert_eq!(created.status(), 201);
    assert_eq!(
        created.headers()["access-control-allow-origin"],
        "https://riegos-del-valle.mx"
    );
    let created: Value = created.json().await.expect("json");
    assert!(created["leadId"].is_string());
    let lead = app
        .ok(
            Some(&owner.access_token),
            "query($id: ID!) { lead(id: $id) { attribution { utmSource } contact { email } } }",
            json!({ "id": created["leadId"] }),
        )
        .await;
    assert_eq!(lead["lead"]["attribution"]["utmSource"], "google");
    assert_eq!(lead["lead"]["contact"]["email"], "eva@example.mx");
}

#[tokio::test]
async fn a_returning_visitor_is_the_same_contact_and_bots_leave_nothing() {
    let app = TestApp::spawn().await;
    let owner = app.sign_up().await;
    let existing = crate::fixtures::crm::new_contact(
        &app,
        &owner,
        json!({ "firstName": "Marta", "email": "marta@example.mx" }),
    )
    .await;
    let form = new_form(&app, &owner, contact_form(json!({ "consentText": null }))).await;
    let id = text(&form["id"]);
    let endpoint = format!("{}{}", app.base, path_of(&form["endpointUrl"]));
    let send = |body: Value| app.client.post(&endpoint).json(&body).send();

    for name in ["Marta", "Martita"] {
        let sent = send(json!({ "values": { "nombre": name, "correo": "MARTA@example.mx" } }))
            .await
            .expect("sent");
        assert_eq!(sent.status(), 201);
    }
    let taken = submissions(&app, &owner, &id).await;
    assert_eq!(taken.len(), 2, "each submission is kept");
    for s in &taken {
        assert_eq!(
            s["contact"]["id"],
            existing.as_str(),
            "found by CRM's duplicate rules"
        );
        assert_eq!(s["contactCreated"], false);
        assert_eq!(s["contact"]["tags"], json!(["formulario"]));
    }
    assert_ne!(taken[0]["lead"]["id"], taken[1]["lead"]["id"]);

    let contacts_before = app
        .ok(
            Some(&owner.access_token),
            "{ contacts { totalCount } }",
            json!({}),
        )
        .await["contacts"]["totalCount"]
        .clone();
    let bot = send(
        json!({ "values": { "nombre": "Bot", "correo": "bot@example.mx" },
                           "website": "http://spam.example" }),
    )
    .await
    .expect("sent");
    assert_eq!(bot.status(), 201, "the bot is told it worked");
    assert_eq!(submissions(&app, &owner, &id).await.len(), 2);
    let contacts_after = app
        .ok(
            Some(&owner.access_token),
            "{ contacts { totalCount } }",
            json!({}),
        )
        .await["contacts"]["totalCount"]
        .clone();
    assert_eq!(contacts_before, contacts_after);
}

#[tokio::test]
async fn one_address_is_limited_per_form_and_an_inactive_form_is_gone() {
    let app = TestApp::spawn().await;
    let owner = app.sign_up().await;
    let form = new_form(&app, &owner, contact_form(json!({ "consentText": null }))).await;
    let endpoint = format!("{}{}", app.base, path_of(&form["endpointUrl"]));
    let mut statuses = Vec::new();
    for i in 0..11 {
        let sent = app
            .client
            .post(&endpoint)
            .json(&json!({ "values": { "nombre": "Ana", "correo": format!("ana{i}@example.mx") } }))
            .send()
            .await
            .expect("sent");
        statuses.push(sent.status().as_u16());
        if sent.status() == 429 {
            assert!(sent.headers().contains_key("retry-after"));
        }
    }
    assert_eq!(statuses[..10], [201; 10]);
    assert_eq!(statuses[10], 429);

    app.ok(
        Some(&owner.access_token),
        "mutation($id: ID!) { updateForm(input: { id: $id, active: false }) { active } }",
        json!({ "id": form["id"] }),
    )
    .await;
    let page = app
        .client
        .get(format!("{}{}", app.base, path_of(&form["pageUrl"])))
        .send()
        .await
        .expect("page");
    assert_eq!(page.status(), 404);
}

#[tokio::test]
async fn a_definition_names_the_field_at_fault() {
    let app = TestApp::spawn().await;
    let owner = app.sign_up().await;
    for (fields, field) in [
        (json!([]), "fields"),
        (
            json!([{ "key": "nombre", "label": "Nombre", "kind": "TEXT", "mapsTo": "CONTACT_FIRST_NAME" }]),
            "fields",
        ),
        (
            json!([{ "key": "Correo", "label": "Correo", "kind": "EMAIL", "mapsTo": "CONTACT_EMAIL" }]),
            "fields[0].key",
        ),
        (
            json!([{ "key": "correo", "label": "Correo", "kind": "TEXT", "mapsTo": "CONTACT_EMAIL" }]),
            "fields[0].kind",
        ),
        (
            json!([
                { "key": "correo", "label": "Correo", "kind": "EMAIL", "mapsTo": "CONTACT_EMAIL" },
                { "key": "talla", "label": "Talla", "kind": "SELECT" },
            ]),
            "fields[1].options",
        ),
        (
            json!([
                { "key": "correo", "label": "Correo", "kind": "EMAIL", "mapsTo": "CONTACT_EMAIL" },
                { "key": "origen", "label": "Origen", "kind": "TEXT", "mapsTo": "LEAD_CUSTOM_FIELD", "customFieldKey": "nadie" },
            ]),
            "fields[1].customFieldKey",
        ),
    ] {
        let body = app
            .gql(
                Some(&owner.access_token),
                CREATE,
                json!({ "input": { "name": "F", "fields": fields } }),
            )
            .await;
        assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body}");
        assert_eq!(error_ext(&body, "field"), field, "{body}");
    }
    let bad_origin = app
        .gql(
            Some(&owner.access_token),
            CREATE,
            json!({ "input": contact_form(json!({ "allowedOrigins": ["https://a.mx/pagina"] })) }),
        )
        .await;
    assert_eq!(error_ext(&bad_origin, "field"), "allowedOrigins[0]");
    let no_captcha = app
        .gql(
            Some(&owner.access_token),
            CREATE,
            json!({ "input": contact_form(json!({ "captcha": true })) }),
        )
        .await;
    assert_eq!(error_ext(&no_captcha, "field"), "captcha");
    let listed = app
        .ok(
            Some(&owner.access_token),
            "{ forms(first: 10) { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(listed["forms"]["totalCount"], 0, "nothing half-written");
}

/// `siteverify` as hCaptcha and Turnstile answer it: success only for the token "humano".
async fn captcha_double() -> (String, Arc<AtomicUsize>) {
    let calls = Arc::new(AtomicUsize::new(0));
    let seen = calls.clone();
    let router = axum::Router::new().route(
        "/siteverify",
        axum::routing::post(move |Form(form): Form<HashMap<String, String>>| {
            let seen = seen.clone();
            async move {
                seen.fetch_add(1, Ordering::SeqCst);
                let ok = form.get("secret").map(String::as_str) == Some("secreto")
                    && form.get("response").map(String::as_str) == Some("humano");
                axum::Json(json!({ "success": ok }))
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}/siteverify", listener.local_addr().expect("addr"));
    tokio::spawn(async move { axum::serve(listener, router).await });
    (url, calls)
}

#[tokio::test]
async fn a_captcha_form_takes_only_verified_visitors() {
    let (verify_url, calls) = captcha_double().await;
    let app = TestApp::spawn_with(|c| {
        c.captcha = Some(CaptchaConfig {
            provider: CaptchaProvider::Turnstile,
            verify_url,
            site_key: "clave-del-sitio".into(),
            secret: tianguis::config::Secret::new("secreto"),
        });
    })
    .await;
    let owner = app.sign_up().await;
    let form = new_form(
        &app,
        &owner,
        contact_form(json!({ "consentText": null, "captcha": true })),
    )
    .await;
    let html = app
        .client
        .get(format!("{}{}", app.base, path_of(&form["pageUrl"])))
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("html");
    assert!(html.contains(r#"class="cf-turnstile" data-sitekey="clave-del-sitio""#));

    let endpoint = format!("{}{}", app.base, path_of(&form["endpointUrl"]));
    let send = |token: Option<&'static str>| {
        app.client
            .post(&endpoint)
            .json(&json!({ "values": { "nombre": "Iris", "correo": "iris@example.mx" }, "captchaToken": token }))
            .send()
    };
    for token in [None, Some("robot")] {
        let refused = send(token).await.expect("sent");
        assert_eq!(refused.status(), 422);
        assert_eq!(
            refused.json::<Value>().await.expect("json")["error"]["field"],
            "captcha"
        );
    }
    assert_eq!(calls.load(Ordering::SeqCst), 1, "no token, no call");
    assert_eq!(send(Some("humano")).await.expect("sent").status(), 201);

    // The hosted page posts the widget's token under the provider's own field name.
    let page = app
        .client
        .post(format!("{}{}", app.base, path_of(&form["pageUrl"])))
        .form(&[
            ("nombre", "Iris"),
            ("correo", "iris@example.mx"),
            ("cf-turnstile-response", "humano"),
        ])
        .send()
        .await
        .expect("post");
    assert_eq!(page.status(), 200);
}

#[tokio::test]
async fn a_submission_starts_the_workflows_listening_for_it() {
    let app = TestApp::spawn().await;
    let owner = app.sign_up().await;
    let form = new_form(&app, &owner, contact_form(json!({ "consentText": null }))).await;
    let id = text(&form["id"]);
    let flow = workflow(
        &app,
        &owner,
        json!({
            "trigger": { "event": { "type": "automation.form.submitted",
                                    "filter": { "compare": { "field": "event.data.formId", "op": "EQ", "value": id } } } },
            "steps": [ { "addTag": { "tag": "cotizar", "on": "CONTACT" } } ],
        }),
    )
    .await;
    assert_eq!(flow["workflow"]["eventType"], "automation.form.submitted");
    let endpoint = format!("{}{}", app.base, path_of(&form["endpointUrl"]));
    let sent: Value = app
        .client
        .post(&endpoint)
        .json(&json!({ "values": { "nombre": "Rosa", "correo": "rosa@example.mx" } }))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    let contact = eventually(
        &app,
        &owner,
        &format!(
            "{{ contact(id: \"{}\") {{ tags }} }}",
            text(&sent["contactId"])
        ),
        |s| {
            s["contact"]["tags"]
                .as_array()
                .is_some_and(|t| t.len() == 2)
        },
    )
    .await;
    assert_eq!(contact["contact"]["tags"], json!(["formulario", "cotizar"]));
}

#[tokio::test]
async fn a_page_of_submissions_with_contacts_and_leads_costs_the_same_statements_whatever_its_size()
{
    let app = TestApp::spawn().await;
    let owner = app.sign_up().await;
    let form = new_form(&app, &owner, contact_form(json!({ "consentText": null }))).await;
    let endpoint = format!("{}{}", app.base, path_of(&form["endpointUrl"]));
    for i in 0..6 {
        let sent = app
            .client
            .post(&endpoint)
            .json(&json!({ "values": { "nombre": "Paz", "correo": format!("paz{i}@example.mx") } }))
            .send()
            .await
            .expect("sent");
        assert_eq!(sent.status(), 201);
    }
    let count = |first: usize| {
        let app = &app;
        let owner = &owner;
        async move {
            let query = format!(
                "{{ formSubmissions(first: {first}) {{ totalCount edges {{ node {{ id contact {{ email }} lead {{ title }} }} }} }} }}"
            );
            let before = app.sql_statements();
            let body = app.ok(Some(&owner.access_token), &query, json!({})).await;
            let edges = body["formSubmissions"]["edges"].as_array().expect("edges");
            assert_eq!(edges.len(), first);
            assert!(edges.iter().all(|e| e["node"]["lead"]["title"].is_string()));
            app.sql_statements() - before
        }
    };
    // The counter is the whole process's, and background work (the event dispatcher's
    // polls) only adds to it: the fewest of three readings is the request's own. The first
    // request of a session also reads its access, so it is not counted.
    count(1).await;
    let fewest = |first: usize| async move {
        let mut fewest = u64::MAX;
        for _ in 0..3 {
            fewest = fewest.min(count(first).await);
        }
        fewest
    };
    let two = fewest(2).await;
    let six = fewest(6).await;
    assert_eq!(
        two, six,
        "statements grow with the page: {two} for 2, {six} for 6"
    );
}
