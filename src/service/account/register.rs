//! Registration of a new account and verification of its e-mail address.
//!
//! Registration is not a username oracle: a well-formed form gets the same answer whether the
//! username is free or taken (same page, same status, the same work — a password hash and one mail),
//! and the real outcome goes only to the mailbox given in the form: a verification link for a new
//! account, or a note that the username is taken (with the way to log in or reset the password).
use super::{mails, AccountError, LinkOutcome};
use crate::audit::{AuditEvent, AuditKind};
use crate::auth::password_policy as policy;
use crate::auth::Secret;
use crate::domain::citizen::{Address, Citizen};
use crate::domain::ids::{CitizenId, Username};
use crate::service::Account;
use crate::storage::{NewCitizen, StorageError, TokenEffect, TokenPurpose, TokenState};

pub struct RegisterInput {
    pub username: String,
    pub password: Secret,
    pub password_repeat: Secret,
    pub given_name: String,
    pub family_name: String,
    pub email: String,
    pub street: String,
    pub postcode: String,
    pub city: String,
}

pub enum RegisterOutcome {
    /// The form was well formed: a mail about the outcome (a verification link for the new account,
    /// or a note that the username is taken) went to `email`, if it could be sent. Which of the two
    /// it was is deliberately not told here.
    Accepted { email: String, mail_sent: bool },
    /// Nothing was stored; the message keys say what to correct.
    Refused(Vec<&'static str>),
}

fn bounded(s: &str, max: usize) -> Option<String> {
    let t = s.trim();
    (!t.is_empty() && t.chars().count() <= max && !t.chars().any(char::is_control))
        .then(|| t.to_string())
}

/// A plausible mailbox: `local@domain.tld`, no spaces or characters that could break a header.
pub(super) fn parse_email(raw: &str) -> Option<String> {
    let e = raw.trim();
    let (local, domain) = e.split_once('@')?;
    let bad = |c: char| c.is_whitespace() || c.is_control() || "<>()[],;:\"\\@".contains(c);
    let ok = e.len() <= 254
        && !local.is_empty()
        && local.len() <= 64
        && !local.chars().any(bad)
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..")
        && domain
            .chars()
            .all(|c| c.is_alphanumeric() || c == '-' || c == '.');
    ok.then(|| e.to_string())
}

/// A Slovenian postcode: four digits (an `SI-` prefix is dropped).
fn parse_postcode(raw: &str) -> Option<String> {
    let p = raw.trim();
    let p = p
        .strip_prefix("SI-")
        .or_else(|| p.strip_prefix("si-"))
        .unwrap_or(p);
    (p.len() == 4 && p.chars().all(|c| c.is_ascii_digit())).then(|| p.to_string())
}

impl Account {
    pub async fn register(
        &self,
        i: RegisterInput,
        lang: &str,
        client_addr: Option<String>,
    ) -> Result<RegisterOutcome, AccountError> {
        let mut errors = Vec::new();
        let username = Username::parse(&i.username)
            .map_err(|_| errors.push("account.err.username"))
            .ok();
        let given = bounded(&i.given_name, 200);
        let family = bounded(&i.family_name, 200);
        if given.is_none() || family.is_none() {
            errors.push("account.err.name");
        }
        let email = parse_email(&i.email);
        if email.is_none() {
            errors.push("account.err.email");
        }
        let street = bounded(&i.street, 200);
        let city = bounded(&i.city, 100);
        let postcode = parse_postcode(&i.postcode);
        if street.is_none() || city.is_none() {
            errors.push("account.err.address");
        }
        if postcode.is_none() {
            errors.push("account.err.postcode");
        }
        let details = [
            i.given_name.as_str(),
            i.family_name.as_str(),
            i.email.as_str(),
            i.street.as_str(),
            i.postcode.as_str(),
            i.city.as_str(),
        ];
        if let Err(r) = policy::check(
            &self.cfg.account,
            i.password.expose(),
            i.password_repeat.expose(),
            i.username.trim(),
            &details,
        ) {
            errors.push(r.message_key());
        }
        let (
            Some(username),
            Some(given),
            Some(family),
            Some(email),
            Some(street),
            Some(postcode),
            Some(city),
        ) = (username, given, family, email, street, postcode, city)
        else {
            return Ok(RegisterOutcome::Refused(errors));
        };
        if !errors.is_empty() {
            return Ok(RegisterOutcome::Refused(errors));
        }
        // Hashed before the username is looked up, so a taken username costs the same time.
        let hash = self.hasher.hash(&i.password).await?;
        if self.store.find_citizen(&username).await?.is_some() {
            return self
                .registration_taken(&username, email, lang, client_addr)
                .await;
        }
        let id = CitizenId(uuid::Uuid::new_v4().to_string());
        let ev = AuditEvent::new(AuditKind::CitizenCreated)
            .actor(username.as_str())
            .citizen(&id.0)
            .addr(client_addr.clone())
            .detail(serde_json::json!({ "via": "self-registration" }));
        let new = NewCitizen {
            id,
            username: username.clone(),
            given_name: given,
            family_name: family,
            email: Some(email.clone()),
            address: Some(Address {
                street,
                postcode,
                city,
            }),
        };
        let citizen = match self
            .store
            .create_citizen(&new, &hash, self.now_ms(), &ev)
            .await
        {
            Ok(c) => c,
            // Taken between the check and the insert.
            Err(StorageError::Conflict(_)) => {
                return self
                    .registration_taken(&username, email, lang, client_addr)
                    .await
            }
            Err(e) => return Err(e.into()),
        };
        let mail_sent = self.send_verification(&citizen, lang, client_addr).await?;
        Ok(RegisterOutcome::Accepted {
            email: citizen.email.unwrap_or_default(),
            mail_sent,
        })
    }

    /// The username is taken: nothing is stored but an audit record, and the mailbox hears why.
    async fn registration_taken(
        &self,
        username: &Username,
        email: String,
        lang: &str,
        client_addr: Option<String>,
    ) -> Result<RegisterOutcome, AccountError> {
        let ev = AuditEvent::new(AuditKind::RegistrationTaken)
            .actor(username.as_str())
            .addr(client_addr)
            .detail(serde_json::json!({ "via": "self-registration" }));
        self.store.audit(&ev, self.now_ms()).await?;
        let mail = mails::taken_mail(lang, &email, username.as_str(), &self.cfg.base_url);
        let mail_sent = self.send_mail(&mail, "registration: username taken").await;
        Ok(RegisterOutcome::Accepted { email, mail_sent })
    }

    /// Mails a new verification link (earlier ones stop working). False when there is nothing to
    /// verify or the mail could not be sent.
    pub async fn send_verification(
        &self,
        c: &Citizen,
        lang: &str,
        client_addr: Option<String>,
    ) -> Result<bool, AccountError> {
        let Some(email) = c.email.as_deref() else {
            return Ok(false);
        };
        if c.email_verified {
            return Ok(false);
        }
        let ttl = self.cfg.account.verify_ttl_secs;
        let link = self
            .issue_link(
                c,
                TokenPurpose::Verify,
                "/account/verify",
                ttl,
                AuditKind::EmailVerificationSent,
                client_addr,
            )
            .await?;
        let mail = mails::verify_mail(lang, email, &c.given_name, &link, ttl);
        Ok(self.send_mail(&mail, "e-mail verification").await)
    }

    /// Uses a verification link: marks the e-mail address verified.
    /// Whether a verification link can still be used (its page offers the button only then).
    pub async fn verify_link_state(&self, token: &str) -> Result<LinkOutcome, AccountError> {
        Ok(self.link_state(TokenPurpose::Verify, token).await?.0)
    }

    pub async fn verify_email(
        &self,
        token: &str,
        client_addr: Option<String>,
    ) -> Result<LinkOutcome, AccountError> {
        if !super::links::well_formed(token) {
            return Ok(LinkOutcome::Invalid);
        }
        let hash = self.link_token_hash(token)?;
        let ev = AuditEvent::new(AuditKind::EmailVerified).addr(client_addr);
        let state = self
            .store
            .use_email_token(
                TokenPurpose::Verify,
                &hash,
                TokenEffect::VerifyEmail,
                self.now_ms(),
                ev,
            )
            .await?;
        Ok(match state {
            TokenState::Valid { .. } => LinkOutcome::Ok,
            other => (&other).into(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_checked() {
        assert_eq!(
            parse_email(" janez@example.si "),
            Some("janez@example.si".into())
        );
        for bad in [
            "",
            "janez",
            "janez@",
            "@example.si",
            "janez@localhost",
            "a b@example.si",
            "a@b@example.si",
            "janez@example..si",
            "x@example.si\r\nBcc: y@z.si",
            "<x>@example.si",
        ] {
            assert_eq!(parse_email(bad), None, "{bad}");
        }
    }

    #[test]
    fn postcodes_checked() {
        assert_eq!(parse_postcode("1000"), Some("1000".into()));
        assert_eq!(parse_postcode("SI-2000"), Some("2000".into()));
        assert_eq!(parse_postcode("100"), None);
        assert_eq!(parse_postcode("10000"), None);
        assert_eq!(parse_postcode("1o00"), None);
    }
}
