//! The live event stream from the client's side: `GET /api/v1/events` upgraded to a WebSocket, over a TLS
//! connection that trusts the server exactly as the client's requests do (the pinned fingerprint or the CA).

use std::pin::Pin;

use futures_util::{SinkExt as _, StreamExt as _};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tresor_api::LiveEventView;

use crate::error::one_line;
use crate::{Client, ClientError};

/// A byte stream the WebSocket runs over: TLS, or plain TCP for `http://` servers.
trait Duplex: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Duplex for T {}

/// An open live event stream; [`LiveStream::next`] waits for the next event.
pub struct LiveStream {
    socket: WebSocketStream<Pin<Box<dyn Duplex>>>,
}

impl std::fmt::Debug for LiveStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LiveStream").finish_non_exhaustive()
    }
}

impl LiveStream {
    /// The next event; `None` once the server closed the stream (it says why in a last `session_ended` event when
    /// the session was disconnected).
    pub async fn next(&mut self) -> Option<Result<LiveEventView, ClientError>> {
        loop {
            let message = match self.socket.next().await? {
                Ok(message) => message,
                Err(WsError::ConnectionClosed | WsError::AlreadyClosed) => return None,
                Err(e) => return Some(Err(ClientError::Transport(one_line(&e)))),
            };
            match message {
                Message::Text(text) => {
                    return Some(serde_json::from_str(&text).map_err(|e| ClientError::Decode(one_line(&e))));
                }
                Message::Close(_) => return None,
                // Pings are answered by the socket; nothing else is sent by the server.
                _ => {}
            }
        }
    }

    /// Closes the stream.
    pub async fn close(mut self) {
        let _ = self.socket.close(None).await;
    }

    /// Sends a ping (to keep the connection open through proxies that close idle ones).
    pub async fn ping(&mut self) -> Result<(), ClientError> {
        self.socket.send(Message::Ping(Vec::new().into())).await.map_err(|e| ClientError::Transport(one_line(&e)))
    }
}

impl Client {
    /// Opens the live event stream of this client's session.
    pub async fn live_events(&self) -> Result<LiveStream, ClientError> {
        let url = self.api_url(&["events"])?;
        let host = url.host_str().ok_or_else(|| ClientError::InvalidUrl("the URL has no host".into()))?.to_owned();
        let port = url.port_or_known_default().unwrap_or(443);
        let tcp = TcpStream::connect((host.as_str(), port)).await.map_err(|e| ClientError::Transport(one_line(&e)))?;
        let io: Pin<Box<dyn Duplex>> = match &self.stream_tls {
            Some(config) => {
                let name = rustls::pki_types::ServerName::try_from(
                    host.trim_start_matches('[').trim_end_matches(']').to_owned(),
                )
                .map_err(|e| ClientError::InvalidUrl(e.to_string()))?;
                let tls = tokio_rustls::TlsConnector::from(std::sync::Arc::clone(config))
                    .connect(name, tcp)
                    .await
                    .map_err(|e| ClientError::Tls(one_line(&e)))?;
                Box::pin(tls)
            }
            None => Box::pin(tcp),
        };
        let mut ws_url = url.clone();
        let scheme = if self.stream_tls.is_some() { "wss" } else { "ws" };
        ws_url.set_scheme(scheme).map_err(|()| ClientError::InvalidUrl("cannot make a WebSocket URL".into()))?;
        let mut request = ws_url.as_str().into_client_request().map_err(|e| ClientError::InvalidUrl(one_line(&e)))?;
        if let Some(token) = self.bearer() {
            let mut value = HeaderValue::from_str(&format!("Bearer {token}"))
                .map_err(|_| ClientError::InvalidUrl("the session token cannot be sent".into()))?;
            value.set_sensitive(true);
            request.headers_mut().insert("authorization", value);
        }
        let (socket, _) = tokio_tungstenite::client_async(request, io).await.map_err(|e| match e {
            WsError::Http(response) => {
                let status = response.status().as_u16();
                let body = response.body().as_deref().map(String::from_utf8_lossy).unwrap_or_default();
                let error: Option<tresor_api::ErrorBody> = serde_json::from_str(&body).ok();
                match error {
                    Some(b) => ClientError::Api { status, code: b.error.code, message: b.error.message },
                    None => ClientError::Transport(format!("the server refused the live stream ({status})")),
                }
            }
            other => ClientError::Transport(one_line(&other)),
        })?;
        Ok(LiveStream { socket })
    }
}
