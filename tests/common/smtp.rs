//! A real SMTP server for tests: `tests/python/smtp_sink.py` (aiosmtpd in the test venv) on a random
//! loopback port, writing each received message as JSON into a temporary folder.
//!
//! ```ignore
//! let smtp = SmtpSink::start();
//! let app = TestApp::spawn_with(backend, &[], |c| smtp.configure(c)).await;
//! let mails = smtp.wait_for(1).await; // Vec<ReceivedMail { to, subject, body }>
//! ```
use std::io::BufRead;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

#[derive(Debug, Clone)]
pub struct ReceivedMail {
    /// Envelope recipients.
    pub to: Vec<String>,
    pub subject: String,
    /// The decoded text body, line ends normalised to `\n`.
    pub body: String,
    /// The message as received (headers and encoded body).
    pub raw: String,
}

pub struct SmtpSink {
    pub port: u16,
    dir: tempfile::TempDir,
    child: Child,
}

impl SmtpSink {
    /// Starts the server and waits until it listens. Panics if the test venv lacks aiosmtpd.
    pub fn start() -> SmtpSink {
        Self::start_with(&[])
    }

    /// The same, offering and requiring STARTTLS with this certificate chain and key (PEM files).
    pub fn start_tls(cert: &std::path::Path, key: &std::path::Path) -> SmtpSink {
        Self::start_with(&[cert, key])
    }

    fn start_with(tls: &[&std::path::Path]) -> SmtpSink {
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        let py = root.join("var/test-venv/bin/python");
        assert!(
            py.exists(),
            "the test venv is missing: run `make test-venv` (make test does it)"
        );
        let dir = tempfile::tempdir().expect("tempdir");
        let mut child = Command::new(py)
            .arg(root.join("tests/python/smtp_sink.py"))
            .arg(dir.path())
            .args(tls)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start smtp_sink.py");
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        std::io::BufReader::new(stdout)
            .read_line(&mut line)
            .expect("read the port line");
        let v: serde_json::Value = serde_json::from_str(line.trim()).unwrap_or_else(|_| {
            let _ = child.kill();
            panic!("smtp_sink.py did not start (is aiosmtpd installed in var/test-venv?): {line:?}")
        });
        let port = v["port"].as_u64().expect("port") as u16;
        SmtpSink { port, dir, child }
    }

    /// Points the app's mail settings at this server (plain SMTP on loopback).
    pub fn configure(&self, cfg: &mut pass_idp::config::Config) {
        cfg.mail.provider = "smtp".into();
        cfg.mail.smtp_host = "127.0.0.1".into();
        cfg.mail.smtp_port = self.port;
        cfg.mail.smtp_tls = "none".into();
    }

    /// Every message received so far, oldest first.
    pub fn messages(&self) -> Vec<ReceivedMail> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(self.dir.path())
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect();
        files.sort();
        files
            .into_iter()
            .map(|p| {
                let text = std::fs::read_to_string(&p).expect("read message");
                let v: serde_json::Value = serde_json::from_str(&text).expect("message JSON");
                ReceivedMail {
                    to: v["to"]
                        .as_array()
                        .map(|a| {
                            a.iter()
                                .filter_map(|x| x.as_str().map(str::to_string))
                                .collect()
                        })
                        .unwrap_or_default(),
                    subject: v["subject"].as_str().unwrap_or_default().to_string(),
                    body: v["body"].as_str().unwrap_or_default().replace("\r\n", "\n"),
                    raw: v["raw"].as_str().unwrap_or_default().to_string(),
                }
            })
            .collect()
    }

    /// Waits (up to 10 s) until the app has no mail on its way — every password-reset request it
    /// took has been handled in the background; the other mails are sent before the page answers —
    /// and returns every message received. Use it before asserting that a mail did *not* come.
    pub async fn settled(&self, services: &pass_idp::service::Services) -> Vec<ReceivedMail> {
        let start = Instant::now();
        while services.account.resets_in_progress() > 0 {
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "background mail work still running after 10 s"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        self.messages()
    }

    /// Waits (up to 10 s) until at least `n` messages have arrived and returns all of them.
    pub async fn wait_for(&self, n: usize) -> Vec<ReceivedMail> {
        let start = Instant::now();
        loop {
            let m = self.messages();
            if m.len() >= n {
                return m;
            }
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "expected {n} mail(s), got {}: {m:?}",
                m.len()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
