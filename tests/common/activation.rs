//! smsPASS activation helpers: read the mail outbox, drive the officer desk, continue activation.
use super::staff::staff_login;
use super::{Browser, Page, TestApp};

/// Decodes a quoted-printable or base64 body of a simple (single-part) RFC 5322 message.
fn body_of(eml: &str) -> String {
    use base64::Engine;
    let (head, body) = eml
        .split_once("\r\n\r\n")
        .or_else(|| eml.split_once("\n\n"))
        .unwrap_or((eml, ""));
    let head_l = head.to_ascii_lowercase();
    if head_l.contains("content-transfer-encoding: base64") {
        let compact: String = body.split_whitespace().collect();
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(compact)
            .expect("base64 body");
        return String::from_utf8(bytes).expect("UTF-8 body");
    }
    if head_l.contains("content-transfer-encoding: quoted-printable") {
        let joined = body.replace("=\r\n", "").replace("=\n", "");
        let mut out = Vec::new();
        let b = joined.as_bytes();
        let mut i = 0;
        while i < b.len() {
            if b[i] == b'=' && i + 2 < b.len() {
                if let Ok(v) = u8::from_str_radix(&joined[i + 1..i + 3], 16) {
                    out.push(v);
                    i += 3;
                    continue;
                }
            }
            out.push(b[i]);
            i += 1;
        }
        return String::from_utf8(out).expect("UTF-8 body");
    }
    body.to_string()
}

/// All messages in the mail outbox, oldest first: (raw headers+body, decoded body).
pub fn mails(app: &TestApp) -> Vec<(String, String)> {
    let dir = app.dir.path().join("mail");
    let Ok(rd) = std::fs::read_dir(&dir) else {
        return vec![];
    };
    let mut names: Vec<_> = rd
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "eml"))
        .collect();
    names.sort();
    names
        .into_iter()
        .map(|p| {
            let raw = std::fs::read_to_string(&p).unwrap();
            let body = body_of(&raw);
            (raw, body)
        })
        .collect()
}

/// The activation code in the newest e-mail to `to`.
pub fn mailed_code(app: &TestApp, to: &str) -> String {
    let (_, body) = mails(app)
        .into_iter()
        .rev()
        .find(|(raw, _)| raw.contains(to))
        .unwrap_or_else(|| panic!("no e-mail to {to}"));
    let re = regex::Regex::new(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}").unwrap();
    re.find(&body)
        .unwrap_or_else(|| panic!("no code in: {body}"))
        .as_str()
        .to_string()
}

/// The reference shown on the citizen's activation page.
pub fn reference_on(page: &Page) -> String {
    let re =
        regex::Regex::new(r#"id="smspass-reference">([AB]-[0-9A-Z]{4}-[0-9A-Z]{4})<"#).unwrap();
    re.captures(&page.body)
        .unwrap_or_else(|| panic!("no reference on: {}", page.body))[1]
        .to_string()
}

/// An officer's browser, logged in to the desk.
pub async fn officer(app: &TestApp, username: &str) -> Browser {
    super::staff::add_staff(app, username, &["officer"]).await;
    let b = app.browser();
    let done = staff_login(app, &b, username, "/office").await;
    assert_eq!(done.location.as_deref(), Some("/office"));
    b
}

/// The officer records the identity check and the signature, then approves; returns the answer to the
/// approval (a redirect, whatever came of the code's e-mail).
pub async fn check_sign_approve(b: &Browser, reference: &str) -> Page {
    let page = format!("/office/requests/{reference}");
    let p = b.get(&page).await;
    assert_eq!(p.status, 200, "{}", p.body);
    let r = b
        .post(
            &format!("{page}/identity"),
            &[
                ("csrf_token", &p.csrf()),
                ("document_type", "id_card"),
                ("document_number", "IA1234567"),
                ("document_expiry", "2099-12-31"),
                ("office", "UE Ljubljana"),
            ],
        )
        .await;
    assert_eq!(r.location, Some(format!("{page}?msg=checked")));
    let r = b
        .post(&format!("{page}/signed"), &[("csrf_token", &p.csrf())])
        .await;
    assert_eq!(r.location, Some(format!("{page}?msg=signed")));
    b.post(&format!("{page}/approve"), &[("csrf_token", &p.csrf())])
        .await
}

/// The officer records the identity check and the signature and approves: the code is e-mailed.
pub async fn officer_approves(b: &Browser, reference: &str) {
    let r = check_sign_approve(b, reference).await;
    let page = format!("/office/requests/{reference}");
    assert_eq!(r.location, Some(format!("{page}?msg=approved")));
}

/// The citizen (logged in on `b`) starts a path-A activation; returns the reference.
pub async fn start_activation(b: &Browser) -> String {
    let p = b.get("/account/activation").await;
    assert_eq!(p.status, 200, "{}", p.body);
    let r = b
        .post("/account/activation/start", &[("csrf_token", &p.csrf())])
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let p = b.get("/account/activation").await;
    reference_on(&p)
}

/// Posts an activation code and phone on the activation page.
pub async fn submit_code(b: &Browser, code: &str, phone: &str) -> Page {
    let p = b.get("/account/activation").await;
    b.post(
        "/account/activation",
        &[
            ("csrf_token", &p.csrf()),
            ("activation_code", code),
            ("phone", phone),
        ],
    )
    .await
}
