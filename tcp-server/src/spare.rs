//! Out of file descriptors, every fresh client is still told so, at once: the server keeps
//! one descriptor to spare, and gives it up when `accept()` fails for want of one.
//!
//! Not the book. A process may hold only so many open files (`ulimit -n`); at that limit,
//! `accept()` fails, and the clients waiting in the listen queue would hear nothing until
//! enough others leave. So the server holds a spare descriptor (a copy of the listening
//! socket). When `accept()` fails for want of descriptors, the spare is given up: the next
//! `accept()` takes the waiting client with it, and the server then tries to take the spare
//! again beside that client. If it can, descriptors are free again (a client left) and the
//! client is served; if not, the client hears the busy line that says why, and is closed,
//! which frees the descriptor for the next one. So every client is either served or told at
//! once, for as long as the shortage lasts, and the server never ends.

use std::io;
use std::net::TcpListener;
use std::time::{Duration, Instant};

use common::lang::os_error;
use common::problem;

/// How often, at most, the server says it is out of descriptors: near the limit, every client
/// that leaves frees one for a moment, and the shortage comes and goes with each.
const SAY_EVERY: Duration = Duration::from_secs(10);

/// The spare descriptor.
pub struct Spare {
    /// A copy of the listening socket, held only to be given up; `None` while given up.
    held: Option<TcpListener>,
    /// When the server last said it was out of descriptors.
    said: Option<Instant>,
}

impl Spare {
    /// Takes a spare descriptor for `ss`.
    pub fn new(ss: &TcpListener) -> Spare {
        Spare {
            held: ss.try_clone().ok(),
            said: None,
        }
    }

    /// `accept()` failed with `error`, for want of descriptors: gives the spare up, so that
    /// the next `accept()` can take the waiting client, to tell it. False when it was given up
    /// already (then only a client leaving frees a descriptor: pause and try again).
    pub fn give_up(&mut self, error: &io::Error) -> bool {
        let Some(spare) = self.held.take() else {
            return false;
        };
        drop(spare);
        if self.said.is_some_and(|said| said.elapsed() < SAY_EVERY) {
            return true;
        }
        self.said = Some(Instant::now());
        let reason = os_error(error);
        problem!(
            "accept() failed: {reason} (out of file descriptors: lower --max-clients, or raise the limit with ulimit -n); telling new clients the server is busy until some leave",
            "accept() 失败：{reason}；文件描述符已用尽，请调低 --max-clients，或用 ulimit -n 提高上限；在有客户端离开之前，新来的客户端会被告知服务器忙"
        );
        true
    }

    /// A client has just been accepted: true when a descriptor is still to spare beside it
    /// (the spare is held, or could be taken again), so the client may be served; false when
    /// the process is out of them, and the client is to be told so and closed.
    pub fn kept_beside(&mut self, ss: &TcpListener) -> bool {
        if self.held.is_some() {
            return true;
        }
        self.held = ss.try_clone().ok();
        self.held.is_some()
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn the_spare_is_given_up_once_and_taken_again_beside_a_client() {
        let ss = TcpListener::bind("127.0.0.1:0").expect("a listener on loopback");
        let mut spare = Spare::new(&ss);
        assert!(spare.kept_beside(&ss), "held from the start");
        let emfile = io::Error::from_raw_os_error(common::lang::EMFILE);
        assert!(spare.give_up(&emfile));
        assert!(!spare.give_up(&emfile), "nothing more to give up");
        assert!(spare.kept_beside(&ss), "descriptors free here: taken again");
        assert!(spare.held.is_some());
    }
}
