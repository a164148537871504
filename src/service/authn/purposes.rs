//! What differs between purposes when a code is sent or checked: the audit kinds and the SMS text.
//! One `match` per question; a new purpose adds one arm to each.
use crate::audit::AuditKind;
use crate::auth::flow::Purpose;
use crate::service::Authn;

/// The pseudo e-service under which user-page logins are recorded (audit, sessions).
pub const ACCOUNT_AREA: &str = "urn:pass-idp:account";
pub(crate) const AREA_NAME_SL: &str = "Uporabniške strani smsPASS";
pub(crate) const AREA_NAME_EN: &str = "smsPASS user pages";

/// The audit records of a purpose's codes.
pub(super) struct CodeAudit {
    pub sent: AuditKind,
    pub failed: AuditKind,
    /// A code used up by wrong entries.
    pub voided: AuditKind,
    /// A right code (written when the code is spent), where the purpose records one.
    pub ok: Option<AuditKind>,
}

pub(super) fn code_audit(p: &Purpose) -> CodeAudit {
    match p {
        Purpose::Sso(_) | Purpose::AccountPages(_) => CodeAudit {
            sent: AuditKind::OtpSent,
            failed: AuditKind::OtpFailed,
            voided: AuditKind::OtpVoided,
            ok: Some(AuditKind::OtpOk),
        },
        // The staff login is recorded when its session opens.
        Purpose::StaffLogin { .. } => CodeAudit {
            sent: AuditKind::StaffOtpSent,
            failed: AuditKind::StaffOtpFailed,
            voided: AuditKind::StaffOtpFailed,
            ok: None,
        },
        // The proof is recorded with the change of smsPASS state it leads to.
        Purpose::PhoneProof(_) => CodeAudit {
            sent: AuditKind::PhoneCodeSent,
            failed: AuditKind::PhoneCodeFailed,
            voided: AuditKind::PhoneCodeFailed,
            ok: None,
        },
    }
}

/// The SMS text that proves a phone.
fn phone_text(lang: &str, code: &str, host: &str, ttl_minutes: i64) -> String {
    let body = match lang {
        "en" => format!(
            "Code to confirm this phone for smsPASS: {code}\nValid for {ttl_minutes} min. If you did not ask for it, ignore this message."
        ),
        _ => format!(
            "Koda za potrditev telefona za smsPASS: {code}\nVelja {ttl_minutes} min. Če je niste zahtevali, sporočilo prezrite."
        ),
    };
    format!("{body}\n\n@{host} #{code}")
}

impl Authn {
    /// The name of what a login is for, as the citizen or officer reads it.
    pub(crate) fn purpose_label(&self, p: &Purpose, lang: &str) -> String {
        let en = lang == "en";
        match p {
            Purpose::Sso(r) => match self.registry.snapshot().get(&r.sp) {
                Some(sp) => sp.display_name(lang),
                None => r.sp.clone(),
            },
            Purpose::AccountPages(_) | Purpose::PhoneProof(_) => {
                (if en { AREA_NAME_EN } else { AREA_NAME_SL }).to_string()
            }
            Purpose::StaffLogin { .. } => (if en {
                "the pass-idp staff area"
            } else {
                "skrbniški del pass-idp"
            })
            .to_string(),
        }
    }

    /// The text of the SMS that carries `code` for a flow of purpose `p`.
    pub(super) fn code_text(
        &self,
        p: &Purpose,
        lang: &str,
        code: &str,
        ttl_minutes: i64,
    ) -> String {
        let host = self.cfg.public_host();
        match p {
            Purpose::PhoneProof(_) => phone_text(lang, code, &host, ttl_minutes),
            Purpose::Sso(_) | Purpose::AccountPages(_) | Purpose::StaffLogin { .. } => {
                crate::notify::sms::login_code_text(
                    lang,
                    &self.purpose_label(p, lang),
                    code,
                    &host,
                    ttl_minutes,
                )
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn phone_text_ends_with_the_webotp_line_in_both_languages() {
        for lang in ["sl", "en"] {
            let t = super::phone_text(lang, "123456", "login.example", 5);
            assert!(t.ends_with("@login.example #123456"), "{t}");
            assert!(t.contains("smsPASS"));
        }
    }
}
