//! The client's trust modes against a tiny real TLS server: fingerprint fetching, pinning and CA verification,
//! and the mapping of error answers.

use std::net::SocketAddr;
use std::sync::Arc;

use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tresor_client::api::{ErrorCode, ListQuery};
use tresor_client::{Client, ClientError, Trust, certificate_fingerprint, fetch_fingerprint, fingerprint_hex};

const TOKEN: &str = "test-token-0123";

/// Answers each HTTP/1.1 request on its own connection; the path picks the answer.
async fn serve(cert: CertificateDer<'static>, key: PrivateKeyDer<'static>) -> SocketAddr {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_no_client_auth()
        .with_single_cert(vec![cert], key)
        .expect("server config");
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else { return };
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                // Clients that reject the certificate abort the handshake; that is part of the tests.
                let Ok(mut tls) = acceptor.accept(tcp).await else { return };
                let mut request = Vec::new();
                let mut buf = [0u8; 4096];
                while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                    match tls.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => request.extend_from_slice(&buf[..n]),
                    }
                }
                let (status, body) = answer(&String::from_utf8_lossy(&request));
                let response = format!(
                    "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\
                     connection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = tls.write_all(response.as_bytes()).await;
                let _ = tls.shutdown().await;
            });
        }
    });
    addr
}

fn answer(request: &str) -> (&'static str, String) {
    let first_line = request.lines().next().unwrap_or_default();
    let authorized = request.lines().any(|l| l.eq_ignore_ascii_case(&format!("authorization: Bearer {TOKEN}")));
    match first_line.split(' ').nth(1).unwrap_or_default() {
        "/healthz" => ("200 OK", r#"{"status":"ok","version":"test"}"#.into()),
        "/api/v1/admin/sessions" if authorized => ("200 OK", r#"{"sessions":[]}"#.into()),
        "/api/v1/admin/sessions" => {
            ("401 Unauthorized", r#"{"error":{"code":"unauthenticated","message":"log in first"}}"#.into())
        }
        "/api/v1/admin/users?q=a%2Fb&limit=2" => {
            ("418 I'm a teapot", r#"{"error":{"code":"some_future_code","message":"a newer\nserver"}}"#.into())
        }
        "/api/v1/admin/users/a%2Fb" => ("502 Bad Gateway", "<html>proxy</html>".into()),
        _ => ("404 Not Found", r#"{"error":{"code":"not_found","message":"no route"}}"#.into()),
    }
}

fn self_signed() -> (CertificateDer<'static>, PrivateKeyDer<'static>) {
    let key = KeyPair::generate().expect("key");
    let params = CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()]).expect("params");
    let cert = params.self_signed(&key).expect("cert");
    (cert.der().clone(), private_key(&key))
}

fn private_key(key: &KeyPair) -> PrivateKeyDer<'static> {
    PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()))
}

fn ca(name: &str) -> CertifiedIssuer<'static, KeyPair> {
    let mut params = CertificateParams::new(Vec::<String>::new()).expect("params");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.distinguished_name.push(DnType::CommonName, name);
    CertifiedIssuer::self_signed(params, KeyPair::generate().expect("key")).expect("ca")
}

fn url(addr: SocketAddr) -> String {
    format!("https://127.0.0.1:{}", addr.port())
}

#[tokio::test]
async fn fetch_fingerprint_returns_the_certificates_sha256() {
    let (cert, key) = self_signed();
    let expected = certificate_fingerprint(&cert);
    let addr = serve(cert, key).await;
    let seen = fetch_fingerprint(&url(addr)).await.expect("fingerprint");
    assert_eq!(seen, expected);
}

#[tokio::test]
async fn the_right_pin_connects_and_the_token_is_sent() {
    let (cert, key) = self_signed();
    let pin = certificate_fingerprint(&cert);
    let addr = serve(cert, key).await;
    let client = Client::new(&url(addr), Trust::Pinned(pin)).expect("client");
    let health = client.health().await.expect("health");
    assert_eq!(health.status, "ok");

    let err = client.list_sessions().await.expect_err("no token");
    assert_eq!(err.code(), Some(ErrorCode::Unauthenticated));
    let sessions = client.with_token(TOKEN).list_sessions().await.expect("sessions");
    assert!(sessions.sessions.is_empty());
}

#[tokio::test]
async fn a_wrong_pin_fails_with_a_fingerprint_changed_error() {
    let (cert, key) = self_signed();
    let actual = certificate_fingerprint(&cert);
    let addr = serve(cert, key).await;
    let pin = [0x42; 32];
    let err = Client::new(&url(addr), Trust::Pinned(pin))
        .expect("client")
        .with_token(TOKEN)
        .health()
        .await
        .expect_err("wrong pin");
    let ClientError::Tls(message) = &err else { panic!("expected a TLS error, got {err:?}") };
    assert!(message.contains("fingerprint changed"), "{message}");
    assert!(message.contains(&fingerprint_hex(&pin)), "{message}");
    assert!(message.contains(&fingerprint_hex(&actual)), "{message}");
    assert!(!err.to_string().contains(TOKEN));
}

#[tokio::test]
async fn ca_file_verification_accepts_its_ca_and_refuses_another() {
    let issuer = ca("Tresor test CA");
    let other = ca("Some other CA");
    let leaf_key = KeyPair::generate().expect("key");
    let leaf = CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
        .expect("params")
        .signed_by(&leaf_key, &issuer)
        .expect("leaf");
    let addr = serve(leaf.der().clone(), private_key(&leaf_key)).await;

    let dir = tempfile::tempdir().expect("tempdir");
    let good = dir.path().join("ca.pem");
    let bad = dir.path().join("other.pem");
    std::fs::write(&good, issuer.pem()).expect("write");
    std::fs::write(&bad, other.pem()).expect("write");

    let ok = Client::new(&url(addr), Trust::CaFile(good)).expect("client");
    assert_eq!(ok.health().await.expect("health").status, "ok");

    let err = Client::new(&url(addr), Trust::CaFile(bad)).expect("client").health().await.expect_err("other CA");
    assert!(matches!(err, ClientError::Tls(_)), "{err:?}");
}

#[tokio::test]
async fn error_answers_map_to_api_errors_even_when_unexpected() {
    let (cert, key) = self_signed();
    let pin = certificate_fingerprint(&cert);
    let addr = serve(cert, key).await;
    let client = Client::new(&url(addr), Trust::Pinned(pin)).expect("client");

    let err = client.get_user("a/b").await.expect_err("502");
    assert!(matches!(&err, ClientError::Api { status: 502, code: ErrorCode::Unavailable, .. }), "{err:?}");

    let query = ListQuery { q: Some("a/b".into()), offset: None, limit: Some(2) };
    let err = client.list_users(&query).await.expect_err("future code");
    let ClientError::Api { status, message, .. } = &err else { panic!("{err:?}") };
    assert_eq!((*status, message.as_str()), (418, "a newer server"));

    let err = client.get_group("nope").await.expect_err("404");
    assert_eq!(err.code(), Some(ErrorCode::NotFound));
    assert_eq!(err.to_string(), "no route (not_found, HTTP 404)");
}

#[tokio::test]
async fn an_unreachable_server_is_a_transport_error() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    drop(listener);
    let err = Client::new(&url(addr), Trust::Pinned([0; 32])).expect("client").health().await.expect_err("closed port");
    assert!(matches!(err, ClientError::Transport(_)), "{err:?}");
    let err = fetch_fingerprint(&url(addr)).await.expect_err("closed port");
    assert!(matches!(err, ClientError::Transport(_)), "{err:?}");
}
