//! Around an appointment: reminders and the answers to them, calendar feeds, the waitlist,
//! and the public booking page a customer uses without an account.

use crate::fixtures::crm::new_contact;
use crate::fixtures::messaging::*;
use crate::helpers::*;
use crate::messaging_double::*;
use crate::scheduling::{BOOK, STATUS, business_in, clinic, consultation, slots};
use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use serde_json::{Value, json};
use std::time::Duration;
use tianguis_domain::ports::Clock;
use tianguis_domain::scheduling::{reminders, waitlist};

const APPOINTMENT: &str =
    "query($id: ID!) { appointment(id: $id) { status startsAt bookedBy contact { id phone }
    reminders { offsetMinutes status channel note } } }";

fn every_day() -> Value {
    json!(
        ["MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"]
            .map(|d| json!({ "weekday": d, "opens": "08:00:00", "closes": "20:00:00" }))
    )
}

/// The business's calendar day `days` from now; Mexico City is UTC−6 all year.
fn day_ahead(app: &TestApp, days: i64) -> NaiveDate {
    (app.clock.now() - TimeDelta::hours(6)).date_naive() + TimeDelta::days(days)
}

async fn first_slot(app: &TestApp, owner: &Session, service: &str, day: NaiveDate) -> String {
    let day = day.to_string();
    slots(app, owner, service, &day, &day)
        .await
        .into_iter()
        .next()
        .expect("a free time")
}

async fn appointment(app: &TestApp, owner: &Session, id: &str) -> Value {
    app.ok(Some(&owner.access_token), APPOINTMENT, json!({ "id": id }))
        .await["appointment"]
        .clone()
}

/// (offset, status, note) of each reminder, sorted.
fn reminder_states(appointment: &Value) -> Vec<(i64, String, String)> {
    let mut states: Vec<_> = appointment["reminders"]
        .as_array()
        .expect("reminders")
        .iter()
        .map(|r| {
            (
                r["offsetMinutes"].as_i64().unwrap_or_default(),
                text(&r["status"]),
                r["note"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    states.sort();
    states
}

/// The texts Twilio's double was asked to send to `phone`.
fn texts_to(double: &ProvidersDouble, phone: &str) -> Vec<String> {
    double
        .calls("twilio.messages")
        .into_iter()
        .filter(|c| c.body["To"] == phone)
        .map(|c| text(&c.body["Body"]))
        .collect()
}

/// Waits until `count` texts to `phone` contain `part` (their jobs send them); returns the last.
async fn nth_text_to(double: &ProvidersDouble, phone: &str, part: &str, count: usize) -> String {
    for _ in 0..800 {
        let found: Vec<String> = texts_to(double, phone)
            .into_iter()
            .filter(|t| t.contains(part))
            .collect();
        if found.len() >= count {
            return found[count - 1].clone();
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!(
        "no text to {phone} with {part:?}: {:?}",
        texts_to(double, phone)
    );
}

async fn text_to(double: &ProvidersDouble, phone: &str, part: &str) -> String {
    nth_text_to(double, phone, part, 1).await
}

/// A text from `phone` to the business's SMS `number`, as Twilio posts it.
async fn text_from(app: &TestApp, phone: &str, number: &str, body: &str) {
    let sid = unique("SM").replace('-', "");
    let params = [
        ("AccountSid", TWILIO_SID),
        ("MessageSid", sid.as_str()),
        ("From", phone),
        ("To", number),
        ("Body", body),
        ("NumMedia", "0"),
    ];
    let response = twilio_webhook(app, &params, None).await;
    assert_eq!(response.status(), 200);
}

/// The letters and digits after `prefix` in `text`.
fn token_after(text: &str, prefix: &str) -> String {
    let start = text.find(prefix).expect(prefix) + prefix.len();
    text[start..]
        .chars()
        .take_while(char::is_ascii_alphanumeric)
        .collect()
}

/// A client that shows redirects instead of following them.
fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

/// Moves the clock on by `by`; returns the session signed in again, as its token expired.
async fn later(app: &TestApp, session: &Session, by: TimeDelta) -> Session {
    app.clock.advance(by);
    app.refreshed(session).await
}

/// Runs the reminders' sweep as several workers would, all at once.
async fn reminder_sweeps(app: &TestApp) {
    let runs = (0..4).map(|_| reminders::send_due(&app.state.deps));
    for run in futures_util::future::join_all(runs).await {
        run.expect("sweep");
    }
}

#[tokio::test]
async fn a_reminder_goes_out_once_is_answered_and_never_for_a_moved_or_cancelled_time() {
    let (app, double) = app_with_providers().await;
    let mut owner = business_in(&app, "America/Mexico_City").await;
    let number = sms_channel(&app, &owner).await;
    let (_, service) = clinic(&app, &owner, every_day(), consultation()).await;
    let phone = format!("+{}", unique_phone());
    let contact = new_contact(&app, &owner, json!({ "firstName": "Memo", "phone": phone })).await;
    let first = first_slot(&app, &owner, &service, day_ahead(&app, 3)).await;
    let booked = app
        .ok(
            Some(&owner.access_token),
            BOOK,
            json!({ "input": { "serviceId": service, "contactId": contact, "startsAt": first } }),
        )
        .await;
    let id = text(&booked["bookAppointment"]["id"]);
    let pending = |offset: i64| (offset, "PENDING".to_owned(), String::new());
    assert_eq!(
        reminder_states(&appointment(&app, &owner, &id).await),
        [pending(60), pending(1440)]
    );

    // A day before, less a minute: the 24-hour reminder is due, with four workers sweeping.
    let starts: DateTime<Utc> = first.parse().expect("a time");
    owner = later(
        &app,
        &owner,
        starts - app.clock.now() - TimeDelta::hours(24) + TimeDelta::minutes(1),
    )
    .await;
    reminder_sweeps(&app).await;
    let reminded = text_to(&double, &phone, "Recordatorio").await;
    assert!(reminded.contains("Consulta"), "{reminded}");
    assert!(reminded.contains("Responde 1"), "{reminded}");
    let state = appointment(&app, &owner, &id).await;
    assert_eq!(
        reminder_states(&state),
        [pending(60), (1440, "SENT".into(), String::new())]
    );
    assert_eq!(state["reminders"][0]["channel"], "SMS");

    text_from(&app, &phone, &number, "1").await;
    assert_eq!(appointment(&app, &owner, &id).await["status"], "CONFIRMED");
    text_to(&double, &phone, "quedó confirmada").await;

    // Moved a day later: the hour-before reminder of the old time is void, two new ones wait.
    let second = (starts + TimeDelta::days(1)).to_rfc3339();
    let moved = app
        .ok(
            Some(&owner.access_token),
            "mutation($id: ID!, $at: DateTime!) { rescheduleAppointment(input: { id: $id, startsAt: $at }) { status } }",
            json!({ "id": id, "at": second }),
        )
        .await;
    assert_eq!(moved["rescheduleAppointment"]["status"], "BOOKED");
    assert_eq!(
        reminder_states(&appointment(&app, &owner, &id).await),
        [
            pending(60),
            (60, "SKIPPED".into(), "moved".into()),
            pending(1440),
            (1440, "SENT".into(), String::new()),
        ]
    );

    // A day on, the old time has passed without its hour-before reminder; the new day's is due.
    owner = later(&app, &owner, TimeDelta::hours(24)).await;
    reminder_sweeps(&app).await;
    nth_text_to(&double, &phone, "Recordatorio", 2).await;
    text_from(&app, &phone, &number, "CANCELAR").await;
    let cancelled = appointment(&app, &owner, &id).await;
    assert_eq!(cancelled["status"], "CANCELLED");
    text_to(&double, &phone, "quedó cancelada").await;
    assert_eq!(
        reminder_states(&cancelled),
        [
            (60, "SKIPPED".into(), "moved".into()),
            (60, "SKIPPED".into(), "no longer on".into()),
            (1440, "SENT".into(), String::new()),
            (1440, "SENT".into(), String::new()),
        ]
    );
    let opted = app
        .ok(
            Some(&owner.access_token),
            "query($id: ID!) { contact(id: $id) { messagingOptOuts } }",
            json!({ "id": contact }),
        )
        .await;
    assert_eq!(
        opted["contact"]["messagingOptOuts"],
        json!([]),
        "an answer is not an opt-out"
    );

    app.clock.advance(TimeDelta::hours(24));
    reminder_sweeps(&app).await;
    let reminders_sent = texts_to(&double, &phone)
        .iter()
        .filter(|t| t.contains("Recordatorio"))
        .count();
    assert_eq!(reminders_sent, 2, "{:?}", texts_to(&double, &phone));
}

/// The path of a feed address, on the test server.
fn on_server(app: &TestApp, url: &str) -> String {
    let path = &url[url.find("/calendario/").expect("a feed address")..];
    format!("{}{path}", app.base)
}

async fn feed(app: &TestApp, url: &str) -> (u16, String, String) {
    let response = browser()
        .get(on_server(app, url))
        .send()
        .await
        .expect("feed");
    let status = response.status().as_u16();
    let kind = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    (status, kind, response.text().await.unwrap_or_default())
}

#[tokio::test]
async fn calendars_subscribe_at_secret_addresses_and_the_confirmation_carries_an_ics() {
    let (app, mut mail) = app_with_smtp().await;
    let owner = business_in(&app, "America/Mexico_City").await;
    let token = Some(owner.access_token.as_str());
    let (resource, service) = clinic(&app, &owner, every_day(), consultation()).await;
    let email = format!("{}@example.com", unique("memo"));
    let contact = new_contact(&app, &owner, json!({ "firstName": "Memo", "email": email })).await;
    let slot = first_slot(&app, &owner, &service, day_ahead(&app, 2)).await;
    app.ok(
        token,
        BOOK,
        json!({ "input": { "serviceId": service, "contactId": contact, "startsAt": slot } }),
    )
    .await;
    let starts: DateTime<Utc> = slot.parse().expect("a time");
    let dtstart = format!("DTSTART:{}", starts.format("%Y%m%dT%H%M%SZ"));

    let confirmation = mail.next_to(&email).await;
    let ics =
        String::from_utf8(confirmation.attachment("cita.ics").expect("an .ics")).expect("text");
    assert!(ics.starts_with("BEGIN:VCALENDAR\r\n"), "{ics}");
    assert!(ics.contains(&dtstart), "{ics}");
    assert!(ics.contains("SUMMARY:Consulta"), "{ics}");

    let settings = app
        .ok(token, "{ schedulingSettings { feedUrl } }", json!({}))
        .await;
    let business_feed = text(&settings["schedulingSettings"]["feedUrl"]);
    let (status, kind, body) = feed(&app, &business_feed).await;
    assert_eq!(status, 200);
    assert!(kind.starts_with("text/calendar"), "{kind}");
    assert_eq!(body.matches("BEGIN:VEVENT").count(), 1, "{body}");
    assert!(body.contains(&dtstart), "{body}");

    let issued = app
        .ok(
            token,
            "mutation($id: ID!) { issueResourceFeed(id: $id) { feedUrl } }",
            json!({ "id": resource }),
        )
        .await;
    let staff_feed = text(&issued["issueResourceFeed"]["feedUrl"]);
    assert_ne!(staff_feed, business_feed);
    assert!(feed(&app, &staff_feed).await.2.contains(&dtstart));

    let rotated = app
        .ok(
            token,
            "mutation { rotateSchedulingFeed { feedUrl } }",
            json!({}),
        )
        .await;
    let new_feed = text(&rotated["rotateSchedulingFeed"]["feedUrl"]);
    assert_ne!(new_feed, business_feed);
    assert_eq!(
        feed(&app, &business_feed).await.0,
        404,
        "the old address stops"
    );
    assert_eq!(feed(&app, &new_feed).await.0, 200);
    let guessed = format!("{}/calendario/{}.ics", app.base, "a".repeat(32));
    assert_eq!(feed(&app, &guessed).await.0, 404);
}

const JOIN: &str =
    "mutation($input: JoinWaitlistInput!) { joinWaitlist(input: $input) { id status } }";
const WAITLIST: &str = "query($s: ID, $d: NaiveDate) { waitlist(serviceId: $s, day: $d) { id status offeredStartsAt appointmentId contact { id } } }";

async fn line(app: &TestApp, owner: &Session, service: &str, day: NaiveDate) -> Value {
    app.ok(
        Some(&owner.access_token),
        WAITLIST,
        json!({ "s": service, "d": day }),
    )
    .await["waitlist"]
        .clone()
}

#[tokio::test]
async fn a_freed_time_is_offered_to_the_waitlist_in_turn_and_taken_from_the_link() {
    let (app, double) = app_with_providers().await;
    let owner = business_in(&app, "America/Mexico_City").await;
    let token = Some(owner.access_token.as_str());
    sms_channel(&app, &owner).await;
    let (_, service) = clinic(&app, &owner, every_day(), consultation()).await;
    let day = day_ahead(&app, 2);
    let slot = first_slot(&app, &owner, &service, day).await;
    let mut phones = Vec::new();
    let mut contacts = Vec::new();
    for name in ["Ana", "Beto", "Caro"] {
        let phone = format!("+{}", unique_phone());
        contacts
            .push(new_contact(&app, &owner, json!({ "firstName": name, "phone": phone })).await);
        phones.push(phone);
    }
    let booked = app
        .ok(
            token,
            BOOK,
            json!({ "input": { "serviceId": service, "contactId": contacts[0], "startsAt": slot } }),
        )
        .await;
    for waiting in &contacts[1..] {
        let joined = app
            .ok(
                token,
                JOIN,
                json!({ "input": { "serviceId": service, "day": day, "contactId": waiting } }),
            )
            .await;
        assert_eq!(joined["joinWaitlist"]["status"], "WAITING");
    }

    app.ok(
        token,
        STATUS,
        json!({ "input": { "id": booked["bookAppointment"]["id"], "status": "CANCELLED" } }),
    )
    .await;
    let offered = line(&app, &owner, &service, day).await;
    assert_eq!(offered[0]["status"], "OFFERED");
    assert_eq!(offered[0]["offeredStartsAt"], json!(slot));
    assert_eq!(offered[1]["status"], "WAITING");
    let first_offer = token_after(&text_to(&double, &phones[1], "/lista/").await, "/lista/");
    let page = browser()
        .get(format!("{}/lista/{first_offer}", app.base))
        .send()
        .await
        .expect("offer page");
    assert_eq!(page.status(), 200);
    assert!(
        page.text()
            .await
            .unwrap_or_default()
            .contains("Reservar este lugar")
    );

    // Unanswered past the 30-minute hold: the time passes to the next in line.
    let owner = later(&app, &owner, TimeDelta::minutes(31)).await;
    let token = Some(owner.access_token.as_str());
    waitlist::expire_offers(&app.state.deps)
        .await
        .expect("sweep");
    let passed = line(&app, &owner, &service, day).await;
    assert_eq!(passed.as_array().map(Vec::len), Some(1), "{passed}");
    assert_eq!(passed[0]["status"], "OFFERED");
    assert_eq!(passed[0]["contact"]["id"], json!(contacts[2]));
    let late = browser()
        .post(format!("{}/lista/{first_offer}", app.base))
        .send()
        .await
        .expect("late");
    assert_eq!(late.status(), 404);

    let second_offer = token_after(&text_to(&double, &phones[2], "/lista/").await, "/lista/");
    let taken = browser()
        .post(format!("{}/lista/{second_offer}", app.base))
        .send()
        .await
        .expect("take");
    assert_eq!(taken.status(), 303);
    assert_eq!(line(&app, &owner, &service, day).await, json!([]));
    let starts: DateTime<Utc> = slot.parse().expect("a time");
    let on_the_day = app
        .ok(
            token,
            "query($f: DateTime!, $t: DateTime!) { appointments(from: $f, to: $t) { status bookedBy startsAt contact { id } } }",
            json!({ "f": starts, "t": starts + TimeDelta::minutes(1) }),
        )
        .await;
    let taken: Vec<&Value> = on_the_day["appointments"]
        .as_array()
        .expect("appointments")
        .iter()
        .filter(|a| a["status"] == "BOOKED")
        .collect();
    assert_eq!(taken.len(), 1, "{on_the_day}");
    assert_eq!(taken[0]["bookedBy"], "WAITLIST");
    assert_eq!(taken[0]["contact"]["id"], json!(contacts[2]));
    let again = browser()
        .post(format!("{}/lista/{second_offer}", app.base))
        .send()
        .await
        .expect("again");
    assert_eq!(again.status(), 404, "an offer is taken once");
}

/// `name="…" value="…"` of a hidden field in a form.
fn hidden_value(html: &str, name: &str) -> String {
    let marker = format!(r#"name="{name}" value=""#);
    let start = html.find(&marker).expect(name) + marker.len();
    html[start..].chars().take_while(|c| *c != '"').collect()
}

#[tokio::test]
async fn a_customer_books_on_the_public_page_with_a_phone_code_and_manages_it_without_an_account() {
    let (app, double) = app_with_providers().await;
    let owner = business_in(&app, "America/Mexico_City").await;
    let token = Some(owner.access_token.as_str());
    sms_channel(&app, &owner).await;
    let (_, service) = clinic(&app, &owner, every_day(), consultation()).await;
    let slug = text(&app.ok(token, "{ tenant { slug } }", json!({})).await["tenant"]["slug"]);
    let browser = browser();
    let get = |path: String| {
        let browser = browser.clone();
        let base = app.base.clone();
        async move {
            let response = browser
                .get(format!("{base}{path}"))
                .send()
                .await
                .expect("page");
            (
                response.status().as_u16(),
                response.text().await.unwrap_or_default(),
            )
        }
    };
    assert_eq!(
        get(format!("/reservar/{slug}")).await.0,
        404,
        "off until enabled"
    );
    app.ok(
        token,
        "mutation { updateSchedulingSettings(input: { bookingPageEnabled: true, verifyPhone: true }) { bookingPageEnabled } }",
        json!({}),
    )
    .await;
    let (status, services) = get(format!("/reservar/{slug}")).await;
    assert_eq!(status, 200);
    assert!(
        services.contains(&format!("/reservar/{slug}/{service}")),
        "{services}"
    );

    let day = day_ahead(&app, 2);
    let (status, times) = get(format!("/reservar/{slug}/{service}?dia={day}")).await;
    assert_eq!(status, 200);
    let chosen = first_slot(&app, &owner, &service, day).await;
    let starts: DateTime<Utc> = chosen.parse().expect("a time");
    let inicio = starts.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    assert!(
        times.contains(&format!("datos?inicio={}", inicio.replace('+', "%2B"))),
        "{times}"
    );

    let digits = unique_phone();
    let national = format!("55 {}", &digits[digits.len() - 8..]);
    let e164 = format!("+5255{}", &digits[digits.len() - 8..]);
    let form = |code: Option<(&str, &str)>| {
        let mut fields = vec![
            ("inicio", inicio.clone()),
            ("nombre", "Lupita".to_owned()),
            ("telefono", national.clone()),
            ("recordar", "sms".to_owned()),
        ];
        if let Some((verification, code)) = code {
            fields.push(("verificacion", verification.to_owned()));
            fields.push(("codigo", code.to_owned()));
        }
        fields
    };
    let datos = format!("{}/reservar/{slug}/{service}/datos", app.base);
    let asked = browser
        .post(&datos)
        .form(&form(None))
        .send()
        .await
        .expect("details");
    assert_eq!(asked.status(), 200);
    let verification = hidden_value(&asked.text().await.unwrap_or_default(), "verificacion");
    let sent = text_to(&double, &e164, "Tu código").await;
    let code = token_after(&sent, " es ");
    assert_eq!(code.len(), 6, "{sent}");
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let refused = browser
        .post(&datos)
        .form(&form(Some((&verification, wrong))))
        .send()
        .await
        .expect("wrong code");
    assert_eq!(refused.status(), 422);
    let listed = "query($f: DateTime!, $t: DateTime!) { appointments(from: $f, to: $t) { id status bookedBy remindVia contact { phone } } }";
    let window = json!({ "f": starts - TimeDelta::hours(1), "t": starts + TimeDelta::hours(1) });
    let none = app.ok(token, listed, window.clone()).await;
    assert_eq!(
        none["appointments"],
        json!([]),
        "a wrong code books nothing"
    );

    let booked = browser
        .post(&datos)
        .form(&form(Some((&verification, &code))))
        .send()
        .await
        .expect("right code");
    assert_eq!(booked.status(), 303);
    let manage = booked
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .expect("where to manage it")
        .to_owned();
    assert!(manage.starts_with("/cita/"), "{manage}");
    let mine = app.ok(token, listed, window.clone()).await;
    let appointment = &mine["appointments"][0];
    assert_eq!(appointment["bookedBy"], "CUSTOMER");
    assert_eq!(appointment["status"], "BOOKED");
    assert_eq!(appointment["remindVia"], "SMS");
    assert_eq!(appointment["contact"]["phone"], json!(e164));
    let (status, page) = get(manage.clone()).await;
    assert_eq!(status, 200);
    assert!(
        page.contains("Consulta") && page.contains("Reservada, por confirmar"),
        "{page}"
    );

    for (action, status) in [("confirmar", "CONFIRMED"), ("cancelar", "CANCELLED")] {
        let acted = browser
            .post(format!("{}{manage}", app.base))
            .form(&[("accion", action)])
            .send()
            .await
            .expect("act");
        assert_eq!(acted.status(), 303);
        let now = app.ok(token, listed, window.clone()).await;
        assert_eq!(now["appointments"][0]["status"], status);
    }
    assert!(get(manage).await.1.contains("Cancelada"));
    assert_eq!(get(format!("/cita/{}", "b".repeat(32))).await.0, 404);
}

#[tokio::test]
async fn another_tenant_can_neither_see_nor_touch_waitlists_settings_or_feeds() {
    let app = TestApp::spawn().await;
    let a = business_in(&app, "America/Mexico_City").await;
    let (resource, service) = clinic(&app, &a, every_day(), consultation()).await;
    let contact = new_contact(&app, &a, json!({ "firstName": "Ana" })).await;
    let day = day_ahead(&app, 2);
    let joined = app
        .ok(
            Some(&a.access_token),
            JOIN,
            json!({ "input": { "serviceId": service, "day": day, "contactId": contact } }),
        )
        .await;
    let entry = text(&joined["joinWaitlist"]["id"]);
    let a_feed = app
        .ok(
            Some(&a.access_token),
            "{ schedulingSettings { feedUrl } }",
            json!({}),
        )
        .await;

    let b = business_in(&app, "America/Mexico_City").await;
    let token = Some(b.access_token.as_str());
    let own = app
        .ok(
            token,
            "{ waitlist { id } schedulingSettings { feedUrl } }",
            json!({}),
        )
        .await;
    assert_eq!(own["waitlist"], json!([]));
    assert_ne!(
        own["schedulingSettings"]["feedUrl"],
        a_feed["schedulingSettings"]["feedUrl"]
    );
    let b_contact = new_contact(&app, &b, json!({ "firstName": "Beto" })).await;
    let (_, b_service) = clinic(&app, &b, every_day(), consultation()).await;
    for (query, variables, code) in [
        (
            "mutation($id: ID!) { removeFromWaitlist(id: $id) { id } }",
            json!({ "id": entry }),
            "NOT_FOUND",
        ),
        (
            "mutation($id: ID!) { issueResourceFeed(id: $id) { feedUrl } }",
            json!({ "id": resource }),
            "NOT_FOUND",
        ),
        (
            JOIN,
            json!({ "input": { "serviceId": service, "day": day, "contactId": b_contact } }),
            "BAD_USER_INPUT",
        ),
        (
            JOIN,
            json!({ "input": { "serviceId": b_service, "day": day, "contactId": contact } }),
            "BAD_USER_INPUT",
        ),
    ] {
        let body = app.gql(token, query, variables).await;
        assert_eq!(error_code(&body), code, "{query}: {body}");
    }
    let still = app.ok(Some(&a.access_token), WAITLIST, json!({})).await;
    assert_eq!(still["waitlist"][0]["status"], "WAITING");
    assert_eq!(still["waitlist"].as_array().map(Vec::len), Some(1));
}

/// The template messages WhatsApp's double was asked to send to `phone` (digits), once
/// their jobs have sent `count`: each template's variables.
async fn templates_to(double: &ProvidersDouble, phone: &str, count: usize) -> Vec<Vec<String>> {
    for _ in 0..800 {
        let sent: Vec<Vec<String>> = double
            .calls("whatsapp.messages")
            .into_iter()
            .filter(|c| c.body["to"] == phone && c.body["type"] == "template")
            .map(|c| {
                c.body["template"]["components"][0]["parameters"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|p| text(&p["text"]))
                    .collect()
            })
            .collect();
        if sent.len() >= count {
            return sent;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("fewer than {count} templates to {phone}");
}

#[tokio::test]
async fn on_whatsapp_a_reminder_is_a_template_its_button_confirms_and_a_freed_time_is_offered_by_template()
 {
    let (app, double) = app_with_providers().await;
    let mut owner = business_in(&app, "America/Mexico_City").await;
    let wa = whatsapp_channel(&app, &owner).await;
    let template = approved_template(&app, &owner, &wa, &double).await;
    let settings = app
        .ok(
            Some(&owner.access_token),
            "mutation($t: ID!) { updateSchedulingSettings(input: {
                reminderTemplateId: $t, reminderTemplateVariables: [\"{name}\", \"{service} {date} {time}\"],
                waitlistTemplateId: $t, waitlistTemplateVariables: [\"{name}\", \"{manageUrl}\"] })
              { reminderTemplateId waitlistTemplateId waitlistTemplateVariables } }",
            json!({ "t": template }),
        )
        .await;
    assert_eq!(
        settings["updateSchedulingSettings"]["waitlistTemplateVariables"],
        json!(["{name}", "{manageUrl}"])
    );
    let not_whatsapp = app
        .gql(
            Some(&owner.access_token),
            "mutation($t: ID!) { updateSchedulingSettings(input: { waitlistTemplateId: $t }) { waitlistTemplateId } }",
            json!({ "t": uuid::Uuid::new_v4() }),
        )
        .await;
    assert_eq!(
        (error_code(&not_whatsapp), error_ext(&not_whatsapp, "field")),
        ("BAD_USER_INPUT".into(), "waitlistTemplateId".into())
    );

    let (_, service) = clinic(&app, &owner, every_day(), consultation()).await;
    let day = day_ahead(&app, 3);
    let slot = first_slot(&app, &owner, &service, day).await;
    let (ana, beto) = (unique_phone(), unique_phone());
    let ana_id = new_contact(
        &app,
        &owner,
        json!({ "firstName": "Ana", "phone": format!("+{ana}") }),
    )
    .await;
    let beto_id = new_contact(
        &app,
        &owner,
        json!({ "firstName": "Beto", "phone": format!("+{beto}") }),
    )
    .await;
    let booked = app
        .ok(
            Some(&owner.access_token),
            BOOK,
            json!({ "input": { "serviceId": service, "contactId": ana_id, "startsAt": slot } }),
        )
        .await;
    let id = text(&booked["bookAppointment"]["id"]);
    app.ok(
        Some(&owner.access_token),
        JOIN,
        json!({ "input": { "serviceId": service, "day": day, "contactId": beto_id } }),
    )
    .await;

    let starts: DateTime<Utc> = slot.parse().expect("a time");
    owner = later(
        &app,
        &owner,
        starts - app.clock.now() - TimeDelta::hours(24) + TimeDelta::minutes(1),
    )
    .await;
    reminder_sweeps(&app).await;
    let reminded = templates_to(&double, &ana, 1).await;
    assert_eq!(reminded[0][0], "Ana");
    assert!(reminded[0][1].starts_with("Consulta"), "{reminded:?}");
    assert_eq!(
        appointment(&app, &owner, &id).await["reminders"][0]["channel"],
        "WHATSAPP"
    );

    // Ana taps the template's quick-reply button.
    let tapped = messages_change(
        &wa.phone_number_id,
        json!({
            "contacts": [{ "profile": { "name": "Ana" }, "wa_id": ana }],
            "messages": [{ "from": ana, "id": unique("wamid."), "timestamp": "1764670000", "type": "button",
                           "button": { "text": "Confirmar", "payload": "CONFIRMAR" } }],
        }),
    );
    assert_eq!(webhook(&app, &tapped, None).await.status(), 200);
    assert_eq!(appointment(&app, &owner, &id).await["status"], "CONFIRMED");

    // Ana cancels by hand: Beto, waiting for that day, is offered the time by template.
    app.ok(
        Some(&owner.access_token),
        STATUS,
        json!({ "input": { "id": id, "status": "CANCELLED" } }),
    )
    .await;
    let offered = templates_to(&double, &beto, 1).await;
    assert_eq!(offered[0][0], "Beto");
    let offer = token_after(&offered[0][1], "/lista/");
    let page = browser()
        .get(format!("{}/lista/{offer}", app.base))
        .send()
        .await
        .expect("offer page");
    assert_eq!(page.status(), 200);
}
