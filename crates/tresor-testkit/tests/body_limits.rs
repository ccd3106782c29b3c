//! The 64 KiB body limit holds however the body is framed: with a `Content-Length`, and chunked without one
//! (written by hand over TLS, since HTTP libraries choose the framing themselves).
#![allow(clippy::unwrap_used)] // Tests fail loudly on the first surprise.

mod common;

use common::post_chunked;
use tresor_testkit::TestServer;

#[tokio::test]
async fn chunked_bodies_meet_the_same_limit() {
    let server = TestServer::start().await;
    let admin = common::admin_token(&server).await;
    let big = serde_json::json!({"account": "big", "password": "p".repeat(70 * 1024)}).to_string();
    let (status, answer) = post_chunked(&server, "/api/v1/auth/login", None, "application/json", big.as_bytes()).await;
    assert_eq!(status, 413, "{answer}");
    assert!(answer.contains("payload_too_large"), "{answer}");
    let huge = vec![b' '; 2 * 1024 * 1024];
    let (status, answer) = post_chunked(&server, "/api/v1/admin/users", Some(&admin), "application/json", &huge).await;
    assert_eq!(status, 413, "{answer}");
    assert!(answer.contains("payload_too_large"), "{answer}");

    let small = br#"{"account": "small", "password": "long-enough-1"}"#;
    let (status, answer) = post_chunked(&server, "/api/v1/admin/users", Some(&admin), "application/json", small).await;
    assert_eq!(status, 201, "{answer}");
    let (status, answer) =
        post_chunked(&server, "/api/v1/admin/users", Some(&admin), "application/json", b"{\"account\":").await;
    assert_eq!(status, 400, "{answer}");
    assert!(answer.contains("malformed_json"), "{answer}");
}
