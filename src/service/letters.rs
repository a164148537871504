//! The postal letter queue of path B: queue a letter when activation starts with a registered
//! certificate; `letters export` prints the pending letters as one PDF batch and marks them dispatched.
//!
//! The activation code is never stored in plain text: it is issued (and stored hashed by the
//! activation service) at export time, through [`LetterCodeIssuer`], and exists in clear only in the
//! PDF.
use super::Activation;
use crate::audit::{AuditEvent, AuditKind};
use crate::domain::citizen::Citizen;
use crate::notify::letters::{render_batch, Letter, LetterError};
use crate::storage::{LetterCounts, LetterRecord, StorageError};
use chrono::NaiveDate;
use futures_util::future::BoxFuture;
use serde_json::json;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Largest batch written at once; the rest stays pending for the next export.
pub const MAX_BATCH: u64 = 500;

#[derive(Debug, thiserror::Error)]
pub enum LettersError {
    #[error("storage: {0}")]
    Storage(#[from] StorageError),
    #[error("letter PDF: {0}")]
    Render(#[from] LetterError),
    #[error("cannot write {0}: {1}")]
    Write(String, String),
    #[error("{0}")]
    Invalid(String),
}

/// An activation code issued for one letter.
pub struct IssuedCode {
    pub code: crate::auth::Secret,
    pub expires_on: NaiveDate,
}

/// Issues the activation code printed on a letter (the activation service issues it and keeps only
/// its hash). Called at export time, once per letter written.
pub trait LetterCodeIssuer: Send + Sync {
    fn issue_code<'a>(
        &'a self,
        svc: &'a Activation,
        letter: &'a LetterRecord,
        citizen: &'a Citizen,
    ) -> BoxFuture<'a, Result<IssuedCode, String>>;
}

/// What an export did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportReport {
    /// The batch file, when at least one letter was written.
    pub file: Option<PathBuf>,
    pub dispatched: usize,
    /// Letters left pending, with why (e.g. no address on file).
    pub skipped: Vec<(String, String)>,
}

/// The queue for the operator page.
#[derive(Debug, Clone)]
pub struct LetterQueue {
    pub counts: LetterCounts,
    pub recent: Vec<LetterRecord>,
}

impl Activation {
    /// Queues the activation letter for `request_ref` (path B). Called by the activation service when
    /// a citizen with a registered certificate starts activation.
    pub async fn queue_activation_letter(
        &self,
        citizen_id: &str,
        request_ref: &str,
        actor: &str,
    ) -> Result<LetterRecord, LettersError> {
        let r = request_ref.trim();
        if r.is_empty() || r.len() > 64 {
            return Err(LettersError::Invalid(
                "request reference must be 1-64 characters".into(),
            ));
        }
        let id = uuid::Uuid::new_v4().to_string();
        let ev = AuditEvent::new(AuditKind::LetterQueued)
            .actor(actor)
            .citizen(citizen_id)
            .detail(json!({ "letter": id, "request_ref": r }));
        Ok(self
            .store
            .queue_letter(&id, citizen_id, r, self.now_ms(), &ev)
            .await?)
    }

    pub async fn letter_queue(&self, limit: u64) -> Result<LetterQueue, LettersError> {
        Ok(LetterQueue {
            counts: self.store.letter_counts().await?,
            recent: self.store.recent_letters(limit).await?,
        })
    }

    /// Writes the pending letters as one PDF batch `letters-<timestamp>.pdf` in `out_dir` and marks
    /// them dispatched. A letter stays pending when its citizen has no permanent address on file or
    /// no code could be issued for it (the report says why).
    ///
    /// Order of steps: the batch file is created (empty, under a temporary name) before any code is
    /// issued, so an unusable folder changes nothing; then codes are issued, the PDF written and
    /// renamed, and the letters marked dispatched in one transaction. If writing fails nothing is
    /// marked; if marking fails the file is removed.
    pub async fn export_letters(
        &self,
        out_dir: &Path,
        codes: &dyn LetterCodeIssuer,
        actor: &str,
    ) -> Result<ExportReport, LettersError> {
        let today = self.clock.now().date_naive();
        let mut ready = Vec::new();
        let mut skipped = Vec::new();
        for rec in self.store.pending_letters(MAX_BATCH).await? {
            match self.store.get_citizen(&rec.citizen_id).await? {
                None => skipped.push((rec.id.clone(), "citizen not found".into())),
                Some(c) if c.address.is_none() => {
                    skipped.push((rec.id.clone(), "no postal address on file".into()))
                }
                Some(c) => ready.push((rec, c)),
            }
        }
        if ready.is_empty() {
            return Ok(ExportReport {
                file: None,
                dispatched: 0,
                skipped,
            });
        }
        let stamp = self.clock.now().format("%Y%m%dT%H%M%S%3fZ");
        let name = format!("letters-{stamp}.pdf");
        let batch = BatchFile::create(out_dir, &name)?;
        let mut letters = Vec::new();
        let mut ids = Vec::new();
        for (rec, citizen) in ready {
            let code = match codes.issue_code(self, &rec, &citizen).await {
                Ok(c) => c,
                Err(e) => {
                    skipped.push((rec.id.clone(), format!("no activation code: {e}")));
                    continue;
                }
            };
            letters.push(Letter {
                reference: rec.request_ref.clone(),
                name: format!("{} {}", citizen.given_name, citizen.family_name),
                address_lines: citizen
                    .address
                    .as_ref()
                    .map(|a| a.lines())
                    .unwrap_or_default(),
                activation_code: code.code.expose().to_string(),
                expires_on: code.expires_on,
                date: today,
                lang: self.cfg.default_language.clone(),
            });
            ids.push(rec.id);
        }
        if letters.is_empty() {
            batch.abandon();
            return Ok(ExportReport {
                file: None,
                dispatched: 0,
                skipped,
            });
        }
        let pdf = match render_batch(&letters) {
            Ok(p) => p,
            Err(e) => {
                batch.abandon();
                return Err(e.into());
            }
        };
        drop(letters);
        let file = batch.commit(&pdf)?;
        let ev = AuditEvent::new(AuditKind::LettersDispatched)
            .actor(actor)
            .detail(json!({ "batch": name, "letters": ids.len(), "letter_ids": ids }));
        if let Err(e) = self
            .store
            .mark_letters_dispatched(&ids, &name, self.now_ms(), &ev)
            .await
        {
            if let Err(re) = std::fs::remove_file(&file) {
                tracing::error!(file = %file.display(), error = %re, "unmarked batch file could not be removed");
            }
            return Err(e.into());
        }
        Ok(ExportReport {
            file: Some(file),
            dispatched: ids.len(),
            skipped,
        })
    }
}

/// A batch file being written: `.NAME.part` beside the final name until [`commit`](Self::commit).
struct BatchFile {
    part: PathBuf,
    target: PathBuf,
    file: std::fs::File,
}

impl BatchFile {
    /// Creates the temporary file (never over an existing batch).
    fn create(dir: &Path, name: &str) -> Result<BatchFile, LettersError> {
        let target = dir.join(name);
        let fail =
            |e: std::io::Error| LettersError::Write(target.display().to_string(), e.to_string());
        if target.exists() {
            return Err(fail(std::io::Error::new(
                std::io::ErrorKind::AlreadyExists,
                "file exists",
            )));
        }
        let part = dir.join(format!(".{name}.part"));
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&part)
            .map_err(fail)?;
        Ok(BatchFile { part, target, file })
    }

    /// Writes, syncs and renames to the final name; on failure nothing is left behind.
    fn commit(mut self, bytes: &[u8]) -> Result<PathBuf, LettersError> {
        let written = self
            .file
            .write_all(bytes)
            .and_then(|()| self.file.sync_all())
            .and_then(|()| std::fs::rename(&self.part, &self.target));
        match written {
            Ok(()) => Ok(self.target),
            Err(e) => {
                let target = self.target.display().to_string();
                self.abandon();
                Err(LettersError::Write(target, e.to_string()))
            }
        }
    }

    fn abandon(self) {
        drop(self.file);
        if let Err(e) = std::fs::remove_file(&self.part) {
            tracing::warn!(file = %self.part.display(), error = %e, "temporary batch file not removed");
        }
    }
}

/// The activation service as the issuer of letter codes: the letter's `request_ref` is the path B
/// request's reference; the code is issued (and stored hashed) by the activation service.
struct ActivationLetterCodes;

impl LetterCodeIssuer for ActivationLetterCodes {
    fn issue_code<'a>(
        &'a self,
        svc: &'a Activation,
        letter: &'a LetterRecord,
        _citizen: &'a Citizen,
    ) -> BoxFuture<'a, Result<IssuedCode, String>> {
        Box::pin(async move {
            let req = svc
                .store
                .activation_request_by_reference(&letter.request_ref)
                .await
                .map_err(|e| e.to_string())?
                .ok_or_else(|| format!("no activation request {}", letter.request_ref))?;
            if req.citizen_id != letter.citizen_id {
                return Err(format!("request {} is another citizen's", req.reference));
            }
            let code = svc
                .issue_letter_code(&req.id)
                .await
                .map_err(|e| e.to_string())?;
            // The code expires `code_ttl_days` from now; print the last whole day it is valid.
            let last_day = svc.clock.now()
                + chrono::Duration::days(svc.cfg.activation.code_ttl_days)
                - chrono::Duration::days(1);
            Ok(IssuedCode {
                code,
                expires_on: last_day.date_naive(),
            })
        })
    }
}

impl Activation {
    /// The code issuer a real export uses: the activation service.
    pub fn letter_code_issuer(&self) -> Box<dyn LetterCodeIssuer> {
        Box::new(ActivationLetterCodes)
    }
}

/// `pass-idp letters export --out DIR`: exports and says what was done.
pub async fn export_command(
    svc: &Activation,
    out_dir: &Path,
    actor: &str,
) -> Result<String, LettersError> {
    // The operator names a folder; make it (the export itself never creates folders, so a wrong
    // path inside an existing tree still fails before anything is marked).
    std::fs::create_dir_all(out_dir)
        .map_err(|e| LettersError::Write(out_dir.display().to_string(), e.to_string()))?;
    let codes = svc.letter_code_issuer();
    let r = svc.export_letters(out_dir, codes.as_ref(), actor).await?;
    let mut s = match &r.file {
        Some(f) => format!("wrote {} letter(s) to {}", r.dispatched, f.display()),
        None => "no letters to export".to_string(),
    };
    for (id, why) in &r.skipped {
        s.push_str(&format!("\nkept pending {id}: {why}"));
    }
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write_new(dir: &Path, name: &str, bytes: &[u8]) -> Result<PathBuf, LettersError> {
        BatchFile::create(dir, name)?.commit(bytes)
    }

    #[test]
    fn batch_file_refuses_missing_folder_and_existing_file() {
        let dir = tempfile::tempdir().unwrap_or_else(|_| unreachable!());
        let missing = dir.path().join("nope");
        assert!(write_new(&missing, "a.pdf", b"x").is_err());
        assert!(write_new(dir.path(), "a.pdf", b"x").is_ok());
        assert!(write_new(dir.path(), "a.pdf", b"y").is_err());
        assert_eq!(
            std::fs::read(dir.path().join("a.pdf")).ok(),
            Some(b"x".to_vec())
        );
        if let Ok(b) = BatchFile::create(dir.path(), "b.pdf") {
            b.abandon();
        }
        let left: Vec<_> = std::fs::read_dir(dir.path())
            .map(|r| r.filter_map(Result::ok).map(|e| e.file_name()).collect())
            .unwrap_or_default();
        assert_eq!(left.len(), 1, "{left:?}");
    }
}
