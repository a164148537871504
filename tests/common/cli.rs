//! Runs the real `pass-idp` binary as an operator would: `--config FILE` and the arguments, from the
//! project folder, without `RUST_LOG`.
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Returns (success, stdout + stderr). A process still running after `timeout` (a server that
/// started) is killed and reported as a success whose output begins with `STILL RUNNING:`.
pub fn run_binary(
    config: &Path,
    args: &[&str],
    env: &[(&str, &Path)],
    timeout: Duration,
) -> (bool, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_pass-idp"));
    cmd.arg("--config")
        .arg(config)
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap();
    let deadline = Instant::now() + timeout;
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            child.kill().unwrap();
            let out = child.wait_with_output().unwrap();
            return (
                true,
                format!("STILL RUNNING: {}", String::from_utf8_lossy(&out.stderr)),
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output().unwrap();
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

/// The project folder.
pub fn root() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs `openssl` with `args`; panics with its stderr when it fails.
pub fn openssl(args: &[&str]) {
    let out = Command::new("openssl").args(args).output().unwrap();
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}
