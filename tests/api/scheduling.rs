//! Scheduling: free slots in the business's time zone, bookings that never overlap, and an
//! appointment's life.

use crate::helpers::*;
use serde_json::{Value, json};
use tianguis_domain::ports::Clock;

/// An owner of a business in `timezone`.
pub async fn business_in(app: &TestApp, timezone: &str) -> Session {
    app.sign_up_with(json!({ "timezone": timezone })).await
}

/// A staff resource with `hours` and a service it performs: (resource, service).
pub async fn clinic(
    app: &TestApp,
    owner: &Session,
    hours: Value,
    service: Value,
) -> (String, String) {
    let token = Some(owner.access_token.as_str());
    let resource = app
        .ok(
            token,
            "mutation($n: String!) { createResource(input: { name: $n }) { id kind } }",
            json!({ "n": unique("Dra. Paty") }),
        )
        .await;
    assert_eq!(resource["createResource"]["kind"], "STAFF");
    let resource = text(&resource["createResource"]["id"]);
    app.ok(
        token,
        "mutation($r: ID!, $h: [WorkingHoursInput!]!) { setWorkingHours(input: { resourceId: $r, hours: $h }) { weekday } }",
        json!({ "r": resource, "h": hours }),
    )
    .await;
    let mut input = service;
    input["resourceIds"] = json!([resource]);
    let service = app
        .ok(
            token,
            "mutation($input: CreateServiceInput!) { createService(input: $input) { id resources { id } } }",
            json!({ "input": input }),
        )
        .await;
    assert_eq!(
        service["createService"]["resources"][0]["id"],
        json!(resource)
    );
    (resource, text(&service["createService"]["id"]))
}

pub fn consultation() -> Value {
    json!({ "name": "Consulta", "durationMinutes": 60, "bufferAfterMinutes": 15, "intervalMinutes": 60,
            "price": "600", "maxAdvanceDays": 400 })
}

pub async fn slots(
    app: &TestApp,
    owner: &Session,
    service: &str,
    from: &str,
    to: &str,
) -> Vec<String> {
    let data = app
        .ok(
            Some(&owner.access_token),
            "query($s: ID!, $f: NaiveDate!, $t: NaiveDate!) { availabilityDays(serviceId: $s, from: $f, to: $t) { date startsAt resource { name } } }",
            json!({ "s": service, "f": from, "t": to }),
        )
        .await;
    let mut times: Vec<String> = data["availabilityDays"]
        .as_array()
        .expect("days")
        .iter()
        .flat_map(|day| day["startsAt"].as_array().cloned().unwrap_or_default())
        .map(|t| text(&t))
        .collect();
    times.sort();
    times
}

pub const BOOK: &str = "mutation($input: BookAppointmentInput!) { bookAppointment(input: $input) { id status startsAt endsAt price { amount } resource { id } service { name } } }";
pub const STATUS: &str = "mutation($input: SetAppointmentStatusInput!) { setAppointmentStatus(input: $input) { status cancelledAt } }";

fn mornings() -> Value {
    json!([
        { "weekday": "MON", "opens": "09:00:00", "closes": "13:00:00" },
        { "weekday": "WED", "opens": "09:00:00", "closes": "13:00:00" },
    ])
}

#[tokio::test]
async fn free_slots_follow_the_hours_the_bookings_with_their_buffers_and_time_off() {
    let app = TestApp::spawn().await;
    let owner = business_in(&app, "America/Mexico_City").await;
    let token = Some(owner.access_token.as_str());
    let (resource, service) = clinic(&app, &owner, mornings(), consultation()).await;
    // Mexico City is UTC−6 all year: 9:00 is 15:00 UTC.
    let monday = [
        "2027-01-11T15:00:00+00:00",
        "2027-01-11T16:00:00+00:00",
        "2027-01-11T17:00:00+00:00",
        "2027-01-11T18:00:00+00:00",
    ];
    let week = slots(&app, &owner, &service, "2027-01-11", "2027-01-13").await;
    assert_eq!(week.len(), 8, "{week:?}");
    assert_eq!(week[..4], monday);

    let booked = app
        .ok(
            token,
            BOOK,
            json!({ "input": { "serviceId": service, "startsAt": "2027-01-11T16:00:00Z", "notes": "Primera vez" } }),
        )
        .await;
    let booked = &booked["bookAppointment"];
    assert_eq!(booked["status"], "BOOKED");
    assert_eq!(booked["endsAt"], "2027-01-11T17:00:00+00:00");
    assert_eq!(booked["price"]["amount"], "600.00");
    assert_eq!(booked["resource"]["id"], json!(resource));
    // 10:00–11:00 with 15 minutes after: 9:00's and 11:00's own cleaning would run into it.
    let monday_left = slots(&app, &owner, &service, "2027-01-11", "2027-01-11").await;
    assert_eq!(monday_left, ["2027-01-11T18:00:00+00:00"]);

    for (starts_at, why) in [
        ("2027-01-12T16:00:00Z", "no hours on Tuesday"),
        ("2027-01-11T16:30:00Z", "booked"),
        ("2027-01-11T15:30:00Z", "off the hour grid"),
        ("2020-01-06T16:00:00Z", "in the past"),
    ] {
        let refused = app
            .gql(
                token,
                BOOK,
                json!({ "input": { "serviceId": service, "startsAt": starts_at } }),
            )
            .await;
        assert_eq!(error_code(&refused), "CONFLICT", "{why}: {refused}");
        assert_eq!(error_ext(&refused, "field"), "startsAt", "{why}");
    }

    app.ok(
        token,
        "mutation($r: ID!) { addTimeOff(input: { resourceId: $r, startsAt: \"2027-01-13T06:00:00Z\", endsAt: \"2027-01-14T06:00:00Z\", reason: \"Congreso\" }) { id } }",
        json!({ "r": resource }),
    )
    .await;
    assert!(
        slots(&app, &owner, &service, "2027-01-13", "2027-01-13")
            .await
            .is_empty()
    );

    let cancelled = app
        .ok(
            token,
            STATUS,
            json!({ "input": { "id": booked["id"], "status": "CANCELLED", "reason": "Se enfermó" } }),
        )
        .await;
    assert_eq!(cancelled["setAppointmentStatus"]["status"], "CANCELLED");
    assert_eq!(
        slots(&app, &owner, &service, "2027-01-11", "2027-01-11").await,
        monday
    );
    let listed = app
        .ok(
            token,
            "{ appointments(from: \"2027-01-10T00:00:00Z\", to: \"2027-01-20T00:00:00Z\") { status notes contact { id } } }",
            json!({}),
        )
        .await;
    assert_eq!(listed["appointments"][0]["notes"], "Primera vez");
}

#[tokio::test]
async fn of_bookings_of_one_slot_made_at_once_exactly_one_succeeds() {
    let app = TestApp::spawn().await;
    let owner = business_in(&app, "America/Mexico_City").await;
    let (_, service) = clinic(&app, &owner, mornings(), consultation()).await;
    let tries = (0..8).map(|_| {
        app.gql(
            Some(&owner.access_token),
            BOOK,
            json!({ "input": { "serviceId": service, "startsAt": "2027-01-11T16:00:00Z" } }),
        )
    });
    let answers = futures_util::future::join_all(tries).await;
    let won = answers.iter().filter(|a| a.get("errors").is_none()).count();
    assert_eq!(won, 1, "{answers:?}");
    for lost in answers.iter().filter(|a| a.get("errors").is_some()) {
        assert_eq!(error_code(lost), "CONFLICT", "{lost}");
        assert_eq!(error_ext(lost, "field"), "startsAt");
    }
    let listed = app
        .ok(
            Some(&owner.access_token),
            "{ appointments(from: \"2027-01-11T00:00:00Z\", to: \"2027-01-12T00:00:00Z\") { id } }",
            json!({}),
        )
        .await;
    assert_eq!(listed["appointments"].as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn nine_oclock_is_nine_oclock_on_both_sides_of_a_change_of_clocks() {
    let app = TestApp::spawn().await;
    // Chile leaves summer time on the first Sunday of April 2027: Saturday the 3rd is
    // UTC−3, Monday the 5th UTC−4.
    let owner = business_in(&app, "America/Santiago").await;
    let (_, service) = clinic(
        &app,
        &owner,
        json!([
            { "weekday": "SAT", "opens": "09:00:00", "closes": "10:00:00" },
            { "weekday": "MON", "opens": "09:00:00", "closes": "10:00:00" },
        ]),
        json!({ "name": "Corte", "durationMinutes": 60, "maxAdvanceDays": 400 }),
    )
    .await;
    assert_eq!(
        slots(&app, &owner, &service, "2027-04-03", "2027-04-05").await,
        ["2027-04-03T12:00:00+00:00", "2027-04-05T13:00:00+00:00"]
    );
}

#[tokio::test]
async fn an_appointment_is_moved_checked_in_and_completed_in_order() {
    let app = TestApp::spawn().await;
    let owner = business_in(&app, "America/Mexico_City").await;
    let token = Some(owner.access_token.as_str());
    let (_, service) = clinic(&app, &owner, mornings(), consultation()).await;
    let contact = app
        .ok(
            token,
            "mutation { createContact(input: { firstName: \"Memo\" }) { id } }",
            json!({}),
        )
        .await;
    let contact = text(&contact["createContact"]["id"]);
    let booked = app
        .ok(
            token,
            BOOK,
            json!({ "input": { "serviceId": service, "contactId": contact, "startsAt": "2027-01-11T15:00:00Z" } }),
        )
        .await;
    let id = text(&booked["bookAppointment"]["id"]);
    app.ok(
        token,
        STATUS,
        json!({ "input": { "id": id, "status": "CONFIRMED" } }),
    )
    .await;
    let moved = app
        .ok(
            token,
            "mutation($id: ID!) { rescheduleAppointment(input: { id: $id, startsAt: \"2027-01-13T17:00:00Z\" }) { status startsAt contact { id } } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(
        moved["rescheduleAppointment"]["status"], "BOOKED",
        "confirmed again for the new time"
    );
    assert_eq!(
        moved["rescheduleAppointment"]["startsAt"],
        "2027-01-13T17:00:00+00:00"
    );
    assert_eq!(
        slots(&app, &owner, &service, "2027-01-11", "2027-01-11")
            .await
            .len(),
        4,
        "Monday is free again"
    );
    let early = app
        .gql(
            token,
            STATUS,
            json!({ "input": { "id": id, "status": "COMPLETED" } }),
        )
        .await;
    assert_eq!(error_code(&early), "CONFLICT", "{early}");
    for status in ["CHECKED_IN", "COMPLETED"] {
        let done = app
            .ok(
                token,
                STATUS,
                json!({ "input": { "id": id, "status": status } }),
            )
            .await;
        assert_eq!(done["setAppointmentStatus"]["status"], status);
    }
    let late = app
        .gql(
            token,
            STATUS,
            json!({ "input": { "id": id, "status": "CANCELLED" } }),
        )
        .await;
    assert_eq!(error_code(&late), "CONFLICT");
    let bad = app
        .gql(
            token,
            "mutation { createService(input: { name: \"X\", durationMinutes: 1 }) { id } }",
            json!({}),
        )
        .await;
    assert_eq!(error_ext(&bad, "field"), "durationMinutes");
}

#[tokio::test]
async fn another_tenant_can_neither_see_nor_touch_schedules() {
    let app = TestApp::spawn().await;
    let a = business_in(&app, "America/Mexico_City").await;
    let (resource, service) = clinic(&app, &a, mornings(), consultation()).await;
    let booked = app
        .ok(
            Some(&a.access_token),
            BOOK,
            json!({ "input": { "serviceId": service, "startsAt": "2027-01-11T15:00:00Z" } }),
        )
        .await;
    let appointment = text(&booked["bookAppointment"]["id"]);
    let off = app
        .ok(
            Some(&a.access_token),
            "mutation($r: ID!) { addTimeOff(input: { resourceId: $r, startsAt: \"2027-02-01T00:00:00Z\", endsAt: \"2027-02-02T00:00:00Z\" }) { id } }",
            json!({ "r": resource }),
        )
        .await;
    let off = text(&off["addTimeOff"]["id"]);

    let b = business_in(&app, "America/Mexico_City").await;
    let token = Some(b.access_token.as_str());
    let lists = app
        .ok(
            token,
            "{ services { id } resources { id } appointments(from: \"2027-01-01T00:00:00Z\", to: \"2027-02-28T00:00:00Z\") { id } }",
            json!({}),
        )
        .await;
    assert_eq!(
        lists,
        json!({ "services": [], "resources": [], "appointments": [] })
    );
    for (query, variables, code) in [
        (
            "query($id: ID!) { appointment(id: $id) { id } }",
            json!({ "id": appointment }),
            "NOT_FOUND",
        ),
        (
            "query($s: ID!) { availabilityDays(serviceId: $s, from: \"2027-01-11\", to: \"2027-01-11\") { date } }",
            json!({ "s": service }),
            "BAD_USER_INPUT",
        ),
        (
            "query($r: ID!) { timeOff(resourceId: $r, from: \"2027-01-01T00:00:00Z\", to: \"2027-03-01T00:00:00Z\") { id } }",
            json!({ "r": resource }),
            "",
        ),
        (
            "mutation($id: ID!) { updateService(input: { id: $id, name: \"x\" }) { id } }",
            json!({ "id": service }),
            "NOT_FOUND",
        ),
        (
            "mutation($id: ID!) { updateResource(input: { id: $id, name: \"x\" }) { id } }",
            json!({ "id": resource }),
            "NOT_FOUND",
        ),
        (
            "mutation($id: ID!) { setWorkingHours(input: { resourceId: $id, hours: [] }) { weekday } }",
            json!({ "id": resource }),
            "NOT_FOUND",
        ),
        (
            "mutation($id: ID!) { addTimeOff(input: { resourceId: $id, startsAt: \"2027-03-01T00:00:00Z\", endsAt: \"2027-03-02T00:00:00Z\" }) { id } }",
            json!({ "id": resource }),
            "NOT_FOUND",
        ),
        (
            "mutation($id: ID!) { removeTimeOff(id: $id) }",
            json!({ "id": off }),
            "NOT_FOUND",
        ),
        (
            "mutation($s: ID!) { bookAppointment(input: { serviceId: $s, startsAt: \"2027-01-11T16:00:00Z\" }) { id } }",
            json!({ "s": service }),
            "BAD_USER_INPUT",
        ),
        (
            "mutation($id: ID!) { rescheduleAppointment(input: { id: $id, startsAt: \"2027-01-11T16:00:00Z\" }) { id } }",
            json!({ "id": appointment }),
            "NOT_FOUND",
        ),
        (
            "mutation($id: ID!) { setAppointmentStatus(input: { id: $id, status: CANCELLED }) { id } }",
            json!({ "id": appointment }),
            "NOT_FOUND",
        ),
    ] {
        let body = app.gql(token, query, variables).await;
        if code.is_empty() {
            assert_eq!(body["data"]["timeOff"], json!([]), "{query}: {body}");
        } else {
            assert_eq!(error_code(&body), code, "{query}: {body}");
        }
    }
    let still = app
        .ok(
            Some(&a.access_token),
            "query($id: ID!) { appointment(id: $id) { status } services { name } }",
            json!({ "id": appointment }),
        )
        .await;
    assert_eq!(still["appointment"]["status"], "BOOKED");
    assert_eq!(still["services"][0]["name"], "Consulta");
}

#[tokio::test]
async fn the_clinic_demo_has_doctors_services_and_a_week_of_appointments() {
    let app = TestApp::spawn().await;
    let (token, printed) = seeded_demo(&app, "clinica").await;
    let now = chrono::Utc::now() + chrono::TimeDelta::hours(1);
    let shown = app
        .ok(
            Some(&token),
            "query($f: DateTime!, $t: DateTime!) { resources { name workingHours { weekday } } services { name resources { name } }
               appointments(from: $f, to: $t) { status contact { name } } }",
            json!({ "f": now, "t": now + chrono::TimeDelta::days(9) }),
        )
        .await;
    assert_eq!(shown["resources"].as_array().map(Vec::len), Some(2));
    assert_eq!(
        shown["resources"][0]["workingHours"]
            .as_array()
            .map(Vec::len),
        Some(10),
        "two spans a weekday"
    );
    assert_eq!(
        shown["services"][1]["resources"].as_array().map(Vec::len),
        Some(2)
    );
    let booked = shown["appointments"].as_array().expect("appointments");
    assert!(booked.len() >= 8, "{printed} {shown}");
    assert!(
        booked
            .iter()
            .all(|a| a["status"] == "BOOKED" && a["contact"]["name"].is_string())
    );
}

#[tokio::test]
async fn free_times_are_grouped_by_the_businesss_calendar_day_not_utcs() {
    let app = TestApp::spawn().await;
    let owner = business_in(&app, "America/Mexico_City").await;
    let evenings = json!(
        ["MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"]
            .map(|d| json!({ "weekday": d, "opens": "20:00:00", "closes": "23:00:00" }))
    );
    let (resource, service) = clinic(&app, &owner, evenings, consultation()).await;
    let day =
        (app.clock.now() - chrono::TimeDelta::hours(6)).date_naive() + chrono::TimeDelta::days(3);
    let data = app
        .ok(
            Some(&owner.access_token),
            "query($s: ID!, $d: NaiveDate!) { availabilityDays(serviceId: $s, from: $d, to: $d) { date resource { id } startsAt } }",
            json!({ "s": service, "d": day }),
        )
        .await;
    // 20:00, 21:00 and 22:00 in Mexico City are 02:00, 03:00 and 04:00 UTC the next day.
    let next = day + chrono::TimeDelta::days(1);
    let times = [2, 3, 4].map(|h| format!("{next}T0{h}:00:00+00:00"));
    assert_eq!(
        data["availabilityDays"],
        json!([{
            "date": day,
            "resource": { "id": resource },
            "startsAt": times,
        }])
    );
}
