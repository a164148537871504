//! Message keys that code chooses at run time (a view-model field shown with `{{t field}}`). Each
//! family is a closed set — an enum with `ALL` or a fixed list — built by one function, so
//! [`runtime_keys`] can list every key code may build, and a test checks each in every catalog.
//! (Keys written literally in templates are checked by `i18n`'s own test.)
use crate::auth::password_policy::PolicyRefusal;
use crate::auth::sms_limit::SmsLimit;
use crate::domain::ids::IdError;
use crate::domain::smspass;
use crate::domain::staff::Role;
use crate::service::demo::NAMES as DEMO_NAMES;
use crate::service::office::DOCUMENT_TYPES;
use crate::storage::LetterStatus;

/// The outcome shown on a desk page after a POST (`?msg=`). A fixed set: the query cannot name
/// arbitrary keys, and an unknown value shows nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OfficeMsg {
    Checked,
    Signed,
    Approved,
    Rejected,
    Suspend,
    Resume,
    Revoke,
    Refused,
    Reissued,
    MailFailed,
}

impl OfficeMsg {
    pub const ALL: [OfficeMsg; 10] = [
        OfficeMsg::Checked,
        OfficeMsg::Signed,
        OfficeMsg::Approved,
        OfficeMsg::Rejected,
        OfficeMsg::Suspend,
        OfficeMsg::Resume,
        OfficeMsg::Revoke,
        OfficeMsg::Refused,
        OfficeMsg::Reissued,
        OfficeMsg::MailFailed,
    ];

    /// The value in `?msg=`.
    pub fn as_str(self) -> &'static str {
        match self {
            OfficeMsg::Checked => "checked",
            OfficeMsg::Signed => "signed",
            OfficeMsg::Approved => "approved",
            OfficeMsg::Rejected => "rejected",
            OfficeMsg::Suspend => "suspend",
            OfficeMsg::Resume => "resume",
            OfficeMsg::Revoke => "revoke",
            OfficeMsg::Refused => "refused",
            OfficeMsg::Reissued => "reissued",
            OfficeMsg::MailFailed => "mail_failed",
        }
    }

    pub fn parse(raw: &str) -> Option<OfficeMsg> {
        OfficeMsg::ALL.into_iter().find(|m| m.as_str() == raw)
    }

    pub fn key(self) -> &'static str {
        match self {
            OfficeMsg::Checked => "office.msg.checked",
            OfficeMsg::Signed => "office.msg.signed",
            OfficeMsg::Approved => "office.msg.approved",
            OfficeMsg::Rejected => "office.msg.rejected",
            OfficeMsg::Suspend => "office.msg.suspend",
            OfficeMsg::Resume => "office.msg.resume",
            OfficeMsg::Revoke => "office.msg.revoke",
            OfficeMsg::Refused => "office.msg.refused",
            OfficeMsg::Reissued => "office.msg.reissued",
            OfficeMsg::MailFailed => "office.msg.mail_failed",
        }
    }

    /// Shown as a failure.
    pub fn is_failure(self) -> bool {
        matches!(self, OfficeMsg::Refused | OfficeMsg::MailFailed)
    }
}

/// The message key of a document type (one of `DOCUMENT_TYPES`).
pub fn document_type_key(t: &str) -> String {
    format!("office.doc.{t}")
}

/// The message key of a demo e-service's name (one of the demo `NAMES`).
pub fn demo_name_key(name: &str) -> String {
    format!("demo.name.{name}")
}

/// Every message key code may choose at run time.
pub fn runtime_keys() -> Vec<String> {
    let mut keys: Vec<String> = Vec::new();
    keys.extend(OfficeMsg::ALL.iter().map(|m| m.key().to_string()));
    keys.extend(DOCUMENT_TYPES.iter().map(|t| document_type_key(t)));
    keys.extend(DEMO_NAMES.iter().map(|n| demo_name_key(n)));
    keys.extend(Role::ALL.iter().map(|r| r.message_key().to_string()));
    keys.extend(
        LetterStatus::ALL
            .iter()
            .map(|s| s.message_key().to_string()),
    );
    keys.extend(smspass::STATE_CODES.iter().map(|c| smspass::state_key(c)));
    keys.extend(
        smspass::STATE_CODES
            .iter()
            .chain(smspass::NEXT_EXTRA.iter())
            .map(|c| smspass::next_key(c)),
    );
    keys.extend(
        PolicyRefusal::ALL
            .iter()
            .map(|r| r.message_key().to_string()),
    );
    keys.extend(SmsLimit::ALL.iter().map(|l| l.message_key().to_string()));
    keys.extend(
        IdError::PHONE_REFUSALS
            .iter()
            .map(|e| e.phone_message_key().to_string()),
    );
    keys.extend(super::error::WebError::message_keys().map(str::to_string));
    keys
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::{Messages, LANGS};

    #[test]
    fn every_key_code_builds_exists_in_every_catalog() {
        let Ok(m) = Messages::load() else {
            panic!("catalogs")
        };
        let keys = runtime_keys();
        assert!(keys.len() > 40, "{}", keys.len());
        let mut missing = Vec::new();
        for k in &keys {
            for lang in LANGS {
                if m.get(lang, k).is_none() {
                    missing.push(format!("{lang}: {k}"));
                }
            }
        }
        assert!(missing.is_empty(), "missing: {missing:?}");
    }

    #[test]
    fn a_misspelt_key_would_be_caught() {
        let Ok(m) = Messages::load() else {
            panic!("catalogs")
        };
        assert!(m.get("sl", "office.msg.checkd").is_none());
        assert!(m.get("en", &smspass::state_key("lapsed")).is_none());
    }

    #[test]
    fn office_messages_round_trip_and_nothing_else_parses() {
        for msg in OfficeMsg::ALL {
            assert_eq!(OfficeMsg::parse(msg.as_str()), Some(msg));
            assert!(msg.key().ends_with(msg.as_str()));
        }
        for bad in [
            "",
            "Checked",
            "../x",
            "error.internal",
            "office.msg.checked",
        ] {
            assert_eq!(OfficeMsg::parse(bad), None, "{bad}");
        }
    }
}
