//! The password step's failure counters, one pair per principal kind: per account (the normalised
//! username) and per client address, counted in the database so that every node shares them. The
//! hash itself is checked by `auth::password` (argon2id; an unknown user costs a full verification).
use super::Authn;
use crate::auth::flow::PrincipalKind;
use crate::auth::lockout::{account_key, address_key};
use crate::storage::StorageError;

/// The throttle key of an account's password failures.
pub(crate) fn password_account_key(kind: PrincipalKind, username_normalised: &str) -> String {
    match kind {
        PrincipalKind::Citizen => account_key(username_normalised),
        PrincipalKind::Staff => format!("staff:{}", account_key(username_normalised)),
    }
}

fn password_address_key(kind: PrincipalKind, addr: &str) -> String {
    match kind {
        PrincipalKind::Citizen => address_key(addr),
        PrincipalKind::Staff => format!("staff:{}", address_key(addr)),
    }
}

/// The counters of one password attempt.
pub(crate) struct PasswordThrottle<'a> {
    s: &'a Authn,
    acct: String,
    addr: Option<String>,
}

impl Authn {
    pub(crate) fn password_throttle(
        &self,
        kind: PrincipalKind,
        username_normalised: &str,
        client_addr: Option<&str>,
    ) -> PasswordThrottle<'_> {
        PasswordThrottle {
            s: self,
            acct: password_account_key(kind, username_normalised),
            addr: client_addr.map(|a| password_address_key(kind, a)),
        }
    }
}

impl PasswordThrottle<'_> {
    /// The end of a lock in force on the account or the address, if any: then the password is not
    /// even checked.
    pub(crate) async fn locked_until(&self) -> Result<Option<i64>, StorageError> {
        let mut keys = vec![self.acct.clone()];
        keys.extend(self.addr.clone());
        self.s
            .store
            .throttle_locked_until(&keys, self.s.now_ms())
            .await
    }

    /// Counts a failure on the account and the address; the lock end if this one locked either.
    pub(crate) async fn fail(&self) -> Result<Option<i64>, StorageError> {
        let l = &self.s.cfg.lockout;
        let (window, lock, now) = (l.window_secs * 1000, l.lock_secs * 1000, self.s.now_ms());
        let mut locked = self
            .s
            .store
            .throttle_fail(&self.acct, l.account_max_failures, window, lock, now)
            .await?;
        if let Some(a) = &self.addr {
            let by_addr = self
                .s
                .store
                .throttle_fail(a, l.address_max_failures, window, lock, now)
                .await?;
            locked = locked.max(by_addr);
        }
        Ok(locked)
    }

    /// A right password: the account's count starts again (the address keeps its count).
    pub(crate) async fn clear(&self) -> Result<(), StorageError> {
        self.s.store.throttle_clear(&self.acct).await
    }
}
