//! Another tenant can neither see nor touch a tenant's records, through any operation.

use serde_json::{Value, json};

use crate::helpers::*;

struct TenantA {
    owner: Session,
    role_id: String,
    member_id: String,
    invitation_id: String,
    api_key_id: String,
}

async fn tenant_with_one_of_everything(app: &TestApp) -> TenantA {
    let owner = app.sign_up().await;
    let token = Some(owner.access_token.as_str());
    let role = app
        .ok(token, "mutation { createRole(input: { name: \"Secreto\", permissions: [\"users.read\"] }) { id } }", json!({}))
        .await;
    let role_id = text(&role["createRole"]["id"]);
    let member = app.join_as(&owner, "sales").await;
    let members = app
        .ok(
            token,
            "{ members(first: 10) { edges { node { id user { email } } } } }",
            json!({}),
        )
        .await;
    let member_id = members["members"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .find(|e| e["node"]["user"]["email"] == member.email)
        .map(|e| text(&e["node"]["id"]))
        .expect("member");
    let invitation = app
        .ok(
            token,
            "mutation($r: ID!) { createInvitation(input: { email: \"pending@example.mx\", roleId: $r }) { invitation { id } } }",
            json!({ "r": role_id }),
        )
        .await;
    let key = app
        .ok(token, "mutation { createApiKey(input: { name: \"k\", scopes: [\"users.read\"] }) { apiKey { id } } }", json!({}))
        .await;
    TenantA {
        owner,
        role_id,
        member_id,
        invitation_id: text(&invitation["createInvitation"]["invitation"]["id"]),
        api_key_id: text(&key["createApiKey"]["apiKey"]["id"]),
    }
}

fn ids(body: &Value, field: &str) -> Vec<String> {
    body[field]["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("no {field} in {body}"))
        .iter()
        .map(|e| text(&e["node"]["id"]))
        .collect()
}

#[tokio::test]
async fn another_tenant_cannot_list_any_tenancy_record() {
    let app = TestApp::spawn().await;
    let a = tenant_with_one_of_everything(&app).await;
    let b = app.sign_up().await;
    let lists = app
        .ok(
            Some(&b.access_token),
            "{ roles(first: 100) { edges { node { id } } } members(first: 100) { edges { node { id } } }
               invitations(first: 100) { edges { node { id } } } apiKeys(first: 100) { edges { node { id } } }
               auditLogs(first: 100) { edges { node { id subjectId } } } tenant { id } me { memberships { tenant { id } } } }",
            json!({}),
        )
        .await;
    assert!(!ids(&lists, "roles").contains(&a.role_id));
    assert!(!ids(&lists, "members").contains(&a.member_id));
    assert!(!ids(&lists, "invitations").contains(&a.invitation_id));
    assert!(!ids(&lists, "apiKeys").contains(&a.api_key_id));
    assert_eq!(ids(&lists, "members").len(), 1);
    assert_eq!(ids(&lists, "invitations").len(), 0);
    assert_eq!(ids(&lists, "apiKeys").len(), 0);
    for entry in lists["auditLogs"]["edges"].as_array().expect("edges") {
        assert_ne!(entry["node"]["subjectId"], json!(a.role_id));
    }
    assert_eq!(lists["tenant"]["id"], b.tenant_id);
    assert_eq!(
        lists["me"]["memberships"].as_array().expect("list").len(),
        1
    );
    let filtered = app
        .ok(
            Some(&b.access_token),
            "query($s: ID!) { auditLogs(filter: { subjectId: $s }) { totalCount } }",
            json!({ "s": a.role_id }),
        )
        .await;
    assert_eq!(filtered["auditLogs"]["totalCount"], 0);
}

#[tokio::test]
async fn another_tenant_cannot_change_or_delete_any_tenancy_record() {
    let app = TestApp::spawn().await;
    let a = tenant_with_one_of_everything(&app).await;
    let b = app.sign_up().await;
    let b_role = app.role_id(&b, "viewer").await;
    let b_member = app
        .ok(
            Some(&b.access_token),
            "{ members { edges { node { id } } } }",
            json!({}),
        )
        .await["members"]["edges"][0]["node"]["id"]
        .clone();
    let attempts = [
        (
            "mutation($id: ID!) { updateRole(input: { id: $id, name: \"x\" }) { id } }",
            json!({ "id": a.role_id }),
            "NOT_FOUND",
        ),
        (
            "mutation($id: ID!) { deleteRole(input: { id: $id }) }",
            json!({ "id": a.role_id }),
            "NOT_FOUND",
        ),
        (
            "mutation($id: ID!) { revokeInvitation(input: { id: $id }) { id } }",
            json!({ "id": a.invitation_id }),
            "NOT_FOUND",
        ),
        (
            "mutation($id: ID!) { revokeApiKey(input: { id: $id }) { id } }",
            json!({ "id": a.api_key_id }),
            "NOT_FOUND",
        ),
        (
            "mutation($id: ID!) { suspendMember(input: { id: $id }) { id } }",
            json!({ "id": a.member_id }),
            "NOT_FOUND",
        ),
        (
            "mutation($id: ID!) { removeMember(input: { id: $id }) }",
            json!({ "id": a.member_id }),
            "NOT_FOUND",
        ),
        (
            "mutation($m: ID!, $r: ID!) { changeMemberRole(input: { memberId: $m, roleId: $r }) { id } }",
            json!({ "m": a.member_id, "r": b_role }),
            "NOT_FOUND",
        ),
        (
            "mutation($m: ID!, $r: ID!) { changeMemberRole(input: { memberId: $m, roleId: $r }) { id } }",
            json!({ "m": b_member, "r": a.role_id }),
            "BAD_USER_INPUT",
        ),
        (
            "mutation($r: ID!) { createInvitation(input: { email: \"x@example.mx\", roleId: $r }) { token } }",
            json!({ "r": a.role_id }),
            "BAD_USER_INPUT",
        ),
        (
            "mutation($id: ID!) { switchTenant(input: { tenantId: $id }) { accessToken } }",
            json!({ "id": a.owner.tenant_id }),
            "NOT_FOUND",
        ),
    ];
    for (query, variables, code) in attempts {
        let body = app.gql(Some(&b.access_token), query, variables).await;
        assert_eq!(error_code(&body), code, "{query}: {body}");
    }

    // Everything of A's is as it was.
    let a_view = app
        .ok(
            Some(&a.owner.access_token),
            "{ roles(first: 100) { edges { node { id name } } } members { edges { node { id status } } }
               invitations(status: PENDING) { totalCount } apiKeys { edges { node { revokedAt } } } }",
            json!({}),
        )
        .await;
    assert!(
        a_view["roles"]["edges"]
            .as_array()
            .expect("edges")
            .iter()
            .any(|e| e["node"]["name"] == "Secreto")
    );
    assert!(
        a_view["members"]["edges"]
            .as_array()
            .expect("edges")
            .iter()
            .all(|e| e["node"]["status"] == "ACTIVE")
    );
    assert_eq!(
        a_view["members"]["edges"].as_array().expect("edges").len(),
        2
    );
    assert_eq!(a_view["invitations"]["totalCount"], 1);
    assert!(a_view["apiKeys"]["edges"][0]["node"]["revokedAt"].is_null());
}

#[tokio::test]
async fn an_api_key_of_one_tenant_reads_only_that_tenant() {
    let app = TestApp::spawn().await;
    let a = app.sign_up().await;
    let b = app.sign_up().await;
    let key = app
        .ok(Some(&a.access_token), "mutation { createApiKey(input: { name: \"k\", scopes: [\"users.read\"] }) { secret } }", json!({}))
        .await;
    let secret = text(&key["createApiKey"]["secret"]);
    let members = app
        .ok(
            Some(&secret),
            "{ members { edges { node { user { email } } } } }",
            json!({}),
        )
        .await;
    let emails: Vec<String> = members["members"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| text(&e["node"]["user"]["email"]))
        .collect();
    assert_eq!(emails, [a.email]);
    assert!(!emails.contains(&b.email));
}
