//! What a connection costs and how long it may take, in the threaded and iterative modes (the
//! event mode does the same on its non-blocking sockets): the settings every client is served
//! with, the socket options the listening socket and every client's socket get, `cs.send()`
//! under `--write-timeout`, and a large `--bufsize` that costs memory only while it is used.

use std::io::{self, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use socket2::{SockRef, Socket};

use crate::ending::Ending;
use common::trace;

/// What serving one client needs to know, in every mode.
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    /// `--bufsize`: the most bytes one `recv()` reads (the book's BUFSIZ), within what one
    /// read can return ([`read_size`]).
    pub bufsize: usize,
    /// `--idle-timeout`: a client silent this long is closed; `None` waits forever.
    pub idle_timeout: Option<Duration>,
    /// `--write-timeout`: a client that leaves its replies unread this long is closed.
    pub write_timeout: Option<Duration>,
}

/// The kernel's send and receive buffers of each connection, asked for on the listening
/// socket (the connections it accepts inherit them). Left to itself, Linux lets each grow to
/// 4 MiB and 6 MiB: a class of clients that never read their replies would then take
/// gigabytes of the machine's TCP memory, which every program's connections share. 64 KiB
/// (the kernel counts double, for its bookkeeping) still carries a long line at full speed
/// over loopback or a classroom's network.
pub const KERNEL_BUFFER: usize = 64 * 1024;

/// Up to this many bytes, a client's replies buffer is kept between reads; beyond it (a long
/// line read with a large `--bufsize`), it is given back once the reply is sent.
const KEPT: usize = 64 * 1024;

/// Sets SO_REUSEADDR, so that a server stopped and started again at once can bind its port
/// while the old connections linger in TIME_WAIT, instead of failing "address already in use".
///
/// Not on Windows: there SO_REUSEADDR lets a second server take a port that is in use
/// (Rust's std leaves it off there for the same reason), and Windows needs no help to restart.
pub fn allow_quick_restart(ss: &Socket) -> anyhow::Result<()> {
    #[cfg(not(windows))]
    {
        ss.set_reuse_address(true)
            .map_err(|error| common::net::cannot_set("SO_REUSEADDR", error))?;
        trace!("setsockopt(SO_REUSEADDR, 1)");
    }
    #[cfg(windows)]
    let _ = ss;
    Ok(())
}

/// Sets the kernel buffers of every connection `ss` will accept (see [`KERNEL_BUFFER`]).
pub fn modest_kernel_buffers(ss: &Socket) -> io::Result<()> {
    ss.set_send_buffer_size(KERNEL_BUFFER)?;
    trace!("setsockopt(SO_SNDBUF, {KERNEL_BUFFER})");
    ss.set_recv_buffer_size(KERNEL_BUFFER)?;
    trace!("setsockopt(SO_RCVBUF, {KERNEL_BUFFER})");
    Ok(())
}

/// Readies a client's socket: each reply leaves at once (no Nagle delay); urgent
/// (out-of-band) bytes arrive among the others, so nothing a client sends is lost; and the
/// timeouts free the place of a client that goes quiet or stops reading.
pub fn prepare(cs: &TcpStream, settings: &Settings) -> io::Result<()> {
    cs.set_nodelay(true)?;
    SockRef::from(cs).set_out_of_band_inline(true)?;
    cs.set_read_timeout(settings.idle_timeout)?;
    cs.set_write_timeout(settings.write_timeout)
}

/// `cs.send(reply)`, all of it, within `--write-timeout` of the moment it stopped fitting.
///
/// Usually the reply fits at once: one write. When it does not, the clock starts, and the
/// bytes the kernel lets through now and then do not restart it (a plain `write_all` would:
/// each write gets the whole timeout again, and a client that never reads would stay for
/// minutes). The client's time is up when the clock runs out.
pub fn send_all(cs: &mut TcpStream, reply: &[u8], limit: Option<Duration>) -> Result<(), Ending> {
    let deadline = limit.map(|limit| Instant::now() + limit);
    let not_reading = || Ending::NotReading(limit.unwrap_or_default());
    let mut rest = reply;
    let mut shortened = false;
    while !rest.is_empty() {
        if let (Some(deadline), true) = (deadline, rest.len() < reply.len()) {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(not_reading());
            }
            cs.set_write_timeout(Some(left))
                .map_err(Ending::from_error)?;
            shortened = true;
        }
        match cs.write(rest) {
            Ok(0) => return Err(Ending::from_error(io::ErrorKind::WriteZero.into())),
            Ok(sent) => rest = &rest[sent..],
            Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
            Err(error) if common::net::is_timeout(&error) => return Err(not_reading()),
            Err(error) => return Err(Ending::from_error(error)),
        }
    }
    if shortened {
        cs.set_write_timeout(limit).map_err(Ending::from_error)?;
    }
    Ok(())
}

/// The most one read can return: the kernel's receive buffer (64 KiB asked, 128 KiB granted)
/// never holds more, so a larger read buffer would never fill, only cost memory.
pub const MOST_A_READ_RETURNS: usize = 4 * KERNEL_BUFFER;

/// How many bytes `recv(BUFSIZ)` asks for: `--bufsize`, or, for a `--bufsize` above what one
/// read can return, [`MOST_A_READ_RETURNS`]. A 16 MiB `--bufsize` then costs 256 KiB of
/// buffer per client, touched only as far as reads fill it, instead of 16 MiB.
pub fn read_size(bufsize: usize) -> usize {
    bufsize.min(MOST_A_READ_RETURNS)
}

/// Gives back the memory of `replies` when a long reply made it large.
pub fn shrink_after_use(replies: &mut Vec<u8>) {
    if replies.capacity() > KEPT {
        *replies = Vec::new();
    }
}
