//! A small TCP proxy on loopback that misbehaves on purpose, as a slow or broken network does:
//! it can delay the replies, trickle them one byte at a time, pause after a given byte (also
//! inside a UTF-8 character), and cut or reset the connection in the middle of a reply.
//!
//! Only the server's side (the replies) misbehaves; what the client sends passes as it comes.
//! Every thread it starts ends when its connection ends, and [`Proxy`] stops accepting when
//! dropped.

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::Duration;

/// How a connection ends when [`Plan::end_after`] says so.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum End {
    /// An orderly close (FIN) toward the client, as a server that stops does.
    Close,
    /// A reset (RST) toward the client, as a crashed machine or a firewall does.
    Reset,
}

/// What the proxy does to the replies, counted in bytes from the first reply byte of each
/// connection.
#[derive(Clone, Debug, Default)]
pub struct Plan {
    /// Wait this long before passing on each piece the server sent.
    pub delay: Duration,
    /// Pass the replies on one byte at a time, this long apart.
    pub trickle: Option<Duration>,
    /// After passing on this many bytes, wait this long before the next.
    pub pause_after: Option<(usize, Duration)>,
    /// After passing on this many bytes, end the connection this way.
    pub end_after: Option<(usize, End)>,
}

/// A running proxy: connections to [`Proxy::address`] are passed on to the server.
pub struct Proxy {
    /// Where clients connect.
    pub address: SocketAddr,
    /// Set when the proxy is dropped: accept no more connections.
    stopped: Arc<AtomicBool>,
}

impl Proxy {
    /// Starts a proxy on 127.0.0.1 (a port the system picks) to `server`, following `plan`.
    pub fn start(server: SocketAddr, plan: Plan) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("the proxy binds");
        let address = listener.local_addr().expect("the proxy's address");
        let stopped = Arc::new(AtomicBool::new(false));
        let stop = Arc::clone(&stopped);
        thread::spawn(move || {
            for client in listener.incoming() {
                if stop.load(Ordering::Acquire) {
                    return;
                }
                let Ok(client) = client else { continue };
                let plan = plan.clone();
                thread::spawn(move || pass_on(client, server, &plan));
            }
        });
        Proxy { address, stopped }
    }

    /// The port clients connect to, as an argument.
    pub fn port(&self) -> String {
        self.address.port().to_string()
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.stopped.store(true, Ordering::Release);
        // Wakes the accepting thread so that it sees the flag and ends.
        let _ = TcpStream::connect(self.address);
    }
}

/// One connection: the client's bytes go to the server as they come; the server's come back
/// as `plan` says.
fn pass_on(client: TcpStream, server: SocketAddr, plan: &Plan) {
    let Ok(upstream) = TcpStream::connect(server) else {
        return;
    };
    let _ = client.set_nodelay(true);
    let _ = upstream.set_nodelay(true);
    let client = Arc::new(client);
    let (Ok(from_server), Ok(to_server)) = (upstream.try_clone(), upstream.try_clone()) else {
        return;
    };
    let from_client = Arc::clone(&client);
    let forward = thread::spawn(move || {
        let _ = io::copy(&mut &*from_client, &mut &to_server);
        let _ = to_server.shutdown(Shutdown::Write);
    });
    let ended = replies(from_server, &client, plan);
    if ended == Some(End::Reset) {
        // A close with a zero linger time resets the connection, once no handle is left.
        let _ = socket2::SockRef::from(&*client).set_linger(Some(Duration::ZERO));
    }
    if ended == Some(End::Close) {
        // The FIN goes now, whatever the client may still send.
        let _ = client.shutdown(Shutdown::Write);
    }
    if ended.is_some() {
        // Wakes the forwarding thread's read, so that it lets go of its handle.
        let _ = client.shutdown(Shutdown::Read);
        let _ = upstream.shutdown(Shutdown::Both);
    }
    let _ = forward.join();
    drop(client);
}

/// Passes the server's bytes to the client as `plan` says; returns how it ended the
/// connection, if it did. Its sleeps are the plan's delay, pauses and trickle: the slow
/// network under test, not barriers.
fn replies(mut from: TcpStream, to: &TcpStream, plan: &Plan) -> Option<End> {
    let mut to = to;
    let mut buffer = [0; 4096];
    let mut passed = 0;
    loop {
        let n = match from.read(&mut buffer) {
            Ok(0) | Err(_) => {
                let _ = to.shutdown(Shutdown::Write);
                return None;
            }
            Ok(n) => n,
        };
        thread::sleep(plan.delay);
        let step = match plan.trickle {
            Some(_) => 1,
            None => n,
        };
        let mut at = 0;
        while at < n {
            // The most that may go before the next thing the plan does: a pause, or the end.
            let marks = [
                plan.pause_after.map(|(byte, _)| byte),
                plan.end_after.map(|(byte, _)| byte),
            ];
            let next_mark = marks
                .into_iter()
                .flatten()
                .filter(|&byte| byte > passed)
                .min();
            let len = match next_mark {
                Some(byte) => step.min(n - at).min(byte - passed),
                None => step.min(n - at),
            };
            if to.write_all(&buffer[at..at + len]).is_err() {
                return None;
            }
            at += len;
            passed += len;
            match plan.end_after {
                Some((byte, end)) if byte == passed => return Some(end),
                _ => {}
            }
            match plan.pause_after {
                Some((byte, pause)) if byte == passed => thread::sleep(pause),
                _ => {}
            }
            if let Some(gap) = plan.trickle {
                thread::sleep(gap);
            }
        }
    }
}
