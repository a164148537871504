//! argon2id password hashing on a bounded blocking pool.
use super::{AuthError, Secret};
use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use std::sync::Arc;
use tokio::sync::Semaphore;

#[derive(Clone)]
pub struct PasswordHasher {
    params: Params,
    permits: Arc<Semaphore>,
    /// Hash of a random password: unknown users are verified against it so they cost the same time.
    dummy_hash: Arc<String>,
}

impl std::fmt::Debug for PasswordHasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PasswordHasher")
            .field("params", &self.params)
            .finish()
    }
}

fn argon(params: &Params) -> Argon2<'static> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone())
}

fn hash_blocking(params: &Params, password: &str) -> Result<String, AuthError> {
    let salt = SaltString::generate(&mut argon2::password_hash::rand_core::OsRng);
    argon(params)
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AuthError::Hash(e.to_string()))
}

fn verify_blocking(params: &Params, password: &str, hash: &str) -> bool {
    match PasswordHash::new(hash) {
        Ok(parsed) => argon(params)
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

impl PasswordHasher {
    /// `max_concurrent` 0 means the number of CPUs.
    pub fn new(
        memory_kib: u32,
        iterations: u32,
        parallelism: u32,
        max_concurrent: usize,
    ) -> Result<Self, AuthError> {
        let params = Params::new(memory_kib, iterations, parallelism, None)
            .map_err(|e| AuthError::Hash(e.to_string()))?;
        let n = if max_concurrent == 0 {
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(2)
        } else {
            max_concurrent
        };
        let random: String = {
            use rand::Rng;
            rand::rng()
                .sample_iter(rand::distr::Alphanumeric)
                .take(32)
                .map(char::from)
                .collect()
        };
        let dummy_hash = hash_blocking(&params, &random)?;
        Ok(Self {
            params,
            permits: Arc::new(Semaphore::new(n)),
            dummy_hash: Arc::new(dummy_hash),
        })
    }

    async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce(Params) -> T + Send + 'static,
    ) -> Result<T, AuthError> {
        let _permit = self
            .permits
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| AuthError::PoolClosed)?;
        let params = self.params.clone();
        tokio::task::spawn_blocking(move || f(params))
            .await
            .map_err(|_| AuthError::PoolClosed)
    }

    pub async fn hash(&self, password: &Secret) -> Result<String, AuthError> {
        let pw = password.clone();
        self.run(move |p| hash_blocking(&p, pw.expose())).await?
    }

    /// Verifies against `stored`, or against a dummy hash when the user is unknown (`None`), so both
    /// cases take the same time. Always `false` for `None`.
    pub async fn verify(&self, password: &Secret, stored: Option<&str>) -> Result<bool, AuthError> {
        let pw = password.clone();
        let (hash, known) = match stored {
            Some(h) => (h.to_string(), true),
            None => (self.dummy_hash.as_str().to_string(), false),
        };
        let ok = self
            .run(move |p| verify_blocking(&p, pw.expose(), &hash))
            .await?;
        Ok(ok && known)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hasher() -> Option<PasswordHasher> {
        PasswordHasher::new(8192, 1, 1, 2).ok()
    }

    #[tokio::test]
    async fn right_password_verifies_wrong_does_not() {
        let Some(h) = hasher() else { panic!("hasher") };
        let hash = h.hash(&Secret::new("Correct horse 9")).await.ok();
        assert!(hash.as_deref().is_some_and(|s| s.starts_with("$argon2id$")));
        let ok = h
            .verify(&Secret::new("Correct horse 9"), hash.as_deref())
            .await
            .ok();
        assert_eq!(ok, Some(true));
        let bad = h
            .verify(&Secret::new("correct horse 9"), hash.as_deref())
            .await
            .ok();
        assert_eq!(bad, Some(false));
    }

    #[tokio::test]
    async fn unknown_user_never_verifies_even_with_dummy_password() {
        let Some(h) = hasher() else { panic!("hasher") };
        assert_eq!(h.verify(&Secret::new(""), None).await.ok(), Some(false));
        assert_eq!(
            h.verify(&Secret::new("anything"), None).await.ok(),
            Some(false)
        );
    }

    #[tokio::test]
    async fn garbage_hash_is_false_not_panic() {
        let Some(h) = hasher() else { panic!("hasher") };
        assert_eq!(
            h.verify(&Secret::new("x"), Some("not-a-hash")).await.ok(),
            Some(false)
        );
    }
}
