//! TCP (+ optional pnet) + Noise + Yamux, with byte counting on the socket;
//! `/dns4/…`, `/dns6/…` and `/dns/…` addresses are resolved when dialled
//! (the system resolver's configuration, `/etc/resolv.conf` and `/etc/hosts`),
//! so bootstrap peers can be named as Kubernetes or other DNS names.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use futures::future::Either;
use futures::{AsyncRead, AsyncWrite};
use libp2p::core::muxing::StreamMuxerBox;
use libp2p::core::transport::{Boxed, upgrade::Version};
use libp2p::identity::Keypair;
use libp2p::pnet::{PnetConfig, PreSharedKey};
use libp2p::{PeerId, Transport, dns, noise, tcp, yamux};

use super::counters::Counters;

/// Builds the node transport. With `psk`, every connection first runs the
/// private-network handshake (XSalsa20 with the shared key) before Noise, so a
/// node with another key fails the handshake and never joins.
pub(crate) fn build(
    keypair: &Keypair,
    psk: Option<PreSharedKey>,
    counters: Arc<Counters>,
) -> Result<Boxed<(PeerId, StreamMuxerBox)>, String> {
    let tcp = tcp::tokio::Transport::new(tcp::Config::default().nodelay(true))
        .map(move |stream, _| CountingStream { inner: stream, counters: counters.clone() });
    let tcp = dns::tokio::Transport::system(tcp)
        .map_err(|e| format!("cannot read the system DNS configuration (/etc/resolv.conf): {e}"))?;
    let base = tcp.and_then(move |socket, _| async move {
        match psk {
            Some(psk) => PnetConfig::new(psk).handshake(socket).await.map(Either::Left),
            None => Ok(Either::Right(socket)),
        }
    });
    Ok(base
        .upgrade(Version::V1Lazy)
        .authenticate(noise::Config::new(keypair).map_err(|e| format!("noise: {e}"))?)
        .multiplex(yamux::Config::default())
        .timeout(Duration::from_secs(10))
        .boxed())
}

/// Parses a pre-shared key: either the go-ipfs `swarm.key` format
/// (`/key/swarm/psk/1.0.0/`, `/base16/`, 64 hex digits) or 64 hex digits alone.
pub fn parse_psk(text: &str) -> Result<PreSharedKey, String> {
    let text = text.trim();
    if text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
        let mut key = [0u8; 32];
        for (i, chunk) in text.as_bytes().chunks(2).enumerate() {
            let hex = std::str::from_utf8(chunk).map_err(|e| e.to_string())?;
            key[i] = u8::from_str_radix(hex, 16).map_err(|e| e.to_string())?;
        }
        return Ok(PreSharedKey::new(key));
    }
    text.parse::<PreSharedKey>().map_err(|e| format!("invalid pre-shared key: {e}"))
}

/// A socket that counts the bytes it moves.
struct CountingStream<S> {
    inner: S,
    counters: Arc<Counters>,
}

impl<S: AsyncRead + Unpin> AsyncRead for CountingStream<S> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        let poll = Pin::new(&mut this.inner).poll_read(cx, buf);
        if let Poll::Ready(Ok(n)) = &poll {
            Counters::add(&this.counters.wire_bytes_in, *n as u64);
        }
        poll
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for CountingStream<S> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        let poll = Pin::new(&mut this.inner).poll_write(cx, buf);
        if let Poll::Ready(Ok(n)) = &poll {
            Counters::add(&this.counters.wire_bytes_out, *n as u64);
        }
        poll
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_close(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn psk_formats() {
        let hex = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
        let a = parse_psk(hex).unwrap();
        let b = parse_psk(&format!("/key/swarm/psk/1.0.0/\n/base16/\n{hex}\n")).unwrap();
        assert_eq!(a.fingerprint().to_string(), b.fingerprint().to_string());
        assert!(parse_psk("abc").is_err());
        assert!(parse_psk(&hex.replace('0', "g")).is_err());
    }
}
