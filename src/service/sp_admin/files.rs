//! The metadata folder on disk: atomic replacement of live files and the version history.
//!
//! Live files: `<dir>/<stem>.xml` and `<dir>/<stem>.policy.toml` (what the registry loads).
//! History: `<dir>/.history/<entity-dir>/<n>.xml`, `<n>.policy.toml` (if the version had one) and
//! `<n>.json` (who/when/why). A version is claimed by creating `<n>.xml` exclusively, so several
//! nodes sharing the folder never overwrite each other's versions; a version without its `.json` was
//! never completed and is not listed. The registry loads only top-level `*.xml`, so it never sees
//! history or temporary files (those start with a dot).
use super::SpAdminError;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

pub const HISTORY_DIR: &str = ".history";

/// One saved version (the `<n>.json` file).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionInfo {
    pub version: u32,
    pub entity_id: String,
    /// Live file name (`<stem>.xml`) this version was written to.
    pub file: String,
    pub has_policy: bool,
    pub who: String,
    pub at: DateTime<Utc>,
    pub why: String,
    /// "baseline" (the files as found before the first recorded change), "save", "restore",
    /// "enable", "disable".
    pub action: String,
    /// SHA-256 (hex) of the metadata and policy bytes of this version.
    pub metadata_sha256: String,
    pub policy_sha256: Option<String>,
}

/// A version's content.
#[derive(Debug, Clone)]
pub struct VersionFiles {
    pub xml: String,
    pub policy: Option<String>,
}

fn io(what: &str, path: &Path, e: std::io::Error) -> SpAdminError {
    SpAdminError::Io(format!("{what} {}: {e}", path.display()))
}

pub fn sha256_hex(data: &[u8]) -> String {
    openssl::sha::sha256(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A name made of `[a-z0-9-]` from an entityID (scheme dropped), at most 60 characters.
pub fn safe_name(entity_id: &str) -> String {
    let rest = entity_id
        .split_once("://")
        .map(|(_, r)| r)
        .unwrap_or(entity_id);
    let mut out = String::new();
    for c in rest.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('-') {
            out.push('-');
        }
        if out.len() >= 60 {
            break;
        }
    }
    let out = out.trim_matches('-').to_string();
    if out.is_empty() {
        "e-service".into()
    } else {
        out
    }
}

/// History folder of an entity: readable name plus a hash so two entityIDs never share one.
pub fn history_dir(dir: &Path, entity_id: &str) -> PathBuf {
    let h = sha256_hex(entity_id.as_bytes());
    dir.join(HISTORY_DIR)
        .join(format!("{}-{}", safe_name(entity_id), &h[..12]))
}

pub fn policy_path(xml: &Path) -> PathBuf {
    let stem = xml
        .file_stem()
        .map(|s| s.to_string_lossy().to_string())
        .unwrap_or_default();
    xml.with_file_name(format!("{stem}.policy.toml"))
}

pub fn read_opt(path: &Path) -> Result<Option<String>, SpAdminError> {
    match std::fs::read_to_string(path) {
        Ok(s) => Ok(Some(s)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io("cannot read", path, e)),
    }
}

fn sync_dir(dir: &Path) -> Result<(), SpAdminError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| io("cannot sync folder", dir, e))
}

/// Writes `data` to `path` atomically: a temporary dot-file in the same folder, fsync, rename,
/// fsync of the folder. Readers see the old or the new content, never a mix.
pub fn write_atomic(path: &Path, data: &[u8], nonce: &str) -> Result<(), SpAdminError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.{nonce}.tmp"));
    let result = (|| {
        let mut f = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)
            .map_err(|e| io("cannot create", &tmp, e))?;
        f.write_all(data).map_err(|e| io("cannot write", &tmp, e))?;
        f.sync_all().map_err(|e| io("cannot sync", &tmp, e))?;
        std::fs::rename(&tmp, path).map_err(|e| io("cannot rename onto", path, e))
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result?;
    sync_dir(dir)
}

pub fn remove_if_exists(path: &Path) -> Result<(), SpAdminError> {
    match std::fs::remove_file(path) {
        Ok(()) => sync_dir(path.parent().unwrap_or(Path::new("."))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(io("cannot remove", path, e)),
    }
}

/// All completed versions, oldest first.
pub fn list_versions(hdir: &Path) -> Result<Vec<VersionInfo>, SpAdminError> {
    let rd = match std::fs::read_dir(hdir) {
        Ok(rd) => rd,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io("cannot read", hdir, e)),
    };
    let mut out = Vec::new();
    for entry in rd.flatten() {
        let p = entry.path();
        if p.extension().is_some_and(|x| x == "json") {
            let text = std::fs::read_to_string(&p).map_err(|e| io("cannot read", &p, e))?;
            let v: VersionInfo = serde_json::from_str(&text)
                .map_err(|e| SpAdminError::Io(format!("{}: {e}", p.display())))?;
            out.push(v);
        }
    }
    out.sort_by_key(|v| v.version);
    Ok(out)
}

pub fn read_version(
    hdir: &Path,
    version: u32,
) -> Result<(VersionInfo, VersionFiles), SpAdminError> {
    let info_path = hdir.join(format!("{version}.json"));
    let Some(text) = read_opt(&info_path)? else {
        return Err(SpAdminError::NoSuchVersion(version));
    };
    let info: VersionInfo = serde_json::from_str(&text)
        .map_err(|e| SpAdminError::Io(format!("{}: {e}", info_path.display())))?;
    let xml_path = hdir.join(format!("{version}.xml"));
    let xml = read_opt(&xml_path)?.ok_or(SpAdminError::NoSuchVersion(version))?;
    let policy = if info.has_policy {
        read_opt(&hdir.join(format!("{version}.policy.toml")))?
    } else {
        None
    };
    Ok((info, VersionFiles { xml, policy }))
}

/// Claims the next free version number and stores its content (not yet its `.json`).
pub fn claim_version(hdir: &Path, files: &VersionFiles) -> Result<u32, SpAdminError> {
    std::fs::create_dir_all(hdir).map_err(|e| io("cannot create", hdir, e))?;
    let mut n = list_versions(hdir)?.last().map(|v| v.version).unwrap_or(0) + 1;
    loop {
        let xml_path = hdir.join(format!("{n}.xml"));
        match OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&xml_path)
        {
            Ok(mut f) => {
                f.write_all(files.xml.as_bytes())
                    .and_then(|()| f.sync_all())
                    .map_err(|e| io("cannot write", &xml_path, e))?;
                break;
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => n += 1,
            Err(e) => return Err(io("cannot create", &xml_path, e)),
        }
        if n > 1_000_000 {
            return Err(SpAdminError::Io("too many versions".into()));
        }
    }
    if let Some(p) = &files.policy {
        let pp = hdir.join(format!("{n}.policy.toml"));
        std::fs::write(&pp, p).map_err(|e| io("cannot write", &pp, e))?;
    }
    Ok(n)
}

/// Completes a claimed version by writing its `.json` (atomically).
pub fn complete_version(hdir: &Path, info: &VersionInfo, nonce: &str) -> Result<(), SpAdminError> {
    let text = serde_json::to_vec_pretty(info).map_err(|e| SpAdminError::Io(e.to_string()))?;
    write_atomic(&hdir.join(format!("{}.json", info.version)), &text, nonce)
}

/// Drops an uncompleted claim (best effort).
pub fn abandon_version(hdir: &Path, version: u32) {
    let _ = std::fs::remove_file(hdir.join(format!("{version}.xml")));
    let _ = std::fs::remove_file(hdir.join(format!("{version}.policy.toml")));
}
