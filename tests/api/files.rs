//! Files filed under records: uploaded by a real multipart client (the GraphQL multipart
//! request spec), downloaded through signed links that expire and are logged, deleted into
//! a bin, restored, purged; limits by type, size and plan; and another business's files out
//! of reach.

use chrono::TimeDelta;
use serde_json::{Value, json};
use sha2::Digest;
use tianguis_domain::ports::Clock;

use crate::fixtures::crm::new_contact;
use crate::helpers::*;

const UPLOAD: &str = "mutation($input: UploadFileInput!) { uploadFile(input: $input) { id name contentType sizeBytes sha256 tags folderKind folderId uploadedBy { id } } }";
const LINK: &str = "mutation($id: ID!) { fileDownloadUrl(id: $id) { url expiresAt } }";

/// Sends `uploadFile` as Apollo's and urql's upload clients do: the operation, the map
/// from parts to variables, and the file part.
async fn upload(
    app: &TestApp,
    session: &Session,
    folder: (&str, &str),
    name: &str,
    bytes: Vec<u8>,
) -> Value {
    let operations = json!({
        "query": UPLOAD,
        "variables": { "input": { "folderKind": folder.0, "folderId": folder.1, "file": null, "tags": ["Contrato", "firmado"] } },
    });
    let form = reqwest::multipart::Form::new()
        .text("operations", operations.to_string())
        .text("map", json!({ "0": ["variables.input.file"] }).to_string())
        .part(
            "0",
            reqwest::multipart::Part::bytes(bytes)
                .file_name(name.to_owned())
                .mime_str("application/pdf")
                .expect("a media type"),
        );
    reqwest::Client::new()
        .post(format!("{}/graphql", app.base))
        .bearer_auth(&session.access_token)
        .multipart(form)
        .send()
        .await
        .expect("uploaded")
        .json()
        .await
        .expect("a GraphQL answer")
}

/// The link's path on the test server.
fn on_server(app: &TestApp, url: &str) -> String {
    let path = &url[url.find("/archivos/").expect("a download address")..];
    format!("{}{path}", app.base)
}

pub async fn fetch(app: &TestApp, url: &str) -> reqwest::Response {
    reqwest::Client::new()
        .get(on_server(app, url))
        .header("user-agent", "Navegador de prueba")
        .send()
        .await
        .expect("fetched")
}

pub async fn link(app: &TestApp, session: &Session, id: &str) -> String {
    let data = app
        .ok(Some(&session.access_token), LINK, json!({ "id": id }))
        .await;
    text(&data["fileDownloadUrl"]["url"])
}

fn pdf_bytes() -> Vec<u8> {
    let mut bytes = b"%PDF-1.4\n".to_vec();
    bytes.extend((0..200_000_u32).map(|i| (i % 251) as u8));
    bytes
}

#[tokio::test]
async fn a_file_is_uploaded_downloaded_by_link_logged_binned_restored_and_purged() {
    let app = TestApp::spawn().await;
    let owner = app.sign_up().await;
    let token = Some(owner.access_token.as_str());
    let contact = new_contact(&app, &owner, json!({ "firstName": "Lucía" })).await;
    let bytes = pdf_bytes();
    let uploaded = upload(
        &app,
        &owner,
        ("CONTACT", &contact),
        "C:\\Users\\lucia\\Contrato de servicios.pdf",
        bytes.clone(),
    )
    .await;
    let file = &uploaded["data"]["uploadFile"];
    assert_eq!(file["name"], "Contrato de servicios.pdf", "{uploaded}");
    assert_eq!(file["contentType"], "application/pdf");
    assert_eq!(file["sizeBytes"], bytes.len());
    assert_eq!(file["sha256"], hex::encode(sha2::Sha256::digest(&bytes)));
    assert_eq!(file["tags"], json!(["contrato", "firmado"]));
    assert_eq!(file["uploadedBy"]["id"], json!(owner.user_id));
    let id = text(&file["id"]);
    let listed = app
        .ok(
            token,
            "query($c: ID!) { files(folderKind: CONTACT, folderId: $c) { id } }",
            json!({ "c": contact }),
        )
        .await;
    assert_eq!(listed["files"], json!([{ "id": id }]));

    // The link streams the same bytes, as an attachment under the file's name, and is logged.
    let url = link(&app, &owner, &id).await;
    let response = fetch(&app, &url).await;
    assert_eq!(response.status(), 200);
    let disposition = response
        .headers()
        .get("content-disposition")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(
        disposition.starts_with("attachment;")
            && disposition.contains("filename*=UTF-8''Contrato%20de%20servicios.pdf"),
        "{disposition}"
    );
    assert_eq!(response.bytes().await.expect("body").to_vec(), bytes);
    let log = app
        .ok(
            token,
            "query($id: ID!) { fileDownloads(fileId: $id) { user { id } ip userAgent downloadedAt } }",
            json!({ "id": id }),
        )
        .await;
    let entries = log["fileDownloads"].as_array().expect("entries");
    assert_eq!(entries.len(), 1, "{log}");
    assert_eq!(entries[0]["user"]["id"], json!(owner.user_id));
    assert_eq!(entries[0]["userAgent"], "Navegador de prueba");
    assert!(entries[0]["ip"].is_string());

    // A link lasts five minutes; a changed one opens nothing.
    let tampered = url.replacen("/archivos/", "/archivos/0", 1);
    assert_eq!(fetch(&app, &tampered).await.status(), 404);
    app.clock.advance(TimeDelta::minutes(6));
    assert_eq!(fetch(&app, &url).await.status(), 410);
    let owner = app.refreshed(&owner).await;
    let token = Some(owner.access_token.as_str());

    // Into the bin: out of the list, no new links, old ones closed; then back.
    let fresh = link(&app, &owner, &id).await;
    app.ok(
        token,
        "mutation($id: ID!) { deleteFile(id: $id) { deletedAt } }",
        json!({ "id": id }),
    )
    .await;
    assert_eq!(fetch(&app, &fresh).await.status(), 410);
    let refused = app.gql(token, LINK, json!({ "id": id })).await;
    assert_eq!(error_code(&refused), "CONFLICT");
    let bin = "query($c: ID!) { files(folderKind: CONTACT, folderId: $c) { id } bin: files(folderKind: CONTACT, folderId: $c, deleted: true) { id deletedAt } }";
    let state = app.ok(token, bin, json!({ "c": contact })).await;
    assert_eq!(state["files"], json!([]));
    assert_eq!(state["bin"][0]["id"], json!(id));
    app.ok(
        token,
        "mutation($id: ID!) { restoreFile(id: $id) { deletedAt } }",
        json!({ "id": id }),
    )
    .await;
    let opened = fetch(&app, &link(&app, &owner, &id).await).await;
    assert_eq!(opened.status(), 200);

    // Renamed and retagged: downloaded under its new name; a path or a program is refused.
    const UPDATE: &str =
        "mutation($input: UpdateFileInput!) { updateFile(input: $input) { name tags } }";
    let renamed = app
        .ok(
            token,
            UPDATE,
            json!({ "input": { "id": id, "name": "Contrato firmado 2026.pdf", "tags": ["legal"] } }),
        )
        .await;
    assert_eq!(
        renamed["updateFile"],
        json!({ "name": "Contrato firmado 2026.pdf", "tags": ["legal"] })
    );
    let retagged = app
        .ok(token, UPDATE, json!({ "input": { "id": id, "tags": [] } }))
        .await;
    assert_eq!(retagged["updateFile"]["name"], "Contrato firmado 2026.pdf");
    assert_eq!(retagged["updateFile"]["tags"], json!([]));
    let opened = fetch(&app, &link(&app, &owner, &id).await).await;
    let disposition = opened
        .headers()
        .get("content-disposition")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(disposition.contains("Contrato"), "{disposition}");
    let refused = app
        .gql(
            token,
            UPDATE,
            json!({ "input": { "id": id, "name": "setup.exe" } }),
        )
        .await;
    assert_eq!(error_code(&refused), "BAD_USER_INPUT");

    // Deleted again and left for the retention period: purged for good.
    app.ok(
        token,
        "mutation($id: ID!) { deleteFile(id: $id) { id } }",
        json!({ "id": id }),
    )
    .await;
    let purge = || tianguis_domain::documents::files::purge_deleted(&app.state.deps);
    purge().await.expect("the sweep runs");
    assert_eq!(
        app.ok(token, bin, json!({ "c": contact })).await["bin"][0]["id"],
        json!(id),
        "kept for 30 days"
    );
    // Binned 31 days ago, as the clock sees it.
    let file_id = uuid::Uuid::parse_str(&id).expect("id");
    app.execute_sql(
        "UPDATE files SET deleted_at = $1 WHERE id = $2",
        vec![
            (app.clock.now() - TimeDelta::days(31)).into(),
            file_id.into(),
        ],
    )
    .await;
    purge().await.expect("the sweep runs");
    let gone = app
        .gql(
            token,
            "query($id: ID!) { file(id: $id) { id } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(error_code(&gone), "NOT_FOUND");
    let bytes_left = app
        .state
        .deps
        .files
        .get(&format!("{}/{id}", owner.tenant_id))
        .await
        .expect("the store answers");
    assert!(bytes_left.is_none(), "the bytes go with the record");
}

const REQUEST_UPLOAD: &str =
    "mutation($input: RequestUploadInput!) { requestUpload(input: $input) { id url expiresAt } }";
const CONFIRM_UPLOAD: &str =
    "mutation($id: ID!) { confirmUpload(id: $id) { id name sizeBytes sha256 tags folderKind } }";

/// PUTs bytes where a direct upload said: the bucket on S3, the server's own address for a
/// local folder.
async fn put_bytes(app: &TestApp, url: &str, bytes: Vec<u8>) -> reqwest::StatusCode {
    let target = if url.contains("/archivos/subidas/") {
        let path = &url[url.find("/archivos/subidas/").expect("an upload address")..];
        format!("{}{path}", app.base)
    } else {
        url.to_owned()
    };
    reqwest::Client::new()
        .put(target)
        .body(bytes)
        .send()
        .await
        .expect("sent")
        .status()
}

#[tokio::test]
async fn a_large_file_goes_straight_to_the_store_and_is_kept_only_if_its_checksum_matches() {
    let app = TestApp::spawn().await;
    let owner = app.sign_up().await;
    let token = Some(owner.access_token.as_str());
    let contact = new_contact(&app, &owner, json!({ "firstName": "Lalo" })).await;
    let bytes: Vec<u8> = (0..3_000_000_u32).map(|i| (i % 253) as u8).collect();
    let sha256 = hex::encode(sha2::Sha256::digest(&bytes));
    let declare = |sha: &str, size: usize| {
        json!({ "input": { "folderKind": "CONTACT", "folderId": contact, "name": "planos.dwg",
            "sizeBytes": size, "sha256": sha, "tags": ["obra"] } })
    };

    let asked = app
        .ok(token, REQUEST_UPLOAD, declare(&sha256, bytes.len()))
        .await;
    let upload = &asked["requestUpload"];
    assert_eq!(
        put_bytes(&app, &text(&upload["url"]), bytes.clone()).await,
        200
    );
    let confirmed = app
        .ok(token, CONFIRM_UPLOAD, json!({ "id": upload["id"] }))
        .await;
    let file = &confirmed["confirmUpload"];
    assert_eq!(file["id"], upload["id"]);
    assert_eq!(file["sizeBytes"], bytes.len());
    assert_eq!(file["sha256"], sha256);
    assert_eq!(file["tags"], json!(["obra"]));
    // Confirmed twice: the same file, recorded once.
    let again = app
        .ok(token, CONFIRM_UPLOAD, json!({ "id": upload["id"] }))
        .await;
    assert_eq!(again["confirmUpload"]["id"], file["id"]);
    let downloaded = fetch(&app, &link(&app, &owner, &text(&file["id"])).await).await;
    assert_eq!(downloaded.bytes().await.expect("bytes").to_vec(), bytes);

    // Other bytes than declared: refused, removed, and the upload is gone.
    let asked = app
        .ok(token, REQUEST_UPLOAD, declare(&sha256, bytes.len()))
        .await;
    let upload = &asked["requestUpload"];
    let mut tampered = bytes.clone();
    tampered[10] ^= 1;
    put_bytes(&app, &text(&upload["url"]), tampered).await;
    let refused = app
        .gql(token, CONFIRM_UPLOAD, json!({ "id": upload["id"] }))
        .await;
    assert_eq!(error_ext(&refused, "field"), "sha256", "{refused}");
    let key = format!("{}/{}", owner.tenant_id, text(&upload["id"]));
    assert!(
        app.state
            .deps
            .files
            .get(&key)
            .await
            .expect("store")
            .is_none(),
        "the wrong bytes are removed"
    );
    let gone = app
        .gql(token, CONFIRM_UPLOAD, json!({ "id": upload["id"] }))
        .await;
    assert_eq!(error_ext(&gone, "field"), "id", "{gone}");

    // Bad declarations name their field; the plan's room counts the declared size.
    let bad_sha = app.gql(token, REQUEST_UPLOAD, declare("abc", 10)).await;
    assert_eq!(error_ext(&bad_sha, "field"), "sha256");
    let empty = app.gql(token, REQUEST_UPLOAD, declare(&sha256, 0)).await;
    assert_eq!(error_ext(&empty, "field"), "sizeBytes");
    let too_big = app
        .gql(token, REQUEST_UPLOAD, declare(&sha256, 2_000 * 1024 * 1024))
        .await;
    assert_eq!(error_code(&too_big), "PLAN_LIMIT", "{too_big}");

    // Declared and never confirmed: the bytes are removed after the address expires.
    let asked = app
        .ok(token, REQUEST_UPLOAD, declare(&sha256, bytes.len()))
        .await;
    let upload = &asked["requestUpload"];
    put_bytes(&app, &text(&upload["url"]), bytes.clone()).await;
    let key = format!("{}/{}", owner.tenant_id, text(&upload["id"]));
    let sweep = || tianguis_domain::documents::uploads::discard_abandoned(&app.state.deps);
    sweep().await.expect("the sweep runs");
    assert!(
        app.state
            .deps
            .files
            .get(&key)
            .await
            .expect("store")
            .is_some(),
        "kept while it may still be confirmed"
    );
    // The address lasts 30 minutes and confirming 30 more.
    app.clock.advance(TimeDelta::minutes(61));
    sweep().await.expect("the sweep runs");
    assert!(
        app.state
            .deps
            .files
            .get(&key)
            .await
            .expect("store")
            .is_none()
    );
    let owner = app.refreshed(&owner).await;
    let late = app
        .gql(
            Some(&owner.access_token),
            CONFIRM_UPLOAD,
            json!({ "id": upload["id"] }),
        )
        .await;
    assert_eq!(error_ext(&late, "field"), "id", "{late}");
}

#[tokio::test]
async fn the_servers_upload_address_takes_no_more_than_was_declared_and_only_while_valid() {
    let app = TestApp::spawn().await;
    let owner = app.sign_up().await;
    let token = Some(owner.access_token.as_str());
    let contact = new_contact(&app, &owner, json!({ "firstName": "Lalo" })).await;
    let address = format!("{}/archivos/subidas/x.y", app.base);
    assert_eq!(put_bytes(&app, &address, b"x".to_vec()).await, 404);
    if app
        .state
        .deps
        .files
        .upload_url("probe", std::time::Duration::from_secs(60))
        .await
        .expect("store")
        .is_some()
    {
        // A bucket takes the bytes itself.
        return;
    }
    let asked = app
        .ok(
            token,
            REQUEST_UPLOAD,
            json!({ "input": { "folderKind": "CONTACT", "folderId": contact, "name": "a.txt", "sizeBytes": 4, "sha256": hex::encode(sha2::Sha256::digest(b"hola")) } }),
        )
        .await;
    let url = text(&asked["requestUpload"]["url"]);
    assert_eq!(put_bytes(&app, &url, b"hola mundo".to_vec()).await, 413);
    assert_eq!(
        put_bytes(
            &app,
            &url.replacen("/subidas/", "/subidas/0", 1),
            b"hola".to_vec()
        )
        .await,
        404
    );
    app.clock.advance(TimeDelta::minutes(31));
    assert_eq!(put_bytes(&app, &url, b"hola".to_vec()).await, 404);
}

#[tokio::test]
async fn uploads_are_held_to_their_kind_their_size_and_the_plan() {
    let app = TestApp::spawn().await;
    let owner = app.sign_up().await;
    let contact = new_contact(&app, &owner, json!({ "firstName": "Tere" })).await;
    let folder = ("CONTACT", contact.as_str());

    let program = upload(&app, &owner, folder, "factura.pdf.exe", b"MZ".to_vec()).await;
    assert_eq!(
        (error_code(&program), error_ext(&program, "field")),
        ("BAD_USER_INPUT".into(), "file".into()),
        "{program}"
    );
    let nowhere = upload(
        &app,
        &owner,
        ("COMPANY", &uuid::Uuid::new_v4().to_string()),
        "a.pdf",
        b"%PDF".to_vec(),
    )
    .await;
    assert_eq!(error_ext(&nowhere, "field"), "folderId", "{nowhere}");

    let too_big = reqwest::Client::new()
        .post(format!("{}/graphql", app.base))
        .bearer_auth(&owner.access_token)
        .multipart(
            reqwest::multipart::Form::new()
                .text(
                    "operations",
                    json!({ "query": UPLOAD, "variables": { "input": { "folderKind": "CONTACT", "folderId": contact, "file": null } } }).to_string(),
                )
                .text("map", json!({ "0": ["variables.input.file"] }).to_string())
                .part(
                    "0",
                    reqwest::multipart::Part::bytes(vec![0_u8; 51 * 1024 * 1024])
                        .file_name("video.mp4"),
                ),
        )
        .send()
        .await
        .expect("answered");
    assert_eq!(too_big.status(), 413);

    // The free plan's gigabyte, used up by a file already kept.
    let kept = upload(&app, &owner, folder, "a.pdf", b"%PDF".to_vec()).await;
    let kept = uuid::Uuid::parse_str(&text(&kept["data"]["uploadFile"]["id"])).expect("id");
    app.execute_sql(
        "UPDATE files SET size_bytes = $1 WHERE id = $2",
        vec![(1024_i64 * 1024 * 1024).into(), kept.into()],
    )
    .await;
    let over = upload(&app, &owner, folder, "b.pdf", b"%PDF".to_vec()).await;
    assert_eq!(error_code(&over), "PLAN_LIMIT", "{over}");
    let listed = app
        .ok(
            Some(&owner.access_token),
            "query($c: ID!) { files(folderKind: CONTACT, folderId: $c) { name } }",
            json!({ "c": contact }),
        )
        .await;
    assert_eq!(
        listed["files"],
        json!([{ "name": "a.pdf" }]),
        "nothing refused is kept"
    );
}

#[tokio::test]
async fn another_business_can_neither_see_nor_open_nor_touch_a_file() {
    let app = TestApp::spawn().await;
    let a = app.sign_up().await;
    let contact = new_contact(&app, &a, json!({ "firstName": "Ana" })).await;
    let uploaded = upload(&app, &a, ("CONTACT", &contact), "rfc.pdf", pdf_bytes()).await;
    let id = text(&uploaded["data"]["uploadFile"]["id"]);
    let url = link(&app, &a, &id).await;

    let b = app.sign_up().await;
    let token = Some(b.access_token.as_str());
    let listed = app
        .ok(
            token,
            "query($c: ID!) { files(folderKind: CONTACT, folderId: $c) { id } }",
            json!({ "c": contact }),
        )
        .await;
    assert_eq!(listed["files"], json!([]));
    for (query, field) in [
        ("query($id: ID!) { file(id: $id) { id } }", "file"),
        (
            "query($id: ID!) { fileDownloads(fileId: $id) { id } }",
            "fileDownloads",
        ),
        (LINK, "fileDownloadUrl"),
        (
            "mutation($id: ID!) { deleteFile(id: $id) { id } }",
            "deleteFile",
        ),
        (
            "mutation($id: ID!) { restoreFile(id: $id) { id } }",
            "restoreFile",
        ),
        (
            "mutation($id: ID!) { updateFile(input: { id: $id, name: \"x.pdf\" }) { id } }",
            "updateFile",
        ),
    ] {
        let body = app.gql(token, query, json!({ "id": id })).await;
        assert_eq!(error_code(&body), "NOT_FOUND", "{field}: {body}");
    }
    // B cannot file into A's contact either.
    let into_a = upload(&app, &b, ("CONTACT", &contact), "x.pdf", b"%PDF".to_vec()).await;
    assert_eq!(error_ext(&into_a, "field"), "folderId", "{into_a}");

    // A's link names A's business; pointing it at B's breaks its signature.
    let b_tenant = b.tenant_id.to_string();
    let a_tenant = a.tenant_id.to_string();
    let forged = url.replacen(&a_tenant, &b_tenant, 1);
    assert_ne!(forged, url);
    assert_eq!(fetch(&app, &forged).await.status(), 404);
    assert_eq!(fetch(&app, &url).await.status(), 200);
}
