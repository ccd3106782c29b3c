//! `tresor-bench hello`: the reference point of the performance figures, a bare axum + rustls (aws-lc-rs)
//! server answering `GET /` with `hello`, on a freshly generated self-signed certificate.
//!
//! It runs on Tresor's own accept loop (`tresor_http::serve`) with the same TLS versions, ALPN and key type as
//! the Tresor server, so that a comparison between the two measures the application and nothing else.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use axum::Router;
use axum::routing::get;
use clap::Args;
use rcgen::{CertificateParams, KeyPair, PKCS_ECDSA_P256_SHA256};
use rustls::ServerConfig;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::net::TcpListener;
use tresor_client::{certificate_fingerprint, fingerprint_hex};

#[derive(Debug, Args)]
pub struct HelloArgs {
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, default_value = "127.0.0.1:0")]
    pub listen: SocketAddr,
    /// Offer only HTTP/1.1 in ALPN. By default h2 and http/1.1 are offered, as the Tresor server does.
    #[arg(long)]
    pub http1_only: bool,
}

/// Serves until interrupted (Ctrl-C or SIGTERM), then lets requests in flight finish.
pub async fn serve(args: &HelloArgs) -> anyhow::Result<()> {
    let (cert, key) = self_signed(args.listen)?;
    let fingerprint = certificate_fingerprint(&cert);
    let mut config = ServerConfig::builder_with_provider(Arc::new(rustls::crypto::aws_lc_rs::default_provider()))
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])?
        .with_no_client_auth()
        .with_single_cert(vec![cert], key)
        .context("TLS configuration")?;
    config.alpn_protocols =
        if args.http1_only { vec![b"http/1.1".to_vec()] } else { vec![b"h2".to_vec(), b"http/1.1".to_vec()] };

    let listener = TcpListener::bind(args.listen).await.with_context(|| format!("cannot listen on {}", args.listen))?;
    let addr = listener.local_addr()?;
    let app = Router::new().route("/", get(|| async { "hello" }));
    println!("hello server listening on https://{addr}");
    println!("TLS certificate SHA-256 fingerprint: {}", fingerprint_hex(&fingerprint));
    tresor_http::serve::serve(vec![listener], app, Some(Arc::new(config)), shutdown_signal()).await;
    Ok(())
}

/// A self-signed ECDSA P-256 certificate (the Tresor server's key type) for localhost and the listening address.
fn self_signed(listen: SocketAddr) -> anyhow::Result<(CertificateDer<'static>, PrivateKeyDer<'static>)> {
    let mut names = vec!["localhost".to_owned(), "127.0.0.1".to_owned(), "::1".to_owned()];
    if !listen.ip().is_unspecified() && !listen.ip().is_loopback() {
        names.push(listen.ip().to_string());
    }
    let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).context("key generation")?;
    let cert = CertificateParams::new(names)?.self_signed(&key).context("certificate")?;
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
    Ok((cert.der().clone(), key))
}

/// Completes on Ctrl-C or SIGTERM, so that `kill <pid>` ends the server cleanly.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
}
