//! How the client decides to trust a server: an ssh-style certificate pin, a CA file, or plain HTTP.
//!
//! Every rustls configuration here uses the aws-lc-rs provider explicitly; nothing depends on a process-wide
//! default provider being installed.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, ClientConfig, DigitallySignedStruct, OtherError, RootCertStore, SignatureScheme};
use subtle::ConstantTimeEq;

use crate::ClientError;
use crate::error::fingerprint_changed_message;

/// What makes the client believe it talks to the right server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Trust {
    /// SHA-256 of the server's end-entity certificate (DER), pinned on first use as ssh does. The name in the
    /// certificate and its validity dates are not checked; the handshake signature is, so only the holder of the
    /// certificate's private key passes.
    Pinned([u8; 32]),
    /// A PEM file of CA certificates; normal WebPKI verification, including the server name.
    CaFile(PathBuf),
    /// No TLS at all; only accepted for `http://` URLs (a server behind a TLS-terminating proxy, or tests).
    PlainHttp,
}

/// The SHA-256 of a certificate's DER encoding: what [`Trust::Pinned`] holds.
pub fn certificate_fingerprint(der: &[u8]) -> [u8; 32] {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, der);
    let mut out = [0u8; 32];
    out.copy_from_slice(digest.as_ref());
    out
}

/// Formats a fingerprint as colon-separated uppercase hex pairs: `AB:CD:…`.
pub fn fingerprint_hex(fingerprint: &[u8; 32]) -> String {
    fingerprint.iter().map(|b| format!("{b:02X}")).collect::<Vec<_>>().join(":")
}

/// Parses a fingerprint written as [`fingerprint_hex`] prints it or as 64 plain hex digits (either case);
/// an optional `SHA256:` prefix is accepted too.
pub fn parse_fingerprint(text: &str) -> Option<[u8; 32]> {
    let text = text.trim();
    let text = text.strip_prefix("SHA256:").or_else(|| text.strip_prefix("sha256:")).unwrap_or(text);
    let digits: String = if text.contains(':') {
        let pairs: Vec<&str> = text.split(':').collect();
        if pairs.len() != 32 || pairs.iter().any(|p| p.len() != 2) {
            return None;
        }
        pairs.concat()
    } else {
        text.to_owned()
    };
    let bytes = hex::decode(digits).ok()?;
    bytes.try_into().ok()
}

pub(crate) fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

/// Records the fingerprint a pinned verifier saw when it did not match, so that the client can say so plainly
/// whatever layers of HTTP errors wrap the handshake failure.
pub(crate) type MismatchSlot = Arc<Mutex<Option<[u8; 32]>>>;

/// The rustls configuration the typed client uses for `trust` (ALPN h2 and HTTP/1.1), for programs that need
/// another HTTP stack with exactly the same trust, such as the load driver's raw requests.
///
/// # Errors
/// [`ClientError::Tls`] when the CA file cannot be read or used.
pub fn tls_config(trust: &Trust) -> Result<ClientConfig, ClientError> {
    client_config(trust, &MismatchSlot::default())
}

/// Builds the rustls configuration for `trust`, with ALPN for HTTP/2 and HTTP/1.1.
pub(crate) fn client_config(trust: &Trust, mismatch: &MismatchSlot) -> Result<ClientConfig, ClientError> {
    let provider = provider();
    let algorithms = provider.signature_verification_algorithms;
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| ClientError::Tls(e.to_string()))?;
    let mut config = match trust {
        Trust::Pinned(pin) => builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(PinnedVerifier {
                pin: *pin,
                algorithms,
                mismatch: mismatch.clone(),
            }))
            .with_no_client_auth(),
        Trust::CaFile(path) => {
            let roots = load_roots(path)?;
            let verifier = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider)
                .build()
                .map_err(|e| ClientError::Tls(format!("CA file {}: {e}", path.display())))?;
            builder.with_webpki_verifier(verifier).with_no_client_auth()
        }
        // No TLS is ever used (the URL is http:// and redirects are off); an empty root store makes sure that
        // any TLS connection would fail rather than fall back to some default trust.
        Trust::PlainHttp => builder.with_root_certificates(RootCertStore::empty()).with_no_client_auth(),
    };
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(config)
}

fn load_roots(path: &std::path::Path) -> Result<RootCertStore, ClientError> {
    let certs = CertificateDer::pem_file_iter(path)
        .map_err(|e| ClientError::Tls(format!("cannot read CA file {}: {e}", path.display())))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| ClientError::Tls(format!("cannot parse CA file {}: {e}", path.display())))?;
    let mut roots = RootCertStore::empty();
    let (added, _ignored) = roots.add_parsable_certificates(certs);
    if added == 0 {
        return Err(ClientError::Tls(format!("CA file {} holds no usable certificate", path.display())));
    }
    Ok(roots)
}

/// The pin did not match; carried inside the rustls error.
#[derive(Debug)]
pub(crate) struct FingerprintMismatch {
    pub(crate) expected: [u8; 32],
    pub(crate) got: [u8; 32],
}

impl std::fmt::Display for FingerprintMismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&fingerprint_changed_message(&self.expected, &self.got))
    }
}

impl std::error::Error for FingerprintMismatch {}

/// Accepts exactly the certificate whose SHA-256 equals the pin, and checks the handshake signatures with it.
#[derive(Debug)]
struct PinnedVerifier {
    pin: [u8; 32],
    algorithms: WebPkiSupportedAlgorithms,
    mismatch: MismatchSlot,
}

impl ServerCertVerifier for PinnedVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let got = certificate_fingerprint(end_entity);
        if bool::from(got.ct_eq(&self.pin)) {
            return Ok(ServerCertVerified::assertion());
        }
        if let Ok(mut slot) = self.mismatch.lock() {
            *slot = Some(got);
        }
        Err(rustls::Error::InvalidCertificate(CertificateError::Other(OtherError(Arc::new(FingerprintMismatch {
            expected: self.pin,
            got,
        })))))
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprint_hex_round_trips() {
        let fp: [u8; 32] = std::array::from_fn(|i| (i * 7 + 3) as u8);
        let text = fingerprint_hex(&fp);
        assert_eq!(text.len(), 32 * 3 - 1);
        assert!(text.starts_with("03:0A:11:"));
        assert_eq!(parse_fingerprint(&text), Some(fp));
        assert_eq!(parse_fingerprint(&text.to_lowercase()), Some(fp));
        assert_eq!(parse_fingerprint(&text.replace(':', "")), Some(fp));
        assert_eq!(parse_fingerprint(&format!("SHA256:{text}")), Some(fp));
    }

    #[test]
    fn parse_fingerprint_rejects_malformed_text() {
        assert_eq!(parse_fingerprint(""), None);
        assert_eq!(parse_fingerprint("AB:CD"), None);
        assert_eq!(parse_fingerprint(&"A".repeat(64)).map(|_| ()), Some(()));
        assert_eq!(parse_fingerprint(&"A".repeat(63)), None);
        assert_eq!(parse_fingerprint(&"G".repeat(64)), None);
        let odd = format!("{}:ABC", vec!["AB"; 31].join(":"));
        assert_eq!(parse_fingerprint(&odd), None);
    }
}
