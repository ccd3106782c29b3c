//! The connection to a remote syslog receiver: UDP datagrams (RFC 5426), or a TCP stream (RFC 6587) that may run
//! inside TLS (RFC 5425), both with octet-counting framing (`LEN SP MSG`).

use std::future::poll_fn;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, ServerName};
use rustls::{ClientConfig, RootCertStore};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt as _, BufWriter, ReadBuf};
use tokio::net::{TcpStream, UdpSocket};
use tresor_core::audit::{RemoteLog, Transport};

/// How long connecting (and the TLS handshake) may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long one batch may take to write: a receiver that stops reading counts as gone.
const WRITE_TIMEOUT: Duration = Duration::from_secs(30);

pub(crate) trait Stream: AsyncRead + AsyncWrite + Unpin + Send + Sync {}
impl<S: AsyncRead + AsyncWrite + Unpin + Send + Sync> Stream for S {}

/// An open connection to a receiver.
pub(crate) enum Link {
    Udp(UdpSocket),
    Stream(BufWriter<Box<dyn Stream>>),
}

impl std::fmt::Debug for Link {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Link::Udp(_) => "Link::Udp",
            Link::Stream(_) => "Link::Stream",
        })
    }
}

/// What the last send did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Sent {
    /// Bytes written, framing included.
    pub bytes: u64,
    /// UDP datagrams the system refused (they are not sent again).
    pub lost: u64,
}

impl Link {
    /// Connects to the receiver, within [`CONNECT_TIMEOUT`].
    pub(crate) async fn connect(remote: &RemoteLog) -> io::Result<Link> {
        match tokio::time::timeout(CONNECT_TIMEOUT, Self::open(remote)).await {
            Ok(link) => link,
            Err(_) => Err(io::Error::new(io::ErrorKind::TimedOut, "no connection within 10 s")),
        }
    }

    async fn open(remote: &RemoteLog) -> io::Result<Link> {
        let addresses: Vec<SocketAddr> = tokio::net::lookup_host((remote.host.as_str(), remote.port)).await?.collect();
        let mut last = io::Error::new(io::ErrorKind::NotFound, "the host name has no address");
        for address in addresses {
            let opened = match remote.transport {
                Transport::Udp => udp(address).await.map(Link::Udp),
                Transport::Tcp => TcpStream::connect(address).await.map(|s| stream(Box::new(s))),
                Transport::Tls => tls(address, remote).await.map(|s| stream(Box::new(s))),
            };
            match opened {
                Ok(link) => return Ok(link),
                Err(e) => last = e,
            }
        }
        Err(last)
    }

    /// Sends each line as one message. Over UDP a datagram the system refuses is counted and dropped; over a
    /// stream the batch is written and flushed, or the error says the connection is broken.
    pub(crate) async fn send(&mut self, lines: &[String]) -> io::Result<Sent> {
        let mut sent = Sent::default();
        match self {
            Link::Udp(socket) => {
                for line in lines {
                    match socket.send(line.as_bytes()).await {
                        Ok(n) => sent.bytes += n as u64,
                        Err(_) => sent.lost += 1,
                    }
                }
            }
            Link::Stream(out) => {
                let write = async {
                    for line in lines {
                        let frame = format!("{} {line}", line.len());
                        out.write_all(frame.as_bytes()).await?;
                        sent.bytes += frame.len() as u64;
                    }
                    out.flush().await
                };
                match tokio::time::timeout(WRITE_TIMEOUT, write).await {
                    Ok(result) => result?,
                    Err(_) => return Err(io::Error::new(io::ErrorKind::TimedOut, "the receiver stopped reading")),
                }
            }
        }
        Ok(sent)
    }

    /// Whether the receiver has closed the stream (or reset it). A syslog receiver never sends anything, so a
    /// readable stream means it is gone; checked before each batch, so that a batch is not written into a
    /// connection that cannot deliver it. Always `false` for UDP.
    pub(crate) async fn closed_by_peer(&mut self) -> bool {
        let Link::Stream(out) = self else { return false };
        let mut scratch = [0u8; 512];
        poll_fn(|cx| {
            let mut buf = ReadBuf::new(&mut scratch);
            match Pin::new(&mut *out).poll_read(cx, &mut buf) {
                Poll::Ready(Ok(())) => Poll::Ready(buf.filled().is_empty()),
                Poll::Ready(Err(_)) => Poll::Ready(true),
                Poll::Pending => Poll::Ready(false),
            }
        })
        .await
    }
}

fn stream(s: Box<dyn Stream>) -> Link {
    Link::Stream(BufWriter::with_capacity(64 * 1024, s))
}

async fn udp(address: SocketAddr) -> io::Result<UdpSocket> {
    let local: SocketAddr = if address.is_ipv4() { ([0, 0, 0, 0], 0).into() } else { ([0u16; 8], 0).into() };
    let socket = UdpSocket::bind(local).await?;
    socket.connect(address).await?;
    Ok(socket)
}

async fn tls(address: SocketAddr, remote: &RemoteLog) -> io::Result<tokio_rustls::client::TlsStream<TcpStream>> {
    let config = tls_config(remote.ca_file.as_deref()).await?;
    let name = ServerName::try_from(remote.host.clone())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "the host is not a valid TLS server name"))?;
    let tcp = TcpStream::connect(address).await?;
    tokio_rustls::TlsConnector::from(Arc::new(config)).connect(name, tcp).await
}

/// Trusts the system's certificate authorities and those of the PEM file `ca_file`.
async fn tls_config(ca_file: Option<&str>) -> io::Result<ClientConfig> {
    let mut roots = RootCertStore::empty();
    roots.add_parsable_certificates(rustls_native_certs::load_native_certs().certs);
    if let Some(path) = ca_file {
        let pem = tokio::fs::read(path).await.map_err(|e| io::Error::new(e.kind(), format!("reading {path}: {e}")))?;
        let invalid = |why: String| io::Error::new(io::ErrorKind::InvalidData, format!("{path}: {why}"));
        let mut found = 0;
        for cert in CertificateDer::pem_slice_iter(&pem) {
            let cert = cert.map_err(|e| invalid(format!("not valid PEM: {e}")))?;
            roots.add(cert).map_err(|e| invalid(format!("a certificate cannot be used: {e}")))?;
            found += 1;
        }
        if found == 0 {
            return Err(invalid("no PEM certificate in it".to_owned()));
        }
    }
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(io::Error::other)?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(config)
}
