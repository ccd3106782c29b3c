//! The live event stream: `GET /api/v1/events` upgraded to a WebSocket. Each published change passes through the
//! vault service's filter for this listener ([`VaultService::filter_live`]) and goes out as one JSON text message
//! ([`LiveEventView`]); nothing the listener may not see is sent. The session is checked again every few seconds:
//! when it has ended (logout, expiry, disconnection) the stream says so and closes, and when the account's groups or
//! roles changed the listener's view is worked out again.
//!
//! [`VaultService::filter_live`]: tresor_core::vault::VaultService::filter_live

use std::time::Duration;

use axum::extract::State;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade, rejection::WebSocketUpgradeRejection};
use axum::response::Response;
use http::StatusCode;
use tokio::sync::broadcast::error::RecvError;
use tresor_api::{ErrorBody, ErrorCode, LiveEventView};
use tresor_core::Clock as _;
use tresor_core::vault::service::{LiveListener, NoticeKind};

use crate::extract::Listening;
use crate::{ApiError, AppState, wire_vault as wv};

/// How often a listening connection checks that its session is still live.
const SESSION_CHECK: Duration = Duration::from_secs(5);

/// The live event stream (WebSocket): changes to what the caller can see, as they happen.
#[utoipa::path(get, path = "/api/v1/events", tag = "vault", security(("bearer" = [])),
    responses(
        (status = 101, description = "Switching to the WebSocket protocol; then one LiveEventView per text message"),
        (status = "4XX", description = "invalid_parameter (not a WebSocket upgrade), unauthenticated", body = ErrorBody),
        (status = 503, description = "The store is unavailable", body = ErrorBody)))]
pub async fn stream(
    State(s): State<AppState>,
    listening: Listening,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Result<Response, ApiError> {
    let upgrade = upgrade.map_err(|e| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            ErrorCode::InvalidParameter,
            format!("the live stream is a WebSocket: {e}"),
        )
    })?;
    // Subscribed before the listener looks at what it can see, so that nothing published in between is missed.
    let events = s.auth.live().subscribe();
    let listener = s.vault.live_listener(listening.caller.clone()).await?;
    Ok(upgrade.on_upgrade(move |socket| listen(s, listening, listener, events, socket)))
}

async fn listen(
    s: AppState,
    listening: Listening,
    mut listener: LiveListener,
    mut events: tokio::sync::broadcast::Receiver<std::sync::Arc<tresor_core::live::LiveEvent>>,
    mut socket: WebSocket,
) {
    let mut check = tokio::time::interval_at(tokio::time::Instant::now() + SESSION_CHECK, SESSION_CHECK);
    loop {
        tokio::select! {
            received = events.recv() => {
                let notices = match received {
                    Ok(event) => match s.vault.filter_live(&mut listener, &event).await {
                        Ok(notices) => notices,
                        Err(e) => {
                            tracing::warn!(error = %e, "a live event could not be filtered; the stream closes");
                            return close(socket, "the server could not go on").await;
                        }
                    },
                    Err(RecvError::Lagged(missed)) => {
                        listener.forget_views();
                        if send(&mut socket, &plain("lagged", Some(missed))).await.is_err() {
                            return;
                        }
                        continue;
                    }
                    Err(RecvError::Closed) => return close(socket, "the server is stopping").await,
                };
                for notice in notices {
                    if send(&mut socket, &wv::live_event(&notice)).await.is_err() {
                        return;
                    }
                    if notice.kind == NoticeKind::SessionEnded {
                        return close(socket, "the session was disconnected").await;
                    }
                }
            }
            incoming = socket.recv() => match incoming {
                // Pings are answered by the socket itself; what a client sends is otherwise ignored.
                Some(Ok(Message::Close(_)) | Err(_)) | None => return,
                Some(Ok(_)) => {}
            },
            _ = check.tick() => match s.auth.authenticate(&listening.token, listening.address).await {
                Ok(caller) => listener.renew(caller),
                Err(_) => {
                    let _ = send(&mut socket, &plain("session_ended", None)).await;
                    return close(socket, "the session has ended").await;
                }
            },
        }
    }
}

/// A message about the stream itself rather than a change.
fn plain(kind: &str, missed: Option<u64>) -> LiveEventView {
    LiveEventView {
        kind: kind.to_owned(),
        database: None,
        database_name: None,
        entry: None,
        folder: None,
        version: None,
        actor: None,
        missed,
        at: wv::time(tresor_core::SystemClock.now()),
    }
}

async fn send(socket: &mut WebSocket, view: &LiveEventView) -> Result<(), axum::Error> {
    // Plain strings and numbers always serialize.
    let text = serde_json::to_string(view).unwrap_or_default();
    socket.send(Message::Text(text.into())).await
}

async fn close(mut socket: WebSocket, reason: &'static str) {
    let frame = CloseFrame { code: axum::extract::ws::close_code::NORMAL, reason: reason.into() };
    let _ = socket.send(Message::Close(Some(frame))).await;
}
