//! A small test PKI (EC P-256): CAs, intermediates and client certificates. Used by the unit tests of
//! `auth::client_cert` and, through `#[path]`, by the integration tests.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]
use openssl::asn1::Asn1Time;
use openssl::bn::{BigNum, MsbOption};
use openssl::ec::{EcGroup, EcKey};
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkey::{PKey, Private};
use openssl::x509::extension::{BasicConstraints, ExtendedKeyUsage, KeyUsage};
use openssl::x509::{X509Name, X509};

pub struct Issued {
    pub cert: X509,
    pub key: PKey<Private>,
}

impl Issued {
    pub fn der(&self) -> Vec<u8> {
        self.cert.to_der().unwrap()
    }
    pub fn pem(&self) -> String {
        String::from_utf8(self.cert.to_pem().unwrap()).unwrap()
    }
    /// The private key, PKCS#8 PEM.
    pub fn key_pem(&self) -> String {
        String::from_utf8(self.key.private_key_to_pem_pkcs8().unwrap()).unwrap()
    }
}

fn key() -> PKey<Private> {
    let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).unwrap();
    PKey::from_ec_key(EcKey::generate(&group).unwrap()).unwrap()
}

fn name(cn: &str) -> X509Name {
    let mut n = X509Name::builder().unwrap();
    n.append_entry_by_nid(Nid::COUNTRYNAME, "SI").unwrap();
    n.append_entry_by_nid(Nid::ORGANIZATIONNAME, "Test PKI")
        .unwrap();
    n.append_entry_by_nid(Nid::COMMONNAME, cn).unwrap();
    n.build()
}

pub enum Kind {
    Ca,
    Client,
    /// A leaf whose extended key usage allows server authentication only.
    ServerOnly,
}

/// Issues a certificate valid from `from` to `to` (Unix seconds). `issuer: None` makes it self-signed.
pub fn issue(issuer: Option<&Issued>, cn: &str, kind: Kind, from: i64, to: i64) -> Issued {
    let key = key();
    let mut b = X509::builder().unwrap();
    b.set_version(2).unwrap();
    let mut serial = BigNum::new().unwrap();
    serial.rand(120, MsbOption::MAYBE_ZERO, false).unwrap();
    b.set_serial_number(&serial.to_asn1_integer().unwrap())
        .unwrap();
    let subject = name(cn);
    b.set_subject_name(&subject).unwrap();
    match issuer {
        Some(i) => b.set_issuer_name(i.cert.subject_name()).unwrap(),
        None => b.set_issuer_name(&subject).unwrap(),
    }
    b.set_pubkey(&key).unwrap();
    b.set_not_before(&Asn1Time::from_unix(from).unwrap())
        .unwrap();
    b.set_not_after(&Asn1Time::from_unix(to).unwrap()).unwrap();
    match kind {
        Kind::Ca => {
            b.append_extension(BasicConstraints::new().critical().ca().build().unwrap())
                .unwrap();
            b.append_extension(
                KeyUsage::new()
                    .critical()
                    .key_cert_sign()
                    .crl_sign()
                    .build()
                    .unwrap(),
            )
            .unwrap();
        }
        Kind::Client | Kind::ServerOnly => {
            b.append_extension(BasicConstraints::new().critical().build().unwrap())
                .unwrap();
            b.append_extension(
                KeyUsage::new()
                    .critical()
                    .digital_signature()
                    .build()
                    .unwrap(),
            )
            .unwrap();
            let mut eku = ExtendedKeyUsage::new();
            if matches!(kind, Kind::Client) {
                eku.client_auth();
            } else {
                eku.server_auth();
            }
            b.append_extension(eku.build().unwrap()).unwrap();
        }
    }
    let signer = issuer.map(|i| &i.key).unwrap_or(&key);
    b.sign(signer, MessageDigest::sha256()).unwrap();
    Issued {
        cert: b.build(),
        key,
    }
}

/// Now (Unix seconds) and a day.
pub fn now_secs() -> i64 {
    chrono::Utc::now().timestamp()
}
pub const DAY: i64 = 86_400;

pub fn ca(cn: &str) -> Issued {
    let n = now_secs();
    issue(None, cn, Kind::Ca, n - DAY, n + 3650 * DAY)
}

pub fn client(ca: &Issued, cn: &str) -> Issued {
    let n = now_secs();
    issue(Some(ca), cn, Kind::Client, n - DAY, n + 365 * DAY)
}

/// A server certificate for 127.0.0.1 / localhost, issued by `ca`.
pub fn server(ca: &Issued) -> Issued {
    use openssl::x509::extension::SubjectAlternativeName;
    let n = now_secs();
    let key = key();
    let mut b = X509::builder().unwrap();
    b.set_version(2).unwrap();
    let mut serial = BigNum::new().unwrap();
    serial.rand(120, MsbOption::MAYBE_ZERO, false).unwrap();
    b.set_serial_number(&serial.to_asn1_integer().unwrap())
        .unwrap();
    b.set_subject_name(&name("localhost")).unwrap();
    b.set_issuer_name(ca.cert.subject_name()).unwrap();
    b.set_pubkey(&key).unwrap();
    b.set_not_before(&Asn1Time::from_unix(n - DAY).unwrap())
        .unwrap();
    b.set_not_after(&Asn1Time::from_unix(n + 365 * DAY).unwrap())
        .unwrap();
    b.append_extension(BasicConstraints::new().critical().build().unwrap())
        .unwrap();
    let mut eku = ExtendedKeyUsage::new();
    eku.server_auth();
    b.append_extension(eku.build().unwrap()).unwrap();
    let san = SubjectAlternativeName::new()
        .dns("localhost")
        .ip("127.0.0.1")
        .build(&b.x509v3_context(Some(&ca.cert), None))
        .unwrap();
    b.append_extension(san).unwrap();
    b.sign(&ca.key, MessageDigest::sha256()).unwrap();
    Issued {
        cert: b.build(),
        key,
    }
}
