//! Qualified client certificates over the IdP's own TLS (rustls) and through a trusted proxy's
//! header; registration in the account. SQLite, and PostgreSQL when TEST_DATABASE_URL is set.
#![allow(clippy::unwrap_used, clippy::expect_used)]
mod common;

use common::staff::kinds;
use common::tls::{escaped_pem, pki, TlsTestApp};
use common::{backends, Backend};
use pass_idp::service::client_cert::{ClientCertError, Presented};

const HEADER: &str = "X-SSL-Client-Cert";

async fn get(c: &reqwest::Client, url: &str) -> Result<(u16, String), reqwest::Error> {
    let r = c.get(url).send().await?;
    let s = r.status().as_u16();
    Ok((s, r.text().await?))
}

fn subject_of(body: &str) -> Option<String> {
    let doc = scraper::Html::parse_document(body);
    let sel = scraper::Selector::parse("#cert-subject").unwrap();
    doc.select(&sel).next().map(|e| e.text().collect())
}

#[tokio::test]
async fn tls_client_certificate_from_the_qualified_ca_is_accepted() {
    for backend in backends() {
        let t = TlsTestApp::spawn(backend, &[]).await;
        let leaf = pki::client(&t.qualified_ca, "Janez Novak Čuk");
        let url = format!("{}/certificate", t.tls_base);
        let (status, body) = get(&t.client(Some(&leaf)), &url).await.unwrap();
        assert_eq!(status, 200, "{body}");
        assert_eq!(
            subject_of(&body).as_deref(),
            Some("CN=Janez Novak Čuk,O=Test PKI,C=SI")
        );
        // Without a certificate the TLS page still opens: the certificate is optional.
        let (status, body) = get(&t.client(None), &url).await.unwrap();
        assert_eq!(status, 200);
        assert!(body.contains("id=\"no-cert\""), "{body}");
        t.stop().await;
    }
}

#[tokio::test]
async fn tls_certificate_from_another_ca_or_expired_is_refused() {
    for backend in backends() {
        let t = TlsTestApp::spawn(backend, &[]).await;
        let url = format!("{}/certificate", t.tls_base);
        let other = pki::client(&pki::ca("Other CA"), "Mallory");
        let n = pki::now_secs();
        let expired = pki::issue(
            Some(&t.qualified_ca),
            "Old",
            pki::Kind::Client,
            n - 30 * pki::DAY,
            n - pki::DAY,
        );
        let self_signed = pki::issue(None, "Self", pki::Kind::Client, n - pki::DAY, n + pki::DAY);
        for (what, cert) in [
            ("other CA", &other),
            ("expired", &expired),
            ("self-signed", &self_signed),
        ] {
            match get(&t.client(Some(cert)), &url).await {
                // The handshake refuses it ...
                Err(_) => {}
                // ... or, if the TLS layer let it through, the request is refused.
                Ok((status, body)) => {
                    assert_eq!(status, 403, "{what}: {body}");
                    assert!(subject_of(&body).is_none());
                }
            }
        }
        t.stop().await;
    }
}

#[tokio::test]
async fn tls_certificate_is_checked_at_the_app_clock_not_the_system_time() {
    let t = TlsTestApp::spawn(Backend::Sqlite, &[]).await;
    let leaf = pki::client(&t.qualified_ca, "Ana");
    let url = format!("{}/certificate", t.tls_base);
    let c = t.client(Some(&leaf));
    assert_eq!(get(&c, &url).await.unwrap().0, 200);
    // The handshake (system time) accepts it; at the app's time it has expired: a clear refusal.
    t.app.clock.advance(chrono::Duration::days(400));
    let (status, body) = get(&t.client(Some(&leaf)), &url).await.unwrap();
    assert_eq!(status, 403, "{body}");
    assert!(kinds(&t.app)
        .await
        .contains(&"citizen.cert_refused".to_string()));
    t.stop().await;
}

#[tokio::test]
async fn proxy_header_on_a_tls_connection_is_ignored() {
    let t = TlsTestApp::spawn(Backend::Sqlite, &["127.0.0.1"]).await;
    let leaf = pki::client(&t.qualified_ca, "Ana");
    let r = t
        .client(None)
        .get(format!("{}/certificate", t.tls_base))
        .header(HEADER, escaped_pem(&leaf))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let body = r.text().await.unwrap();
    assert!(body.contains("id=\"no-cert\""), "{body}");
    t.stop().await;
}

fn plain_client(from: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .local_address(Some(from.parse().unwrap()))
        .build()
        .unwrap()
}

#[tokio::test]
async fn proxy_header_only_from_the_trusted_proxy() {
    for backend in backends() {
        // 127.0.0.1 is the trusted proxy; a client bound to 127.0.0.2 is not.
        let t = TlsTestApp::spawn(backend, &["127.0.0.1"]).await;
        let leaf = pki::client(&t.qualified_ca, "Ana Šuštar");
        let url = format!("{}/certificate", t.app.base);
        let send = |from: &str, value: String| {
            let c = plain_client(from);
            let url = url.clone();
            async move {
                let r = c.get(url).header(HEADER, value).send().await.unwrap();
                let s = r.status().as_u16();
                (s, r.text().await.unwrap())
            }
        };
        let (status, body) = send("127.0.0.1", escaped_pem(&leaf)).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(
            subject_of(&body).as_deref(),
            Some("CN=Ana Šuštar,O=Test PKI,C=SI")
        );
        // The same header from an address that is not the proxy: refused.
        let (status, body) = send("127.0.0.2", escaped_pem(&leaf)).await;
        assert_eq!(status, 403, "{body}");
        assert!(subject_of(&body).is_none());
        // The trusted proxy passing a certificate of another CA: refused.
        let other = pki::client(&pki::ca("Other CA"), "Mallory");
        let (status, _) = send("127.0.0.1", escaped_pem(&other)).await;
        assert_eq!(status, 403);
        // Garbage in the header: refused, not ignored.
        let (status, _) = send("127.0.0.1", "not%20a%20certificate".into()).await;
        assert_eq!(status, 403);
        // No header: no certificate.
        let (status, body) = get(&plain_client("127.0.0.2"), &url).await.unwrap();
        assert_eq!(status, 200);
        assert!(body.contains("id=\"no-cert\""));
        t.stop().await;
    }
}

#[tokio::test]
async fn verified_certificate_is_registered_once() {
    for backend in backends() {
        let t = TlsTestApp::spawn(backend, &[]).await;
        let svc = &t.app.services;
        t.app.add_citizen("ana", None).await;
        t.app.add_citizen("bojan", None).await;
        let ana = svc.citizens.citizen_by_username("ana").await.unwrap();
        let bojan = svc.citizens.citizen_by_username("bojan").await.unwrap();
        let leaf = pki::client(&t.qualified_ca, "Ana Novak");
        let chain = vec![leaf.der()];
        let cert = svc
            .activation
            .check_presented_cert(Presented::Tls { chain: &chain }, None)
            .await
            .unwrap()
            .expect("a certificate");
        let reg = svc
            .activation
            .register_client_cert(&ana.id.0, &cert, None)
            .await
            .unwrap();
        assert_eq!(reg.subject, "CN=Ana Novak,O=Test PKI,C=SI");
        assert_eq!(reg.issuer, "CN=Test Qualified CA,O=Test PKI,C=SI");
        assert_eq!(reg.serial, cert.serial);
        let listed = svc.activation.client_certs_of(&ana.id.0).await.unwrap();
        assert_eq!(listed, vec![reg.clone()]);
        assert!(svc
            .activation
            .valid_client_cert_of(&ana.id.0)
            .await
            .unwrap()
            .is_some());
        assert!(svc
            .activation
            .valid_client_cert_of(&bojan.id.0)
            .await
            .unwrap()
            .is_none());
        // The same certificate cannot be registered again, to this or another account.
        for who in [&ana, &bojan] {
            let err = svc
                .activation
                .register_client_cert(&who.id.0, &cert, None)
                .await
                .unwrap_err();
            assert!(matches!(err, ClientCertError::AlreadyRegistered), "{err:?}");
        }
        assert!(svc
            .activation
            .client_certs_of(&bojan.id.0)
            .await
            .unwrap()
            .is_empty());
        // Refused certificates never become a QualifiedCert.
        let other = vec![pki::client(&pki::ca("Other CA"), "Mallory").der()];
        let err = svc
            .activation
            .check_presented_cert(Presented::Tls { chain: &other }, None)
            .await
            .unwrap_err();
        assert!(matches!(err, ClientCertError::Refused(_)));
        let k = kinds(&t.app).await;
        assert_eq!(
            k.iter().filter(|k| *k == "citizen.cert_registered").count(),
            1
        );
        assert!(k.contains(&"citizen.cert_refused".to_string()));
        // A certificate that expires by the app's clock cannot be registered later.
        let leaf2 = pki::client(&t.qualified_ca, "Bojan");
        let chain2 = vec![leaf2.der()];
        let cert2 = svc
            .activation
            .check_presented_cert(Presented::Tls { chain: &chain2 }, None)
            .await
            .unwrap()
            .unwrap();
        t.app.clock.advance(chrono::Duration::days(400));
        assert!(svc
            .activation
            .register_client_cert(&bojan.id.0, &cert2, None)
            .await
            .is_err());
        assert!(svc
            .activation
            .valid_client_cert_of(&ana.id.0)
            .await
            .unwrap()
            .is_none());
        t.stop().await;
    }
}

#[tokio::test]
async fn citizen_registers_the_certificate_presented_over_tls() {
    use common::account::account_login_default;
    for backend in backends() {
        let t = TlsTestApp::spawn(backend, &[]).await;
        t.app.add_citizen("ana", None).await;
        let leaf = pki::client(&t.qualified_ca, "Ana Novak Žagar");
        let b = t.browser(Some(&leaf));
        let page_url = format!("{}/account/certificate", t.tls_base);
        // Not logged in: sent to the citizen login.
        let anon = b.get(&page_url).await;
        assert_eq!(anon.status, 303);
        assert!(anon.location.unwrap().starts_with("/account/login"));
        let done = account_login_default(&t.app, &b, "ana", None).await;
        assert_eq!(done.status, 303, "{}", done.body);
        let page = b.get(&page_url).await;
        assert_eq!(page.status, 200, "{}", page.body);
        assert!(page.body.contains("id=\"no-registered\""));
        let csrf = page.csrf();
        assert_eq!(
            subject_of(&page.body).as_deref(),
            Some("CN=Ana Novak Žagar,O=Test PKI,C=SI")
        );
        // CSRF is required.
        let forged = b.post(&page_url, &[("csrf_token", "forged")]).await;
        assert_eq!(forged.status, 403);
        let r = b.post(&page_url, &[("csrf_token", &csrf)]).await;
        assert_eq!(r.status, 303, "{}", r.body);
        assert_eq!(
            r.location.as_deref(),
            Some("/account/certificate?done=registered")
        );
        let page = b.get(&format!("{page_url}?done=registered")).await;
        assert!(page.body.contains("id=\"cert-registered\""));
        assert!(page.body.contains("id=\"registered-certs\""));
        assert!(
            !page.body.contains("id=\"register-cert\""),
            "no second button"
        );
        let ana = t
            .app
            .services
            .citizens
            .citizen_by_username("ana")
            .await
            .unwrap();
        let regs = t
            .app
            .services
            .activation
            .client_certs_of(&ana.id.0)
            .await
            .unwrap();
        assert_eq!(regs.len(), 1);
        assert_eq!(regs[0].subject, "CN=Ana Novak Žagar,O=Test PKI,C=SI");
        assert_eq!(regs[0].issuer, "CN=Test Qualified CA,O=Test PKI,C=SI");
        // Over plain http (no certificate) there is nothing to register.
        let plain = b.get("/account/certificate").await;
        assert_eq!(plain.status, 200);
        assert!(plain.body.contains("id=\"no-cert\""));
        assert!(!plain.body.contains("id=\"register-cert\""));
        let r = b
            .post("/account/certificate", &[("csrf_token", &csrf)])
            .await;
        assert_eq!(r.status, 400);
        // A certificate of another CA cannot even reach the form.
        let other = pki::client(&pki::ca("Other CA"), "Mallory");
        let ob = t.browser(Some(&other));
        account_login_default(&t.app, &ob, "ana", None).await;
        if let Ok(r) = ob.client.get(&page_url).send().await {
            assert_eq!(r.status().as_u16(), 403);
        }
        assert_eq!(
            t.app
                .services
                .activation
                .client_certs_of(&ana.id.0)
                .await
                .unwrap()
                .len(),
            1
        );
        t.stop().await;
    }
}
