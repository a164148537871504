//! The PKCS#11 backend (cryptoki): a private key on a token, found by the token's label and the
//! key's label, signed with `CKM_SHA256_RSA_PKCS`, `CKM_SHA256_RSA_PKCS_PSS` (SHA-256,
//! MGF1-SHA256, 32-octet salt) or `CKM_ECDSA` over a SHA-256 digest (whose `r || s` output is
//! already what XML-DSig wants).
//!
//! Sessions: a pool of at most `max_sessions` sessions, each used by one thread at a time (a
//! PKCS#11 session must not be shared between threads). A session that reports
//! `CKR_USER_NOT_LOGGED_IN` (or an object handle that a log-out voided) is logged in again and
//! the key found again; one that reports a session or device error is closed, the idle sessions
//! with it, and the signature goes on a new session (the token is looked up by its label again,
//! so a re-inserted token or a restarted HSM is found). A signature is tried at most three times.
//! The PIN is kept for those log-ins and is never printed.
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::error::{Error as P11Error, RvError};
use cryptoki::mechanism::rsa::{PkcsMgfType, PkcsPssParams};
use cryptoki::mechanism::{Mechanism, MechanismType};
use cryptoki::object::{Attribute, AttributeType, KeyType, ObjectClass, ObjectHandle};
use cryptoki::session::{Session, UserType};
use cryptoki::slot::Slot;
use cryptoki::types::AuthPin;

use super::{Algorithm, Certificate, KeyError, Signer};

/// How long a signature waits for a free session before it gives up.
const SESSION_WAIT: Duration = Duration::from_secs(30);

/// Where the key is and how to log in.
#[derive(Clone)]
pub struct Pkcs11Settings {
    /// The PKCS#11 module (shared library), e.g. `/usr/lib/softhsm/libsofthsm2.so`.
    pub module: PathBuf,
    pub token_label: String,
    pub key_label: String,
    /// The user PIN.
    pub pin: String,
    /// Sessions open at most at once (at least 1).
    pub max_sessions: usize,
}

impl std::fmt::Debug for Pkcs11Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pkcs11Settings")
            .field("module", &self.module)
            .field("token_label", &self.token_label)
            .field("key_label", &self.key_label)
            .field("pin", &"<redacted>")
            .field("max_sessions", &self.max_sessions)
            .finish()
    }
}

/// A session with the key found in it.
struct Conn {
    session: Session,
    key: ObjectHandle,
}

struct Pool {
    idle: Vec<Conn>,
    /// Sessions open, idle or in use.
    open: usize,
}

/// A private key on a PKCS#11 token, with its certificate (from a file).
pub struct Pkcs11Signer {
    ctx: Pkcs11,
    token_label: String,
    key_label: String,
    pin: AuthPin,
    cert: Certificate,
    max_sessions: usize,
    pool: Mutex<Pool>,
    freed: Condvar,
    /// Log-ins again and reconnections so far.
    recoveries: AtomicU64,
}

impl std::fmt::Debug for Pkcs11Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pkcs11Signer")
            .field("token_label", &self.token_label)
            .field("key_label", &self.key_label)
            .field("pin", &"<redacted>")
            .field("subject", &self.cert.subject())
            .finish()
    }
}

/// A PKCS#11 failure, named by its function and return value (e.g. `C_Login: PinIncorrect`).
fn describe(e: &P11Error) -> String {
    match e {
        P11Error::Pkcs11(rv, func) => format!("C_{func:?}: CKR {rv:?}"),
        other => other.to_string(),
    }
}

fn rv(e: &P11Error) -> Option<RvError> {
    match e {
        P11Error::Pkcs11(rv, _) => Some(*rv),
        _ => None,
    }
}

/// What a failed signature calls for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Recovery {
    /// The user was logged out (every session of the process is): log in again on this session
    /// and find the key again (a log-out may void private object handles).
    Relogin,
    /// The session (and probably every other session) is gone: close them, open a new one.
    Reconnect,
    /// Not a session problem (e.g. a mechanism the token refuses): report it.
    None,
}

fn recovery(e: &P11Error) -> Recovery {
    match rv(e) {
        Some(
            RvError::UserNotLoggedIn | RvError::KeyHandleInvalid | RvError::ObjectHandleInvalid,
        ) => Recovery::Relogin,
        Some(
            RvError::SessionHandleInvalid
            | RvError::SessionClosed
            | RvError::DeviceRemoved
            | RvError::DeviceError
            | RvError::TokenNotPresent,
        ) => Recovery::Reconnect,
        _ => Recovery::None,
    }
}

/// Attempts of one signature (the first and the recoveries).
const ATTEMPTS: usize = 3;

/// PKCS#11 modules keep process-wide state, and some (SoftHSM2) do not take concurrent
/// `C_Initialize` calls well: loading and initialising a module is done one at a time.
static MODULE_INIT: Mutex<()> = Mutex::new(());

impl Pkcs11Signer {
    /// Loads the module, finds the token, logs in, finds the key and checks that its type is the
    /// one the certificate carries. Every failure says what was looked for.
    pub fn open(s: &Pkcs11Settings, cert: Certificate) -> Result<Pkcs11Signer, KeyError> {
        let init = MODULE_INIT.lock().unwrap_or_else(PoisonError::into_inner);
        let ctx = Pkcs11::new(&s.module).map_err(|e| {
            KeyError::Pkcs11(format!(
                "cannot load the PKCS#11 module {}: {e}",
                s.module.display()
            ))
        })?;
        match ctx.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK)) {
            Ok(()) => {}
            // Another key of the ring (or an earlier start in this process) uses the module.
            Err(e) if rv(&e) == Some(RvError::CryptokiAlreadyInitialized) => {}
            Err(e) => {
                return Err(KeyError::Pkcs11(format!(
                    "cannot initialise the PKCS#11 module {}: {}",
                    s.module.display(),
                    describe(&e)
                )))
            }
        }
        drop(init);
        let signer = Pkcs11Signer {
            ctx,
            token_label: s.token_label.clone(),
            key_label: s.key_label.clone(),
            pin: AuthPin::new(s.pin.clone().into_boxed_str()),
            cert,
            max_sessions: s.max_sessions.max(1),
            pool: Mutex::new(Pool {
                idle: Vec::new(),
                open: 0,
            }),
            freed: Condvar::new(),
            recoveries: AtomicU64::new(0),
        };
        let conn = signer.connect()?;
        signer.check_key_type(&conn)?;
        let mut pool = signer.lock();
        pool.open = 1;
        pool.idle.push(conn);
        drop(pool);
        Ok(signer)
    }

    fn lock(&self) -> MutexGuard<'_, Pool> {
        self.pool.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn err(&self, what: &str, e: &P11Error) -> KeyError {
        KeyError::Pkcs11(format!(
            "token {:?}, key {:?}: {what} ({})",
            self.token_label,
            self.key_label,
            describe(e)
        ))
    }

    fn find_slot(&self) -> Result<Slot, KeyError> {
        let slots = self
            .ctx
            .get_slots_with_token()
            .map_err(|e| self.err("cannot list the slots", &e))?;
        let mut seen = Vec::new();
        for slot in slots {
            let Ok(info) = self.ctx.get_token_info(slot) else {
                continue;
            };
            if info.label() == self.token_label {
                return Ok(slot);
            }
            seen.push(format!("{:?}", info.label()));
        }
        Err(KeyError::Pkcs11(format!(
            "no token labelled {:?} (tokens found: {})",
            self.token_label,
            if seen.is_empty() {
                "none".to_string()
            } else {
                seen.join(", ")
            }
        )))
    }

    fn login(&self, session: &Session) -> Result<(), KeyError> {
        match session.login(UserType::User, Some(&self.pin)) {
            // Log-in is per token and application: another session may have done it.
            Ok(()) => Ok(()),
            Err(e) if rv(&e) == Some(RvError::UserAlreadyLoggedIn) => Ok(()),
            Err(e) if rv(&e) == Some(RvError::PinIncorrect) => {
                Err(self.err("the PIN from pin_file is wrong", &e))
            }
            Err(e) if rv(&e) == Some(RvError::PinLocked) => {
                Err(self.err("the user PIN is locked", &e))
            }
            Err(e) => Err(self.err("cannot log in with the PIN from pin_file", &e)),
        }
    }

    /// A new session, logged in, with the key found.
    fn connect(&self) -> Result<Conn, KeyError> {
        let slot = self.find_slot()?;
        let session = self
            .ctx
            .open_ro_session(slot)
            .map_err(|e| self.err("cannot open a session", &e))?;
        self.login(&session)?;
        let key = self.find_key(&session)?;
        Ok(Conn { session, key })
    }

    /// The one private key labelled `key_label`.
    fn find_key(&self, session: &Session) -> Result<ObjectHandle, KeyError> {
        let template = [
            Attribute::Class(ObjectClass::PRIVATE_KEY),
            Attribute::Label(self.key_label.as_bytes().to_vec()),
        ];
        let found = session
            .find_objects(&template)
            .map_err(|e| self.err("cannot search for the private key", &e))?;
        match found.as_slice() {
            [key] => Ok(*key),
            [] => Err(KeyError::Pkcs11(format!(
                "token {:?} holds no private key labelled {:?}",
                self.token_label, self.key_label
            ))),
            more => Err(KeyError::Pkcs11(format!(
                "token {:?} holds {} private keys labelled {:?}; the label must name one",
                self.token_label,
                more.len(),
                self.key_label
            ))),
        }
    }

    fn check_key_type(&self, conn: &Conn) -> Result<(), KeyError> {
        let attrs = conn
            .session
            .get_attributes(conn.key, &[AttributeType::KeyType])
            .map_err(|e| self.err("cannot read the key type", &e))?;
        let token_kind = attrs.iter().find_map(|a| match a {
            Attribute::KeyType(t) if *t == KeyType::RSA => Some("RSA"),
            Attribute::KeyType(t) if *t == KeyType::EC => Some("EC P-256"),
            Attribute::KeyType(_) => Some("neither RSA nor EC"),
            _ => None,
        });
        let want = self.cert.kind().name();
        match token_kind {
            Some(k) if k == want => Ok(()),
            Some(k) => Err(KeyError::Pkcs11(format!(
                "token {:?}, key {:?} is {k} but the certificate carries a {want} key",
                self.token_label, self.key_label
            ))),
            None => Err(KeyError::Pkcs11(format!(
                "token {:?}, key {:?}: the key type cannot be read",
                self.token_label, self.key_label
            ))),
        }
    }

    /// An idle session, or a new one while fewer than `max_sessions` are open, or waits.
    fn acquire(&self) -> Result<Conn, KeyError> {
        let mut pool = self.lock();
        loop {
            if let Some(c) = pool.idle.pop() {
                return Ok(c);
            }
            if pool.open < self.max_sessions {
                pool.open += 1;
                drop(pool);
                return self.connect().inspect_err(|_| self.forget(1));
            }
            let (p, timeout) = self
                .freed
                .wait_timeout(pool, SESSION_WAIT)
                .unwrap_or_else(PoisonError::into_inner);
            pool = p;
            if timeout.timed_out() && pool.idle.is_empty() && pool.open >= self.max_sessions {
                return Err(KeyError::Pkcs11(format!(
                    "token {:?}: all {} sessions stayed busy for {} s",
                    self.token_label,
                    self.max_sessions,
                    SESSION_WAIT.as_secs()
                )));
            }
        }
    }

    fn release(&self, c: Conn) {
        self.lock().idle.push(c);
        self.freed.notify_one();
    }

    /// `n` sessions are closed (dropped) and no longer count.
    fn forget(&self, n: usize) {
        let mut pool = self.lock();
        pool.open = pool.open.saturating_sub(n);
        drop(pool);
        self.freed.notify_all();
    }

    /// Closes `c` and every idle session: after a session or device error they are all suspect.
    fn discard_all(&self, c: Conn) {
        drop(c);
        let idle = std::mem::take(&mut self.lock().idle);
        let n = idle.len() + 1;
        drop(idle);
        self.forget(n);
    }

    /// Idle sessions now (for tests and metrics).
    pub fn idle_sessions(&self) -> usize {
        self.lock().idle.len()
    }

    /// Signatures that needed a new log-in or a new session so far.
    pub fn recoveries(&self) -> u64 {
        self.recoveries.load(Ordering::Relaxed)
    }
}

impl Signer for Pkcs11Signer {
    fn sign(&self, alg: Algorithm, data: &[u8]) -> Result<Vec<u8>, KeyError> {
        self.cert.kind().check(alg)?;
        let digest;
        let (mechanism, input) = match alg {
            Algorithm::RsaSha256 => (Mechanism::Sha256RsaPkcs, data),
            Algorithm::RsaPssSha256 => (
                Mechanism::Sha256RsaPkcsPss(PkcsPssParams {
                    hash_alg: MechanismType::SHA256,
                    mgf: PkcsMgfType::MGF1_SHA256,
                    s_len: 32.into(),
                }),
                data,
            ),
            Algorithm::EcdsaP256Sha256 => {
                digest = openssl::sha::sha256(data);
                (Mechanism::Ecdsa, &digest[..])
            }
        };
        let mut conn = self.acquire()?;
        let mut attempt = 1;
        let sig = loop {
            let e = match conn.session.sign(&mechanism, conn.key, input) {
                Ok(sig) => {
                    self.release(conn);
                    break sig;
                }
                Err(e) => e,
            };
            let what = recovery(&e);
            if attempt >= ATTEMPTS || what == Recovery::None {
                let err = self.err("signing failed", &e);
                if what == Recovery::Reconnect {
                    self.discard_all(conn);
                } else {
                    self.release(conn);
                }
                return Err(err);
            }
            attempt += 1;
            self.recoveries.fetch_add(1, Ordering::Relaxed);
            tracing::warn!(token = %self.token_label, error = %describe(&e), ?what, "PKCS#11 signature failed; recovering");
            if what == Recovery::Relogin {
                match self
                    .login(&conn.session)
                    .and_then(|()| self.find_key(&conn.session))
                {
                    Ok(key) => conn.key = key,
                    Err(err) => {
                        self.discard_all(conn);
                        return Err(err);
                    }
                }
            } else {
                self.discard_all(conn);
                conn = match self.acquire() {
                    Ok(c) => c,
                    // A new session can fail while the token is still settling: once more.
                    Err(_) if attempt < ATTEMPTS => {
                        attempt += 1;
                        self.acquire()?
                    }
                    Err(err) => return Err(err),
                };
            }
        };
        if alg == Algorithm::EcdsaP256Sha256 && sig.len() != 64 {
            return Err(KeyError::Pkcs11(format!(
                "token {:?}: an ECDSA P-256 signature of {} octets (expected r || s, 64)",
                self.token_label,
                sig.len()
            )));
        }
        Ok(sig)
    }

    fn certificate(&self) -> &Certificate {
        &self.cert
    }

    fn may_block(&self) -> bool {
        true
    }
}
