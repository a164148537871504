//! Step 2: username and password.
use super::{Finished, LoginError, PendingLogin};
use crate::audit::{AuditEvent, AuditKind};
use crate::auth::flow::{Principal, PrincipalKind};
use crate::auth::sms_limit::SmsLimited;
use crate::auth::Secret;
use crate::domain::ids::Username;
use crate::domain::loa::Level;
use crate::service::code_lock::Sent;
use crate::service::Login;

#[derive(Debug)]
pub enum PasswordOutcome {
    /// A code was sent; go to the code page.
    CodeSent,
    /// Password was all this e-service needs.
    Done(Finished),
    /// Unknown user or wrong password: the same answer for both.
    Invalid,
    /// Too many failures for this username or address; try again after the given time (ms).
    Throttled { until_ms: i64 },
    /// The account is locked by an administrator (only said after a correct password).
    AccountLocked,
    /// The password is right but the account has no active smsPASS; no SMS is sent.
    SmsPassInactive,
    /// The password is right but too many wrong SMS codes were typed for this account lately: no
    /// code is sent until the lock ends (ms).
    CodeLocked { until_ms: i64 },
    /// An SMS limit (or the number's country) refused the code; nothing was sent.
    SmsLimited(SmsLimited),
}

impl Login {
    pub async fn submit_password(
        &self,
        login: &PendingLogin,
        username_raw: &str,
        password: &Secret,
        client_addr: Option<String>,
        old_session_token: Option<&str>,
        lang: &str,
    ) -> Result<PasswordOutcome, LoginError> {
        let now = self.now_ms();
        let normalised = username_raw.trim().to_lowercase();
        let throttle = self.authn.password_throttle(
            PrincipalKind::Citizen,
            &normalised,
            client_addr.as_deref(),
        );
        if let Some(until_ms) = throttle.locked_until().await? {
            let ev = AuditEvent::new(AuditKind::LoginThrottled)
                .sp(login.sp_entity_id())
                .addr(client_addr.clone())
                .detail(serde_json::json!({ "username": normalised }));
            self.store.audit(&ev, now).await?;
            self.metrics
                .logins
                .with_label_values(&["password", "throttled"])
                .inc();
            return Ok(PasswordOutcome::Throttled { until_ms });
        }
        let found = match Username::parse(username_raw) {
            Ok(u) => self.store.find_login(&u).await?,
            Err(_) => None,
        };
        let ok = self
            .hasher
            .verify(password, found.as_ref().map(|(_, h)| h.as_str()))
            .await?;
        let citizen = match (ok, found) {
            (true, Some((c, _))) => c,
            (_, found) => {
                let locked = throttle.fail().await?;
                let mut ev = AuditEvent::new(AuditKind::LoginPasswordFailed)
                    .sp(login.sp_entity_id())
                    .addr(client_addr)
                    .detail(
                        serde_json::json!({ "username": normalised, "known": found.is_some(),
                        "locked_until": locked }),
                    );
                if let Some((c, _)) = &found {
                    ev = ev.citizen(&c.id.0);
                }
                self.store.audit(&ev, now).await?;
                self.metrics
                    .logins
                    .with_label_values(&["password", "failed"])
                    .inc();
                return Ok(match locked {
                    Some(until_ms) => PasswordOutcome::Throttled { until_ms },
                    None => PasswordOutcome::Invalid,
                });
            }
        };
        if citizen.locked {
            self.metrics
                .logins
                .with_label_values(&["password", "locked"])
                .inc();
            return Ok(PasswordOutcome::AccountLocked);
        }
        // Step-up transactions already know the citizen: the password must belong to the same one.
        if let Some(known) = login.citizen_id() {
            if known != citizen.id.0 {
                return Ok(PasswordOutcome::Invalid);
            }
        }
        throttle.clear().await?;
        let ev = AuditEvent::new(AuditKind::LoginPasswordOk)
            .citizen(&citizen.id.0)
            .sp(login.sp_entity_id())
            .addr(client_addr.clone());
        let principal = Principal {
            kind: PrincipalKind::Citizen,
            id: citizen.id.0.clone(),
        };
        self.authn
            .flow_password_ok(&login.flow, &principal, &ev)
            .await?;
        self.metrics
            .logins
            .with_label_values(&["password", "ok"])
            .inc();
        // The user pages ask for the SMS code too once the citizen's smsPASS is active. For an
        // e-service the policy in force decides (its level may have been raised since the request:
        // the login continues with the code); one that is no longer available ends the login now,
        // before a code is sent.
        let sms_needed = match login.sso() {
            None => {
                login.flow.purpose.level() > Level::Password
                    || citizen.smspass.login_phone().is_some()
            }
            Some(req) => self.responder.sp_now(req).is_ok() && login.needs_sms(),
        };
        if !sms_needed {
            let done = self
                .responder
                .finish_login(
                    &login.flow.id,
                    &citizen,
                    &login.flow.purpose,
                    Level::Password,
                    old_session_token,
                    client_addr,
                )
                .await?;
            return Ok(PasswordOutcome::Done(done));
        }
        let Some(phone) = citizen.smspass.login_phone().cloned() else {
            return Ok(PasswordOutcome::SmsPassInactive);
        };
        Ok(
            match self
                .send_login_code(login, &citizen.id.0, &phone, 1, lang, client_addr)
                .await?
            {
                Sent::Yes => PasswordOutcome::CodeSent,
                Sent::Locked { until_ms } => PasswordOutcome::CodeLocked { until_ms },
                Sent::Limited(l) => PasswordOutcome::SmsLimited(l),
            },
        )
    }
}
