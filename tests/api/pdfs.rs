//! Documents printed as PDF: read back with a PDF reader of its own, so a test checks what a
//! person opening the file would read.

use serde_json::{Value, json};

use crate::helpers::*;

/// The text of every page of a PDF, in order.
pub fn text_of(pdf: &[u8]) -> String {
    let document = lopdf::Document::load_mem(pdf).expect("a PDF a reader opens");
    let pages: Vec<u32> = document.get_pages().keys().copied().collect();
    document.extract_text(&pages).expect("its text")
}

/// What `mutation(id)` kept: the record's PDF among its files, with `url`, the link that
/// came with it.
pub async fn rendered(app: &TestApp, session: &Session, mutation: &str, id: &str) -> Value {
    let query = format!(
        "mutation($id: ID!) {{ {mutation}(id: $id) {{ file {{ id name contentType sizeBytes sha256 folderKind folderId tags }} download {{ url expiresAt }} }} }}"
    );
    let data = app
        .ok(Some(&session.access_token), &query, json!({ "id": id }))
        .await;
    let mut file = data[mutation]["file"].clone();
    assert_eq!(file["contentType"], "application/pdf");
    file["url"] = data[mutation]["download"]["url"].clone();
    file
}

/// The bytes a download link opens.
pub async fn open(app: &TestApp, url: &str) -> Vec<u8> {
    let response = crate::files::fetch(app, url).await;
    assert_eq!(response.status(), 200);
    response.bytes().await.expect("the file's bytes").to_vec()
}

/// The bytes of a file, through a download link as a browser follows it.
pub async fn download(app: &TestApp, session: &Session, file_id: &str) -> Vec<u8> {
    open(app, &crate::files::link(app, session, file_id).await).await
}
