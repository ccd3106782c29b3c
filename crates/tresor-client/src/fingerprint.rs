//! Trust on first use: one TLS handshake that records the server's certificate so that its fingerprint can be
//! shown to the person logging in, as ssh shows a host key.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::Url;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, SignatureScheme};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

use crate::ClientError;
use crate::trust::{certificate_fingerprint, provider};

const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(15);

/// Connects to an `https://` URL, completes a TLS handshake and returns the SHA-256 of the server's end-entity
/// certificate. The certificate is not judged (that is the person's decision), but the handshake signature is
/// checked against it, so the server proved it holds the certificate's key.
pub async fn fetch_fingerprint(url: &str) -> Result<[u8; 32], ClientError> {
    let url = Url::parse(url).map_err(|e| ClientError::InvalidUrl(e.to_string()))?;
    if url.scheme() != "https" {
        return Err(ClientError::InvalidUrl("a certificate fingerprint exists only for https:// URLs".into()));
    }
    let host = url.host_str().ok_or_else(|| ClientError::InvalidUrl("the URL has no host".into()))?;
    let host = host.trim_start_matches('[').trim_end_matches(']').to_owned();
    let port = url.port_or_known_default().ok_or_else(|| ClientError::InvalidUrl("the URL has no port".into()))?;
    let server_name =
        ServerName::try_from(host.clone()).map_err(|e| ClientError::InvalidUrl(format!("{host}: {e}")))?;

    let provider = provider();
    let recorder =
        Arc::new(RecordingVerifier { seen: Mutex::new(None), algorithms: provider.signature_verification_algorithms });
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| ClientError::Tls(e.to_string()))?
        .dangerous()
        .with_custom_certificate_verifier(recorder.clone())
        .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));

    let handshake = async {
        let tcp = TcpStream::connect((host.as_str(), port))
            .await
            .map_err(|e| ClientError::Transport(format!("{host}:{port}: {e}")))?;
        let mut tls = connector.connect(server_name, tcp).await.map_err(|e| {
            match e.get_ref().and_then(|inner| inner.downcast_ref::<rustls::Error>()) {
                Some(tls) => ClientError::Tls(tls.to_string()),
                None => ClientError::Transport(e.to_string()),
            }
        })?;
        // A polite close; the fingerprint is known whatever the server does next.
        let _ = tls.shutdown().await;
        Ok::<(), ClientError>(())
    };
    tokio::time::timeout(HANDSHAKE_TIMEOUT, handshake)
        .await
        .map_err(|_| ClientError::Transport(format!("{host}:{port}: TLS handshake timed out")))??;

    let seen = recorder.seen.lock().ok().and_then(|slot| *slot);
    seen.ok_or_else(|| ClientError::Tls("the server presented no certificate".into()))
}

/// Accepts any certificate and remembers the end-entity's fingerprint; still verifies handshake signatures.
#[derive(Debug)]
struct RecordingVerifier {
    seen: Mutex<Option<[u8; 32]>>,
    algorithms: WebPkiSupportedAlgorithms,
}

impl ServerCertVerifier for RecordingVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let fingerprint = certificate_fingerprint(end_entity);
        let mut slot = self.seen.lock().map_err(|_| rustls::Error::General("fingerprint recorder poisoned".into()))?;
        *slot = Some(fingerprint);
        Ok(ServerCertVerified::assertion())
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
