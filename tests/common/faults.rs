//! Storage faults for tests: a small tmpfs of the test's own that can be filled up and remounted
//! read-only (the tests run as root here and in CI; without root they skip with a message), and
//! concurrent session-SSO load that sorts every answer.
use super::sp::Req;
use super::{Browser, Posted, TestApp, TestSp};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A tmpfs mounted on a fresh folder; unmounted on drop.
pub struct Tmpfs {
    pub dir: PathBuf,
    _holder: tempfile::TempDir,
}

impl Tmpfs {
    /// `None` (and a note on stderr) when mounting is not possible here.
    pub fn mount(size: &str) -> Option<Tmpfs> {
        let holder = tempfile::tempdir().ok()?;
        let dir = holder.path().join("mnt");
        std::fs::create_dir_all(&dir).ok()?;
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(&dir)
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            eprintln!("note: cannot mount a tmpfs (not root?): storage fault test skipped");
            return None;
        }
        Some(Tmpfs {
            dir,
            _holder: holder,
        })
    }

    pub fn sqlite_url(&self) -> String {
        format!("sqlite://{}/idp.db?mode=rwc", self.dir.display())
    }

    /// Remounts read-only (`true`) or read-write; retries while files are still open for writing.
    pub async fn remount(&self, read_only: bool) {
        let opt = if read_only {
            "remount,ro"
        } else {
            "remount,rw"
        };
        for _ in 0..100 {
            let ok = Command::new("mount")
                .args(["-o", opt])
                .arg(&self.dir)
                .status()
                .is_ok_and(|s| s.success());
            if ok {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("cannot {opt} {}", self.dir.display());
    }

    /// Fills the filesystem up to the last byte with a file of its own; returns that file.
    pub fn fill(&self) -> PathBuf {
        let path = self.dir.join("filler");
        let mut f = std::fs::File::create(&path).expect("filler");
        for chunk in [1 << 20, 4096, 512, 1] {
            let buf = vec![0u8; chunk];
            while f.write_all(&buf).is_ok() {}
        }
        let _ = f.flush();
        path
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.dir).status();
    }
}

/// What the IdP answered to one session-SSO request.
#[derive(Debug, Clone)]
pub enum Answer {
    /// A Success Response for this request ID, posted to this ACS.
    Success { request_id: String, acs: String },
    /// 503 with `Retry-After` and the translated "try again in a moment" page.
    Unavailable,
    /// A SAML error status in a Response (e.g. the request ID refused); no assertion.
    SamlError,
    /// Anything else: status and the start of the body.
    Other(u16, String),
}

/// One SP-initiated SSO on a browser that has an IdP session.
pub async fn session_sso(
    app: &TestApp,
    b: &Browser,
    sp: &TestSp,
    unavailable_text: &str,
) -> Answer {
    let req = Req::new(&app.sso_url());
    let q = sp.redirect_query(&sp.authn_request(&req, false), None, None);
    let page = b.get(&format!("/saml/sso?{q}")).await;
    match page.status {
        200 => match Posted::from_page(&page) {
            Some(p)
                if p.xml()
                    .contains("urn:oasis:names:tc:SAML:2.0:status:Success") =>
            {
                Answer::Success {
                    request_id: req.id,
                    acs: p.acs_url,
                }
            }
            Some(_) => Answer::SamlError,
            None => Answer::Other(200, page.body.chars().take(300).collect()),
        },
        503 if page.headers.contains_key("retry-after") && page.body.contains(unavailable_text) => {
            Answer::Unavailable
        }
        s => Answer::Other(s, page.body.chars().take(300).collect()),
    }
}

/// Runs session SSO on every browser in a loop until `stop` is set; collects every answer.
pub fn spawn_load(
    app: Arc<TestApp>,
    sp: Arc<TestSp>,
    browsers: Vec<Browser>,
    unavailable_text: &'static str,
    stop: Arc<std::sync::atomic::AtomicBool>,
) -> (Arc<Mutex<Vec<Answer>>>, Vec<tokio::task::JoinHandle<()>>) {
    let answers = Arc::new(Mutex::new(Vec::new()));
    let tasks = browsers
        .into_iter()
        .map(|b| {
            let (app, sp, answers, stop) = (app.clone(), sp.clone(), answers.clone(), stop.clone());
            tokio::spawn(async move {
                while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                    let a = session_sso(&app, &b, &sp, unavailable_text).await;
                    answers.lock().unwrap().push(a);
                }
            })
        })
        .collect();
    (answers, tasks)
}

/// Removes a file, ignoring a missing one.
pub fn remove(p: &Path) {
    let _ = std::fs::remove_file(p);
}
