use super::{SendFuture, SmsError, SmsSender};
use crate::domain::ids::PhoneNumber;
use std::path::PathBuf;
use tokio::io::AsyncWriteExt;
use tokio::sync::Mutex;

/// Appends one JSON object per message (`to`, `text`, `sent_at`) to a file.
#[derive(Debug)]
pub struct OutboxSms {
    path: PathBuf,
    lock: Mutex<()>,
}

impl OutboxSms {
    pub fn new(path: PathBuf) -> Self {
        Self {
            path,
            lock: Mutex::new(()),
        }
    }

    async fn append(&self, to: &PhoneNumber, text: &str, sent_at: &str) -> Result<(), SmsError> {
        let mut line = serde_json::to_string(&serde_json::json!({
            "to": to.as_str(),
            "text": text,
            "sent_at": sent_at,
        }))?;
        line.push('\n');
        let _g = self.lock.lock().await;
        if let Some(parent) = self.path.parent() {
            if !parent.as_os_str().is_empty() {
                tokio::fs::create_dir_all(parent).await?;
            }
        }
        let mut f = tokio::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
            .await?;
        f.write_all(line.as_bytes()).await?;
        f.flush().await?;
        Ok(())
    }
}

impl SmsSender for OutboxSms {
    fn send<'a>(&'a self, to: &'a PhoneNumber, text: &'a str, sent_at: &'a str) -> SendFuture<'a> {
        Box::pin(self.append(to, text, sent_at))
    }
}
