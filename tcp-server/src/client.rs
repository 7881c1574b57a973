//! One client's conversation: the per-read logic every mode shares, and the blocking loop
//! the threaded and iterative modes run for each client.

use std::fmt;
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use common::net::is_timeout;
use common::text::Message;
use common::utf8::Utf8HoldBack;

use crate::server::Server;

/// What the server knows about one connected client, whatever the mode.
pub struct Session {
    /// Who the client is, for the log and `--trace`.
    pub peer: SocketAddr,
    /// `--bufsize`: a read this long filled the buffer, and may have cut a character.
    bufsize: usize,
    /// The start of a character that the last full read cut off.
    held: Utf8HoldBack,
}

impl Session {
    /// A client has just been accepted.
    pub fn new(peer: SocketAddr, bufsize: usize) -> Session {
        Session {
            peer,
            bufsize,
            held: Utf8HoldBack::default(),
        }
    }

    /// One `recv()` returned `data`: logs it, and returns the reply to send, if any.
    ///
    /// This is the heart of the server, and the same in every mode:
    /// `cs.send('[%s] %s' % (ctime(), data))`.
    pub fn on_recv(&mut self, server: &Server, data: &[u8]) -> Option<Vec<u8>> {
        let peer = self.peer;
        server.trace.call(format_args!(
            "recv({}) -> {} bytes  [{peer}]",
            self.bufsize,
            data.len()
        ));
        server.log_message(peer, data);
        let filled_buffer = data.len() == self.bufsize;
        let answer = self.held.take(data, filled_buffer)?;
        Some(common::reply(&answer))
    }

    /// `recv()` returned nothing: the client has finished sending. Returns the last reply,
    /// for bytes still held back, if any.
    pub fn on_client_done(&mut self, server: &Server) -> Option<Vec<u8>> {
        let peer = self.peer;
        server.trace.call(format_args!(
            "recv({}) -> 0 bytes (end)  [{peer}]",
            self.bufsize
        ));
        self.held.finish().map(|rest| common::reply(&rest))
    }
}

/// Why a client's connection ended, as the log says it.
#[derive(Debug)]
pub enum Ending {
    /// The client closed its side: the normal end.
    Left,
    /// The client sent nothing for `--idle-timeout`.
    Idle(Duration),
    /// The client left its replies unread for `--write-timeout`.
    NotReading(Duration),
    /// The client reset the connection.
    Reset,
    /// The client went away before its reply could be sent.
    Vanished,
    /// Anything else the network reported.
    Failed(io::Error),
}

impl Ending {
    /// Names the end that a failed `recv()` or `send()` means.
    pub fn from_error(error: io::Error) -> Ending {
        match error.kind() {
            io::ErrorKind::ConnectionReset | io::ErrorKind::ConnectionAborted => Ending::Reset,
            io::ErrorKind::BrokenPipe => Ending::Vanished,
            _ => Ending::Failed(error),
        }
    }
}

impl fmt::Display for Ending {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = match self {
            Ending::Left => Message::EndLeft.with(&[]),
            Ending::Idle(after) => Message::EndIdle.with(&[("secs", &after.as_secs_f64())]),
            Ending::NotReading(after) => {
                Message::EndNotReading.with(&[("secs", &after.as_secs_f64())])
            }
            Ending::Reset => Message::EndReset.with(&[]),
            Ending::Vanished => Message::EndVanished.with(&[]),
            Ending::Failed(error) => Message::EndFailed.with(&[("error", error)]),
        };
        f.write_str(&text)
    }
}

/// Serves one client on a blocking socket until it leaves: the book's inner loop, used by
/// the threaded and iterative modes. Returns why it ended; `cs.close()` happens on return.
pub fn serve_client(server: &Server, cs: &mut TcpStream, peer: SocketAddr) -> Ending {
    let limits = server.limits;
    // Replies go out at once (no Nagle delay); the timeouts free this client's place if it
    // goes quiet or stops reading.
    let prepared = cs
        .set_nodelay(true)
        .and_then(|()| cs.set_read_timeout(limits.idle_timeout))
        .and_then(|()| cs.set_write_timeout(limits.write_timeout));
    if let Err(error) = prepared {
        return Ending::from_error(error);
    }

    let mut session = Session::new(peer, limits.bufsize);
    let mut buffer = vec![0; limits.bufsize];
    loop {
        // data = cs.recv(BUFSIZ)
        let (reply, client_done) = match cs.read(&mut buffer) {
            Ok(0) => (session.on_client_done(server), true),
            Ok(n) => (session.on_recv(server, &buffer[..n]), false),
            Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
            Err(error) if is_timeout(&error) => {
                return Ending::Idle(limits.idle_timeout.unwrap_or_default());
            }
            Err(error) => return Ending::from_error(error),
        };
        if let Some(reply) = reply {
            // cs.send('[%s] %s' % (ctime(), data)): the whole reply in one write.
            if let Err(error) = cs.write_all(&reply) {
                return match is_timeout(&error) {
                    true => Ending::NotReading(limits.write_timeout.unwrap_or_default()),
                    false => Ending::from_error(error),
                };
            }
            server
                .trace
                .call(format_args!("send({} bytes)  [{peer}]", reply.len()));
        }
        if client_done {
            return Ending::Left;
        }
    }
}
