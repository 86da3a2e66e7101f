//! Transactional email through a real SMTP server: invitations, verification, password
//! reset, new sign-in notices; each sent once.

use crate::helpers::*;
use serde_json::json;
use std::time::Duration;
use tianguis_domain::email::SendEmail;
use tianguis_domain::ports::Job;

#[tokio::test]
async fn an_invitation_is_emailed_once_in_the_business_language_with_a_working_link() {
    let (app, mut sink) = app_with_smtp().await;
    let owner = app.sign_up().await;
    sink.next_to(&owner.email).await; // the owner's address confirmation
    let role_id = app.role_id(&owner, "sales").await;
    let invitee = format!("{}@example.mx", unique("invitee"));
    app.ok(
        Some(&owner.access_token),
        "mutation($input: CreateInvitationInput!) { createInvitation(input: $input) { token } }",
        json!({ "input": { "email": invitee, "roleId": role_id } }),
    )
    .await;
    let mail = sink.next_to(&invitee).await;
    let subject = mail.header("Subject").expect("subject");
    assert!(
        subject.contains("te invit") || subject.contains("=?utf-8?"),
        "{subject}"
    );
    let message_id = mail.header("Message-ID").expect("message id");
    assert!(
        message_id.starts_with('<') && message_id.ends_with("@tianguis>"),
        "{message_id}"
    );
    assert!(
        mail.data.contains("text/plain") && mail.data.contains("text/html"),
        "both parts"
    );

    let token = mail.token_for("accept-invitation");
    let accepted = app
        .ok(
            None,
            "mutation($t: String!) { acceptInvitation(input: { token: $t, displayName: \"Nuevo\", password: \"tortilla-de-maiz-7\" }) { tenantId } }",
            json!({ "t": token }),
        )
        .await;
    assert_eq!(accepted["acceptInvitation"]["tenantId"], owner.tenant_id);
    sink.assert_quiet(Duration::from_millis(500)).await;

    // In English once the business speaks English.
    app.ok(
        Some(&owner.access_token),
        "mutation { updateTenantSettings(input: { locale: \"en-US\" }) { id } }",
        json!({}),
    )
    .await;
    let second = format!("{}@example.mx", unique("invitee"));
    app.ok(
        Some(&owner.access_token),
        "mutation($input: CreateInvitationInput!) { createInvitation(input: $input) { token } }",
        json!({ "input": { "email": second, "roleId": role_id } }),
    )
    .await;
    let mail = sink.next_to(&second).await;
    assert!(
        mail.header("Subject")
            .expect("subject")
            .contains("invited you"),
        "{}",
        mail.data
    );
}

#[tokio::test]
async fn signing_up_sends_a_confirmation_that_verifies_the_address() {
    let (app, mut sink) = app_with_smtp().await;
    let owner = app.sign_up().await;
    let mail = sink.next_to(&owner.email).await;
    let me = "{ me { user { emailVerified } } }";
    assert_eq!(
        app.ok(Some(&owner.access_token), me, json!({})).await["me"]["user"]["emailVerified"],
        false
    );
    let token = mail.token_for("verify-email");
    app.ok(
        None,
        "mutation($t: String!) { verifyEmail(input: { token: $t }) }",
        json!({ "t": token }),
    )
    .await;
    assert_eq!(
        app.ok(Some(&owner.access_token), me, json!({})).await["me"]["user"]["emailVerified"],
        true
    );
    let again = app
        .gql(
            None,
            "mutation($t: String!) { verifyEmail(input: { token: $t }) }",
            json!({ "t": token }),
        )
        .await;
    assert_eq!(error_ext(&again, "field"), "token");
}

#[tokio::test]
async fn a_password_reset_sets_a_new_password_and_ends_every_session() {
    let (app, mut sink) = app_with_smtp().await;
    let owner = app.sign_up().await;
    sink.next_to(&owner.email).await;
    let request = "mutation($e: String!) { requestPasswordReset(input: { email: $e }) }";
    // Unknown addresses get the same answer and no email.
    assert_eq!(
        app.ok(None, request, json!({ "e": "nobody@example.mx" }))
            .await["requestPasswordReset"],
        true
    );
    sink.assert_quiet(Duration::from_millis(300)).await;
    app.ok(None, request, json!({ "e": owner.email })).await;
    let token = sink.next_to(&owner.email).await.token_for("reset-password");

    let reset =
        "mutation($t: String!, $p: String!) { resetPassword(input: { token: $t, password: $p }) }";
    let weak = app
        .gql(None, reset, json!({ "t": token, "p": "short" }))
        .await;
    assert_eq!(error_ext(&weak, "field"), "password");
    app.ok(None, reset, json!({ "t": token, "p": "elote-con-chile-9" }))
        .await;
    let reused = app
        .gql(None, reset, json!({ "t": token, "p": "elote-con-chile-9" }))
        .await;
    assert_eq!(error_ext(&reused, "field"), "token");

    let me = app
        .gql(
            Some(&owner.access_token),
            "{ me { user { email } } }",
            json!({}),
        )
        .await;
    assert_eq!(error_ext(&me, "reason"), "SESSION_REVOKED");
    let log_in = "mutation($e: String!, $p: String!) { logIn(input: { email: $e, password: $p }) { accessToken } }";
    let old = app
        .gql(None, log_in, json!({ "e": owner.email, "p": PASSWORD }))
        .await;
    assert_eq!(error_ext(&old, "reason"), "INVALID_CREDENTIALS");
    app.ok(
        None,
        log_in,
        json!({ "e": owner.email, "p": "elote-con-chile-9" }),
    )
    .await;
}

#[tokio::test]
async fn a_sign_in_from_a_new_device_is_announced_once() {
    let (app, mut sink) = app_with_smtp().await;
    let owner = app.sign_up().await;
    sink.next_to(&owner.email).await;
    let log_in = |agent: &'static str| {
        let app = &app;
        let email = owner.email.clone();
        async move {
            app.client
                .post(format!("{}/graphql", app.base))
                .header("user-agent", agent)
                .json(&json!({
                    "query": "mutation($e: String!) { logIn(input: { email: $e, password: \"tortilla-de-maiz-7\" }) { accessToken } }",
                    "variables": { "e": email },
                }))
                .send()
                .await
                .expect("sent");
        }
    };
    log_in("Phone/1.0").await;
    let notice = sink.next_to(&owner.email).await;
    assert!(
        notice.data.contains("Phone/1.0"),
        "the notice names the device"
    );
    log_in("Phone/1.0").await;
    sink.assert_quiet(Duration::from_millis(500)).await;
    log_in("Laptop/2.0").await;
    assert!(sink.next_to(&owner.email).await.data.contains("Laptop/2.0"));
}

#[tokio::test]
async fn a_sent_email_is_never_sent_again() {
    let (app, mut sink) = app_with_smtp().await;
    let owner = app.sign_up().await;
    let first = sink.next_to(&owner.email).await;
    let message_id = first.header("Message-ID").expect("message id");
    let email_id = uuid::Uuid::parse_str(
        message_id
            .trim_matches(|c| c == '<' || c == '>')
            .trim_end_matches("@tianguis"),
    )
    .expect("the Message-ID carries the email id");
    // A duplicate job, as a retry after a crash would enqueue.
    app.state
        .deps
        .jobs
        .enqueue(
            Job::new(SendEmail {
                tenant_id: Some(uuid::Uuid::parse_str(&owner.tenant_id).expect("tenant id")),
                email_id,
            }),
            Duration::ZERO,
        )
        .await
        .expect("enqueued");
    sink.assert_quiet(Duration::from_millis(800)).await;
}

#[tokio::test]
async fn without_smtp_emails_land_in_the_mail_folder() {
    let app = TestApp::spawn().await;
    let owner = app.sign_up().await;
    let folder = app.config.data_dir.join("mail");
    let mut found = None;
    for _ in 0..200 {
        found = std::fs::read_dir(&folder)
            .ok()
            .and_then(|mut entries| entries.next())
            .and_then(|e| e.ok())
            .map(|e| e.path());
        if found.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let path = found.expect("an .eml file was written");
    assert_eq!(path.extension().and_then(|e| e.to_str()), Some("eml"));
    let content = std::fs::read_to_string(path).expect("readable");
    assert!(content.contains(&owner.email), "addressed to the new owner");
}

#[tokio::test]
async fn an_email_whose_job_was_lost_is_sent_by_the_sweep() {
    use tianguis_domain::email::{Branding, NewEmail, queue};
    let (app, mut sink) = app_with_smtp().await;
    let owner = app.sign_up().await;
    sink.next_to(&owner.email).await;
    // Committed without its job, as when a process dies between the two.
    queue(
        &app.state.deps.db,
        NewEmail {
            at: chrono::Utc::now(),
            tenant_id: None,
            to: "lost@example.mx",
            locale: "es-MX",
            branding: &Branding::tianguis(),
            template: &tianguis_domain::tenancy::emails::VerifyEmail {
                name: "Lupita",
                link: "https://app.example/verify-email?token=x",
            },
        },
    )
    .await
    .expect("queued");
    sink.assert_quiet(Duration::from_millis(500)).await;
    app.clock.advance(chrono::TimeDelta::minutes(3));
    let mail = sink.next_to("lost@example.mx").await;
    assert!(mail.data.contains("Lupita"));
    sink.assert_quiet(Duration::from_millis(500)).await;
}
