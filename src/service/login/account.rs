//! Logins to the citizen's user pages: flows of purpose `AccountPages`. They use the same password
//! and SMS-code steps and all their throttling; when done the browser goes to a local `/account…` page instead of
//! an e-service.
use super::LoginError;
use crate::audit::{AuditEvent, AuditKind};
use crate::auth::flow::{AccountPages, Principal, PrincipalKind, Purpose};
use crate::domain::loa::Level;
use crate::domain::local_path::LocalPath;
use crate::service::authn::purposes::ACCOUNT_AREA;
use crate::service::authn::NewFlow;
use crate::service::Login;
use crate::storage::FlowStart;

pub enum AccountLoginStart {
    /// The SSO session already suffices: go there.
    Already(LocalPath),
    /// Interactive login: set the transaction cookie and go to the login pages.
    Login { tx_token: String },
}

impl Login {
    /// Opens a login to the user pages. `want` is the level the page needs: password, or smsPASS
    /// (e.g. a change of phone). An SSO session that already has it is enough; a password session that
    /// needs smsPASS becomes a step-up (only the SMS code is asked).
    pub async fn start_account_login(
        &self,
        next: &LocalPath,
        want: Level,
        session_token: Option<&str>,
        client_addr: Option<String>,
    ) -> Result<AccountLoginStart, LoginError> {
        let mut step_up = false;
        let mut preset = None;
        if let Some(t) = session_token {
            if let Some(s) = self.responder.valid_session(t).await? {
                if let Some(level) = Level::from_i32(s.level) {
                    if level >= want {
                        return Ok(AccountLoginStart::Already(next.clone()));
                    }
                    step_up = true;
                    preset = Some((s.citizen_id.clone(), s.authn_instant));
                }
            }
        }
        let mut ev = AuditEvent::new(AuditKind::LoginStarted)
            .sp(ACCOUNT_AREA)
            .addr(client_addr)
            .detail(serde_json::json!({
                "target": want.name(),
                "step_up": step_up,
                "account": true,
            }));
        if let Some((c, _)) = &preset {
            ev = ev.citizen(c);
        }
        let (tx_token, _) = self
            .authn
            .open_flow(NewFlow {
                purpose: Purpose::AccountPages(AccountPages {
                    next: next.as_str().to_string(),
                    level: want,
                    step_up,
                }),
                principal: preset.map(|(id, at)| {
                    (
                        Principal {
                            kind: PrincipalKind::Citizen,
                            id,
                        },
                        Some(at),
                    )
                }),
                start: FlowStart {
                    audit: Some(&ev),
                    ..FlowStart::default()
                },
            })
            .await?;
        Ok(AccountLoginStart::Login { tx_token })
    }
}
