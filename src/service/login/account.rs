//! Logins to the citizen's user pages. They reuse the login transaction, the password and SMS-code
//! steps and all their throttling; when done the browser goes to a local `/account…` page instead of
//! an e-service.
use super::{LoginError, Pending};
use crate::audit::{AuditEvent, AuditKind};
use crate::domain::loa::{AuthnTarget, Level};
use crate::domain::local_path::LocalPath;
use crate::service::{token_hash, Services};
use crate::storage::LoginTx;

/// The pseudo e-service under which user-page logins are recorded (audit, sessions).
pub const ACCOUNT_AREA: &str = "urn:pass-idp:account";
pub(super) const AREA_NAME_SL: &str = "Uporabniške strani smsPASS";
pub(super) const AREA_NAME_EN: &str = "smsPASS user pages";

pub enum AccountLoginStart {
    /// The SSO session already suffices: go there.
    Already(LocalPath),
    /// Interactive login: set the transaction cookie and go to the login pages.
    Login { tx_token: String },
}

impl Services {
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
        let mut pending = Pending {
            request_id: None,
            sp: ACCOUNT_AREA.to_string(),
            acs_url: String::new(),
            relay_state: None,
            force_authn: false,
            target: AuthnTarget {
                level: want,
                eidas: false,
                exact_uri: None,
            },
            name_id_format: String::new(),
            step_up: false,
            account_next: Some(next.as_str().to_string()),
            requested_format: None,
            requested_context: None,
        };
        let mut preset = None;
        if let Some(t) = session_token {
            if let Some(s) = self.valid_session(t).await? {
                if let Some(level) = Level::from_i32(s.level) {
                    if level >= want {
                        return Ok(AccountLoginStart::Already(next.clone()));
                    }
                    pending.step_up = true;
                    preset = Some((s.citizen_id.clone(), s.authn_instant));
                }
            }
        }
        let now = self.now_ms();
        let tx_token = self.rng.token();
        let tx = LoginTx {
            id: uuid::Uuid::new_v4().to_string(),
            token_hash: token_hash(&self.keyed, &tx_token)?,
            sp_entity_id: ACCOUNT_AREA.to_string(),
            request_json: serde_json::to_string(&pending)
                .map_err(|e| LoginError::Internal(e.to_string()))?,
            citizen_id: preset.as_ref().map(|(c, _)| c.clone()),
            password_at: preset.as_ref().map(|(_, at)| *at),
            created_at: now,
            expires_at: now + self.cfg.lifetimes.login_transaction_secs * 1000,
            completed: false,
        };
        let mut ev = AuditEvent::new(AuditKind::LoginStarted)
            .sp(ACCOUNT_AREA)
            .addr(client_addr)
            .detail(serde_json::json!({
                "target": want.name(),
                "step_up": pending.step_up,
                "account": true,
            }));
        if let Some((c, _)) = &preset {
            ev = ev.citizen(c);
        }
        self.store.create_login_tx(&tx, None, now, &ev).await?;
        Ok(AccountLoginStart::Login { tx_token })
    }
}
