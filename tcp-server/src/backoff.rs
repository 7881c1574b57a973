//! An `accept()` that a failure does not end: each failure is reported and tried again after
//! a pause that doubles, up to a second.

use std::io;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::time::Duration;

use common::lang::os_error;
use common::problem;

use crate::admission::Shortage;

/// The first pause after a failed `accept()`.
const FIRST_PAUSE: Duration = Duration::from_millis(10);

/// The longest pause between two failed `accept()` calls.
const MAX_PAUSE: Duration = Duration::from_secs(1);

/// Keeps the server accepting when `accept()` fails.
pub struct Backoff {
    /// How long to pause after the next failure.
    pause: Duration,
    /// A spare file descriptor (a copy of the listening socket), closed when the process runs
    /// out of them: that frees one, so that the waiting client can be accepted and told the
    /// server is busy, instead of waiting in the backlog with no word.
    spare: Option<TcpListener>,
}

impl Backoff {
    /// A fresh back-off for `ss`.
    pub fn new(ss: &TcpListener) -> Backoff {
        Backoff {
            pause: FIRST_PAUSE,
            spare: ss.try_clone().ok(),
        }
    }

    /// `accept()` succeeded: the next failure pauses briefly again.
    pub fn succeeded(&mut self) {
        self.pause = FIRST_PAUSE;
    }

    /// `accept()` failed with `error`: reports it and returns how long to pause before trying
    /// again (nothing for errors about one connection that has already gone). Out of file
    /// descriptors, it turns the next waiting client away with the busy line that says so,
    /// through `accept_one` and the spare descriptor.
    pub fn failed(
        &mut self,
        error: &io::Error,
        ss: &TcpListener,
        accept_one: impl FnOnce() -> io::Result<(TcpStream, SocketAddr)>,
    ) -> Duration {
        if matches!(
            error.kind(),
            io::ErrorKind::ConnectionAborted
                | io::ErrorKind::ConnectionReset
                | io::ErrorKind::Interrupted
        ) {
            return Duration::ZERO;
        }
        let pause = self.pause;
        let ms = pause.as_millis();
        let reason = os_error(error);
        if Shortage::of(error) == Some(Shortage::FileDescriptors) {
            problem!(
                "accept() failed: {reason} (out of file descriptors: lower --max-clients, or raise the limit with ulimit -n); turning the next client away, trying again in {ms} ms",
                "accept() 失败：{reason}（文件描述符用尽：请调低 --max-clients，或用 ulimit -n 提高上限）；下一个客户端会被告知服务器忙，{ms} 毫秒后重试"
            );
            drop(self.spare.take());
            if let Ok((cs, peer)) = accept_one() {
                Shortage::FileDescriptors.turn_away(&cs, peer);
            }
            self.spare = ss.try_clone().ok();
        } else {
            problem!(
                "accept() failed: {reason}; trying again in {ms} ms",
                "accept() 失败：{reason}；{ms} 毫秒后重试"
            );
        }
        self.pause = (pause * 2).min(MAX_PAUSE);
        pause
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listener() -> TcpListener {
        TcpListener::bind("127.0.0.1:0").expect("a listener on loopback")
    }

    fn no_client() -> io::Result<(TcpStream, SocketAddr)> {
        Err(io::ErrorKind::WouldBlock.into())
    }

    #[test]
    fn pauses_double_up_to_a_second_and_start_again_after_a_success() {
        let ss = listener();
        let mut backoff = Backoff::new(&ss);
        let failure = io::Error::other("something went wrong");
        let pauses: Vec<u128> = (0..9)
            .map(|_| backoff.failed(&failure, &ss, no_client).as_millis())
            .collect();
        assert_eq!(pauses, [10, 20, 40, 80, 160, 320, 640, 1000, 1000]);
        backoff.succeeded();
        assert_eq!(backoff.failed(&failure, &ss, no_client), FIRST_PAUSE);
    }

    #[test]
    fn a_connection_gone_before_accept_costs_no_pause() {
        let ss = listener();
        let mut backoff = Backoff::new(&ss);
        for kind in [
            io::ErrorKind::ConnectionAborted,
            io::ErrorKind::ConnectionReset,
            io::ErrorKind::Interrupted,
        ] {
            let pause = backoff.failed(&kind.into(), &ss, no_client);
            assert_eq!(pause, Duration::ZERO);
        }
    }

    #[cfg(unix)]
    #[test]
    fn out_of_file_descriptors_the_spare_is_given_up_then_taken_again() {
        let ss = listener();
        let mut backoff = Backoff::new(&ss);
        assert!(backoff.spare.is_some());
        let mut tried = false;
        let emfile = io::Error::from_raw_os_error(libc::EMFILE);
        backoff.failed(&emfile, &ss, || {
            tried = true;
            no_client()
        });
        assert!(tried, "the waiting client is accepted, to be told");
        assert!(backoff.spare.is_some(), "the spare is taken again");
    }
}
