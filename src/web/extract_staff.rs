//! Typed guards for the staff areas.
//!
//! Guarantees (each has a negative test in tests/staff.rs or below):
//! - a handler that takes [`StaffSession`] runs only for a valid staff session named by the
//!   `pidp_staff` cookie (not revoked, within idle and absolute lifetime, account not locked); the
//!   citizens' SSO cookie never counts. Without one the browser is sent (303) to
//!   `/staff/login?next=<this path>`;
//! - [`OfficerSession`], [`OperatorSession`], [`AuditorSession`] additionally require that role; a staff
//!   member without it gets 403 before the handler runs;
//! - forms are `CsrfForm<csrf::Staff, _>` within a staff session and `CsrfForm<csrf::StaffLogin, _>`
//!   within a staff login transaction (see `web::csrf`).
use super::cookies;
use super::error::WebError;
use super::extract::LocalPath;
use super::state::AppState;
use crate::domain::staff::{Role, StaffMember};
use crate::service::authn::Flow;
use crate::service::staff::StaffLoggedIn;
use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpRequest};
use futures_util::future::LocalBoxFuture;

fn state(req: &HttpRequest) -> Result<web::Data<AppState>, WebError> {
    req.app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| WebError::Internal("app state missing".into()))
}

/// The local path (with query) to come back to after logging in.
fn here(req: &HttpRequest) -> LocalPath {
    staff_next(req.uri().path_and_query().map(|p| p.as_str()))
}

/// Where to go after a staff login: a local path, not the login pages themselves; else `/staff`.
pub fn staff_next(raw: Option<&str>) -> LocalPath {
    raw.and_then(|r| LocalPath::parse(r).ok())
        .filter(|p| !p.is_within("/staff/login"))
        .unwrap_or_else(|| LocalPath::parse_or(None, STAFF_HOME))
}

pub const STAFF_HOME: &str = "/staff";

/// Any logged-in staff member.
pub struct StaffSession {
    pub who: StaffLoggedIn,
    token: String,
}

impl StaffSession {
    pub fn member(&self) -> &StaffMember {
        &self.who.member
    }
    /// The CSRF token for forms posted within this session (`CsrfForm<csrf::Staff, _>`).
    pub fn csrf(&self, st: &AppState) -> Result<String, WebError> {
        Ok(st.staff.staff_csrf_token(&self.token)?)
    }
    /// Checks a CSRF token that arrived outside a form (e.g. in a multipart upload).
    pub fn csrf_ok(&self, st: &AppState, presented: &str) -> bool {
        st.staff.staff_csrf_ok(&self.token, presented)
    }
}

/// Whether a staff member may enter an area that needs `role` (`None`: any staff member).
pub fn allowed(member: &StaffMember, role: Option<Role>) -> bool {
    role.is_none_or(|r| member.has_role(r))
}

fn load(
    req: &HttpRequest,
    role: Option<Role>,
) -> LocalBoxFuture<'static, Result<StaffSession, WebError>> {
    let st = state(req);
    let token = req.cookie(cookies::STAFF).map(|c| c.value().to_string());
    let next = here(req);
    Box::pin(async move {
        let st = st?;
        let Some(token) = token else {
            return Err(WebError::StaffLogin(next));
        };
        let Some(who) = st.staff.staff_session(&token).await? else {
            return Err(WebError::StaffLogin(next));
        };
        if !allowed(&who.member, role) {
            return Err(WebError::Forbidden(format!(
                "{} lacks role {}",
                who.member.username,
                role.map(Role::as_str).unwrap_or("-")
            )));
        }
        Ok(StaffSession { who, token })
    })
}

impl FromRequest for StaffSession {
    type Error = WebError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        load(req, None)
    }
}

macro_rules! role_session {
    ($(#[$doc:meta])* $name:ident, $role:expr) => {
        $(#[$doc])*
        pub struct $name(pub StaffSession);

        impl std::ops::Deref for $name {
            type Target = StaffSession;
            fn deref(&self) -> &StaffSession {
                &self.0
            }
        }

        impl FromRequest for $name {
            type Error = WebError;
            type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;
            fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
                let f = load(req, Some($role));
                Box::pin(async move { f.await.map($name) })
            }
        }
    };
}

role_session!(
    /// A staff member with the officer role (service desk).
    OfficerSession,
    Role::Officer
);
role_session!(
    /// A staff member with the operator role (e-service connections).
    OperatorSession,
    Role::Operator
);
role_session!(
    /// A staff member with the auditor role (audit trail).
    AuditorSession,
    Role::Auditor
);

/// A live staff login transaction (the `pidp_staff_tx` cookie); without one, back to the login page.
pub struct StaffLoginGuard {
    pub tx: Flow,
    pub tx_token: String,
}

impl FromRequest for StaffLoginGuard {
    type Error = WebError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let st = state(req);
        let token = req.cookie(cookies::STAFF_TX).map(|c| c.value().to_string());
        Box::pin(async move {
            let st = st?;
            let token = token.ok_or_else(|| WebError::StaffLogin(staff_next(None)))?;
            let tx = st.staff.staff_pending(&token).await?;
            Ok(StaffLoginGuard {
                tx,
                tx_token: token,
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ids::{PhoneNumber, Username};
    use crate::domain::staff::Roles;

    fn member(roles: &str) -> StaffMember {
        StaffMember {
            id: "s1".into(),
            username: Username::parse("ana").unwrap_or_else(|_| unreachable!()),
            display_name: "Ana".into(),
            phone: PhoneNumber::parse("+38640111222", "386").unwrap_or_else(|_| unreachable!()),
            roles: Roles::parse_list(roles).unwrap_or_else(|_| unreachable!()),
            locked: false,
            created_at: 0,
        }
    }

    #[test]
    fn staff_next_is_a_local_path_outside_the_login_pages() {
        assert_eq!(staff_next(Some("/audit?x=1")).as_str(), "/audit?x=1");
        assert_eq!(staff_next(Some("/operator")).as_str(), "/operator");
        for bad in [
            "https://evil.example/",
            "//evil.example/x",
            "/\\evil.example",
            "javascript:alert(1)",
            "/a b",
            "/x\r\nLocation: y",
            "/\t/evil.example",
            "",
            "/staff/login?next=/x",
            "/staff/login/otp",
        ] {
            assert_eq!(staff_next(Some(bad)).as_str(), STAFF_HOME, "{bad:?}");
        }
        assert_eq!(staff_next(None).as_str(), STAFF_HOME);
    }

    #[test]
    fn role_guard_admits_only_holders_of_the_role() {
        let op = member("operator");
        assert!(allowed(&op, None));
        assert!(allowed(&op, Some(Role::Operator)));
        assert!(!allowed(&op, Some(Role::Auditor)));
        assert!(!allowed(&op, Some(Role::Officer)));
        let both = member("auditor,officer");
        assert!(allowed(&both, Some(Role::Auditor)));
        assert!(allowed(&both, Some(Role::Officer)));
        assert!(!allowed(&both, Some(Role::Operator)));
    }
}
