//! The small threads that wait, so that the loop never has to: the keyboard
//! ([`common::input::Keyboard`]), `recv()` and `send()`. Each tells the loop what happened
//! over one channel, as in the Rust Book's chapter 16 ("Using Message Passing to Transfer
//! Data Between Threads"): the threads send, and the loop, the one receiver, decides.
//!
//! Why `send()` has a thread of its own: the book's loop sends a whole line before it reads
//! any reply. A line longer than the sockets' buffers (a 10 MB paste) would deadlock it: the
//! replies fill the buffers, the server stops reading, and both sides wait for each other
//! forever. Here the loop shows the replies while the line goes out.

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::sync::mpsc::{Receiver, SyncSender};
use std::thread;

use anyhow::Context;

use common::input::Typed;
use common::lang::OsError;
use common::{tr, trace};

/// What the threads tell the loop.
pub enum Event {
    /// The keyboard thread read a piece of a line, or the end of input, or failed to.
    Typed(io::Result<Typed>),
    /// The sending thread has sent the piece it was given, or failed to.
    Sent(io::Result<()>),
    /// `cs.recv()` returned these bytes.
    Received(Vec<u8>),
    /// `cs.recv()` returned nothing: the server closed the connection.
    Closed,
    /// `cs.recv()` failed: the connection was reset.
    RecvFailed(io::Error),
}

/// The receiving thread: `data = cs.recv(BUFSIZ)`, each time passed on, until the connection
/// ends. (The loop writes the `--trace` lines, in order with the replies.)
pub fn receive(mut cs: TcpStream, tell: &SyncSender<Event>) {
    let mut data = [0; common::BUFSIZ];
    loop {
        // data = tcpCliSock.recv(BUFSIZ)
        let event = match cs.read(&mut data) {
            Ok(0) => Event::Closed,
            Ok(n) => Event::Received(data[..n].to_vec()),
            Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
            Err(error) => Event::RecvFailed(error),
        };
        let goes_on = matches!(event, Event::Received(_));
        if tell.send(event).is_err() || !goes_on {
            return;
        }
    }
}

/// The sending thread: `cs.send(data)` for each piece the loop gives it, whole (Python's
/// `sendall`), and tells how it went.
pub fn send_pieces(mut cs: TcpStream, pieces: &Receiver<Vec<u8>>, tell: &SyncSender<Event>) {
    for piece in pieces {
        let len = piece.len();
        trace!("send({len} bytes)");
        let sent = cs.write_all(&piece);
        if let Err(error) = &sent {
            trace!("send({len} bytes) -> {error}");
        }
        if tell.send(Event::Sent(sent)).is_err() {
            return;
        }
    }
}

/// Starts a thread named `name`.
pub fn spawn(name: &str, work: impl FnOnce() + Send + 'static) -> anyhow::Result<()> {
    thread::Builder::new()
        .name(name.into())
        .spawn(work)
        .map_err(OsError::new)
        .context(cannot_start())?;
    Ok(())
}

/// The error when the client's threads cannot start (or have gone).
pub fn cannot_start() -> String {
    tr!("cannot start the client's threads", "无法启动客户端的线程")
}
