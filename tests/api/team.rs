//! Members, roles, invitations, permissions per role and the audit log.

use crate::helpers::*;
use serde_json::json;

#[tokio::test]
async fn each_system_role_gets_exactly_its_permissions() {
    let app = TestApp::spawn().await;
    let owner = app.sign_up().await;
    app.on_plan(&owner, "pro").await;
    // (role, may manage custom roles, may read the audit log, may read members)
    let expectations = [
        ("admin", true, true, true),
        ("manager", false, true, true),
        ("sales", false, false, true),
        ("marketing", false, false, true),
        ("agent", false, false, true),
        ("analyst", false, true, true),
        ("viewer", false, false, false),
        ("cashier", false, false, false),
    ];
    for (role, roles_write, audit_read, users_read) in expectations {
        let member = app.join_as(&owner, role).await;
        let token = Some(member.access_token.as_str());
        let create = app
            .gql(
                token,
                "mutation($n: String!) { createRole(input: { name: $n, permissions: [] }) { id } }",
                json!({ "n": unique("role") }),
            )
            .await;
        let audit = app
            .gql(token, "{ auditLogs { totalCount } }", json!({}))
            .await;
        let members = app
            .gql(token, "{ members { totalCount } }", json!({}))
            .await;
        for (body, allowed, what) in [
            (create, roles_write, "createRole"),
            (audit, audit_read, "auditLogs"),
            (members, users_read, "members"),
        ] {
            if allowed {
                assert!(
                    body.get("errors").is_none(),
                    "{role} should be allowed {what}: {body}"
                );
            } else {
                assert_eq!(
                    error_code(&body),
                    "FORBIDDEN",
                    "{role} must not {what}: {body}"
                );
            }
        }
    }
}

#[tokio::test]
async fn a_suspended_or_removed_member_is_locked_out_at_once() {
    let app = TestApp::spawn().await;
    let owner = app.sign_up().await;
    let sales = app.join_as(&owner, "sales").await;
    let me = "{ me { user { email } } }";
    app.ok(Some(&sales.access_token), me, json!({})).await;
    let member_id = member_id_of(&app, &owner, &sales.email).await;

    app.ok(
        Some(&owner.access_token),
        "mutation($id: ID!) { suspendMember(input: { id: $id }) { status } }",
        json!({ "id": member_id }),
    )
    .await;
    let body = app.gql(Some(&sales.access_token), me, json!({})).await;
    assert_eq!(error_ext(&body, "reason"), "NO_MEMBERSHIP");

    app.ok(
        Some(&owner.access_token),
        "mutation($id: ID!) { reactivateMember(input: { id: $id }) { status } }",
        json!({ "id": member_id }),
    )
    .await;
    app.ok(Some(&sales.access_token), me, json!({})).await;

    app.ok(
        Some(&owner.access_token),
        "mutation($id: ID!) { removeMember(input: { id: $id }) }",
        json!({ "id": member_id }),
    )
    .await;
    let body = app.gql(Some(&sales.access_token), me, json!({})).await;
    assert_eq!(error_code(&body), "UNAUTHENTICATED");
}

async fn member_id_of(app: &TestApp, owner: &Session, email: &str) -> String {
    let data = app
        .ok(
            Some(&owner.access_token),
            "{ members(first: 100) { edges { node { id user { email } } } } }",
            json!({}),
        )
        .await;
    data["members"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .find(|e| e["node"]["user"]["email"] == email)
        .map(|e| text(&e["node"]["id"]))
        .expect("member listed")
}

#[tokio::test]
async fn the_last_owner_cannot_leave_or_be_demoted() {
    let app = TestApp::spawn().await;
    let owner = app.sign_up().await;
    let own_id = member_id_of(&app, &owner, &owner.email).await;
    let admin_role = app.role_id(&owner, "admin").await;
    let demote = app
        .gql(
            Some(&owner.access_token),
            "mutation($m: ID!, $r: ID!) { changeMemberRole(input: { memberId: $m, roleId: $r }) { id } }",
            json!({ "m": own_id, "r": admin_role }),
        )
        .await;
    assert_eq!(error_code(&demote), "CONFLICT");
    let leave = app
        .gql(
            Some(&owner.access_token),
            "mutation($id: ID!) { removeMember(input: { id: $id }) }",
            json!({ "id": own_id }),
        )
        .await;
    assert_eq!(error_code(&leave), "CONFLICT");

    // An admin cannot touch the owner at all.
    let admin = app.join_as(&owner, "admin").await;
    let body = app
        .gql(
            Some(&admin.access_token),
            "mutation($id: ID!) { suspendMember(input: { id: $id }) { id } }",
            json!({ "id": own_id }),
        )
        .await;
    assert!(
        ["FORBIDDEN", "CONFLICT"].contains(&error_code(&body).as_str()),
        "{body}"
    );
}

#[tokio::test]
async fn custom_roles_are_created_changed_and_deleted_with_their_rules() {
    let app = TestApp::spawn().await;
    let owner = app.sign_up().await;
    let token = Some(owner.access_token.as_str());
    let created = app
        .ok(
            token,
            "mutation { createRole(input: { name: \"Cajero\", permissions: [\"pos.operate\"] }) { id key isSystem permissions } }",
            json!({}),
        )
        .await;
    let role = &created["createRole"];
    assert_eq!(role["isSystem"], false);
    assert_eq!(role["permissions"], json!(["pos.operate"]));
    let id = text(&role["id"]);

    let unknown = app
        .gql(token, "mutation($id: ID!) { updateRole(input: { id: $id, permissions: [\"no.such\"] }) { id } }", json!({ "id": id }))
        .await;
    assert_eq!(error_ext(&unknown, "field"), "permissions");
    let updated = app
        .ok(
            token,
            "mutation($id: ID!) { updateRole(input: { id: $id, name: \"Caja\", permissions: [\"commerce.read\"] }) { name permissions } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(
        updated["updateRole"]["permissions"],
        json!(["commerce.read"])
    );

    let system = app.role_id(&owner, "viewer").await;
    let body = app
        .gql(
            token,
            "mutation($id: ID!) { deleteRole(input: { id: $id }) }",
            json!({ "id": system }),
        )
        .await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT");

    let duplicate = app
        .gql(
            token,
            "mutation { createRole(input: { name: \"Caja\", permissions: [] }) { id } }",
            json!({}),
        )
        .await;
    assert!(
        duplicate.get("errors").is_none(),
        "a new name is free: {duplicate}"
    );
    let same = app
        .gql(
            token,
            "mutation { createRole(input: { name: \"Caja\", permissions: [] }) { id } }",
            json!({}),
        )
        .await;
    assert_eq!(error_code(&same), "CONFLICT");

    app.ok(
        token,
        "mutation($id: ID!) { deleteRole(input: { id: $id }) }",
        json!({ "id": id }),
    )
    .await;
    let gone = app
        .gql(
            token,
            "mutation($id: ID!) { deleteRole(input: { id: $id }) }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(error_code(&gone), "NOT_FOUND");
}

#[tokio::test]
async fn invitations_are_listed_revoked_and_accepted_once() {
    let app = TestApp::spawn().await;
    let owner = app.sign_up().await;
    let token = Some(owner.access_token.as_str());
    let role_id = app.role_id(&owner, "agent").await;
    let create = "mutation($input: CreateInvitationInput!) { createInvitation(input: $input) { token invitation { id status role { key } } } }";
    let email = format!("{}@example.mx", unique("agent"));
    let first = app
        .ok(
            token,
            create,
            json!({ "input": { "email": email, "roleId": role_id } }),
        )
        .await;
    assert_eq!(
        first["createInvitation"]["invitation"]["role"]["key"],
        "agent"
    );
    let again = app
        .gql(
            token,
            create,
            json!({ "input": { "email": email, "roleId": role_id } }),
        )
        .await;
    assert_eq!(error_code(&again), "CONFLICT");

    let id = text(&first["createInvitation"]["invitation"]["id"]);
    app.ok(
        token,
        "mutation($id: ID!) { revokeInvitation(input: { id: $id }) { status } }",
        json!({ "id": id }),
    )
    .await;
    let accept =
        "mutation($input: AcceptInvitationInput!) { acceptInvitation(input: $input) { tenantId } }";
    let revoked = app
        .gql(None, accept, json!({ "input": { "token": first["createInvitation"]["token"], "displayName": "A", "password": PASSWORD } }))
        .await;
    assert_eq!(error_ext(&revoked, "field"), "token");

    let second = app
        .ok(
            token,
            create,
            json!({ "input": { "email": email, "roleId": role_id } }),
        )
        .await;
    let input = json!({ "input": { "token": second["createInvitation"]["token"], "displayName": "A", "password": PASSWORD } });
    app.ok(None, accept, input.clone()).await;
    let twice = app.gql(None, accept, input).await;
    assert_eq!(error_ext(&twice, "field"), "token");

    let listed = app.ok(token, "{ invitations(status: REVOKED) { totalCount } accepted: invitations(status: ACCEPTED) { totalCount } }", json!({})).await;
    assert_eq!(listed["invitations"]["totalCount"], 1);
    assert_eq!(listed["accepted"]["totalCount"], 1);
}

#[tokio::test]
async fn state_changes_are_written_to_the_audit_log() {
    let app = TestApp::spawn().await;
    let owner = app.sign_up().await;
    let token = Some(owner.access_token.as_str());
    app.ok(token, "mutation { updateTenantSettings(input: { name: \"Tortillería Lupita\", timezone: \"America/Monterrey\" }) { name timezone } }", json!({}))
        .await;
    app.ok(
        token,
        "mutation { createApiKey(input: { name: \"k\", scopes: [\"users.read\"] }) { secret } }",
        json!({}),
    )
    .await;
    let log = app
        .ok(token, "{ auditLogs(first: 10) { totalCount edges { node { action actorType actorId ip requestId } } } }", json!({}))
        .await;
    let actions: Vec<&str> = log["auditLogs"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| e["node"]["action"].as_str().expect("action"))
        .collect();
    assert_eq!(
        actions,
        [
            "tenancy.api_key.created",
            "tenancy.tenant.settings_updated",
            "tenancy.tenant.created"
        ]
    );
    let newest = &log["auditLogs"]["edges"][0]["node"];
    assert_eq!(newest["actorType"], "user");
    assert_eq!(newest["actorId"], owner.user_id);
    assert_eq!(newest["ip"], "127.0.0.1");
    assert!(newest["requestId"].is_string());

    let filtered = app
        .ok(
            token,
            "{ auditLogs(filter: { action: \"tenancy.tenant.created\" }) { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(filtered["auditLogs"]["totalCount"], 1);
}

#[tokio::test]
async fn pages_walk_forward_and_back_with_opaque_cursors() {
    let app = TestApp::spawn().await;
    let owner = app.sign_up().await;
    let token = Some(owner.access_token.as_str());
    let query = "query($first: Int, $after: String, $last: Int, $before: String) {
        roles(first: $first, after: $after, last: $last, before: $before) {
          totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { node { key } } } }";
    let page1 = app.ok(token, query, json!({ "first": 3 })).await;
    assert_eq!(page1["roles"]["totalCount"], 10);
    assert_eq!(page1["roles"]["pageInfo"]["hasNextPage"], true);
    let keys = |page: &serde_json::Value| -> Vec<String> {
        page["roles"]["edges"]
            .as_array()
            .expect("edges")
            .iter()
            .map(|e| text(&e["node"]["key"]))
            .collect()
    };
    assert_eq!(keys(&page1), ["owner", "admin", "manager"]);
    let page2 = app
        .ok(
            token,
            query,
            json!({ "first": 3, "after": page1["roles"]["pageInfo"]["endCursor"] }),
        )
        .await;
    assert_eq!(keys(&page2), ["sales", "marketing", "agent"]);
    let back = app
        .ok(
            token,
            query,
            json!({ "last": 2, "before": page2["roles"]["pageInfo"]["startCursor"] }),
        )
        .await;
    assert_eq!(keys(&back), ["admin", "manager"]);
    assert_eq!(back["roles"]["pageInfo"]["hasPreviousPage"], true);

    let too_big = app.gql(token, query, json!({ "first": 101 })).await;
    assert_eq!(error_ext(&too_big, "field"), "first");
    let bad_cursor = app
        .gql(token, query, json!({ "first": 1, "after": "garbage" }))
        .await;
    assert_eq!(error_ext(&bad_cursor, "field"), "after");
}

/// Nested relations come from DataLoaders: the statements a members page costs do not grow
/// with the number of members on it.
#[tokio::test]
async fn a_members_page_costs_the_same_statements_whatever_its_size() {
    // No background dispatcher, so every statement counted is the request's own.
    let app = TestApp::spawn_with(|c| c.in_process_workers = false).await;
    let owner = app.sign_up().await;
    app.on_plan(&owner, "pro").await;
    // The plan change made every replica forget the session; the first request reads it again.
    app.ok(
        Some(&owner.access_token),
        "{ me { currentTenantId } }",
        json!({}),
    )
    .await;
    let query = "{ members(first: 50) { totalCount edges { node { id user { email displayName } role { key permissions } } } } }";
    // Work off the request (a session read again, another test's replica notice) shares the
    // counter and only adds to it: the fewest of a few runs is the page's own cost.
    let fewest = || async {
        let mut fewest = u64::MAX;
        let mut body = json!(null);
        for _ in 0..3 {
            let before = app.sql_statements();
            body = app.ok(Some(&owner.access_token), query, json!({})).await;
            fewest = fewest.min(app.sql_statements() - before);
        }
        (body, fewest)
    };

    let (one, with_one) = fewest().await;
    assert_eq!(one["members"]["totalCount"], 1);
    assert!(with_one > 0, "statements are counted");

    for role in ["sales", "agent", "viewer", "manager"] {
        app.join_as(&owner, role).await;
    }
    let (five, with_five) = fewest().await;
    assert_eq!(five["members"]["totalCount"], 5);
    assert_eq!(with_one, with_five, "statements grew with the page");
    assert!(with_five <= 12, "{with_five} statements for one page");
}

#[tokio::test]
async fn the_free_plan_seats_three_people_counting_pending_invitations() {
    let app = TestApp::spawn().await;
    let owner = app.sign_up().await;
    let role = app.role_id(&owner, "sales").await;
    let create = "mutation($input: CreateInvitationInput!) { createInvitation(input: $input) { invitation { id } } }";
    for n in 0..2 {
        app.ok(
            Some(&owner.access_token),
            create,
            json!({ "input": { "email": format!("{}@tianguis.mx", unique(&format!("seat{n}"))), "roleId": role } }),
        )
        .await;
    }
    let fourth = app
        .gql(
            Some(&owner.access_token),
            create,
            json!({ "input": { "email": format!("{}@tianguis.mx", unique("seat3")), "roleId": role } }),
        )
        .await;
    assert_eq!(error_code(&fourth), "PLAN_LIMIT", "{fourth}");
    assert!(
        fourth["errors"][0]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("3 users"),
        "{fourth}"
    );
}
