//! Cookie names and attributes.
//!
//! Guarantees: every cookie is `HttpOnly` and `Path=/`; `Secure` whenever the public URL is https; the
//! login-transaction cookie is `SameSite=Lax`; the SSO-session cookie is `SameSite=None; Secure` on
//! https (so an HTTP-POST AuthnRequest from an e-service on another site still finds the session) and
//! `Lax` on plain-http development. The staff cookies (`pidp_staff`, `pidp_staff_tx`) are separate from
//! the citizens' and `SameSite=Strict`. Cookie values are random tokens; only their keyed hashes are stored.
use actix_web::cookie::{time::Duration as CookieDuration, Cookie, SameSite};

pub const TX: &str = "pidp_tx";
pub const SSO: &str = "pidp_sso";
pub const LANG: &str = "pidp_lang";
/// Staff session (officers, operators, auditors); separate from the citizens' SSO cookie.
pub const STAFF: &str = "pidp_staff";
/// Staff login in progress.
pub const STAFF_TX: &str = "pidp_staff_tx";

fn base(name: &'static str, value: String, secure: bool, max_age_secs: i64) -> Cookie<'static> {
    let mut c = Cookie::new(name, value);
    c.set_path("/");
    c.set_http_only(true);
    c.set_secure(secure);
    c.set_max_age(CookieDuration::seconds(max_age_secs));
    c
}

pub fn tx(value: String, secure: bool, max_age_secs: i64) -> Cookie<'static> {
    let mut c = base(TX, value, secure, max_age_secs);
    c.set_same_site(SameSite::Lax);
    c
}

pub fn sso(value: String, secure: bool, max_age_secs: i64) -> Cookie<'static> {
    let mut c = base(SSO, value, secure, max_age_secs);
    c.set_same_site(if secure {
        SameSite::None
    } else {
        SameSite::Lax
    });
    c
}

pub fn lang(value: &str, secure: bool) -> Cookie<'static> {
    let mut c = base(LANG, value.to_string(), secure, 365 * 86_400);
    c.set_same_site(SameSite::Lax);
    c
}

/// Staff cookies are `SameSite=Strict`: a staff page is never entered with them from another site.
pub fn staff(
    name: &'static str,
    value: String,
    secure: bool,
    max_age_secs: i64,
) -> Cookie<'static> {
    let mut c = base(name, value, secure, max_age_secs);
    c.set_same_site(SameSite::Strict);
    c
}

/// An expired staff cookie that makes the browser forget `name`.
pub fn staff_removal(name: &'static str, secure: bool) -> Cookie<'static> {
    staff(name, String::new(), secure, 0)
}

/// An expired cookie that makes the browser forget `name`.
pub fn removal(name: &'static str, secure: bool) -> Cookie<'static> {
    let mut c = base(name, String::new(), secure, 0);
    c.set_same_site(SameSite::Lax);
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_cookie_attributes() {
        let s = sso("v".into(), true, 60).to_string();
        assert!(
            s.contains("HttpOnly") && s.contains("Secure") && s.contains("SameSite=None"),
            "{s}"
        );
        let d = sso("v".into(), false, 60).to_string();
        assert!(!d.contains("Secure") && d.contains("SameSite=Lax"), "{d}");
        let t = tx("v".into(), true, 60).to_string();
        assert!(
            t.contains("HttpOnly") && t.contains("Secure") && t.contains("SameSite=Lax"),
            "{t}"
        );
    }

    #[test]
    fn staff_cookie_attributes() {
        let s = staff(STAFF, "v".into(), true, 60).to_string();
        assert!(
            s.starts_with("pidp_staff=")
                && s.contains("HttpOnly")
                && s.contains("Secure")
                && s.contains("SameSite=Strict"),
            "{s}"
        );
        let d = staff(STAFF, "v".into(), false, 60).to_string();
        assert!(
            !d.contains("Secure") && d.contains("SameSite=Strict"),
            "{d}"
        );
        assert_ne!(STAFF, SSO);
    }
}
