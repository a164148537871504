//! The e-mail that carries the activation code (Slovenian or English, by the language of the request).
use super::super::activation::ActivationError;
use super::super::Office;
use crate::audit::{AuditEvent, AuditKind};
use crate::auth::Secret;
use crate::domain::citizen::Citizen;
use crate::notify::mail::Mail;
use crate::storage::ActivationRequestRecord;

/// Whether the e-mail with a newly issued activation code went out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeMail {
    Sent,
    /// The code is stored, but the e-mail could not be sent (the citizen does not have it).
    Failed,
}

fn date(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|d| d.format("%d. %m. %Y").to_string())
        .unwrap_or_default()
}

/// Subject and text of the activation-code e-mail.
pub(crate) fn activation_mail(
    lang: &str,
    name: &str,
    reference: &str,
    code: &str,
    expires_ms: i64,
    account_url: &str,
) -> (String, String) {
    let until = date(expires_ms);
    match lang {
        "en" => (
            "Your smsPASS activation code".into(),
            format!(
                "Dear {name},\n\nyour request {reference} for smsPASS has been approved.\n\n\
                 Activation code: {code}\n\n\
                 Log in to your account at {account_url} and enter the code together with your mobile \
                 phone number. The code is valid until {until} and can be used once.\n\n\
                 If you did not ask for smsPASS, contact a registration office.\n"
            ),
        ),
        _ => (
            "Vaša aktivacijska koda za smsPASS".into(),
            format!(
                "Spoštovani {name},\n\nvaša zahteva {reference} za smsPASS je odobrena.\n\n\
                 Aktivacijska koda: {code}\n\n\
                 Prijavite se v svoj račun na {account_url} in vpišite kodo ter številko svojega \
                 mobilnega telefona. Koda velja do {until} in jo lahko uporabite enkrat.\n\n\
                 Če smsPASS niste zahtevali, se obrnite na upravno enoto.\n"
            ),
        ),
    }
}

impl Office {
    pub(super) async fn mail_activation_code(
        &self,
        c: &Citizen,
        r: &ActivationRequestRecord,
        email: &str,
        code: &Secret,
        actor: &str,
        client_addr: Option<String>,
    ) -> Result<CodeMail, ActivationError> {
        let expires = self.now_ms() + self.cfg.activation.code_ttl_days * 86_400_000;
        let (subject, text) = activation_mail(
            &r.lang,
            &format!("{} {}", c.given_name, c.family_name),
            &r.reference,
            code.expose(),
            expires,
            &format!("{}/account/activation", self.cfg.base_url),
        );
        let mail = Mail {
            to: email.to_string(),
            subject,
            text,
        };
        if let Err(e) = self.mailer.send(&mail).await {
            // The code is stored but never reached the citizen: the officer is told and may issue a
            // new one (which voids this one).
            tracing::warn!(error = %e, reference = %r.reference, "activation code e-mail not sent");
            let ev = AuditEvent::new(AuditKind::ActivationCodeMailFailed)
                .actor(actor)
                .citizen(&c.id.0)
                .addr(client_addr)
                .detail(serde_json::json!({ "reference": r.reference }));
            self.store.audit(&ev, self.now_ms()).await?;
            return Ok(CodeMail::Failed);
        }
        let ev = AuditEvent::new(AuditKind::ActivationCodeMailed)
            .actor(actor)
            .citizen(&c.id.0)
            .addr(client_addr)
            .detail(serde_json::json!({ "reference": r.reference }));
        self.store.audit(&ev, self.now_ms()).await?;
        Ok(CodeMail::Sent)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mail_carries_code_reference_and_link_in_both_languages() {
        for lang in ["sl", "en"] {
            let (subject, text) = activation_mail(
                lang,
                "Janez Novak",
                "A-7K3M-9Q2P",
                "K7M3-9Q2P-X4TZ",
                0,
                "https://x/account/activation",
            );
            assert!(subject.contains("smsPASS"));
            for part in [
                "Janez Novak",
                "A-7K3M-9Q2P",
                "K7M3-9Q2P-X4TZ",
                "https://x/account/activation",
                "01. 01. 1970",
            ] {
                assert!(text.contains(part), "{lang}: {part}");
            }
        }
    }
}
