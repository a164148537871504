//! The real app behind rustls (optional client certificates from a test "qualified" CA), beside its
//! plain-http listener, and reqwest clients that present certificates.
use super::{Backend, TestApp, TestSp};
use pass_idp::config::Config;

#[path = "../../src/auth/client_cert_testpki.rs"]
pub mod pki;

pub struct TlsTestApp {
    pub app: TestApp,
    /// `https://127.0.0.1:<port>`
    pub tls_base: String,
    /// Issues the server certificate (clients trust it).
    pub server_ca: pki::Issued,
    /// The configured qualified CA.
    pub qualified_ca: pki::Issued,
    tls_handle: actix_web::dev::ServerHandle,
    _dir: tempfile::TempDir,
}

impl TlsTestApp {
    /// Spawns the app with `qualified_ca` as the only qualified CA, the plain listener trusting
    /// `trusted_proxies` for the certificate header, and a TLS listener.
    pub async fn spawn(backend: Backend, trusted_proxies: &[&str]) -> TlsTestApp {
        Self::spawn_with(backend, &[], trusted_proxies, |_| {}).await
    }

    pub async fn spawn_with(
        backend: Backend,
        sps: &[&TestSp],
        trusted_proxies: &[&str],
        tweak: impl FnOnce(&mut Config),
    ) -> TlsTestApp {
        let dir = tempfile::tempdir().unwrap();
        let qualified_ca = pki::ca("Test Qualified CA");
        let server_ca = pki::ca("Test Server CA");
        let ca_file = dir.path().join("qualified-ca.pem");
        std::fs::write(&ca_file, qualified_ca.pem()).unwrap();
        let proxies: Vec<String> = trusted_proxies.iter().map(|s| s.to_string()).collect();
        let app = TestApp::spawn_with(backend, sps, move |c| {
            c.client_cert.qualified_cas = vec![ca_file];
            c.client_cert.trusted_proxies = proxies;
            tweak(c);
        })
        .await;
        let server = pki::server(&server_ca);
        let sc = pass_idp::web::tls::server_config_from_pem(
            server.pem().as_bytes(),
            server.key_pem().as_bytes(),
            &app.services.ports.client_certs.cas,
        )
        .expect("TLS server config");
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let state = pass_idp::app_state(&app.services).expect("state");
        let srv = actix_web::HttpServer::new(move || pass_idp::build_app(state.clone()))
            .on_connect(pass_idp::web::tls::on_connect)
            .listen_rustls_0_23(listener, sc)
            .unwrap()
            .workers(1)
            .disable_signals()
            .run();
        let tls_handle = srv.handle();
        tokio::spawn(srv);
        TlsTestApp {
            app,
            tls_base: format!("https://127.0.0.1:{port}"),
            server_ca,
            qualified_ca,
            tls_handle,
            _dir: dir,
        }
    }

    /// An HTTPS client trusting the test server, presenting `cert` (with its key) when given.
    pub fn client(&self, cert: Option<&pki::Issued>) -> reqwest::Client {
        let mut b = reqwest::Client::builder()
            .add_root_certificate(
                reqwest::Certificate::from_pem(self.server_ca.pem().as_bytes()).unwrap(),
            )
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none());
        if let Some(c) = cert {
            let pem = format!("{}{}", c.pem(), c.key_pem());
            b = b.identity(reqwest::Identity::from_pem(pem.as_bytes()).unwrap());
        }
        b.build().unwrap()
    }

    /// A cookie-keeping browser presenting `cert`: relative paths go to the plain listener, absolute
    /// `https://` URLs (see `tls_base`) to the TLS one; cookies are shared, as in a real browser.
    pub fn browser(&self, cert: Option<&pki::Issued>) -> super::Browser {
        super::Browser {
            client: self.client(cert),
            base: self.app.base.clone(),
        }
    }

    pub async fn stop(self) {
        self.tls_handle.stop(false).await;
        self.app.stop().await;
    }
}

/// A certificate as a proxy passes it (nginx `$ssl_client_escaped_cert`).
pub fn escaped_pem(c: &pki::Issued) -> String {
    url::form_urlencoded::byte_serialize(c.pem().as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}
