//! Mail through an SMTP server (lettre, tokio). `[mail] smtp_tls` chooses STARTTLS (required, never
//! downgraded), implicit TLS, or plain SMTP (dev mode or a loopback relay only; `Config::validate`
//! enforces that). Credentials are sent only over TLS.
use super::{build_message, Mail, MailError, MailFuture, Mailer};
use crate::clock::SharedClock;
use crate::config::MailConfig;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::time::Duration;

pub struct SmtpMailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: String,
    clock: SharedClock,
}

impl std::fmt::Debug for SmtpMailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpMailer")
            .field("from", &self.from)
            .finish_non_exhaustive()
    }
}

fn transport_err(e: impl std::fmt::Display) -> MailError {
    MailError::Transport(e.to_string())
}

impl SmtpMailer {
    /// Builds the transport from validated settings (no connection is made until the first mail).
    pub fn new(cfg: &MailConfig, clock: SharedClock) -> Result<Self, MailError> {
        if cfg.from.parse::<lettre::message::Mailbox>().is_err() {
            return Err(MailError::Address(cfg.from.clone()));
        }
        let host = cfg.smtp_host.trim();
        let tls = match cfg.smtp_tls.as_str() {
            "none" => Tls::None,
            mode => {
                let params = TlsParameters::new(host.to_string()).map_err(transport_err)?;
                if mode == "tls" {
                    Tls::Wrapper(params)
                } else {
                    Tls::Required(params)
                }
            }
        };
        let mut b = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
            .port(cfg.smtp_port)
            .tls(tls)
            .timeout(Some(Duration::from_secs(20)));
        if !cfg.smtp_username.is_empty() {
            b = b.credentials(Credentials::new(
                cfg.smtp_username.clone(),
                cfg.smtp_password.expose().to_string(),
            ));
        }
        Ok(Self {
            transport: b.build(),
            from: cfg.from.clone(),
            clock,
        })
    }

    fn message(&self, mail: &Mail) -> Result<Message, MailError> {
        build_message(&self.from, mail, self.clock.now().into())
    }

    async fn deliver(&self, mail: &Mail) -> Result<(), MailError> {
        let msg = self.message(mail)?;
        self.transport.send(msg).await.map_err(transport_err)?;
        Ok(())
    }
}

impl Mailer for SmtpMailer {
    fn send<'a>(&'a self, mail: &'a Mail) -> MailFuture<'a> {
        Box::pin(self.deliver(mail))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::{FixedClock, SharedClock};
    use crate::config::SecretValue;
    use std::sync::Arc;

    fn clock() -> SharedClock {
        Arc::new(FixedClock::at_system_now())
    }

    fn cfg(tls: &str) -> MailConfig {
        MailConfig {
            provider: "smtp".into(),
            smtp_host: "smtp.example.si".into(),
            smtp_port: 587,
            smtp_tls: tls.into(),
            smtp_username: "idp".into(),
            smtp_password: SecretValue::new("pw-not-in-debug"),
            ..MailConfig::default()
        }
    }

    #[test]
    fn builds_for_every_tls_mode_and_hides_the_password() {
        for mode in ["starttls", "tls", "none"] {
            let m = SmtpMailer::new(&cfg(mode), clock());
            assert!(m.is_ok(), "{mode}: {:?}", m.err());
            let dbg = format!("{m:?}");
            assert!(!dbg.contains("pw-not-in-debug"), "{dbg}");
        }
    }

    #[test]
    fn message_has_headers_and_refuses_bad_recipient() {
        let Ok(m) = SmtpMailer::new(&cfg("none"), clock()) else {
            panic!("mailer")
        };
        let mail = Mail {
            to: "janez@example.si".into(),
            subject: "Potrditev e-naslova — čšž".into(),
            text: "Pozdravljeni, Žiga".into(),
        };
        let raw = m.message(&mail).map(|x| x.formatted()).unwrap_or_default();
        let raw = String::from_utf8_lossy(&raw);
        assert!(raw.contains("To: janez@example.si"), "{raw}");
        assert!(raw.contains("From: pass-idp <noreply@localhost>"), "{raw}");
        let bad = Mail {
            to: "not an address\r\nBcc: x@y".into(),
            ..mail
        };
        assert!(m.message(&bad).is_err());
    }
}
