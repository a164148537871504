//! E-mail to citizens. `Mailer` is the edge to the outside world; the dev/test provider writes one
//! RFC 5322 `.eml` file per message into an outbox folder.
mod outbox;
mod smtp;

pub use outbox::OutboxMailer;
pub use smtp::SmtpMailer;

use std::future::Future;
use std::pin::Pin;

/// A plain-text message to one recipient.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub text: String,
}

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("bad address {0}")]
    Address(String),
    #[error("message could not be built: {0}")]
    Build(String),
    #[error("message could not be written to the outbox: {0}")]
    Outbox(#[from] std::io::Error),
    #[error("message could not be delivered: {0}")]
    Transport(String),
}

pub type MailFuture<'a> = Pin<Box<dyn Future<Output = Result<(), MailError>> + Send + 'a>>;

pub trait Mailer: Send + Sync + 'static {
    fn send<'a>(&'a self, mail: &'a Mail) -> MailFuture<'a>;
}

/// Builds the RFC 5322 message (UTF-8 text body, quoted-printable or base64 as lettre chooses).
pub(crate) fn build_message(
    from: &str,
    mail: &Mail,
    date: std::time::SystemTime,
) -> Result<lettre::Message, MailError> {
    let from: lettre::message::Mailbox = from
        .parse()
        .map_err(|_| MailError::Address(from.to_string()))?;
    let to: lettre::message::Mailbox = mail
        .to
        .parse()
        .map_err(|_| MailError::Address(mail.to.clone()))?;
    lettre::Message::builder()
        .from(from)
        .to(to)
        .subject(mail.subject.clone())
        .date(date)
        .header(lettre::message::header::ContentType::TEXT_PLAIN)
        .body(mail.text.clone())
        .map_err(|e| MailError::Build(e.to_string()))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn message_has_headers_and_utf8_body() {
        let m = Mail {
            to: "janez@example.si".into(),
            subject: "Aktivacijska koda čšž".into(),
            text: "Pozdravljeni, koda je 1234.".into(),
        };
        let msg = build_message("pass-idp <noreply@example.si>", &m, std::time::UNIX_EPOCH)
            .expect("message");
        let raw = String::from_utf8(msg.formatted()).expect("ascii");
        assert!(raw.contains("To: janez@example.si"));
        assert!(raw.contains("From: pass-idp <noreply@example.si>"));
        let subject = raw
            .lines()
            .find(|l| l.starts_with("Subject: "))
            .expect("subject");
        assert!(subject.contains("=?utf-8?"), "{subject}");
    }

    #[test]
    fn bad_address_refused() {
        let m = Mail {
            to: "not an address".into(),
            subject: "x".into(),
            text: "y".into(),
        };
        assert!(matches!(
            build_message("a@b.si", &m, std::time::UNIX_EPOCH),
            Err(MailError::Address(_))
        ));
    }
}
