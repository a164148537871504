//! `[tls]` (the IdP terminates TLS itself with rustls) and `[client_cert]` (qualified client
//! certificates: the accepted CAs, and a reverse proxy trusted to pass a verified certificate on).
use super::{invalid, ConfigError};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TlsConfig {
    /// Listen with TLS as well (the plain `bind` stays available, e.g. for a proxy or development).
    pub enabled: bool,
    /// TLS address:port.
    pub bind: String,
    /// Server certificate chain (PEM, leaf first).
    pub cert: PathBuf,
    /// Server private key (PEM, PKCS#8, PKCS#1 or SEC1).
    pub key: PathBuf,
}

impl Default for TlsConfig {
    fn default() -> Self {
        Self {
            enabled: false,
            bind: "127.0.0.1:8443".into(),
            cert: PathBuf::new(),
            key: PathBuf::new(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ClientCertConfig {
    /// PEM files of the CAs whose certificates count as qualified (each file may hold several).
    /// Every configured certificate is a trust anchor: an issuing (intermediate) CA may be listed alone.
    pub qualified_cas: Vec<PathBuf>,
    /// Addresses of reverse proxies whose certificate header is believed; the header from any other
    /// address is refused.
    pub trusted_proxies: Vec<String>,
    /// Request header in which a trusted proxy passes the client certificate (URL-escaped PEM, as
    /// nginx's `$ssl_client_escaped_cert`).
    pub proxy_header: String,
}

impl Default for ClientCertConfig {
    fn default() -> Self {
        Self {
            qualified_cas: Vec::new(),
            trusted_proxies: Vec::new(),
            proxy_header: "X-SSL-Client-Cert".into(),
        }
    }
}

pub(super) fn validate(tls: &TlsConfig, cc: &ClientCertConfig) -> Result<(), ConfigError> {
    if tls.enabled {
        if tls.bind.parse::<std::net::SocketAddr>().is_err() {
            return Err(invalid(
                "tls.bind",
                "must be an address:port such as 0.0.0.0:8443",
            ));
        }
        if tls.cert.as_os_str().is_empty() || tls.key.as_os_str().is_empty() {
            return Err(invalid(
                "tls.cert",
                "tls.cert and tls.key are required when tls.enabled = true",
            ));
        }
    }
    for p in &cc.trusted_proxies {
        if p.trim().parse::<std::net::IpAddr>().is_err() {
            return Err(invalid(
                "client_cert.trusted_proxies",
                format!("{p} is not an IP address"),
            ));
        }
    }
    if header_name_ok(&cc.proxy_header).is_err() {
        return Err(invalid(
            "client_cert.proxy_header",
            "must be a valid HTTP header name",
        ));
    }
    Ok(())
}

/// A header name: ASCII letters, digits and `-`, not empty.
fn header_name_ok(name: &str) -> Result<(), ()> {
    if !name.is_empty()
        && name.len() <= 100
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    {
        Ok(())
    } else {
        Err(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_proxy_address_and_header_are_named() {
        let tls = TlsConfig::default();
        let mut cc = ClientCertConfig {
            trusted_proxies: vec!["proxy.example".into()],
            ..ClientCertConfig::default()
        };
        let err = validate(&tls, &cc).err().map(|e| e.to_string());
        assert!(err.is_some_and(|e| e.contains("client_cert.trusted_proxies")));
        cc.trusted_proxies = vec!["10.0.0.1".into(), "::1".into()];
        assert!(validate(&tls, &cc).is_ok());
        cc.proxy_header = "X Bad".into();
        let err = validate(&tls, &cc).err().map(|e| e.to_string());
        assert!(err.is_some_and(|e| e.contains("client_cert.proxy_header")));
    }

    #[test]
    fn enabled_tls_needs_cert_and_key() {
        let tls = TlsConfig {
            enabled: true,
            ..TlsConfig::default()
        };
        let err = validate(&tls, &ClientCertConfig::default())
            .err()
            .map(|e| e.to_string());
        assert!(err.is_some_and(|e| e.contains("tls.cert")));
    }
}
