//! CSRF protection for forms that anonymous visitors post (registration, password reset).
//!
//! Guarantees (negative tests in tests/account.rs): a handler that takes
//! `CsrfForm<csrf::Anonymous, _>` (see `web::csrf`) runs only when the request carries the double-submit cookie `pidp_pcsrf` (a 256-bit random value) and the
//! form's `csrf_token` equals the keyed hash (HMAC) of that cookie, compared in constant time — a
//! missing cookie, a missing or foreign token is refused with 403 before the handler runs. A site that
//! cannot read the cookie cannot compute the token. The cookie is `HttpOnly`, `Path=/`,
//! `SameSite=Strict`, and `Secure` whenever the public URL is https.
use super::error::WebError;
use super::state::AppState;
use actix_web::cookie::{time::Duration as CookieDuration, Cookie, SameSite};
use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpRequest, HttpResponse};

/// The double-submit cookie of anonymous forms.
pub const PUBLIC_CSRF: &str = "pidp_pcsrf";

fn state(req: &HttpRequest) -> Result<web::Data<AppState>, WebError> {
    req.app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| WebError::Internal("app state missing".into()))
}

fn cookie(value: String, secure: bool) -> Cookie<'static> {
    let mut c = Cookie::new(PUBLIC_CSRF, value);
    c.set_path("/");
    c.set_http_only(true);
    c.set_secure(secure);
    c.set_same_site(SameSite::Strict);
    c.set_max_age(CookieDuration::hours(12));
    c
}

/// The token to put in an anonymous form; sets the cookie when the browser has none yet.
pub struct PublicCsrf {
    token: String,
    new_cookie: Option<Cookie<'static>>,
}

impl PublicCsrf {
    pub fn token(&self) -> &str {
        &self.token
    }
    /// Adds the cookie to the page that carries the form (if the browser needs one).
    pub fn apply(&self, mut resp: HttpResponse) -> Result<HttpResponse, WebError> {
        if let Some(c) = &self.new_cookie {
            resp.add_cookie(c)?;
        }
        Ok(resp)
    }
}

impl FromRequest for PublicCsrf {
    type Error = WebError;
    type Future = std::future::Ready<Result<Self, Self::Error>>;
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let existing = req.cookie(PUBLIC_CSRF).map(|c| c.value().to_string());
        std::future::ready(state(req).and_then(|st| {
            let s = &st.account;
            let (value, new_cookie) = match existing.filter(|v| v.len() == 43) {
                Some(v) => (v, None),
                None => {
                    let v = s.new_public_csrf_cookie();
                    let c = cookie(v.clone(), st.cfg.secure_cookies());
                    (v, Some(c))
                }
            };
            let token = s.public_csrf_token(&value)?;
            Ok(PublicCsrf { token, new_cookie })
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookie_attributes() {
        let s = cookie("v".into(), true).to_string();
        assert!(
            s.starts_with("pidp_pcsrf=")
                && s.contains("HttpOnly")
                && s.contains("Secure")
                && s.contains("SameSite=Strict")
                && s.contains("Path=/"),
            "{s}"
        );
        assert!(!cookie("v".into(), false).to_string().contains("Secure"));
    }
}
