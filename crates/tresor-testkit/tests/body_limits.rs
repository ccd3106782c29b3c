//! The 64 KiB body limit holds however the body is framed: with a `Content-Length`, and chunked without one
//! (written by hand over TLS, since HTTP libraries choose the framing themselves).
#![allow(clippy::unwrap_used)] // Tests fail loudly on the first surprise.

mod common;

use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tresor_testkit::TestServer;

/// Sends `body` chunked to `path` over HTTP/1.1 and returns the status and body of the answer.
async fn post_chunked(server: &TestServer, path: &str, token: Option<&str>, body: &[u8]) -> (u16, String) {
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(server.ca_cert()).unwrap() {
        roots.add(cert.unwrap()).unwrap();
    }
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let addr = server.url.trim_start_matches("https://");
    let tcp = TcpStream::connect(addr).await.unwrap();
    let name = ServerName::try_from("127.0.0.1").unwrap();
    let mut tls = tokio_rustls::TlsConnector::from(Arc::new(config)).connect(name, tcp).await.unwrap();
    let auth = token.map(|t| format!("Authorization: Bearer {t}\r\n")).unwrap_or_default();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n{auth}\
         Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    );
    tls.write_all(head.as_bytes()).await.unwrap();
    for chunk in body.chunks(8 * 1024) {
        let mut framed = format!("{:x}\r\n", chunk.len()).into_bytes();
        framed.extend_from_slice(chunk);
        framed.extend_from_slice(b"\r\n");
        // The server may answer and close as soon as the limit is passed; the rest then has nowhere to go.
        if tls.write_all(&framed).await.is_err() {
            break;
        }
    }
    let _ = tls.write_all(b"0\r\n\r\n").await;
    let _ = tls.flush().await;
    let mut answer = Vec::new();
    let _ = tls.read_to_end(&mut answer).await;
    let answer = String::from_utf8_lossy(&answer).into_owned();
    let status = answer.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or_else(|| panic!("no answer: {answer}"));
    (status, answer)
}

#[tokio::test]
async fn chunked_bodies_meet_the_same_limit() {
    let server = TestServer::start().await;
    let admin = common::admin_token(&server).await;
    let big = serde_json::json!({"account": "big", "password": "p".repeat(70 * 1024)}).to_string();
    let (status, answer) = post_chunked(&server, "/api/v1/auth/login", None, big.as_bytes()).await;
    assert_eq!(status, 413, "{answer}");
    assert!(answer.contains("payload_too_large"), "{answer}");
    let huge = vec![b' '; 2 * 1024 * 1024];
    let (status, answer) = post_chunked(&server, "/api/v1/admin/users", Some(&admin), &huge).await;
    assert_eq!(status, 413, "{answer}");
    assert!(answer.contains("payload_too_large"), "{answer}");

    let small = br#"{"account": "small", "password": "long-enough-1"}"#;
    let (status, answer) = post_chunked(&server, "/api/v1/admin/users", Some(&admin), small).await;
    assert_eq!(status, 201, "{answer}");
    let (status, answer) = post_chunked(&server, "/api/v1/admin/users", Some(&admin), b"{\"account\":").await;
    assert_eq!(status, 400, "{answer}");
    assert!(answer.contains("malformed_json"), "{answer}");
}
