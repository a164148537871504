//! Client certificates: the account page that lists the citizen's registered qualified certificates
//! and registers the one presented on this connection, and a public page that shows which
//! certificate a connection presents (to check the browser setup).
use super::account_session::citizen_view;
use super::forms::{render, see_other, CsrfOnly};
use crate::auth::client_cert::QualifiedCert;
use crate::service::client_cert::ClientCertError;
use crate::web::csrf::{self, CsrfForm};
use crate::web::error::WebError;
use crate::web::extract::{ClientAddr, Lang};
use crate::web::extract_cert::PresentedCert;
use crate::web::extract_citizen::CitizenSession;
use crate::web::extract_input::BoundedQuery;
use crate::web::pages::{
    AccountCertificate, CertRow, CertView, CertificateCheck, PresentedCertView,
};
use crate::web::state::AppState;
use actix_web::{web, HttpResponse};
use serde::Deserialize;

/// The display fields of a certificate.
pub(crate) fn cert_view(c: &QualifiedCert) -> CertView<'_> {
    CertView {
        subject: &c.subject,
        issuer: &c.issuer,
        serial: &c.serial,
        not_after: super::letters::date_time(c.not_after_ms),
    }
}

pub async fn check(
    st: web::Data<AppState>,
    lang: Lang,
    cert: PresentedCert,
) -> Result<HttpResponse, WebError> {
    let page = CertificateCheck {
        title: "smsPASS",
        cert: cert.0.as_ref().map(cert_view),
    };
    let body = st.views.render_page(lang.0, "/certificate", &page)?;
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(body))
}

#[derive(Deserialize)]
pub struct PageQuery {
    done: Option<String>,
}

/// The registered certificates, and the presented one with a button to register it.
pub async fn page(
    st: web::Data<AppState>,
    s: CitizenSession,
    lang: Lang,
    cert: PresentedCert,
    q: BoundedQuery<PageQuery>,
) -> Result<HttpResponse, WebError> {
    let p = st.activation.certificate_page(&s.citizen).await?;
    let registered = p.registered;
    let presented = cert.0.as_ref().map(|c| PresentedCertView {
        cert: cert_view(c),
        registered: registered
            .iter()
            .any(|r| r.fingerprint_sha256 == c.fingerprint_sha256),
    });
    let rows: Vec<CertRow> = registered
        .iter()
        .map(|r| CertRow {
            subject: &r.subject,
            issuer: &r.issuer,
            serial: &r.serial,
            not_after: super::letters::date_time(r.not_after),
            registered_at: super::letters::date_time(r.registered_at),
        })
        .collect();
    let page = AccountCertificate {
        title: "smsPASS",
        citizen: citizen_view(&s),
        registered: rows,
        presented,
        done: q.done.as_deref() == Some("registered"),
        can_start_activation: p.can_start_activation,
        no_address: !p.has_address,
        csrf: s.csrf(&st)?,
    };
    render(&st, lang.0, "/account/certificate", &page)
}

/// Registers the certificate presented on this connection to the logged-in citizen's account.
pub async fn register(
    st: web::Data<AppState>,
    s: CitizenSession,
    _form: CsrfForm<csrf::Account, CsrfOnly>,
    cert: PresentedCert,
    addr: ClientAddr,
) -> Result<HttpResponse, WebError> {
    let cert = cert.0.ok_or(ClientCertError::NoCertificate)?;
    st.activation
        .register_client_cert(&s.citizen.id.0, &cert, addr.0)
        .await?;
    Ok(see_other("/account/certificate?done=registered"))
}

/// Path B: starts activation with the registered certificate; the code comes by post.
pub async fn start_activation(
    st: web::Data<AppState>,
    s: CitizenSession,
    _form: CsrfForm<csrf::Account, CsrfOnly>,
    lang: Lang,
    addr: ClientAddr,
) -> Result<HttpResponse, WebError> {
    st.activation
        .start_activation_by_certificate(&s.citizen, lang.0, addr.0)
        .await?;
    Ok(see_other("/account/activation"))
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/certificate", web::get().to(check))
        .route("/account/certificate", web::get().to(page))
        .route("/account/certificate", web::post().to(register))
        .route(
            "/account/certificate/activate",
            web::post().to(start_activation),
        );
}
