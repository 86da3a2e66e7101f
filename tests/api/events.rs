//! Events for clients and staff pay: a person in one event at a time (travel included),
//! equipment never beyond what is owned, the deposit confirming, and a payroll that never
//! pays an event twice; a Staff member sees only their own.

use chrono::{DateTime, Duration as TimeDelta, Utc};
use serde_json::{Value, json};
use tianguis_domain::ports::Clock;

use crate::helpers::*;

const CREATE: &str = "mutation($input: CreateEventInput!) { createEvent(input: $input) { id status startsAt price { amount } } }";
const ASSIGN: &str = "mutation($e: ID!, $r: ID!, $role: String!) { assignEventStaff(eventId: $e, resourceId: $r, role: $role) { role awayFrom awayUntil resource { name } } }";
const RESERVE: &str = "mutation($e: ID!, $r: ID!, $q: Int!) { reserveEventEquipment(eventId: $e, resourceId: $r, quantity: $q) { quantity } }";
const OPEN: &str = "mutation($d: NaiveDate!) { openPayrollPeriod(frequency: WEEKLY, startsOn: $d) { id status total { amount } lines { kind description amount { amount } resource { name } } } }";

pub async fn resource(app: &TestApp, owner: &Session, input: Value) -> String {
    let data = app
        .ok(
            Some(&owner.access_token),
            "mutation($input: CreateResourceInput!) { createResource(input: $input) { id } }",
            json!({ "input": input }),
        )
        .await;
    text(&data["createResource"]["id"])
}

pub async fn event(
    app: &TestApp,
    owner: &Session,
    title: &str,
    starts: DateTime<Utc>,
    hours: i64,
) -> String {
    let data = app
        .ok(
            Some(&owner.access_token),
            CREATE,
            json!({ "input": {
                "title": title, "kind": "boda", "startsAt": starts, "endsAt": starts + TimeDelta::hours(hours),
                "travelMinutes": 90, "venue": "Jardín Las Flores", "price": "20000", "deposit": "5000",
            } }),
        )
        .await;
    assert_eq!(data["createEvent"]["status"], "TENTATIVE");
    text(&data["createEvent"]["id"])
}

fn code(body: &Value) -> (&str, &str) {
    let error = &body["errors"][0]["extensions"];
    (
        error["code"].as_str().unwrap_or_default(),
        error["field"].as_str().unwrap_or_default(),
    )
}

#[tokio::test]
async fn staff_travel_equipment_deposit_and_a_payroll_that_pays_once() {
    let app = TestApp::spawn().await;
    let owner = app.sign_up().await;
    let token = Some(owner.access_token.as_str());
    let dj = resource(&app, &owner, json!({ "name": unique("DJ Toño") })).await;
    let speakers = resource(
        &app,
        &owner,
        json!({ "name": unique("Bocina"), "kind": "EQUIPMENT", "quantity": 2 }),
    )
    .await;
    // Two weddings the same Saturday: the second starts two hours after the first ends,
    // inside the 90 minutes' travel either side.
    let saturday = app.clock.now() + TimeDelta::days(3);
    let first = event(&app, &owner, "Boda Ana y Luis", saturday, 5).await;
    let second = event(
        &app,
        &owner,
        "Boda Sofía",
        saturday + TimeDelta::hours(7),
        5,
    )
    .await;
    let far = event(&app, &owner, "XV Regina", saturday + TimeDelta::days(1), 5).await;
    let client = crate::fixtures::crm::new_contact(
        &app,
        &owner,
        json!({ "firstName": "Regina", "lastName": "Salas" }),
    )
    .await;
    app.ok(
        token,
        "mutation($id: ID!, $c: ID!) { updateEvent(input: { id: $id, contactId: $c }) { id } }",
        json!({ "id": far, "c": client }),
    )
    .await;

    let on_first = app
        .ok(token, ASSIGN, json!({ "e": first, "r": dj, "role": "DJ" }))
        .await;
    assert_eq!(on_first["assignEventStaff"][0]["role"], "dj");
    let clash = app
        .gql(token, ASSIGN, json!({ "e": second, "r": dj, "role": "dj" }))
        .await;
    assert_eq!(code(&clash), ("CONFLICT", "resourceId"), "{clash}");
    app.ok(token, ASSIGN, json!({ "e": far, "r": dj, "role": "dj" }))
        .await;

    app.ok(token, RESERVE, json!({ "e": first, "r": speakers, "q": 2 }))
        .await;
    let beyond = app
        .gql(
            token,
            RESERVE,
            json!({ "e": second, "r": speakers, "q": 1 }),
        )
        .await;
    assert_eq!(code(&beyond), ("CONFLICT", "quantity"), "{beyond}");
    app.ok(token, RESERVE, json!({ "e": far, "r": speakers, "q": 2 }))
        .await;
    // Cancelling the first frees the DJ and the speakers for the second.
    app.ok(
        token,
        "mutation($id: ID!) { setEventStatus(id: $id, status: CANCELLED) { status } }",
        json!({ "id": first }),
    )
    .await;
    app.ok(token, ASSIGN, json!({ "e": second, "r": dj, "role": "dj" }))
        .await;
    app.ok(
        token,
        RESERVE,
        json!({ "e": second, "r": speakers, "q": 2 }),
    )
    .await;

    // The deposit in hand confirms; more than owed is refused.
    let pay = "mutation($e: ID!, $a: Decimal!) { recordEventPayment(eventId: $e, amount: $a, method: TRANSFER, reference: \"SPEI-1\") { status paid { amount } balance { amount } payments { kind amount { amount } } } }";
    let paid = app
        .ok(token, pay, json!({ "e": second, "a": "5000" }))
        .await;
    assert_eq!(paid["recordEventPayment"]["status"], "CONFIRMED");
    assert_eq!(paid["recordEventPayment"]["payments"][0]["kind"], "DEPOSIT");
    let too_much = app
        .gql(token, pay, json!({ "e": second, "a": "15001" }))
        .await;
    assert_eq!(code(&too_much), ("BAD_USER_INPUT", "amount"), "{too_much}");
    let task = app
        .ok(token, "mutation($e: ID!) { addEventTask(eventId: $e, title: \"Prueba de sonido\") { id done position } }", json!({ "e": second }))
        .await;
    assert_eq!(task["addEventTask"]["position"], 1);

    // The DJ earns 1,500 per event as a DJ.
    app.ok(
        token,
        "mutation($r: ID!) { createPayRule(input: { resourceId: $r, appliesTo: EVENTS, role: \"dj\", basis: FIXED, amount: \"1500\" }) { id } }",
        json!({ "r": dj }),
    )
    .await;
    // Not done before it starts.
    let early = app
        .gql(
            token,
            "mutation($id: ID!) { setEventStatus(id: $id, status: DONE) { status } }",
            json!({ "id": second }),
        )
        .await;
    assert_eq!(code(&early), ("CONFLICT", "id"), "{early}");
    app.ok(
        token,
        "mutation($id: ID!) { setEventStatus(id: $id, status: CONFIRMED) { status } }",
        json!({ "id": far }),
    )
    .await;
    app.clock.advance(TimeDelta::days(5));
    let owner = app.refreshed(&owner).await;
    let token = Some(owner.access_token.as_str());
    for id in [&second, &far] {
        app.ok(
            token,
            "mutation($id: ID!) { setEventStatus(id: $id, status: DONE) { status } }",
            json!({ "id": id }),
        )
        .await;
    }
    let week = saturday.date_naive() - TimeDelta::days(1);
    let period = app.ok(token, OPEN, json!({ "d": week })).await["openPayrollPeriod"].clone();
    let lines = period["lines"].as_array().expect("lines");
    assert_eq!(lines.len(), 2, "{period}");
    assert_eq!(period["total"]["amount"], "3000.00");
    // The next week, computed from scratch, pays neither event again.
    let next = app
        .ok(token, OPEN, json!({ "d": week + TimeDelta::days(7) }))
        .await["openPayrollPeriod"]
        .clone();
    assert_eq!(next["lines"], json!([]), "{next}");
    let overlapping = app
        .gql(token, OPEN, json!({ "d": week + TimeDelta::days(3) }))
        .await;
    assert_eq!(code(&overlapping), ("CONFLICT", "startsOn"));
    let id = text(&period["id"]);
    let adjusted = app
        .ok(
            token,
            "mutation($p: ID!, $r: ID!) { addPayrollAdjustment(periodId: $p, resourceId: $r, kind: DEDUCTION, amount: \"200\", reason: \"Cable dañado\") { total { amount } } }",
            json!({ "p": id, "r": dj }),
        )
        .await;
    assert_eq!(
        adjusted["addPayrollAdjustment"]["total"]["amount"],
        "2800.00"
    );
    let recomputed = app
        .ok(
            token,
            "mutation($id: ID!) { recomputePayrollPeriod(id: $id) { total { amount } } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(
        recomputed["recomputePayrollPeriod"]["total"]["amount"],
        "2800.00"
    );
    let csv = app
        .ok(
            token,
            "query($id: ID!) { payrollPeriod(id: $id) { csv } }",
            json!({ "id": id }),
        )
        .await;
    let csv = text(&csv["payrollPeriod"]["csv"]);
    assert!(
        csv.starts_with("persona,fecha,tipo,concepto,minutos,importe,motivo"),
        "{csv}"
    );
    assert!(
        csv.contains("Boda Sofía · dj")
            && csv.contains("-200.00")
            && csv.contains(",total,,,2800.00,"),
        "{csv}"
    );
    app.ok(
        token,
        "mutation($id: ID!) { approvePayrollPeriod(id: $id) { status } }",
        json!({ "id": id }),
    )
    .await;
    let paid = app.ok(token, "mutation($id: ID!) { markPayrollPaid(id: $id, reference: \"SPEI-9\") { status paymentReference } }", json!({ "id": id })).await;
    assert_eq!(paid["markPayrollPaid"]["status"], "PAID");
    let late = app.gql(token, "mutation($p: ID!, $r: ID!) { addPayrollAdjustment(periodId: $p, resourceId: $r, kind: BONUS, amount: \"1\", reason: \"x\") { id } }", json!({ "p": id, "r": dj })).await;
    assert_eq!(code(&late), ("CONFLICT", "id"));

    // The DJ signs in as Staff: their statement and schedule, nothing of anyone else's.
    let staff = app.join_as(&owner, "staff").await;
    app.ok(
        token,
        "mutation($id: ID!, $u: ID!) { updateResource(input: { id: $id, userId: $u }) { id } }",
        json!({ "id": dj, "u": staff.user_id }),
    )
    .await;
    let mine = app
        .ok(
            Some(&staff.access_token),
            "{ myPayStatements { total { amount } lines { description } period { status } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        mine["myPayStatements"][0]["total"]["amount"], "2800.00",
        "{mine}"
    );
    assert_eq!(mine["myPayStatements"][0]["period"]["status"], "PAID");
    // Their statement as a PDF, with a link that opens it; the equipment's is not theirs.
    const STATEMENT: &str = "mutation($p: ID!, $r: ID!) { renderPayrollStatementPdf(periodId: $p, resourceId: $r) { file { id folderKind } download { url } } }";
    let statement = app
        .ok(
            Some(&staff.access_token),
            STATEMENT,
            json!({ "p": id, "r": dj }),
        )
        .await;
    let statement = &statement["renderPayrollStatementPdf"];
    assert_eq!(statement["file"]["folderKind"], "PAYROLL_PERIOD");
    let printed =
        crate::pdfs::text_of(&crate::pdfs::open(&app, &text(&statement["download"]["url"])).await);
    for shown in [
        "Recibo de pago",
        "Boda Sofía · dj",
        "2,800.00 MXN",
        "SPEI-9",
        "Pagado",
    ] {
        assert!(printed.contains(shown), "{shown} in {printed}");
    }
    let others = app
        .gql(
            Some(&staff.access_token),
            STATEMENT,
            json!({ "p": id, "r": speakers }),
        )
        .await;
    assert_eq!(error_code(&others), "NOT_FOUND", "{others}");
    let schedule = app
        .ok(
            Some(&staff.access_token),
            "query($f: DateTime!, $t: DateTime!) { mySchedule(from: $f, to: $t) { events { assignment { role } event { title } } } }",
            json!({ "f": saturday - TimeDelta::days(1), "t": saturday + TimeDelta::days(3) }),
        )
        .await;
    assert_eq!(
        schedule["mySchedule"]["events"].as_array().map(Vec::len),
        Some(2),
        "{schedule}"
    );
    // Who the client is, without the customer records a Staff member may not read.
    let client = app
        .gql(
            Some(&staff.access_token),
            "query($f: DateTime!, $t: DateTime!) { mySchedule(from: $f, to: $t) { events { event { title clientName contact { id } } } } }",
            json!({ "f": saturday - TimeDelta::days(1), "t": saturday + TimeDelta::days(3) }),
        )
        .await;
    let theirs = &client["data"]["mySchedule"]["events"][1]["event"];
    assert_eq!(theirs["title"], "XV Regina", "{client}");
    assert_eq!(theirs["clientName"], "Regina Salas", "{client}");
    assert_eq!(client["errors"][0]["extensions"]["code"], "FORBIDDEN");
    for forbidden in ["{ payrollPeriods { id } }", "{ payRules { id } }"] {
        let body = app
            .gql(Some(&staff.access_token), forbidden, json!({}))
            .await;
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "FORBIDDEN",
            "{forbidden}: {body}"
        );
    }
    let body = app
        .gql(
            Some(&staff.access_token),
            "query($id: ID!) { payrollPeriod(id: $id) { id } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "FORBIDDEN");
}

#[tokio::test]
async fn an_event_from_an_accepted_proposal_only_once() {
    let app = TestApp::spawn().await;
    let owner = app.sign_up().await;
    let token = Some(owner.access_token.as_str());
    let contact = crate::fixtures::crm::new_contact(
        &app,
        &owner,
        json!({ "firstName": "Memo", "email": "memo@example.mx" }),
    )
    .await;
    let proposal = app
        .ok(
            token,
            "mutation($input: CreateProposalInput!) { createProposal(input: $input) { id total { amount } } }",
            json!({ "input": { "title": "Fiesta de fin de año", "contactId": contact,
                "items": [{ "description": "Paquete DJ", "quantity": "1", "unitPrice": "10000" }] } }),
        )
        .await["createProposal"]
        .clone();
    let proposal_id = text(&proposal["id"]);
    let make = "mutation($p: ID!, $input: CreateEventInput!) { createEventFromProposal(proposalId: $p, input: $input) { title price { amount } proposalId contact { id } } }";
    let starts = app.clock.now() + TimeDelta::days(30);
    let input = json!({ "kind": "corporativo", "startsAt": starts, "endsAt": starts + TimeDelta::hours(4) });
    let early = app
        .gql(token, make, json!({ "p": proposal_id, "input": input }))
        .await;
    assert_eq!(code(&early), ("CONFLICT", "proposalId"), "{early}");
    app.ok(
        token,
        "mutation($id: ID!) { sendProposal(input: { id: $id }) { id } }",
        json!({ "id": proposal_id }),
    )
    .await;
    app.ok(token, "mutation($id: ID!) { acceptProposal(input: { id: $id, acceptedBy: \"Memo\" }) { status } }", json!({ "id": proposal_id })).await;
    let made = app
        .ok(token, make, json!({ "p": proposal_id, "input": input }))
        .await;
    assert_eq!(
        made["createEventFromProposal"]["title"],
        "Fiesta de fin de año"
    );
    assert_eq!(
        made["createEventFromProposal"]["price"]["amount"],
        proposal["total"]["amount"]
    );
    assert_eq!(
        made["createEventFromProposal"]["contact"]["id"],
        json!(contact)
    );
    let again = app
        .gql(token, make, json!({ "p": proposal_id, "input": input }))
        .await;
    assert_eq!(code(&again), ("CONFLICT", "proposalId"), "{again}");
}

#[tokio::test]
async fn another_business_neither_sees_nor_touches_events_or_payroll() {
    let app = TestApp::spawn().await;
    let owner = app.sign_up().await;
    let other = app.sign_up().await;
    let starts = app.clock.now() + TimeDelta::days(10);
    let id = event(&app, &owner, "Boda privada", starts, 4).await;
    let dj = resource(&app, &owner, json!({ "name": unique("DJ") })).await;
    let period = app
        .ok(
            Some(&owner.access_token),
            OPEN,
            json!({ "d": starts.date_naive() + TimeDelta::days(30) }),
        )
        .await;
    let period = text(&period["openPayrollPeriod"]["id"]);
    let mine = Some(owner.access_token.as_str());
    let rule = app
        .ok(mine, "mutation($r: ID!) { createPayRule(input: { resourceId: $r, appliesTo: EVENTS, basis: HOURLY, amount: \"200\" }) { id } }", json!({ "r": dj }))
        .await;
    let rule = text(&rule["createPayRule"]["id"]);
    let task = app
        .ok(
            mine,
            "mutation($id: ID!) { addEventTask(eventId: $id, title: \"Luces\") { id } }",
            json!({ "id": id }),
        )
        .await;
    let task = text(&task["addEventTask"]["id"]);
    let theirs = Some(other.access_token.as_str());
    for (query, vars) in [
        (
            "query($id: ID!) { event(id: $id) { id } }",
            json!({ "id": id }),
        ),
        (
            "query($id: ID!) { payrollPeriod(id: $id) { id } }",
            json!({ "id": period }),
        ),
        (
            "mutation($id: ID!) { setEventStatus(id: $id, status: CANCELLED) { id } }",
            json!({ "id": id }),
        ),
        (
            "mutation($id: ID!) { approvePayrollPeriod(id: $id) { id } }",
            json!({ "id": period }),
        ),
        (
            "mutation($id: ID!) { addEventTask(eventId: $id, title: \"x\") { id } }",
            json!({ "id": id }),
        ),
        (
            "mutation($id: ID!) { setEventTaskDone(id: $id, done: true) { id } }",
            json!({ "id": task }),
        ),
        (
            "mutation($id: ID!) { recordEventPayment(eventId: $id, amount: \"1\", method: CASH) { id } }",
            json!({ "id": id }),
        ),
        (
            "mutation($id: ID!) { retirePayRule(id: $id) { id } }",
            json!({ "id": rule }),
        ),
        (
            "mutation($p: ID!, $r: ID!) { renderPayrollStatementPdf(periodId: $p, resourceId: $r) { file { id } } }",
            json!({ "p": period, "r": dj }),
        ),
    ] {
        let body = app.gql(theirs, query, vars).await;
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "NOT_FOUND",
            "{query}: {body}"
        );
    }
    // Their events cannot take this business's people.
    let mine = event(&app, &other, "Otra boda", starts, 4).await;
    let body = app
        .gql(theirs, ASSIGN, json!({ "e": mine, "r": dj, "role": "dj" }))
        .await;
    assert_eq!(code(&body), ("BAD_USER_INPUT", "resourceId"), "{body}");
    let listed = app
        .ok(
            theirs,
            "query($f: DateTime!, $t: DateTime!) { events(from: $f, to: $t) { id } }",
            json!({ "f": starts - TimeDelta::days(1), "t": starts + TimeDelta::days(1) }),
        )
        .await;
    assert_eq!(listed["events"].as_array().map(Vec::len), Some(1));
    let periods = app
        .ok(
            theirs,
            "{ payrollPeriods { id } payRules { id } }",
            json!({}),
        )
        .await;
    assert_eq!(periods["payrollPeriods"], json!([]));
    assert_eq!(periods["payRules"], json!([]));
}

#[tokio::test]
async fn a_person_and_the_last_equipment_go_to_one_event_when_asked_at_once() {
    let app = TestApp::spawn().await;
    let owner = app.sign_up().await;
    let token = Some(owner.access_token.as_str());
    let lights = resource(
        &app,
        &owner,
        json!({ "name": unique("Cabeza móvil"), "kind": "EQUIPMENT", "quantity": 5 }),
    )
    .await;
    let saturday = app.clock.now() + TimeDelta::days(5);
    for round in 0..3 {
        let dj = resource(&app, &owner, json!({ "name": unique("DJ") })).await;
        // Three overlapping parties: each wants the DJ and two of the five lights.
        let day = saturday + TimeDelta::days(round * 2);
        let mut parties = Vec::new();
        for hour in 0..3 {
            parties.push(event(&app, &owner, "Fiesta", day + TimeDelta::hours(hour), 4).await);
        }
        let staffed = futures_util::future::join_all(
            parties
                .iter()
                .map(|e| app.gql(token, ASSIGN, json!({ "e": e, "r": dj, "role": "dj" }))),
        )
        .await;
        let lit = futures_util::future::join_all(
            parties
                .iter()
                .map(|e| app.gql(token, RESERVE, json!({ "e": e, "r": lights, "q": 2 }))),
        )
        .await;
        let won = |answers: &[Value], refused: (&str, &str)| {
            for answer in answers.iter().filter(|a| a.get("errors").is_some()) {
                assert_eq!(code(answer), refused, "{answer}");
            }
            answers.iter().filter(|a| a.get("errors").is_none()).count()
        };
        assert_eq!(won(&staffed, ("CONFLICT", "resourceId")), 1, "{staffed:?}");
        assert_eq!(won(&lit, ("CONFLICT", "quantity")), 2, "{lit:?}");
    }
    // What is stored agrees: one DJ per round, never more than five lights out at once.
    let stored = app
        .ok(
            token,
            "query($f: DateTime!, $t: DateTime!) { events(from: $f, to: $t) { staff { role } equipment { quantity } } }",
            json!({ "f": saturday - TimeDelta::hours(1), "t": saturday + TimeDelta::days(7) }),
        )
        .await;
    let events = stored["events"].as_array().expect("events");
    assert_eq!(events.len(), 9);
    let staffed: usize = events
        .iter()
        .map(|e| e["staff"].as_array().map_or(0, Vec::len))
        .sum();
    assert_eq!(staffed, 3);
    for round in events.chunks(3) {
        let out: i64 = round
            .iter()
            .filter_map(|e| e["equipment"][0]["quantity"].as_i64())
            .sum();
        assert_eq!(out, 4, "{round:?}");
    }
}

/// Runs the payment reminders' sweep as four workers would, all at once.
async fn payment_sweeps(app: &TestApp) {
    let runs = (0..4).map(|_| tianguis_domain::scheduling::events::remind_due(&app.state.deps));
    for run in futures_util::future::join_all(runs).await {
        run.expect("the sweep runs");
    }
}

#[tokio::test]
async fn the_deposit_and_the_balance_are_each_reminded_once_and_never_for_a_cancelled_event() {
    let (app, mut sink) = app_with_smtp().await;
    let owner = app.sign_up().await;
    let token = Some(owner.access_token.as_str());
    let address = format!("{}@example.mx", unique("novia"));
    let client = crate::fixtures::crm::new_contact(
        &app,
        &owner,
        json!({ "firstName": "Ana", "email": address }),
    )
    .await;
    let today = app.clock.now().date_naive();
    let starts = app.clock.now() + TimeDelta::days(30);
    let create = |title: &'static str| {
        app.ok(
            token,
            CREATE,
            json!({ "input": {
                "title": title, "kind": "boda", "contactId": client,
                "startsAt": starts, "endsAt": starts + TimeDelta::hours(5),
                "price": "20000", "deposit": "6000",
                "depositDueOn": today + TimeDelta::days(2),
                "balanceDueOn": today + TimeDelta::days(20),
            } }),
        )
    };
    create("Boda Ana").await;
    let called_off = create("Boda cancelada").await;
    app.ok(
        token,
        "mutation($id: ID!) { setEventStatus(id: $id, status: CANCELLED) { status } }",
        json!({ "id": called_off["createEvent"]["id"] }),
    )
    .await;

    // The deposit is due in two days: four workers sweep at once, one email goes out.
    payment_sweeps(&app).await;
    let deposit = sink.next_to(&address).await;
    let subject = deposit.header("Subject").unwrap_or_default();
    assert!(
        subject.contains("anticipo") && subject.contains("Boda Ana"),
        "{subject}"
    );
    assert!(
        deposit.data.contains("6,000.00") || deposit.data.contains("6000.00"),
        "{}",
        deposit.data
    );

    // Swept again the next day and then as the balance comes due: the next email is the
    // balance's, so the deposit was not reminded twice.
    app.clock.advance(TimeDelta::days(1));
    payment_sweeps(&app).await;
    app.clock.advance(TimeDelta::days(17));
    payment_sweeps(&app).await;
    let balance = sink.next_to(&address).await;
    let subject = balance.header("Subject").unwrap_or_default();
    assert!(
        subject.contains("saldo") && subject.contains("Boda Ana"),
        "{subject}"
    );
    payment_sweeps(&app).await;
    sink.assert_quiet(std::time::Duration::from_millis(500))
        .await;
}

#[tokio::test]
async fn the_events_demo_has_staff_equipment_events_and_a_computed_payroll() {
    let app = TestApp::spawn().await;
    let (token, printed) = seeded_demo(&app, "eventos").await;
    let now = chrono::Utc::now();
    let shown = app
        .ok(
            Some(&token),
            "query($f: DateTime!, $t: DateTime!) { resources { name kind quantity }
               events(from: $f, to: $t) { title status paid { amount } price { amount } staff { role } equipment { quantity } checklist { title } }
               payrollPeriods { status total { amount } lines { kind amount { amount } resource { name } } } }",
            json!({ "f": now - TimeDelta::days(15), "t": now + TimeDelta::days(30) }),
        )
        .await;
    let resources = shown["resources"].as_array().expect("resources");
    assert_eq!(
        resources.iter().filter(|r| r["kind"] == "STAFF").count(),
        4,
        "{shown}"
    );
    assert_eq!(
        resources
            .iter()
            .filter(|r| r["kind"] == "EQUIPMENT")
            .count(),
        2
    );
    let events = shown["events"].as_array().expect("events");
    assert_eq!(events.len(), 4, "{printed} {shown}");
    let closed: Vec<_> = events.iter().filter(|e| e["status"] == "CLOSED").collect();
    assert_eq!(closed.len(), 2);
    assert!(closed.iter().all(|e| e["paid"] == e["price"]));
    assert!(
        events
            .iter()
            .all(|e| e["staff"].as_array().map(Vec::len) == Some(2)
                && e["equipment"].as_array().map(Vec::len) == Some(2)
                && e["checklist"].as_array().map(Vec::len) == Some(2))
    );
    let period = &shown["payrollPeriods"][0];
    assert_eq!(period["status"], "DRAFT");
    let lines = period["lines"].as_array().expect("lines");
    // Two worked events, a DJ and the technician on each.
    assert_eq!(lines.len(), 4, "{period}");
    // The lead DJ's 10 % of 38,000; the technician's 150 an hour for 6 hours, twice.
    let paid_to = |name: &str| -> Vec<String> {
        lines
            .iter()
            .filter(|l| {
                l["resource"]["name"]
                    .as_str()
                    .is_some_and(|n| n.starts_with(name))
            })
            .map(|l| text(&l["amount"]["amount"]))
            .collect()
    };
    assert_eq!(paid_to("DJ Beto"), ["3800.00"]);
    assert_eq!(paid_to("DJ Karla"), ["2500.00"]);
    assert_eq!(paid_to("Toño"), ["900.00", "900.00"]);
    assert_eq!(period["total"]["amount"], "8100.00");
}
