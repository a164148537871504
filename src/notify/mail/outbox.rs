use super::{build_message, Mail, MailError, MailFuture, Mailer};
use crate::clock::SharedClock;
use std::path::PathBuf;

/// Writes each message as `<unix-ms>-<uuid>.eml` into a folder (written to a temporary name first and
/// renamed, so a reader never sees half a message).
pub struct OutboxMailer {
    dir: PathBuf,
    from: String,
    clock: SharedClock,
}

impl OutboxMailer {
    pub fn new(dir: PathBuf, from: String, clock: SharedClock) -> Self {
        Self { dir, from, clock }
    }

    async fn write(&self, mail: &Mail) -> Result<(), MailError> {
        let now = self.clock.now();
        let msg = build_message(&self.from, mail, now.into())?;
        tokio::fs::create_dir_all(&self.dir).await?;
        let name = format!("{}-{}", now.timestamp_millis(), uuid::Uuid::new_v4());
        let tmp = self.dir.join(format!(".{name}.tmp"));
        tokio::fs::write(&tmp, msg.formatted()).await?;
        tokio::fs::rename(&tmp, self.dir.join(format!("{name}.eml"))).await?;
        Ok(())
    }
}

impl Mailer for OutboxMailer {
    fn send<'a>(&'a self, mail: &'a Mail) -> MailFuture<'a> {
        Box::pin(self.write(mail))
    }
}
