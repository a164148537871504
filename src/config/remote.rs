//! `[[remote_metadata]]`: signed metadata aggregates loaded from a URL (federations).
use super::{invalid, ConfigError};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RemoteMetadata {
    /// Where the aggregate is published (https; http only in dev mode).
    pub url: String,
    /// PEM certificate the aggregate's signature must verify with.
    pub cert: PathBuf,
    /// Last good copy, served at start and while the source is down or sends something bad.
    pub cache_file: PathBuf,
    /// Shortest time between refreshes (seconds), whatever cacheDuration says.
    #[serde(default = "default_min_refresh")]
    pub min_refresh_secs: u64,
    /// Longest time between refreshes (seconds).
    #[serde(default = "default_max_refresh")]
    pub max_refresh_secs: u64,
}

fn default_min_refresh() -> u64 {
    300
}

fn default_max_refresh() -> u64 {
    86_400
}

/// Checks every `remote_metadata` entry; the offending key is named.
pub(super) fn validate(list: &[RemoteMetadata], dev_mode: bool) -> Result<(), ConfigError> {
    for r in list {
        let url = url::Url::parse(&r.url)
            .map_err(|e| invalid("remote_metadata.url", format!("not a URL: {e}")))?;
        match url.scheme() {
            "https" => {}
            "http" if dev_mode => {}
            "http" => {
                return Err(invalid(
                    "remote_metadata.url",
                    "must be https outside dev mode",
                ))
            }
            other => {
                return Err(invalid(
                    "remote_metadata.url",
                    format!("scheme {other} not allowed"),
                ))
            }
        }
        if url.host_str().is_none() {
            return Err(invalid("remote_metadata.url", "has no host"));
        }
        let pem = std::fs::read(&r.cert).map_err(|e| {
            invalid(
                "remote_metadata.cert",
                format!("cannot read {}: {e}", r.cert.display()),
            )
        })?;
        if openssl::x509::X509::from_pem(&pem).is_err() {
            return Err(invalid(
                "remote_metadata.cert",
                format!("{} is not a PEM certificate", r.cert.display()),
            ));
        }
        if r.cache_file.as_os_str().is_empty() || r.cache_file.file_name().is_none() {
            return Err(invalid("remote_metadata.cache_file", "must be a file path"));
        }
        if !(60..=7 * 86_400).contains(&r.min_refresh_secs) {
            return Err(invalid(
                "remote_metadata.min_refresh_secs",
                "must be 60-604800 seconds",
            ));
        }
        if r.max_refresh_secs < r.min_refresh_secs || r.max_refresh_secs > 30 * 86_400 {
            return Err(invalid(
                "remote_metadata.max_refresh_secs",
                "must be at least min_refresh_secs and at most 2592000 seconds",
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn entry(url: &str, cert: PathBuf) -> RemoteMetadata {
        RemoteMetadata {
            url: url.into(),
            cert,
            cache_file: PathBuf::from("var/federation.xml"),
            min_refresh_secs: default_min_refresh(),
            max_refresh_secs: default_max_refresh(),
        }
    }

    fn err(list: &[RemoteMetadata], dev: bool) -> String {
        validate(list, dev)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default()
    }

    #[test]
    fn remote_metadata_keys_are_checked_and_named() {
        let cert = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("certs-dev/idp-signing.crt");
        let good = entry("https://fed.example/md.xml", cert.clone());
        assert!(validate(std::slice::from_ref(&good), false).is_ok());
        let http = entry("http://fed.example/md.xml", cert.clone());
        assert!(err(std::slice::from_ref(&http), false).contains("remote_metadata.url"));
        assert!(validate(&[http], true).is_ok());
        let missing = entry("https://fed.example/md.xml", PathBuf::from("no/such.crt"));
        assert!(err(&[missing], true).contains("remote_metadata.cert"));
        let not_pem = entry(
            "https://fed.example/md.xml",
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml"),
        );
        assert!(err(&[not_pem], true).contains("remote_metadata.cert"));
        let mut bad = good.clone();
        bad.max_refresh_secs = bad.min_refresh_secs - 1;
        assert!(err(&[bad], true).contains("remote_metadata.max_refresh_secs"));
        let mut bad = good;
        bad.min_refresh_secs = 1;
        assert!(err(&[bad], true).contains("remote_metadata.min_refresh_secs"));
    }

    #[test]
    fn toml_defaults() {
        let r: RemoteMetadata =
            toml::from_str("url = \"https://f/m\"\ncert = \"a.pem\"\ncache_file = \"c.xml\"")
                .unwrap();
        assert_eq!((r.min_refresh_secs, r.max_refresh_secs), (300, 86_400));
    }
}
