//! A turned-away client's last words: the busy line, delivered before the connection closes.
//!
//! Closing a socket that still has unread bytes makes the system reset the connection, and a
//! reset can destroy the line before the client reads it. So the server sends the line, says
//! goodbye (FIN), reads and drops what the client sent, and only then closes.

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use common::trace;

/// How long the server reads what a turned-away client already sent, so that closing does
/// not reset the connection before the client has read the busy line.
const DRAIN: Duration = Duration::from_secs(2);

/// How many turned-away clients may be drained at once, each on a small thread of its own;
/// past that, one is closed after a quick, non-blocking drain.
const MAX_DRAINING: usize = 64;

/// Turned-away clients being drained now.
static DRAINING: AtomicUsize = AtomicUsize::new(0);

/// Says `line` to a client and closes it, draining on a thread of its own so the server goes
/// on accepting; with too many draining already (or no thread to be had), drains quickly here.
pub fn in_the_background(cs: TcpStream, peer: SocketAddr, line: &str) {
    let cs = Arc::new(cs);
    if !on_a_thread(&cs, peer, line) {
        say_goodbye(&cs, peer, line, Duration::ZERO);
    }
}

/// Runs [`say_goodbye`] on a small thread of its own, unless too many already run or no
/// thread can start; false then.
fn on_a_thread(cs: &Arc<TcpStream>, peer: SocketAddr, line: &str) -> bool {
    if DRAINING.fetch_add(1, Ordering::AcqRel) >= MAX_DRAINING {
        DRAINING.fetch_sub(1, Ordering::AcqRel);
        return false;
    }
    let (cs, line) = (Arc::clone(cs), line.to_string());
    let started = thread::Builder::new()
        .name("goodbye".into())
        .stack_size(64 * 1024)
        .spawn(move || {
            say_goodbye(&cs, peer, &line, DRAIN);
            DRAINING.fetch_sub(1, Ordering::AcqRel);
        });
    if started.is_err() {
        DRAINING.fetch_sub(1, Ordering::AcqRel);
    }
    started.is_ok()
}

/// Sends `line` as the server's last words to a client, then closes without a reset: send,
/// FIN, then read and drop what the client sent for up to `drain` (or, with no time, what is
/// there now).
pub fn say_goodbye(mut cs: &TcpStream, peer: SocketAddr, line: &str, drain: Duration) {
    let quick = drain.is_zero();
    let _ = cs.set_nodelay(true);
    let _ = cs.set_nonblocking(quick);
    let _ = cs.set_write_timeout(Some(DRAIN));
    if cs.write_all(line.as_bytes()).is_ok() {
        trace!("send({} bytes)  [{peer}]", line.len());
    }
    let _ = cs.shutdown(Shutdown::Write);
    let deadline = Instant::now() + drain;
    let mut sink = [0; 16 * 1024];
    let mut reads = 0;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if (quick && reads == 64) || (!quick && left.is_zero()) {
            break;
        }
        reads += 1;
        let _ = cs.set_read_timeout(Some(left.max(Duration::from_millis(1))));
        match cs.read(&mut sink) {
            Ok(0) => break,
            Ok(_) => continue,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
            Err(_) => break,
        }
    }
    trace!("close()  [{peer}]");
}
