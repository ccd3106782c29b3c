//! The TLS material of a first start: a CA of this server's own and a server certificate it signs, valid for
//! loopback and the configured names. The CA key stays in the data directory so that the server certificate can
//! be issued again when the names change or it nears expiry; clients pin the server certificate's fingerprint
//! (ssh-style) or trust the CA (`--ca-cert`).

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::Context;
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use time::{Duration, OffsetDateTime};

use super::keys::write_private;
use crate::config::ensure_private;

const CA_COMMON_NAME: &str = "Tresor server CA";
const CA_VALIDITY_DAYS: i64 = 3650;
const SERVER_VALIDITY_DAYS: i64 = 397;
/// A server certificate closer than this to its end is issued again at start.
const RENEW_BEFORE_DAYS: i64 = 30;

/// The files of the generated TLS material in `<data dir>/tls`.
#[derive(Debug, Clone)]
pub struct TlsFiles {
    pub ca_cert: PathBuf,
    pub ca_key: PathBuf,
    /// Server certificate followed by the CA certificate.
    pub chain: PathBuf,
    pub key: PathBuf,
    names_file: PathBuf,
    expiry_file: PathBuf,
}

impl TlsFiles {
    pub fn in_dir(data_dir: &Path) -> Self {
        let d = data_dir.join("tls");
        Self {
            ca_cert: d.join("ca.crt"),
            ca_key: d.join("ca.key"),
            chain: d.join("server.crt"),
            key: d.join("server.key"),
            names_file: d.join("server.names"),
            expiry_file: d.join("server.expires"),
        }
    }
}

/// Every name the server certificate must cover: loopback plus the configured names.
pub fn certificate_names(extra: &[String]) -> Vec<String> {
    let mut names = vec!["localhost".to_owned(), "127.0.0.1".to_owned(), "::1".to_owned()];
    for n in extra {
        if !names.contains(n) {
            names.push(n.clone());
        }
    }
    names
}

/// What [`ensure`] did.
#[derive(Debug, PartialEq, Eq)]
pub enum Issued {
    Nothing,
    ServerCertificate,
    CaAndServerCertificate,
}

/// Makes sure a CA and a current server certificate for `names` exist; creates what is missing.
pub fn ensure(files: &TlsFiles, names: &[String]) -> anyhow::Result<Issued> {
    let mut issued = Issued::Nothing;
    if !files.ca_key.exists() {
        let ca_key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)?;
        let ca = ca_params()?.self_signed(&ca_key)?;
        write_private(&files.ca_key, ca_key.serialize_pem().as_bytes())?;
        fs::write(&files.ca_cert, ca.pem()).with_context(|| format!("cannot write {}", files.ca_cert.display()))?;
        for stale in [&files.chain, &files.key] {
            let _ = fs::remove_file(stale);
        }
        issued = Issued::CaAndServerCertificate;
    }
    ensure_private(&files.ca_key)?;
    if files.key.exists() {
        ensure_private(&files.key)?;
    }
    let current_names = fs::read_to_string(&files.names_file).unwrap_or_default();
    let expires = fs::read_to_string(&files.expiry_file).ok().and_then(|s| s.trim().parse::<i64>().ok()).unwrap_or(0);
    let renew_at = (OffsetDateTime::now_utc() + Duration::days(RENEW_BEFORE_DAYS)).unix_timestamp();
    let up_to_date =
        files.chain.exists() && files.key.exists() && current_names == names.join("\n") && expires > renew_at;
    if !up_to_date {
        issue_server_certificate(files, names)?;
        if issued == Issued::Nothing {
            issued = Issued::ServerCertificate;
        }
    }
    Ok(issued)
}

fn ca_params() -> anyhow::Result<CertificateParams> {
    let mut p = CertificateParams::new(Vec::<String>::new())?;
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, CA_COMMON_NAME);
    dn.push(DnType::OrganizationName, "Tresor");
    p.distinguished_name = dn;
    p.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    p.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign, KeyUsagePurpose::DigitalSignature];
    let now = OffsetDateTime::now_utc();
    p.not_before = now - Duration::days(1);
    p.not_after = now + Duration::days(CA_VALIDITY_DAYS);
    Ok(p)
}

fn issue_server_certificate(files: &TlsFiles, names: &[String]) -> anyhow::Result<()> {
    let ca_key_pem = zeroize::Zeroizing::new(fs::read_to_string(&files.ca_key)?);
    let ca_key =
        KeyPair::from_pem(&ca_key_pem).map_err(|_| anyhow::anyhow!("{} is not a key", files.ca_key.display()))?;
    // The issuer is rebuilt from the same name and key: the certificate's issuer and key identifier then match
    // the stored CA certificate.
    let issuer = Issuer::new(ca_params()?, ca_key);
    let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)?;
    let mut p = CertificateParams::new(names.to_vec()).context("tls.names")?;
    p.distinguished_name = DistinguishedName::new();
    p.distinguished_name.push(
        DnType::CommonName,
        names.iter().find(|n| n.parse::<std::net::IpAddr>().is_err()).map_or("localhost", String::as_str),
    );
    p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    p.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    p.use_authority_key_identifier_extension = true;
    let now = OffsetDateTime::now_utc();
    p.not_before = now - Duration::days(1);
    p.not_after = now + Duration::days(SERVER_VALIDITY_DAYS);
    let cert = p.signed_by(&key, &issuer)?;
    let ca_pem =
        fs::read_to_string(&files.ca_cert).with_context(|| format!("cannot read {}", files.ca_cert.display()))?;
    let _ = fs::remove_file(&files.key);
    write_private(&files.key, key.serialize_pem().as_bytes())?;
    fs::write(&files.chain, format!("{}{}", cert.pem(), ca_pem))?;
    fs::write(&files.names_file, names.join("\n"))?;
    fs::write(&files.expiry_file, p.not_after.unix_timestamp().to_string())?;
    Ok(())
}

/// SHA-256 of the first (leaf) certificate in a PEM chain: what clients pin.
pub fn leaf_fingerprint(chain: &Path) -> anyhow::Result<[u8; 32]> {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;
    let leaf = CertificateDer::pem_file_iter(chain)
        .with_context(|| format!("cannot read {}", chain.display()))?
        .next()
        .ok_or_else(|| anyhow::anyhow!("{} holds no certificate", chain.display()))?
        .with_context(|| format!("cannot parse {}", chain.display()))?;
    Ok(tresor_crypto::sha256(&leaf))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn material_is_created_once_and_renewed_when_names_change() -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        let files = TlsFiles::in_dir(dir.path());
        let names = certificate_names(&[]);
        assert_eq!(ensure(&files, &names)?, Issued::CaAndServerCertificate);
        let first = leaf_fingerprint(&files.chain)?;
        assert_eq!(ensure(&files, &names)?, Issued::Nothing);
        assert_eq!(leaf_fingerprint(&files.chain)?, first);
        let more = certificate_names(&["vault.example.com".to_owned()]);
        assert_eq!(ensure(&files, &more)?, Issued::ServerCertificate);
        assert_ne!(leaf_fingerprint(&files.chain)?, first);
        // The chain loads as a rustls server configuration.
        tresor_http::tls::server_config(&files.chain, &files.key)?;
        Ok(())
    }
}
