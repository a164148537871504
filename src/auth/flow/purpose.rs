//! What a flow is for, and who it authenticates. Adding a purpose means a variant here and one arm
//! in each `match` of `service::authn::purposes`; nothing else in the engine changes.
use crate::domain::loa::{AuthnTarget, Comparison, Level};
use crate::domain::local_path::LocalPath;
use serde::{Deserialize, Serialize};

/// A flow's purpose, stored with the flow as JSON (`kind` names the variant).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Purpose {
    /// A login for an e-service, answering its verified AuthnRequest.
    Sso(Box<SsoRequest>),
    /// A login to the citizen's user pages; done, the browser goes to `next`.
    AccountPages(AccountPages),
    /// A login to the staff area; done, the browser goes to `next`.
    StaffLogin { next: String },
    /// The proof that a citizen holds a phone (an SMS code to it, typed back).
    PhoneProof(PhoneProof),
}

/// Who a flow authenticates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrincipalKind {
    Citizen,
    Staff,
}

impl PrincipalKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PrincipalKind::Citizen => "citizen",
            PrincipalKind::Staff => "staff",
        }
    }
}

/// The principal of a flow, once known (by its password, or from the SSO session).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub kind: PrincipalKind,
    pub id: String,
}

/// The steps of a flow, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Username and password.
    Password,
    /// The one-time code by SMS.
    Code,
    /// Nothing left to ask: answer the e-service, open the session, or record the proof.
    Finish,
}

/// What an e-service login remembers of the request it answers (every field from the verified
/// AuthnRequest and the e-service's metadata).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SsoRequest {
    pub request_id: Option<String>,
    pub sp: String,
    pub acs_url: String,
    pub relay_state: Option<String>,
    pub force_authn: bool,
    pub target: AuthnTarget,
    pub name_id_format: String,
    /// Step-up: the citizen is known from the SSO session; only the missing step is asked.
    pub step_up: bool,
    /// The NameID format the request asked for (None: none or unspecified), so that the format is
    /// chosen again under the e-service's policy in force when the Response is built.
    #[serde(default)]
    pub requested_format: Option<String>,
    /// The request's RequestedAuthnContext, so that the target is decided again under the policy in
    /// force when the Response is built.
    #[serde(default)]
    pub requested_context: Option<RequestedContext>,
}

/// A verified RequestedAuthnContext as the flow keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RequestedContext {
    pub comparison: Comparison,
    pub class_refs: Vec<String>,
}

/// A login to the user pages.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccountPages {
    /// Where the browser goes when it is done (a local path, checked again when read).
    pub next: String,
    /// The level the page needs.
    pub level: Level,
    /// The citizen is known from a weaker SSO session; only the missing step is asked.
    pub step_up: bool,
}

/// Why a citizen proves a phone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PhoneReason {
    /// Activating smsPASS with an activation code.
    Activate,
    /// Moving smsPASS to a new number.
    Change,
}

/// A phone proof in progress.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PhoneProof {
    /// The number proven (E.164).
    pub phone: String,
    pub reason: PhoneReason,
    /// The activation code that opened the proof (activation); used up when the proof succeeds.
    #[serde(default)]
    pub code_id: Option<String>,
}

impl Purpose {
    /// The stored kind (also the `kind` tag of the JSON).
    pub fn kind(&self) -> &'static str {
        match self {
            Purpose::Sso(_) => "sso",
            Purpose::AccountPages(_) => "account_pages",
            Purpose::StaffLogin { .. } => "staff_login",
            Purpose::PhoneProof(_) => "phone_proof",
        }
    }

    /// Who a flow of this purpose authenticates.
    pub fn principal_kind(&self) -> PrincipalKind {
        match self {
            Purpose::StaffLogin { .. } => PrincipalKind::Staff,
            Purpose::Sso(_) | Purpose::AccountPages(_) | Purpose::PhoneProof(_) => {
                PrincipalKind::Citizen
            }
        }
    }

    /// The name under which this purpose's wrong codes are audited by the account-wide code lock.
    pub fn code_lock_name(&self) -> &'static str {
        match self {
            Purpose::Sso(_) => "sso_login",
            Purpose::AccountPages(_) => "account_login",
            Purpose::StaffLogin { .. } => "staff_login",
            Purpose::PhoneProof(p) => match p.reason {
                PhoneReason::Activate => "phone_activate",
                PhoneReason::Change => "phone_change",
            },
        }
    }

    /// The level a login of this purpose must reach at the least (an e-service's policy may ask
    /// more when the Response is built).
    pub fn level(&self) -> Level {
        match self {
            Purpose::Sso(r) => r.target.level,
            Purpose::AccountPages(a) => a.level,
            Purpose::StaffLogin { .. } | Purpose::PhoneProof(_) => Level::SmsPass,
        }
    }

    /// The steps of this purpose, given whether the password step is done and the level needed.
    /// A phone proof is only the code (the citizen is known from the session that started it).
    pub fn steps(&self, password_done: bool, level_needed: Level) -> Step {
        match self {
            Purpose::PhoneProof(_) => Step::Code,
            _ if !password_done => Step::Password,
            _ if level_needed >= Level::SmsPass => Step::Code,
            _ => Step::Finish,
        }
    }

    /// Where the browser goes when a login to a local area is done (never for an e-service).
    pub fn local_next(&self) -> Option<LocalPath> {
        let raw = match self {
            Purpose::AccountPages(a) => &a.next,
            Purpose::StaffLogin { next } => next,
            Purpose::Sso(_) | Purpose::PhoneProof(_) => return None,
        };
        Some(LocalPath::parse_or(Some(raw), "/"))
    }

    pub fn to_json(&self) -> Result<String, serde_json::Error> {
        serde_json::to_string(self)
    }

    /// Reads a stored purpose; the stored kind must agree with the JSON's.
    pub fn from_stored(kind: &str, json: &str) -> Result<Purpose, String> {
        let p: Purpose = serde_json::from_str(json).map_err(|e| format!("purpose: {e}"))?;
        if p.kind() != kind {
            return Err(format!(
                "purpose kind {kind:?} does not match {:?}",
                p.kind()
            ));
        }
        Ok(p)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn sso() -> Purpose {
        Purpose::Sso(Box::new(SsoRequest {
            request_id: Some("_r1".into()),
            sp: "https://sp.example/".into(),
            acs_url: "https://sp.example/acs".into(),
            relay_state: None,
            force_authn: false,
            target: AuthnTarget {
                level: Level::SmsPass,
                eidas: false,
                exact_uri: None,
            },
            name_id_format: "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent".into(),
            step_up: false,
            requested_format: None,
            requested_context: None,
        }))
    }

    #[test]
    fn every_purpose_round_trips_through_its_stored_form() {
        let all = [
            sso(),
            Purpose::AccountPages(AccountPages {
                next: "/account/phone".into(),
                level: Level::Password,
                step_up: true,
            }),
            Purpose::StaffLogin {
                next: "/office".into(),
            },
            Purpose::PhoneProof(PhoneProof {
                phone: "+38641000000".into(),
                reason: PhoneReason::Change,
                code_id: None,
            }),
        ];
        for p in all {
            let json = p.to_json().unwrap();
            assert_eq!(Purpose::from_stored(p.kind(), &json).unwrap(), p);
        }
    }

    #[test]
    fn a_stored_kind_that_disagrees_or_is_unknown_is_refused() {
        let json = sso().to_json().unwrap();
        assert!(Purpose::from_stored("staff_login", &json).is_err());
        assert!(Purpose::from_stored("logout", r#"{"kind":"logout"}"#).is_err());
        assert!(Purpose::from_stored("sso", "{}").is_err());
    }

    #[test]
    fn principal_kind_follows_the_purpose() {
        assert_eq!(sso().principal_kind(), PrincipalKind::Citizen);
        let staff = Purpose::StaffLogin { next: "/".into() };
        assert_eq!(staff.principal_kind(), PrincipalKind::Staff);
    }

    #[test]
    fn steps_chain_password_code_finish() {
        let p = Purpose::AccountPages(AccountPages {
            next: "/account".into(),
            level: Level::Password,
            step_up: false,
        });
        assert_eq!(p.steps(false, Level::Password), Step::Password);
        assert_eq!(p.steps(true, Level::Password), Step::Finish);
        assert_eq!(p.steps(true, Level::SmsPass), Step::Code);
        let phone = Purpose::PhoneProof(PhoneProof {
            phone: "+38641000000".into(),
            reason: PhoneReason::Activate,
            code_id: Some("c".into()),
        });
        assert_eq!(phone.steps(false, Level::SmsPass), Step::Code);
    }

    #[test]
    fn a_local_next_that_is_not_local_becomes_the_front_page() {
        let p = Purpose::StaffLogin {
            next: "//evil.example".into(),
        };
        assert_eq!(p.local_next().unwrap().as_str(), "/");
    }
}
