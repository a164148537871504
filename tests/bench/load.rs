//! `make bench` — a load generator on loopback (a benchmark, not a test; `harness = false`).
//!
//! 1. Reference figures of this machine: RSA-2048 signatures per second (`openssl speed -seconds 3
//!    rsa2048`, plus the same measured through the openssl crate with the IdP's own dev signing key) and
//!    the time of one argon2id verify with the IdP's default (OWASP) parameters.
//! 2. Starts the real `pass-idp` binary (`--dev serve`: SQLite in a temp dir, default argon2id
//!    parameters, the JSON-lines SMS outbox, one test e-service) **pinned to one CPU** with `taskset`,
//!    while this load generator runs on the other CPU(s). What the server does per second on its one
//!    core is then the "per core" figure of issue #2, without the load generator's own CPU use counted
//!    against the server (nor hidden in it).
//! 3. Drives, at 1, 2 and 8 concurrent clients (each its own cookie jar and citizen), for a fixed time
//!    and a bounded number of iterations: (a) complete smsPASS logins and (b) SSO with an existing
//!    session; prints count, operations/s, p50/p99 latency, the server's CPU time per operation (from
//!    `/proc/PID/stat` of the server process) and how busy the server's core and the load generator were.
//! 4. Prints the targets of issue #2 and whether they are met.
//!
//! On a machine with a single CPU (or without `taskset`) nothing is pinned and the per-core figure is
//! the throughput divided by the number of cores, the load generator included; the output says so.
//!
//! Only runs under `cargo bench` (which passes `--bench`); `cargo test --all-targets` just builds it.
//! Environment: `BENCH_SECS` (default 5) is the measuring time of each run; `BENCH_ONLY=login|sso`
//! runs one kind only (for profiling; no verdicts then), `BENCH_ONLY=signs` only the reference
//! figures (which include RSA signatures through the key ring: PEM and PKCS#11 on SoftHSM2);
//! `BENCH_DB_DIR=/dev/shm` puts the SQLite file on tmpfs (an experiment, not the benchmark's
//! setting).
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

#[path = "../common/softhsm.rs"]
mod softhsm;
#[path = "../common/sp.rs"]
mod sp;

use pass_idp::auth::password::PasswordHasher;
use pass_idp::config::Config;
use sp::{Req, TestSp};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// `sp.rs` names `super::python` (the pysaml2 check of the integration tests); never called here.
fn python(_script: &str, _input: &str) -> serde_json::Value {
    unreachable!("the benchmark does not run pysaml2")
}

const PASSWORD: &str = "Bench-geslo-2026";
const CONCURRENCY: [usize; 3] = [1, 2, 8];
/// Upper bounds on iterations per client and run, whatever the duration.
const MAX_LOGINS_PER_CLIENT: usize = 500;
const MAX_SSO_PER_CLIENT: usize = 20_000;
/// The CPU the server is pinned to; the load generator takes the others.
const SERVER_CPU: usize = 0;
const PINNED_ENV: &str = "PASS_IDP_BENCH_PINNED";

// ---------------------------------------------------------------------------------------------------
// Reference figures

/// RSA-2048 sign/s from `openssl speed` (one core), if the tool is there and its output parses.
fn openssl_speed_rsa2048() -> Option<f64> {
    let out = Command::new("openssl")
        .args(["speed", "-seconds", "3", "rsa2048"])
        .stdin(Stdio::null())
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    // "rsa 2048 bits 0.000771s 0.000022s   1297.0  45454.5"
    text.lines()
        .filter(|l| {
            l.trim_start().starts_with("rsa 2048 bits")
                || l.trim_start().starts_with("rsa  2048 bits")
        })
        .find_map(|l| {
            let t: Vec<&str> = l.split_whitespace().collect();
            t.get(5).and_then(|s| s.parse::<f64>().ok())
        })
}

/// RSA-2048 PKCS#1 v1.5 signatures of SHA-256 digests per second through the openssl crate, with the
/// IdP's dev signing key, for about two seconds on this thread.
fn crate_rsa2048_signs_per_sec(key_path: &Path) -> f64 {
    use openssl::hash::MessageDigest;
    let key = openssl::pkey::PKey::private_key_from_pem(&std::fs::read(key_path).unwrap()).unwrap();
    assert_eq!(key.bits(), 2048, "the dev signing key is RSA-2048");
    let data = [7u8; 512];
    let start = Instant::now();
    let mut n = 0u32;
    while start.elapsed() < Duration::from_secs(2) && n < 100_000 {
        let mut s = openssl::sign::Signer::new(MessageDigest::sha256(), &key).unwrap();
        s.update(&data).unwrap();
        std::hint::black_box(s.sign_to_vec().unwrap());
        n += 1;
    }
    f64::from(n) / start.elapsed().as_secs_f64()
}

/// RSA-2048 PKCS#1 v1.5 (RSA-SHA256) signatures per second through the key ring's `Signer`, one
/// thread, about two seconds each: the PEM signer with the IdP's dev key, and the PKCS#11 signer
/// on a SoftHSM2 token of the benchmark's own (one session; `None` without SoftHSM2).
fn ring_signs_per_sec(key_path: &Path, cert_path: &Path) -> (f64, Option<f64>) {
    use pass_idp::keys::{Algorithm, Certificate, PemSigner, Pkcs11Settings, Pkcs11Signer, Signer};
    fn rate(s: &dyn Signer) -> f64 {
        let data = [7u8; 512];
        let start = Instant::now();
        let mut n = 0u32;
        while start.elapsed() < Duration::from_secs(2) && n < 100_000 {
            std::hint::black_box(s.sign(Algorithm::RsaSha256, &data).unwrap());
            n += 1;
        }
        f64::from(n) / start.elapsed().as_secs_f64()
    }
    let pem = PemSigner::from_pem(
        &std::fs::read(key_path).unwrap(),
        &std::fs::read(cert_path).unwrap(),
    )
    .unwrap();
    let hsm = softhsm::shared("the PKCS#11 signing figure").map(|h| {
        let cert = Certificate::from_pem(&std::fs::read(&h.rsa_cert).unwrap()).unwrap();
        let settings = Pkcs11Settings {
            module: softhsm::MODULE.into(),
            token_label: softhsm::TOKEN.into(),
            key_label: softhsm::RSA_LABEL.into(),
            pin: softhsm::PIN.into(),
            max_sessions: 1,
        };
        rate(&Pkcs11Signer::open(&settings, cert).unwrap())
    });
    (rate(&pem), hsm)
}

/// Median of nine argon2id verifies (after one not counted) with the configured defaults, through the
/// IdP's own hasher.
async fn argon2_verify_secs() -> (f64, String) {
    let p = Config::default().password;
    let hasher =
        PasswordHasher::new(p.memory_kib, p.iterations, p.parallelism, p.max_concurrent).unwrap();
    let secret = pass_idp::auth::Secret::new(PASSWORD);
    let stored = hasher.hash(&secret).await.unwrap();
    assert!(hasher.verify(&secret, Some(&stored)).await.unwrap());
    let mut times = vec![];
    for _ in 0..9 {
        let t = Instant::now();
        assert!(hasher.verify(&secret, Some(&stored)).await.unwrap());
        times.push(t.elapsed().as_secs_f64());
    }
    times.sort_by(f64::total_cmp);
    (
        times[times.len() / 2],
        format!(
            "m={} KiB, t={}, p={}",
            p.memory_kib, p.iterations, p.parallelism
        ),
    )
}

// ---------------------------------------------------------------------------------------------------
// The server: the real binary in its own process

struct Idp {
    base: String,
    sms_path: PathBuf,
    child: Child,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

impl Drop for Idp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The server binary: this build's, or `PASS_IDP_BENCH_BIN` (to compare two builds with one harness).
fn bin() -> String {
    std::env::var("PASS_IDP_BENCH_BIN")
        .unwrap_or_else(|_| env!("CARGO_BIN_EXE_pass-idp").to_string())
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn toml_str(s: &str) -> String {
    serde_json::to_string(s).unwrap()
}

/// Writes the configuration, creates the citizens with `pass-idp user add`, starts `pass-idp serve`
/// (pinned to [`SERVER_CPU`] when `pin`) and waits for `/healthz`.
fn spawn_idp(sp: &TestSp, citizens: usize, pin: bool) -> Idp {
    // Experiment (see the header): the database somewhere else (e.g. /dev/shm, no fsync cost).
    let dir = match std::env::var("BENCH_DB_DIR") {
        Ok(d) => tempfile::tempdir_in(d).unwrap(),
        Err(_) => tempfile::tempdir().unwrap(),
    };
    let d = dir.path();
    let metadata_dir = d.join("metadata");
    std::fs::create_dir_all(&metadata_dir).unwrap();
    std::fs::write(metadata_dir.join(format!("{}.xml", sp.name)), sp.metadata()).unwrap();
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let sms_path = d.join("sms-outbox.jsonl");
    // [password] stays at its defaults: the OWASP argon2id parameters.
    let toml = format!(
        "entity_id = {entity}\nbase_url = {base_q}\nbind = {bind}\ndatabase_url = {db}\n\
         signing_key = {key}\nsigning_cert = {cert}\nmetadata_dir = {md}\n\
         [secrets]\nnameid = \"bench-nameid-secret-0123456789abcdef\"\n\
         token = \"bench-token-secret-0123456789abcdefgh\"\n\
         [sms]\noutbox_path = {sms}\n[mail]\noutbox_dir = {mail}\n",
        entity = toml_str(&format!("{base}/saml/metadata")),
        base_q = toml_str(&base),
        bind = toml_str(&format!("127.0.0.1:{port}")),
        db = toml_str(&format!("sqlite://{}/idp.db?mode=rwc", d.display())),
        key = toml_str(&root.join("certs-dev/idp-signing.key").display().to_string()),
        cert = toml_str(&root.join("certs-dev/idp-signing.crt").display().to_string()),
        md = toml_str(&metadata_dir.display().to_string()),
        sms = toml_str(&sms_path.display().to_string()),
        mail = toml_str(&d.join("mail").display().to_string()),
    );
    let cfg_path = d.join("pass-idp.toml");
    std::fs::write(&cfg_path, toml).unwrap();
    let cli = |args: &[&str]| {
        let mut c = Command::new(bin());
        c.arg("--dev")
            .arg("--config")
            .arg(&cfg_path)
            .args(args)
            .env("RUST_LOG", "warn")
            .env_remove("PASS_IDP__DATABASE_URL");
        c
    };
    let migrated = cli(&["migrate"]).output().unwrap();
    assert!(
        migrated.status.success(),
        "pass-idp migrate: {}",
        String::from_utf8_lossy(&migrated.stderr)
    );
    for i in 0..citizens {
        let mut c = cli(&[
            "user",
            "add",
            &username(i),
            "--given-name",
            "Janez",
            "--family-name",
            "Novak",
            "--email",
            &format!("{}@example.si", username(i)),
            "--phone",
            &phone(i),
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
        c.stdin
            .take()
            .unwrap()
            .write_all(format!("{PASSWORD}\n").as_bytes())
            .unwrap();
        let out = c.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "pass-idp user add: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let log = d.join("server.log");
    let mut cmd = if pin {
        let mut c = Command::new("taskset");
        c.args(["-c", &SERVER_CPU.to_string(), &bin()]);
        c
    } else {
        Command::new(bin())
    };
    // The server's default log level (info), as it would run; its log goes to a file.
    cmd.arg("--dev")
        .arg("--config")
        .arg(&cfg_path)
        .arg("serve")
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap());
    let child = cmd.spawn().unwrap();
    let mut idp = Idp {
        base,
        sms_path,
        child,
        log,
        _dir: dir,
    };
    let start = Instant::now();
    loop {
        if let Ok(Some(st)) = idp.child.try_wait() {
            panic!(
                "pass-idp serve exited ({st}): {}",
                std::fs::read_to_string(&idp.log).unwrap_or_default()
            );
        }
        let up = std::net::TcpStream::connect(("127.0.0.1", port)).is_ok();
        if up {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "pass-idp serve did not start: {}",
            std::fs::read_to_string(&idp.log).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    idp
}

fn username(i: usize) -> String {
    format!("bench{i}")
}

fn phone(i: usize) -> String {
    format!("+3864099{i:04}")
}

// ---------------------------------------------------------------------------------------------------
// The browser

struct Page {
    status: u16,
    location: Option<String>,
    body: String,
}

/// The value of `<input type="hidden" name="NAME" value="...">` (the templates write name, then value).
fn hidden(body: &str, name: &str) -> Option<String> {
    let at = body.find(&format!("name=\"{name}\" value=\""))?;
    let rest = &body[at + name.len() + 15..];
    Some(rest[..rest.find('"')?].to_string())
}

fn new_client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .tls_built_in_root_certs(false)
        .build()
        .unwrap()
}

async fn fetch(rb: reqwest::RequestBuilder) -> Result<Page, String> {
    let r = rb.send().await.map_err(|e| format!("request: {e}"))?;
    let status = r.status().as_u16();
    let location = r
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let body = r.text().await.map_err(|e| format!("body: {e}"))?;
    Ok(Page {
        status,
        location,
        body,
    })
}

fn expect(p: &Page, status: u16, location: Option<&str>, step: &str) -> Result<(), String> {
    if p.status == status && (location.is_none() || p.location.as_deref() == location) {
        Ok(())
    } else {
        let snippet: String = p.body.chars().take(300).collect();
        Err(format!(
            "{step}: status {} location {:?}: {snippet}",
            p.status, p.location
        ))
    }
}

/// The code in the newest SMS to `to`: the last `#` token of its text. Reads only the file's tail.
fn last_code(outbox: &Path, to: &str) -> Result<String, String> {
    let mut f = std::fs::File::open(outbox).map_err(|e| format!("outbox: {e}"))?;
    let len = f.metadata().map_err(|e| e.to_string())?.len();
    let from = len.saturating_sub(64 * 1024);
    f.seek(SeekFrom::Start(from)).map_err(|e| e.to_string())?;
    let mut tail = String::new();
    f.read_to_string(&mut tail).map_err(|e| e.to_string())?;
    tail.lines()
        .rev()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find(|v| v["to"].as_str() == Some(to))
        .and_then(|v| {
            v["text"]
                .as_str()
                .and_then(|t| t.rsplit('#').next())
                .map(|c| c.trim().to_string())
        })
        .ok_or_else(|| format!("no SMS to {to} in the outbox"))
}

#[derive(Clone)]
struct Target {
    base: String,
    sp: Arc<TestSp>,
    outbox: PathBuf,
}

impl Target {
    fn sso_query(&self) -> String {
        let req = Req::new(&format!("{}/saml/sso", self.base));
        self.sp
            .redirect_query(&self.sp.authn_request(&req, false), Some("bench"), None)
    }

    /// One complete smsPASS login in a fresh browser; returns the (now logged-in) browser.
    async fn login(&self, user: &str, phone: &str) -> Result<reqwest::Client, String> {
        let c = new_client();
        let b = &self.base;
        let p = fetch(c.get(format!("{b}/saml/sso?{}", self.sso_query()))).await?;
        expect(&p, 303, Some("/login"), "SSO start")?;
        let p = fetch(c.get(format!("{b}/login"))).await?;
        expect(&p, 200, None, "GET /login")?;
        let p = fetch(c.get(format!("{b}/login/password"))).await?;
        expect(&p, 200, None, "GET /login/password")?;
        let csrf = hidden(&p.body, "csrf_token").ok_or("no csrf_token on the password page")?;
        let p = fetch(c.post(format!("{b}/login/password")).form(&[
            ("csrf_token", csrf.as_str()),
            ("username", user),
            ("password", PASSWORD),
        ]))
        .await?;
        expect(&p, 303, Some("/login/otp"), "POST /login/password")?;
        let p = fetch(c.get(format!("{b}/login/otp"))).await?;
        expect(&p, 200, None, "GET /login/otp")?;
        let csrf = hidden(&p.body, "csrf_token").ok_or("no csrf_token on the code page")?;
        let code = last_code(&self.outbox, phone)?;
        let p = fetch(
            c.post(format!("{b}/login/otp"))
                .form(&[("csrf_token", csrf.as_str()), ("otp", code.as_str())]),
        )
        .await?;
        expect(&p, 200, None, "POST /login/otp")?;
        hidden(&p.body, "SAMLResponse").ok_or("no SAMLResponse after the code")?;
        Ok(c)
    }

    /// A new AuthnRequest from a logged-in browser, answered at once with a Response.
    async fn sso(&self, c: &reqwest::Client) -> Result<(), String> {
        let p = fetch(c.get(format!("{}/saml/sso?{}", self.base, self.sso_query()))).await?;
        expect(&p, 200, None, "SSO with session")?;
        hidden(&p.body, "SAMLResponse").ok_or("no SAMLResponse for SSO with session")?;
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------------
// CPU time of a process (Linux /proc): the server's and the load generator's, each its own process.

fn clk_tck() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
        .unwrap_or(100.0)
}

/// utime + stime (fields 14 and 15 of `/proc/PID/stat`, all threads, ended ones included) in seconds.
fn cpu_secs(pid: &str, tck: f64) -> f64 {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return 0.0;
    };
    let Some(close) = stat.rfind(')') else {
        return 0.0;
    };
    // the fields after ")" start with field 3 (state)
    let f: Vec<&str> = stat[close + 2..].split_whitespace().collect();
    let secs = |i: usize| {
        f.get(i - 3)
            .and_then(|s| s.parse::<f64>().ok())
            .unwrap_or(0.0)
            / tck
    };
    secs(14) + secs(15)
}

// ---------------------------------------------------------------------------------------------------
// Runs

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Login,
    Sso,
}

struct RunResult {
    clients: usize,
    count: usize,
    secs: f64,
    p50_ms: f64,
    p99_ms: f64,
    server_cpu_ms_per_op: f64,
    /// Server CPU / (wall time × the cores the server may use).
    server_busy: f64,
    /// Load generator CPU / (wall time × its cores).
    client_busy: f64,
}

impl RunResult {
    fn rate(&self) -> f64 {
        self.count as f64 / self.secs
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

struct Cores {
    server: usize,
    client: usize,
}

async fn run(
    t: &Target,
    kind: Kind,
    clients: usize,
    dur: Duration,
    server_pid: &str,
    cores: &Cores,
) -> RunResult {
    let tck = clk_tck();
    // Logged-in browsers for the SSO runs (not timed).
    let mut browsers: Vec<Option<reqwest::Client>> = vec![None; clients];
    if kind == Kind::Sso {
        for (i, b) in browsers.iter_mut().enumerate() {
            *b = Some(t.login(&username(i), &phone(i)).await.expect("login"));
        }
    }
    let (srv0, cli0) = (cpu_secs(server_pid, tck), cpu_secs("self", tck));
    let start = Instant::now();
    let deadline = start + dur;
    let mut tasks = vec![];
    for (i, browser) in browsers.into_iter().enumerate() {
        let t = t.clone();
        tasks.push(tokio::spawn(async move {
            let mut lat = vec![];
            let max = match kind {
                Kind::Login => MAX_LOGINS_PER_CLIENT,
                Kind::Sso => MAX_SSO_PER_CLIENT,
            };
            while Instant::now() < deadline && lat.len() < max {
                let t0 = Instant::now();
                match (kind, &browser) {
                    (Kind::Login, _) => {
                        t.login(&username(i), &phone(i)).await?;
                    }
                    (Kind::Sso, Some(c)) => t.sso(c).await?,
                    (Kind::Sso, None) => unreachable!(),
                }
                lat.push(t0.elapsed().as_secs_f64() * 1000.0);
            }
            Ok::<_, String>(lat)
        }));
    }
    let mut all = vec![];
    for task in tasks {
        match task.await.expect("client task") {
            Ok(l) => all.extend(l),
            Err(e) => panic!("a client failed: {e}"),
        }
    }
    let secs = start.elapsed().as_secs_f64();
    let (srv, cli) = (
        cpu_secs(server_pid, tck) - srv0,
        cpu_secs("self", tck) - cli0,
    );
    all.sort_by(f64::total_cmp);
    RunResult {
        clients,
        count: all.len(),
        secs,
        p50_ms: percentile(&all, 0.50),
        p99_ms: percentile(&all, 0.99),
        server_cpu_ms_per_op: srv * 1000.0 / all.len().max(1) as f64,
        server_busy: srv / (secs * cores.server as f64),
        client_busy: cli / (secs * cores.client as f64),
    }
}

fn print_table(title: &str, rows: &[RunResult]) {
    println!("\n{title}");
    println!(
        "  {:>7} {:>7} {:>9} {:>9} {:>9} {:>11} {:>11} {:>11}",
        "clients", "count", "per s", "p50 ms", "p99 ms", "srv CPU/op", "server busy", "client busy"
    );
    for r in rows {
        println!(
            "  {:>7} {:>7} {:>9.1} {:>9.1} {:>9.1} {:>9.2}ms {:>10.0}% {:>10.0}%",
            r.clients,
            r.count,
            r.rate(),
            r.p50_ms,
            r.p99_ms,
            r.server_cpu_ms_per_op,
            r.server_busy * 100.0,
            r.client_busy * 100.0
        );
    }
}

async fn bench(pinned: bool, cpus: usize) {
    let secs: u64 = std::env::var("BENCH_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .filter(|s| (1..=120).contains(s))
        .unwrap_or(5);
    let dur = Duration::from_secs(secs);
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let cores = if pinned {
        Cores {
            server: 1,
            client: cpus - 1,
        }
    } else {
        Cores {
            server: cpus,
            client: cpus,
        }
    };

    println!("pass-idp load benchmark (loopback, {cpus} CPUs)");
    if pinned {
        println!(
            "The server (`pass-idp --dev serve`) runs pinned to CPU {SERVER_CPU}; this load generator on the other {} CPU(s).",
            cores.client
        );
    } else {
        println!(
            "NOT PINNED (one CPU, or no `taskset`): server and load generator share {cpus} CPU(s)."
        );
    }
    println!(
        "\nReference figures of this machine (one core each, measured on the load generator's CPU)"
    );
    let speed = tokio::task::spawn_blocking(openssl_speed_rsa2048)
        .await
        .unwrap();
    let key_path = root.join("certs-dev/idp-signing.key");
    let crate_signs = tokio::task::spawn_blocking(move || crate_rsa2048_signs_per_sec(&key_path))
        .await
        .unwrap();
    match speed {
        Some(s) => println!("  RSA-2048 sign/s, `openssl speed -seconds 3 rsa2048`: {s:.1}"),
        None => println!("  RSA-2048 sign/s, `openssl speed`: not available"),
    }
    println!(
        "  RSA-2048 sign/s, openssl crate, SHA-256 PKCS#1 v1.5, IdP dev key, 2 s: {crate_signs:.1}"
    );
    let signs = speed.unwrap_or(crate_signs);
    let (argon, params) = argon2_verify_secs().await;
    println!(
        "  argon2id verify ({params}, IdP PasswordHasher, median of 9): {:.1} ms",
        argon * 1000.0
    );
    let (key, cert) = (
        root.join("certs-dev/idp-signing.key"),
        root.join("certs-dev/idp-signing.crt"),
    );
    let (pem_ring, hsm_ring) = tokio::task::spawn_blocking(move || ring_signs_per_sec(&key, &cert))
        .await
        .unwrap();
    println!("  RSA-2048 sign/s, key ring PEM signer (IdP dev key), 2 s: {pem_ring:.1}");
    match hsm_ring {
        Some(r) => println!(
            "  RSA-2048 sign/s, key ring PKCS#11 signer (SoftHSM2 token, CKM_SHA256_RSA_PKCS, one session), 2 s: {r:.1}"
        ),
        None => println!("  RSA-2048 sign/s, key ring PKCS#11 signer: not measured (no softhsm2)"),
    }
    if std::env::var("BENCH_ONLY").as_deref() == Ok("signs") {
        return;
    }

    let sp = Arc::new(TestSp::new("bench", false));
    let max_clients = *CONCURRENCY.iter().max().unwrap();
    let idp = tokio::task::block_in_place(|| spawn_idp(&sp, max_clients, pinned));
    let server_pid = idp.child.id().to_string();
    let t = Target {
        base: idp.base.clone(),
        sp: sp.clone(),
        outbox: idp.sms_path.clone(),
    };
    // Warm-up: one login and a few session SSOs.
    let c = t
        .login(&username(0), &phone(0))
        .await
        .expect("warm-up login");
    for _ in 0..20 {
        t.sso(&c).await.expect("warm-up SSO");
    }
    drop(c);

    println!(
        "\nServer: {} (pid {server_pid}; dev mode, SQLite, default argon2id, SMS outbox, log level info)",
        idp.base
    );
    if let Ok(x) = std::env::var("BENCH_DB_DIR") {
        println!("EXPERIMENT: BENCH_DB_DIR={x}");
    }
    println!("Each run: {secs} s or at most {MAX_LOGINS_PER_CLIENT} logins / {MAX_SSO_PER_CLIENT} SSOs per client.");
    println!(
        "`srv CPU/op`: CPU time of the server process per operation; `server busy`: its CPU time /"
    );
    println!(
        "(wall time x {} core(s)); `client busy`: the same for this load generator ({} core(s)).",
        cores.server, cores.client
    );
    // BENCH_ONLY=login|sso runs one kind (for profiling); the verdicts need both.
    let only = std::env::var("BENCH_ONLY").unwrap_or_default();
    let mut logins = vec![];
    for n in CONCURRENCY.into_iter().filter(|_| only != "sso") {
        logins.push(run(&t, Kind::Login, n, dur, &server_pid, &cores).await);
    }
    print_table(
        "(a) complete logins: AuthnRequest -> /login -> password -> SMS code -> Response",
        &logins,
    );
    let mut ssos = vec![];
    for n in CONCURRENCY.into_iter().filter(|_| only != "login") {
        ssos.push(run(&t, Kind::Sso, n, dur, &server_pid, &cores).await);
    }
    print_table(
        "(b) SSO with an existing session: AuthnRequest -> Response",
        &ssos,
    );
    drop(idp);
    if logins.is_empty() || ssos.is_empty() {
        return;
    }

    let best = |rows: &[RunResult]| {
        rows.iter()
            .max_by(|a, b| a.rate().total_cmp(&b.rate()))
            .map(|r| (r.rate(), r.clients))
            .unwrap()
    };
    let sign_secs = 1.0 / signs;
    if pinned {
        println!("\nTargets (issue #2). Per core = what the server did per second on its one CPU, at the best");
        println!("concurrency.");
    } else {
        println!("\nTargets (issue #2). Per core = throughput at the best concurrency / {cpus} CPUs (the load");
        println!("generator shares those CPUs, so this counts its CPU against the server).");
    }
    let (l_best, l_n) = best(&logins);
    let l_per_core = l_best / cores.server as f64;
    let l_target = 0.85 / (argon + sign_secs);
    println!(
        "  complete logins:  {l_per_core:.2}/s per core (best at {l_n} clients); target >= 0.85 x 1/({:.1} ms argon2id + {:.2} ms sign) = {l_target:.2}/s per core: {}",
        argon * 1000.0,
        sign_secs * 1000.0,
        if l_per_core >= l_target { "MET" } else { "MISSED" }
    );
    let (s_best, s_n) = best(&ssos);
    let s_per_core = s_best / cores.server as f64;
    let s_target = 0.5 * signs;
    println!(
        "  SSO with session: {s_per_core:.1}/s per core (best at {s_n} clients); target >= 0.5 x {signs:.1} sign/s = {s_target:.1}/s per core: {}",
        if s_per_core >= s_target { "MET" } else { "MISSED" }
    );
    for (name, rows) in [("complete logins", &logins), ("SSO with session", &ssos)] {
        let min = rows
            .iter()
            .map(|r| r.server_cpu_ms_per_op)
            .fold(f64::INFINITY, f64::min);
        println!(
            "  {name}: server CPU per operation (lowest of the runs) {min:.2} ms = {:.1}/s per fully used core",
            1000.0 / min
        );
    }
}

/// Whether `taskset` can pin a process here.
fn taskset_works() -> bool {
    Command::new("taskset")
        .args(["-c", "0", "true"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --all-targets` runs bench targets without it, and a
    // 40-second load run is not a test.
    if !std::env::args().any(|a| a == "--bench") {
        println!("load benchmark: skipped (not run with --bench); use `make bench`");
        return;
    }
    let cpus = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let pinned = std::env::var_os(PINNED_ENV).is_some();
    if !pinned && cpus >= 2 && taskset_works() {
        // Run this load generator again on every CPU but the server's.
        let exe = std::env::current_exe().unwrap();
        let status = Command::new("taskset")
            .args(["-c", &format!("1-{}", cpus - 1)])
            .arg(exe)
            .args(std::env::args_os().skip(1))
            .env(PINNED_ENV, cpus.to_string())
            .status()
            .unwrap();
        std::process::exit(status.code().unwrap_or(1));
    }
    // In the pinned child, `available_parallelism` sees only the load generator's CPUs.
    let all_cpus = std::env::var(PINNED_ENV)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(cpus);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name("bench-client")
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(bench(pinned, all_cpus));
}
