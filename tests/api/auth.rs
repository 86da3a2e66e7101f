//! Sign-up, log-in, tokens, sessions, API keys and two-factor authentication.

use crate::helpers::*;
use chrono::TimeDelta;
use serde_json::json;

const ME: &str = "{ me { user { email } currentTenantId permissions } }";
const LOG_IN: &str =
    "mutation($input: LogInInput!) { logIn(input: $input) { accessToken refreshToken tenantId } }";
const REFRESH: &str = "mutation($t: String!) { refreshSession(input: { refreshToken: $t }) { accessToken refreshToken } }";

#[tokio::test]
async fn a_new_business_signs_up_and_its_owner_logs_in() {
    let app = TestApp::spawn().await;
    let owner = app.sign_up().await;
    let me = app.ok(Some(&owner.access_token), ME, json!({})).await;
    assert_eq!(me["me"]["user"]["email"], owner.email);
    assert_eq!(me["me"]["currentTenantId"], owner.tenant_id);
    assert!(
        me["me"]["permissions"]
            .as_array()
            .expect("list")
            .iter()
            .any(|p| p == "tenant.plan.manage")
    );

    let logged_in = app
        .ok(
            None,
            LOG_IN,
            json!({ "input": { "email": owner.email.to_uppercase(), "password": PASSWORD } }),
        )
        .await;
    assert_eq!(logged_in["logIn"]["tenantId"], owner.tenant_id);
    let token = text(&logged_in["logIn"]["accessToken"]);
    assert_eq!(
        app.ok(Some(&token), ME, json!({})).await["me"]["user"]["email"],
        owner.email
    );
}

#[tokio::test]
async fn a_wrong_password_or_unknown_email_is_refused_alike() {
    let app = TestApp::spawn().await;
    let owner = app.sign_up().await;
    for (email, password) in [
        (owner.email.as_str(), "not-the-password-1"),
        ("nobody-here@example.mx", PASSWORD),
    ] {
        let body = app
            .gql(
                None,
                LOG_IN,
                json!({ "input": { "email": email, "password": password } }),
            )
            .await;
        assert_eq!(error_code(&body), "UNAUTHENTICATED");
        assert_eq!(error_ext(&body, "reason"), "INVALID_CREDENTIALS");
    }
}

#[tokio::test]
async fn bad_sign_up_input_names_the_field_and_creates_nothing() {
    let app = TestApp::spawn().await;
    let sign_up = "mutation($input: SignUpInput!) { signUp(input: $input) { tenantId } }";
    let email = format!("{}@example.mx", unique("weak"));
    let cases = [
        (json!({ "email": email, "password": "short" }), "password"),
        (
            json!({ "email": email, "password": "abcdefghijklmnop" }),
            "password",
        ),
        (
            json!({ "email": "not-an-email", "password": PASSWORD }),
            "email",
        ),
        (
            json!({ "email": email, "password": PASSWORD, "slug": "Bad Slug!" }),
            "slug",
        ),
        (
            json!({ "email": email, "password": PASSWORD, "country": "Mexico" }),
            "country",
        ),
    ];
    for (mut input, field) in cases {
        input["businessName"] = json!("Tienda");
        input["displayName"] = json!("Ana");
        let body = app.gql(None, sign_up, json!({ "input": input })).await;
        assert_eq!(error_code(&body), "BAD_USER_INPUT", "{body}");
        assert_eq!(error_ext(&body, "field"), field, "{body}");
    }
    // Nothing was half-written: the email is still free.
    let body = app
        .gql(None, sign_up, json!({ "input": { "businessName": "Tienda", "displayName": "Ana", "email": email, "password": PASSWORD } }))
        .await;
    assert!(body.get("errors").is_none(), "{body}");
    let again = app
        .gql(None, sign_up, json!({ "input": { "businessName": "Otra", "displayName": "Ana", "email": email, "password": PASSWORD } }))
        .await;
    assert_eq!(error_code(&again), "CONFLICT");
    assert_eq!(error_ext(&again, "field"), "email");
}

#[tokio::test]
async fn an_expired_or_forged_access_token_is_refused() {
    let app = TestApp::spawn().await;
    let owner = app.sign_up().await;

    let mut forged = owner.access_token.clone();
    let last = forged.pop().expect("non-empty");
    forged.push(if last == 'A' { 'B' } else { 'A' });
    let body = app.gql(Some(&forged), ME, json!({})).await;
    assert_eq!(error_ext(&body, "reason"), "INVALID_TOKEN");

    app.clock.advance(TimeDelta::minutes(16));
    let body = app.gql(Some(&owner.access_token), ME, json!({})).await;
    assert_eq!(error_code(&body), "UNAUTHENTICATED");
    assert_eq!(error_ext(&body, "reason"), "TOKEN_EXPIRED");

    // The refresh token still works and gives a fresh access token.
    let fresh = app
        .ok(None, REFRESH, json!({ "t": owner.refresh_token }))
        .await;
    let token = text(&fresh["refreshSession"]["accessToken"]);
    app.ok(Some(&token), ME, json!({})).await;
}

#[tokio::test]
async fn a_reused_refresh_token_ends_the_whole_session() {
    let app = TestApp::spawn().await;
    let owner = app.sign_up().await;
    let rotated = app
        .ok(None, REFRESH, json!({ "t": owner.refresh_token }))
        .await;
    let new_refresh = text(&rotated["refreshSession"]["refreshToken"]);
    let new_access = text(&rotated["refreshSession"]["accessToken"]);
    app.ok(Some(&new_access), ME, json!({})).await;

    let reuse = app
        .gql(None, REFRESH, json!({ "t": owner.refresh_token }))
        .await;
    assert_eq!(error_ext(&reuse, "reason"), "TOKEN_REUSED");
    // Every token of the family is dead now.
    let next = app.gql(None, REFRESH, json!({ "t": new_refresh })).await;
    assert_eq!(error_ext(&next, "reason"), "SESSION_REVOKED");
    let me = app.gql(Some(&new_access), ME, json!({})).await;
    assert_eq!(error_ext(&me, "reason"), "SESSION_REVOKED");
}

#[tokio::test]
async fn logging_out_stops_the_session_at_once() {
    let app = TestApp::spawn().await;
    let owner = app.sign_up().await;
    app.ok(Some(&owner.access_token), "mutation { logOut }", json!({}))
        .await;
    let me = app.gql(Some(&owner.access_token), ME, json!({})).await;
    assert_eq!(error_ext(&me, "reason"), "SESSION_REVOKED");
    let refresh = app
        .gql(None, REFRESH, json!({ "t": owner.refresh_token }))
        .await;
    assert_eq!(error_code(&refresh), "UNAUTHENTICATED");
}

const CREATE_KEY: &str = "mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { secret apiKey { id prefix scopes } } }";

#[tokio::test]
async fn an_api_key_works_within_its_scopes_until_revoked() {
    let app = TestApp::spawn().await;
    let owner = app.sign_up().await;
    let created = app
        .ok(
            Some(&owner.access_token),
            CREATE_KEY,
            json!({ "input": { "name": "ERP sync", "scopes": ["users.read"] } }),
        )
        .await;
    let secret = text(&created["createApiKey"]["secret"]);
    let id = text(&created["createApiKey"]["apiKey"]["id"]);
    assert!(secret.starts_with(&text(&created["createApiKey"]["apiKey"]["prefix"])));

    let members = "{ members { totalCount } }";
    assert_eq!(
        app.ok(Some(&secret), members, json!({})).await["members"]["totalCount"],
        1
    );
    // Outside its scopes.
    let audit = app
        .gql(Some(&secret), "{ auditLogs { totalCount } }", json!({}))
        .await;
    assert_eq!(error_code(&audit), "FORBIDDEN");
    // Listing shows when it was last used, never the secret.
    let listed = app
        .ok(
            Some(&owner.access_token),
            "{ apiKeys { edges { node { id lastUsedAt } } } }",
            json!({}),
        )
        .await;
    assert!(
        listed["apiKeys"]["edges"][0]["node"]["lastUsedAt"].is_string(),
        "{listed}"
    );

    app.ok(
        Some(&owner.access_token),
        "mutation($id: ID!) { revokeApiKey(input: { id: $id }) { revokedAt } }",
        json!({ "id": id }),
    )
    .await;
    let refused = app.gql(Some(&secret), members, json!({})).await;
    assert_eq!(error_ext(&refused, "reason"), "API_KEY_REVOKED");
}

#[tokio::test]
async fn an_api_key_cannot_hold_more_than_its_creator_nor_outlive_its_expiry() {
    let app = TestApp::spawn().await;
    let owner = app.sign_up().await;
    let viewer = app.join_as(&owner, "admin").await;
    let body = app
        .gql(
            Some(&viewer.access_token),
            CREATE_KEY,
            json!({ "input": { "name": "too much", "scopes": ["tenant.plan.manage"] } }),
        )
        .await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT");
    assert_eq!(error_ext(&body, "field"), "scopes");

    let expires = (chrono::Utc::now() + TimeDelta::hours(1)).to_rfc3339();
    let created = app
        .ok(
            Some(&owner.access_token),
            CREATE_KEY,
            json!({ "input": { "name": "short-lived", "scopes": ["users.read"], "expiresAt": expires } }),
        )
        .await;
    let secret = text(&created["createApiKey"]["secret"]);
    app.ok(Some(&secret), "{ members { totalCount } }", json!({}))
        .await;
    app.clock.advance(TimeDelta::hours(2));
    let body = app
        .gql(Some(&secret), "{ members { totalCount } }", json!({}))
        .await;
    assert_eq!(error_ext(&body, "reason"), "API_KEY_EXPIRED");
}

#[tokio::test]
async fn two_factor_login_needs_the_current_code() {
    let app = TestApp::spawn().await;
    let owner = app.sign_up().await;
    let enrollment = app
        .ok(
            Some(&owner.access_token),
            "mutation { enrollTotp { secret otpauthUrl } }",
            json!({}),
        )
        .await;
    let url = text(&enrollment["enrollTotp"]["otpauthUrl"]);
    assert!(url.starts_with("otpauth://totp/"), "{url}");
    let totp = totp_rs::TOTP::from_url(&url).expect("valid otpauth URL");

    let wrong = app
        .gql(
            Some(&owner.access_token),
            "mutation { verifyTotp(input: { code: \"000000\" }) { user { twoFactorEnabled } } }",
            json!({}),
        )
        .await;
    if error_code(&wrong) != "BAD_USER_INPUT" {
        panic!("a wrong code must be refused: {wrong}");
    }
    let code = totp.generate_current().expect("code");
    let verified = app
        .ok(
            Some(&owner.access_token),
            "mutation($c: String!) { verifyTotp(input: { code: $c }) { user { twoFactorEnabled } } }",
            json!({ "c": code }),
        )
        .await;
    assert_eq!(verified["verifyTotp"]["user"]["twoFactorEnabled"], true);

    let without = app
        .gql(
            None,
            LOG_IN,
            json!({ "input": { "email": owner.email, "password": PASSWORD } }),
        )
        .await;
    assert_eq!(error_ext(&without, "reason"), "TOTP_REQUIRED");
    let with = app
        .ok(
            None,
            LOG_IN,
            json!({ "input": { "email": owner.email, "password": PASSWORD, "totpCode": totp.generate_current().expect("code") } }),
        )
        .await;
    assert_eq!(with["logIn"]["tenantId"], owner.tenant_id);
}

#[tokio::test]
async fn a_person_in_two_businesses_switches_between_them() {
    let app = TestApp::spawn().await;
    let first = app.sign_up().await;
    let second = app.sign_up().await;
    // The second business invites the first owner, who accepts with their password.
    let role_id = app.role_id(&second, "sales").await;
    let invite = app
        .ok(
            Some(&second.access_token),
            "mutation($input: CreateInvitationInput!) { createInvitation(input: $input) { token } }",
            json!({ "input": { "email": first.email, "roleId": role_id } }),
        )
        .await;
    app.ok(
        None,
        "mutation($input: AcceptInvitationInput!) { acceptInvitation(input: $input) { tenantId } }",
        json!({ "input": { "token": invite["createInvitation"]["token"], "password": PASSWORD } }),
    )
    .await;

    let me = app
        .ok(
            Some(&first.access_token),
            "{ me { memberships { roleKey tenant { id } } } }",
            json!({}),
        )
        .await;
    assert_eq!(me["me"]["memberships"].as_array().expect("list").len(), 2);

    let switched = app
        .ok(
            Some(&first.access_token),
            "mutation($id: ID!) { switchTenant(input: { tenantId: $id }) { accessToken tenantId } }",
            json!({ "id": second.tenant_id }),
        )
        .await;
    assert_eq!(switched["switchTenant"]["tenantId"], second.tenant_id);
    let token = text(&switched["switchTenant"]["accessToken"]);
    let now_in = app.ok(Some(&token), ME, json!({})).await;
    assert_eq!(now_in["me"]["currentTenantId"], second.tenant_id);
    assert!(
        !now_in["me"]["permissions"]
            .as_array()
            .expect("list")
            .iter()
            .any(|p| p == "users.write")
    );
    // The session moved: the token for the first business no longer speaks for it.
    let old = app.gql(Some(&first.access_token), ME, json!({})).await;
    assert_eq!(error_ext(&old, "reason"), "SESSION_REVOKED");
}

/// A database dump alone does not reveal two-factor seeds or webhook signing secrets.
#[tokio::test]
async fn stored_secrets_are_encrypted() {
    use sea_orm::EntityTrait;
    use tianguis_entity::automation::webhook_endpoints;
    use tianguis_entity::tenancy::users;

    let app = TestApp::spawn().await;
    let owner = app.sign_up().await;
    let enrollment = app
        .ok(
            Some(&owner.access_token),
            "mutation { enrollTotp { secret } }",
            json!({}),
        )
        .await;
    let totp_secret = text(&enrollment["enrollTotp"]["secret"]);
    let endpoint = app
        .ok(
            Some(&owner.access_token),
            "mutation { createWebhookEndpoint(input: { url: \"http://127.0.0.1:9/hook\", eventTypes: [\"*\"] }) { secret } }",
            json!({}),
        )
        .await;
    let signing_secret = text(&endpoint["createWebhookEndpoint"]["secret"]);

    let db = &app.state.deps.db;
    let user_id = uuid::Uuid::parse_str(&owner.user_id).expect("id");
    let stored_seed = users::Entity::find_by_id(user_id)
        .one(db)
        .await
        .expect("query")
        .expect("user")
        .totp_secret
        .expect("seed");
    let stored_signing = webhook_endpoints::Entity::find()
        .all(db)
        .await
        .expect("query")
        .pop()
        .expect("endpoint")
        .secret;
    for (stored, plain) in [(stored_seed, totp_secret), (stored_signing, signing_secret)] {
        assert!(stored.starts_with("v1:"), "{stored}");
        assert!(!stored.contains(&plain));
        assert_eq!(app.state.deps.secrets.open(&stored).expect("opens"), plain);
    }
}

/// A throttle quick enough for a test: one free failure, locked at the third.
fn quick_throttle(config: &mut tianguis::Config) {
    config.login_throttle.free_failures = 1;
    config.login_throttle.lock_after = 3;
    config.login_throttle.base_delay = std::time::Duration::from_millis(1);
    config.login_throttle.max_delay = std::time::Duration::from_millis(4);
}

#[tokio::test]
async fn repeated_failed_log_ins_lock_the_account_alike_whether_it_exists_and_tell_its_owner() {
    let sink = crate::mail_sink::SmtpSink::start();
    let url = sink.url.clone();
    let mut sink = sink;
    let app = TestApp::spawn_with(move |c| {
        quick_throttle(c);
        c.smtp_url = Some(tianguis::config::Secret::new(url));
    })
    .await;
    let owner = app.sign_up().await;
    let nobody = format!("{}@example.mx", unique("nobody"));
    let attempt = |email: String, password: &'static str| {
        let app = &app;
        async move {
            app.gql(
                None,
                LOG_IN,
                json!({ "input": { "email": email, "password": password } }),
            )
            .await
        }
    };
    for email in [owner.email.clone(), nobody.clone()] {
        let mut answers = Vec::new();
        for _ in 0..3 {
            let body = attempt(email.clone(), "not-the-password-1").await;
            answers.push(error_ext(&body, "reason"));
        }
        assert_eq!(answers, ["INVALID_CREDENTIALS"; 3], "{email}");
        // Locked: even the right password is refused until the window ends.
        let locked = attempt(email.clone(), PASSWORD).await;
        assert_eq!(error_code(&locked), "RATE_LIMITED", "{email}: {locked}");
        assert!(locked["errors"][0]["extensions"]["retryAfter"].as_u64() > Some(0));
    }
    // The owner's mail holds the sign-up's verification, then the notice.
    let mut subjects = Vec::new();
    while !subjects
        .iter()
        .any(|s: &String| s.contains("Pausamos") || s.contains("paused"))
    {
        assert!(subjects.len() < 3, "no lock-out notice among {subjects:?}");
        let mail = sink.next_to(&owner.email).await;
        subjects.push(mail.header("Subject").unwrap_or_default());
    }

    // Another account from the same address is not held by the first one's lock.
    let other = app.sign_up().await;
    app.ok(
        None,
        LOG_IN,
        json!({ "input": { "email": other.email, "password": PASSWORD } }),
    )
    .await;
}

#[tokio::test]
async fn failed_log_ins_from_one_address_are_limited_over_every_account_it_tries() {
    let app = TestApp::spawn_with(|c| {
        quick_throttle(c);
        c.login_throttle.per_address = 4;
    })
    .await;
    // An address of this test's own: the counters are shared by every test.
    let client = client_from_own_address();
    let log_in = |email: String, password: &'static str| {
        let client = &client;
        let url = format!("{}/graphql", app.base);
        async move {
            client
                .post(url)
                .json(&json!({ "query": LOG_IN, "variables": { "input": {
                    "email": email, "password": password } } }))
                .send()
                .await
                .expect("sent")
                .json::<serde_json::Value>()
                .await
                .expect("json")
        }
    };
    let wrong = "not-the-password-1";
    for _ in 0..4 {
        let body = log_in(format!("{}@example.mx", unique("guess")), wrong).await;
        assert_eq!(error_ext(&body, "reason"), "INVALID_CREDENTIALS");
    }
    let body = log_in(format!("{}@example.mx", unique("guess")), wrong).await;
    assert_eq!(error_code(&body), "RATE_LIMITED", "{body}");

    // Another address is not affected. (127.0.0.1 is not it: every test fails log-ins
    // from there, and the counters are shared.)
    let owner = app.sign_up().await;
    let other = client_from_own_address();
    let body: serde_json::Value = other
        .post(format!("{}/graphql", app.base))
        .json(&json!({ "query": LOG_IN, "variables": { "input": {
            "email": owner.email, "password": PASSWORD } } }))
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("json");
    assert!(body.get("errors").is_none(), "{body}");
}

/// A client on a loopback address of its own: throttling counters are shared by every test.
fn client_from_own_address() -> reqwest::Client {
    let address = std::net::IpAddr::from([127, 0, rand_octet(), rand_octet()]);
    reqwest::Client::builder()
        .local_address(address)
        .build()
        .expect("client")
}

fn rand_octet() -> u8 {
    (uuid::Uuid::new_v4().as_u128() % 250) as u8 + 2
}

/// The first answer of `replica` to `token` that is an error, asked until it comes: the
/// notice of a change reaches another replica through Redis a moment after the change.
async fn refused_by(replica: &TestApp, token: &str) -> serde_json::Value {
    for _ in 0..400 {
        let body = replica.gql(Some(token), ME, json!({})).await;
        if body.get("errors").is_some() {
            return body;
        }
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    panic!("the other replica kept accepting the token");
}

#[tokio::test]
async fn an_ended_session_or_suspended_member_stops_on_every_replica_though_sessions_are_cached() {
    let app = TestApp::spawn().await;
    let owner = app.sign_up().await;
    let sales = app.join_as(&owner, "sales").await;
    let Some(other) = app.second_replica().await else {
        return;
    };
    // Each replica has read, and now remembers, both sessions.
    for replica in [&app, &other] {
        for session in [&owner, &sales] {
            replica.ok(Some(&session.access_token), ME, json!({})).await;
        }
    }

    app.ok(Some(&owner.access_token), "mutation { logOut }", json!({}))
        .await;
    // At once where it ended, and on the other replica as soon as the notice arrives.
    let here = app.gql(Some(&owner.access_token), ME, json!({})).await;
    assert_eq!(error_ext(&here, "reason"), "SESSION_REVOKED");
    let there = refused_by(&other, &owner.access_token).await;
    assert_eq!(error_ext(&there, "reason"), "SESSION_REVOKED");

    let owner = app_login(&app, &owner).await;
    let members = app
        .ok(
            Some(&owner.access_token),
            "{ members { edges { node { id user { email } } } } }",
            json!({}),
        )
        .await;
    let member_id = members["members"]["edges"]
        .as_array()
        .expect("members")
        .iter()
        .find(|edge| edge["node"]["user"]["email"] == sales.email.as_str())
        .map(|edge| text(&edge["node"]["id"]))
        .expect("the sales member");
    app.ok(
        Some(&owner.access_token),
        "mutation($id: ID!) { suspendMember(input: { id: $id }) { status } }",
        json!({ "id": member_id }),
    )
    .await;
    let there = refused_by(&other, &sales.access_token).await;
    assert_eq!(error_ext(&there, "reason"), "NO_MEMBERSHIP");
}

/// A new session for `session`'s user, by logging in again.
async fn app_login(app: &TestApp, session: &Session) -> Session {
    let logged_in = app
        .ok(
            None,
            LOG_IN,
            json!({ "input": { "email": session.email, "password": PASSWORD } }),
        )
        .await;
    Session {
        access_token: text(&logged_in["logIn"]["accessToken"]),
        refresh_token: text(&logged_in["logIn"]["refreshToken"]),
        ..session.clone()
    }
}
