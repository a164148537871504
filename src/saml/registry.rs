//! The SP registry: every metadata file in the metadata folder (EntityDescriptor or
//! EntitiesDescriptor) plus its optional policy file (`<stem>.policy.toml`), indexed by entityID.
//! A broken file is reported and skipped; it never takes the IdP down.
//!
//! Guarantees (negative tests in `tests/startup_edge.rs`, `tests/metadata_and_ops.rs`):
//! - the registry in force ([`SharedRegistry`]) serves only what passes the operator-page checks
//!   (`metadata_check::serve`) at load time: a hand-placed file with, say, an http ACS outside
//!   dev mode is skipped with the reason, exactly as the pages would have refused to save it; the
//!   same goes for every entry of a remote aggregate;
//! - [`LoadRules::ParseOnly`] (files that merely parse) exists for administration only — finding
//!   the file to repair and the entityIDs already taken — and never reaches SSO.
use super::metadata::{parse_sp_metadata, SpMetadata};
use super::metadata_check::serve::{check_file, ServeRules, SkippedEntity};
use crate::clock::SharedClock;
use crate::domain::sp::ServicePolicy;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};

#[derive(Debug, Clone)]
pub struct ServiceProvider {
    pub metadata: SpMetadata,
    pub policy: ServicePolicy,
    pub file: PathBuf,
    /// URL of the remote aggregate this SP came from (None: a file in the metadata folder).
    pub remote_source: Option<String>,
}

impl ServiceProvider {
    /// Name for citizens: policy display name, else metadata (mdui / organization), else entityID.
    pub fn display_name(&self, lang: &str) -> String {
        let from_policy = match lang {
            "en" => self
                .policy
                .display_name_en
                .clone()
                .or_else(|| self.policy.display_name_sl.clone()),
            _ => self
                .policy
                .display_name_sl
                .clone()
                .or_else(|| self.policy.display_name_en.clone()),
        };
        from_policy.unwrap_or_else(|| self.metadata.display_name(lang))
    }
}

#[derive(Debug, Clone)]
pub struct LoadProblem {
    pub file: PathBuf,
    pub problem: String,
}

#[derive(Debug, Default, Clone)]
pub struct SpRegistry {
    sps: BTreeMap<String, Arc<ServiceProvider>>,
    pub problems: Vec<LoadProblem>,
}

fn policy_path(xml: &Path) -> PathBuf {
    let stem = xml
        .file_stem()
        .map(|s| s.to_string_lossy().to_string())
        .unwrap_or_default();
    xml.with_file_name(format!("{stem}.policy.toml"))
}

/// What a load accepts.
#[derive(Debug, Clone, Copy)]
pub enum LoadRules {
    /// For serving: the operator-page checks at this time and mode.
    Serve(ServeRules),
    /// Every file that parses, checked or not: for administration only (never for SSO).
    ParseOnly,
}

/// Loads one metadata file and its policy.
pub fn load_file(path: &Path, rules: &LoadRules) -> Result<Vec<ServiceProvider>, String> {
    let xml = std::fs::read_to_string(path).map_err(|e| format!("cannot read: {e}"))?;
    let ppath = policy_path(path);
    let policy_text = if ppath.exists() {
        Some(
            std::fs::read_to_string(&ppath)
                .map_err(|e| format!("cannot read {}: {e}", ppath.display()))?,
        )
    } else {
        None
    };
    // The policy first, so that a bad one is named by its own file (and key) in every mode.
    let policy = match policy_text.as_deref() {
        Some(text) => ServicePolicy::from_toml(text)
            .map_err(|e| format!("policy {}: {e}", ppath.display()))?,
        None => ServicePolicy::default(),
    };
    if let LoadRules::Serve(r) = rules {
        check_file(&xml, policy_text.as_deref(), r)?;
    }
    let sps = parse_sp_metadata(&xml).map_err(|e| e.to_string())?;
    if sps.is_empty() {
        return Err("no SPSSODescriptor in this file".into());
    }
    Ok(sps
        .into_iter()
        .map(|metadata| ServiceProvider {
            metadata,
            policy: policy.clone(),
            file: path.to_path_buf(),
            remote_source: None,
        })
        .collect())
}

impl SpRegistry {
    pub fn load_dir(dir: &Path, rules: &LoadRules) -> SpRegistry {
        let mut reg = SpRegistry::default();
        let mut files: Vec<PathBuf> = match std::fs::read_dir(dir) {
            Ok(rd) => rd
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "xml"))
                .collect(),
            Err(e) => {
                reg.problems.push(LoadProblem {
                    file: dir.to_path_buf(),
                    problem: format!("cannot read metadata folder: {e}"),
                });
                return reg;
            }
        };
        files.sort();
        for f in files {
            match load_file(&f, rules) {
                Ok(sps) => {
                    for sp in sps {
                        let id = sp.metadata.entity_id.clone();
                        if let Some(prev) = reg.sps.get(&id) {
                            reg.problems.push(LoadProblem {
                                file: f.clone(),
                                problem: format!(
                                    "entityID {id} is already defined in {}; skipped",
                                    prev.file.display()
                                ),
                            });
                            continue;
                        }
                        reg.sps.insert(id, Arc::new(sp));
                    }
                }
                Err(problem) => reg.problems.push(LoadProblem { file: f, problem }),
            }
        }
        reg
    }

    pub fn get(&self, entity_id: &str) -> Option<Arc<ServiceProvider>> {
        self.sps.get(entity_id).cloned()
    }

    pub fn all(&self) -> impl Iterator<Item = &Arc<ServiceProvider>> {
        self.sps.values()
    }

    pub fn len(&self) -> usize {
        self.sps.len()
    }

    pub fn is_empty(&self) -> bool {
        self.sps.is_empty()
    }
}

/// SPs from one remote aggregate, as last accepted.
#[derive(Debug, Clone)]
pub struct RemoteSet {
    /// The source URL.
    pub source: String,
    /// The cache file holding the accepted copy.
    pub file: PathBuf,
    /// Entries that passed the checks.
    pub sps: Vec<SpMetadata>,
    /// Entries that did not, and why (listed as problems).
    pub skipped: Vec<SkippedEntity>,
}

/// Folder SPs plus remote SPs: local files win an entityID clash (reported as a problem); among
/// remote sources the first configured wins.
fn merge(local: &SpRegistry, remote: &BTreeMap<usize, RemoteSet>) -> SpRegistry {
    let mut reg = local.clone();
    for set in remote.values() {
        for s in &set.skipped {
            reg.problems.push(LoadProblem {
                file: set.file.clone(),
                problem: format!(
                    "entityID {} from {} skipped: {}",
                    s.entity_id, set.source, s.problem
                ),
            });
        }
        for md in &set.sps {
            let id = md.entity_id.clone();
            if let Some(prev) = reg.sps.get(&id) {
                let by = prev
                    .remote_source
                    .clone()
                    .unwrap_or_else(|| prev.file.display().to_string());
                reg.problems.push(LoadProblem {
                    file: set.file.clone(),
                    problem: format!(
                        "entityID {id} from {} is already defined by {by}; skipped",
                        set.source
                    ),
                });
                continue;
            }
            reg.sps.insert(
                id,
                Arc::new(ServiceProvider {
                    metadata: md.clone(),
                    policy: ServicePolicy::default(),
                    file: set.file.clone(),
                    remote_source: Some(set.source.clone()),
                }),
            );
        }
    }
    reg
}

#[derive(Debug, Default)]
struct Parts {
    local: Arc<SpRegistry>,
    /// Keyed by the source's position in the configuration.
    remote: BTreeMap<usize, RemoteSet>,
}

/// The registry in force, swapped whole on reload so readers never see half a load. Every load
/// applies the serving checks at the clock's time.
#[derive(Clone)]
pub struct SharedRegistry {
    dir: PathBuf,
    dev_mode: bool,
    clock: SharedClock,
    current: Arc<RwLock<Arc<SpRegistry>>>,
    parts: Arc<Mutex<Parts>>,
}

impl std::fmt::Debug for SharedRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SharedRegistry")
            .field("dir", &self.dir)
            .field("dev_mode", &self.dev_mode)
            .finish_non_exhaustive()
    }
}

impl SharedRegistry {
    pub fn load(dir: &Path, dev_mode: bool, clock: SharedClock) -> SharedRegistry {
        let rules = LoadRules::Serve(ServeRules {
            now: clock.now(),
            dev_mode,
        });
        let reg = Arc::new(SpRegistry::load_dir(dir, &rules));
        SharedRegistry {
            dir: dir.to_path_buf(),
            dev_mode,
            clock,
            current: Arc::new(RwLock::new(reg.clone())),
            parts: Arc::new(Mutex::new(Parts {
                local: reg,
                remote: BTreeMap::new(),
            })),
        }
    }
    pub fn dir(&self) -> &Path {
        &self.dir
    }
    /// The rules a load applies now (also for remote aggregates).
    pub fn serve_rules(&self) -> ServeRules {
        ServeRules {
            now: self.clock.now(),
            dev_mode: self.dev_mode,
        }
    }
    pub fn snapshot(&self) -> Arc<SpRegistry> {
        match self.current.read() {
            Ok(g) => g.clone(),
            Err(p) => p.into_inner().clone(),
        }
    }

    /// Rebuilds the merged registry from the parts (under the parts lock) and swaps it in.
    fn update(&self, change: impl FnOnce(&mut Parts)) -> Arc<SpRegistry> {
        let mut parts = match self.parts.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        change(&mut parts);
        let reg = Arc::new(merge(&parts.local, &parts.remote));
        match self.current.write() {
            Ok(mut g) => *g = reg.clone(),
            Err(p) => *p.into_inner() = reg.clone(),
        }
        reg
    }

    /// Reloads the folder, keeping the remote sets; returns the new registry (its problems are
    /// for the caller to log).
    pub fn reload(&self) -> Arc<SpRegistry> {
        let rules = LoadRules::Serve(self.serve_rules());
        let local = Arc::new(SpRegistry::load_dir(&self.dir, &rules));
        self.update(|p| p.local = local)
    }

    /// Installs (replaces) the SPs of remote source number `slot`, keeping the folder's.
    pub fn install_remote(&self, slot: usize, set: RemoteSet) -> Arc<SpRegistry> {
        self.update(|p| {
            p.remote.insert(slot, set);
        })
    }
}
