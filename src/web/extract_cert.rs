//! The client certificate of a request.
//!
//! Guarantees (negative tests in tests/client_cert.rs):
//! - exactly one source per connection: on a TLS connection to the IdP only the certificate of that
//!   TLS handshake counts and certificate headers are ignored; on a plain connection only the trusted
//!   proxy's header counts, and only from a trusted proxy address;
//! - a certificate that was presented but is refused (another CA, expired, self-signed, a header from
//!   an untrusted address, several headers) stops the request with 403 — never a silent `None`.
use super::error::WebError;
use super::state::AppState;
use super::tls::TlsPeer;
use crate::auth::client_cert::QualifiedCert;
use crate::service::client_cert::Presented;
use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpRequest};
use futures_util::future::LocalBoxFuture;

/// The verified qualified certificate presented with this request, if any.
pub struct PresentedCert(pub Option<QualifiedCert>);

impl FromRequest for PresentedCert {
    type Error = WebError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let st = req.app_data::<web::Data<AppState>>().cloned();
        let peer = req.peer_addr().map(|a| a.ip());
        let tls = req.conn_data::<TlsPeer>().cloned();
        // Read the header only when it can matter (plain connection).
        let header = match (&tls, &st) {
            (None, Some(st)) => {
                let mut all = req.headers().get_all(st.activation.client_cert_header());
                match (all.next(), all.next()) {
                    (None, _) => Ok(None),
                    (Some(v), None) => v
                        .to_str()
                        .map(|s| Some(s.to_string()))
                        .map_err(|_| "certificate header is not text"),
                    (Some(_), Some(_)) => Err("more than one certificate header"),
                }
            }
            _ => Ok(None),
        };
        Box::pin(async move {
            let st = st.ok_or_else(|| WebError::Internal("app state missing".into()))?;
            let header = header.map_err(|w| WebError::CertRefused(w.into()))?;
            let presented = match (&tls, &header) {
                (Some(t), _) => Presented::Tls { chain: &t.chain },
                (None, Some(v)) => Presented::ProxyHeader { peer, value: v },
                (None, None) => Presented::Nothing,
            };
            let addr = peer.map(|p| p.to_string());
            Ok(PresentedCert(
                st.activation.check_presented_cert(presented, addr).await?,
            ))
        })
    }
}
