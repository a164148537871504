//! What the account pages show about smsPASS: the state, what the citizen must do next, and the
//! printable request form.
use super::{status, Activation, ActivationError};
use crate::domain::citizen::Citizen;
use crate::domain::smspass::{self, ActivationPath};
use serde::Serialize;

/// View model of the `account_smspass` partial (and the activation page).
#[derive(Debug, Clone, Serialize)]
pub struct SmsPassView {
    /// not_requested | requested | identity_verified | code_issued | active | suspended | revoked
    pub state: &'static str,
    /// Message keys: the state, and what to do next.
    pub state_key: String,
    pub next_key: String,
    pub reference: Option<String>,
    /// "A" or "B" while a request is open.
    pub path: Option<&'static str>,
    pub phone: Option<String>,
    /// The officer's reason of the last rejection, shown while no new request is open.
    pub rejected_reason: Option<String>,
    pub reason: Option<String>,
    pub can_start: bool,
    pub can_print_form: bool,
    pub can_enter_code: bool,
    pub awaiting_sms: bool,
    pub can_suspend: bool,
    pub can_resume: bool,
    pub can_change_phone: bool,
}

/// The request form the citizen prints, signs and brings to the registration office.
#[derive(Debug, Clone, Serialize)]
pub struct RequestForm {
    pub given_name: String,
    pub family_name: String,
    pub username: String,
    pub address_lines: Vec<String>,
    pub email: Option<String>,
    pub reference: String,
    /// dd. mm. yyyy
    pub date: String,
}

impl Activation {
    pub async fn smspass_view(&self, citizen: &Citizen) -> Result<SmsPassView, ActivationError> {
        let c = self.fresh_citizen(&citizen.id.0).await?;
        let s = &c.smspass;
        let code = s.code();
        let latest = self.store.latest_activation_request(&c.id.0).await?;
        let reference = match s.request() {
            Some(r) => self
                .store
                .activation_request(&r.id)
                .await?
                .map(|r| r.reference),
            None => None,
        };
        let rejected_reason = latest
            .as_ref()
            .filter(|r| r.status == status::REJECTED && s.request().is_none())
            .and_then(|r| r.reason.clone());
        let (_, reason) = self.store.smspass_note(&c.id.0).await?;
        let awaiting_sms = code == "code_issued" && self.pending_phone(&c, false).await?.is_some();
        let path = s.request().map(|r| r.path);
        let code_dead = match s.request() {
            Some(r) if code == "code_issued" => self.code_is_dead(&r.id).await?,
            _ => false,
        };
        Ok(SmsPassView {
            state: code,
            state_key: smspass::state_key(code),
            next_key: match (code, path) {
                ("requested", Some(ActivationPath::B))
                | ("identity_verified", Some(ActivationPath::B)) => smspass::next_key("letter"),
                _ if code_dead => smspass::next_key("code_dead"),
                _ => smspass::next_key(code),
            },
            reference,
            path: path.map(ActivationPath::as_str),
            phone: s.phone().map(|p| p.masked()),
            rejected_reason,
            reason: if code == "suspended" || code == "revoked" {
                reason
            } else {
                None
            },
            can_start: matches!(code, "not_requested" | "revoked") || code_dead,
            can_print_form: path == Some(ActivationPath::A)
                && matches!(code, "requested" | "identity_verified"),
            can_enter_code: code == "code_issued" && !code_dead,
            awaiting_sms,
            can_suspend: code == "active",
            can_resume: code == "suspended",
            can_change_phone: code == "active",
        })
    }

    /// The printable form of the citizen's open path-A request.
    pub async fn activation_request_form(
        &self,
        citizen: &Citizen,
    ) -> Result<RequestForm, ActivationError> {
        let c = self.fresh_citizen(&citizen.id.0).await?;
        let req = match c.smspass.request() {
            Some(r) if r.path == ActivationPath::A => self.store.activation_request(&r.id).await?,
            _ => None,
        }
        .ok_or_else(|| ActivationError::NotFound("open path A request".into()))?;
        let date = chrono::DateTime::from_timestamp_millis(req.created_at)
            .map(|d| d.format("%d. %m. %Y").to_string())
            .unwrap_or_default();
        Ok(RequestForm {
            address_lines: address_lines(&c),
            given_name: c.given_name,
            family_name: c.family_name,
            username: c.username.to_string(),
            email: c.email,
            reference: req.reference,
            date,
        })
    }
}

fn address_lines(c: &Citizen) -> Vec<String> {
    c.address.as_ref().map(|a| a.lines()).unwrap_or_default()
}
