//! The authentication engine: one flow type for every purpose (`auth::flow::Purpose`), kept in the
//! `auth_flows` table and continued from any node; one runner for SMS-code challenges (`code`) that
//! every purpose uses; and the per-purpose details (audit kinds, SMS texts) in one place
//! (`purposes`). The login, staff and activation services chain these steps for their purposes.
mod code;
mod password;
pub(crate) mod purposes;

pub(crate) use code::{CodeCheck, CodeResend, CodeTo};
pub(crate) use password::password_account_key;

use super::{token_hash, Authn};
use crate::auth::flow::{Principal, PrincipalKind, Purpose};
use crate::storage::{FlowRecord, FlowStart, StorageError};

#[derive(Debug, thiserror::Error)]
pub enum AuthnError {
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error(transparent)]
    Auth(#[from] crate::auth::AuthError),
    /// A stored flow that cannot be read (a bug or a damaged row; the flow is not used).
    #[error("flow {0}: {1}")]
    Corrupt(String, String),
    #[error("SMS: {0}")]
    Sms(String),
}

/// A live flow: its purpose and, once known, its principal.
#[derive(Debug, Clone)]
pub struct Flow {
    pub id: String,
    pub purpose: Purpose,
    pub principal: Option<Principal>,
    /// When the password step succeeded (or the SSO session's authentication, for a step-up).
    pub password_at: Option<i64>,
    pub created_at: i64,
    pub expires_at: i64,
}

impl Flow {
    /// The principal's id if it is of `kind`.
    pub fn principal_id(&self, kind: PrincipalKind) -> Option<&str> {
        self.principal
            .as_ref()
            .filter(|p| p.kind == kind)
            .map(|p| p.id.as_str())
    }

    /// The password step is done (or the principal is known from the SSO session).
    pub fn password_done(&self) -> bool {
        self.principal.is_some() && self.password_at.is_some()
    }
}

/// A new flow to open.
pub(crate) struct NewFlow<'a> {
    pub purpose: Purpose,
    /// Known already (a step-up, or a phone proof), with when it authenticated.
    pub principal: Option<(Principal, Option<i64>)>,
    pub start: FlowStart<'a>,
}

fn principal_of(r: &FlowRecord) -> Result<Option<Principal>, AuthnError> {
    let corrupt = |why: &str| AuthnError::Corrupt(r.id.clone(), why.to_string());
    Ok(match (r.principal_kind.as_deref(), &r.principal_id) {
        (None, None) => None,
        (Some("citizen"), Some(id)) => Some(Principal {
            kind: PrincipalKind::Citizen,
            id: id.clone(),
        }),
        (Some("staff"), Some(id)) => Some(Principal {
            kind: PrincipalKind::Staff,
            id: id.clone(),
        }),
        _ => return Err(corrupt("principal")),
    })
}

fn flow_of(r: FlowRecord) -> Result<Flow, AuthnError> {
    let purpose = Purpose::from_stored(&r.kind, &r.purpose_json)
        .map_err(|e| AuthnError::Corrupt(r.id.clone(), e))?;
    let principal = principal_of(&r)?;
    if principal
        .as_ref()
        .is_some_and(|p| p.kind != purpose.principal_kind())
    {
        return Err(AuthnError::Corrupt(r.id, "principal kind".into()));
    }
    Ok(Flow {
        id: r.id,
        purpose,
        principal,
        password_at: r.password_at,
        created_at: r.created_at,
        expires_at: r.expires_at,
    })
}

impl Authn {
    /// Opens a flow; returns its cookie token and the flow. The flow lives for
    /// `[lifetimes] login_transaction_secs`.
    pub(crate) async fn open_flow(&self, new: NewFlow<'_>) -> Result<(String, Flow), AuthnError> {
        let token = self.rng.token();
        let now = self.now_ms();
        let (principal, password_at) = match new.principal {
            Some((p, at)) => (Some(p), at),
            None => (None, None),
        };
        if principal
            .as_ref()
            .is_some_and(|p| p.kind != new.purpose.principal_kind())
        {
            return Err(AuthnError::Corrupt(
                "new".into(),
                "principal kind does not fit the purpose".into(),
            ));
        }
        let rec = FlowRecord {
            id: uuid::Uuid::new_v4().to_string(),
            token_hash: token_hash(&self.keyed, &token)?,
            kind: new.purpose.kind().to_string(),
            principal_kind: principal.as_ref().map(|p| p.kind.as_str().to_string()),
            principal_id: principal.as_ref().map(|p| p.id.clone()),
            purpose_json: new
                .purpose
                .to_json()
                .map_err(|e| AuthnError::Corrupt("new".into(), e.to_string()))?,
            password_at,
            created_at: now,
            expires_at: now + self.cfg.lifetimes.login_transaction_secs * 1000,
            completed: false,
        };
        self.store.create_flow(&rec, new.start, now).await?;
        let flow = Flow {
            id: rec.id,
            purpose: new.purpose,
            principal,
            password_at,
            created_at: rec.created_at,
            expires_at: rec.expires_at,
        };
        Ok((token, flow))
    }

    /// The live flow named by a cookie token: `None` when there is none, it has expired or it is
    /// finished.
    pub(crate) async fn flow_by_token(&self, token: &str) -> Result<Option<Flow>, AuthnError> {
        let h = token_hash(&self.keyed, token)?;
        match self.store.find_flow(&h).await? {
            Some(r) if !r.completed && r.expires_at > self.now_ms() => Ok(Some(flow_of(r)?)),
            _ => Ok(None),
        }
    }

    /// The principal's open flows of a purpose kind, newest first.
    pub(crate) async fn open_flows_of(
        &self,
        principal: &Principal,
        kind: &str,
    ) -> Result<Vec<Flow>, AuthnError> {
        self.store
            .open_flows_of(principal.kind.as_str(), &principal.id, kind, self.now_ms())
            .await?
            .into_iter()
            .map(flow_of)
            .collect()
    }

    /// The password step succeeded: the flow belongs to `principal` from now on.
    pub(crate) async fn flow_password_ok(
        &self,
        flow: &Flow,
        principal: &Principal,
        ev: &crate::audit::AuditEvent,
    ) -> Result<(), AuthnError> {
        if principal.kind != flow.purpose.principal_kind() {
            return Err(AuthnError::Corrupt(
                flow.id.clone(),
                "principal kind".into(),
            ));
        }
        self.store
            .flow_password_ok(
                &flow.id,
                principal.kind.as_str(),
                &principal.id,
                self.now_ms(),
                ev,
            )
            .await?;
        Ok(())
    }
}
