//! TLS for the mail server: rustls with the system's trust anchors plus the settings' extra PEM certificates
//! (`ca_pem`, for a server whose certificate a private CA issued), checked against the configured host name.

use lettre::transport::smtp::client::{Certificate, TlsParameters};
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject as _;
use tresor_core::mail::{MailError, MailTls, SmtpSettings};

/// `None` for plain SMTP; otherwise the parameters for STARTTLS or implicit TLS.
pub(crate) fn parameters(settings: &SmtpSettings) -> Result<Option<TlsParameters>, MailError> {
    if settings.tls == MailTls::None {
        return Ok(None);
    }
    let mut builder = TlsParameters::builder(settings.host.trim().to_owned());
    for certificate in extra_roots(&settings.ca_pem)? {
        builder = builder.add_root_certificate(certificate);
    }
    builder.build_rustls().map(Some).map_err(|e| MailError::Config(format!("the TLS settings cannot be used: {e}")))
}

/// The certificates of `ca_pem`; an empty field adds none, a field without one is a mistake.
fn extra_roots(pem: &str) -> Result<Vec<Certificate>, MailError> {
    if pem.trim().is_empty() {
        return Ok(Vec::new());
    }
    let ders = CertificateDer::pem_slice_iter(pem.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| MailError::Config(format!("the extra CA certificates are not valid PEM: {e}")))?;
    if ders.is_empty() {
        return Err(MailError::Config("the extra CA certificates hold no PEM certificate".to_owned()));
    }
    ders.into_iter()
        .map(|der| {
            Certificate::from_der(der.to_vec())
                .map_err(|e| MailError::Config(format!("an extra CA certificate cannot be used: {e}")))
        })
        .collect()
}
