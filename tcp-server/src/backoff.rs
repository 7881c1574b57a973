//! Pauses between failed `accept()` calls: each failure is tried again after a pause that
//! doubles, up to a second, instead of ending the server.

use std::io;
use std::time::Duration;

use common::lang::os_error;
use common::problem;

/// The first pause after a failed `accept()`.
const FIRST_PAUSE: Duration = Duration::from_millis(10);

/// The longest pause between two failed `accept()` calls.
const MAX_PAUSE: Duration = Duration::from_secs(1);

/// How long to pause after the next failed `accept()`.
pub struct Backoff {
    /// The pause after the next failure.
    pause: Duration,
}

impl Backoff {
    /// A fresh back-off: the first failure pauses briefly.
    pub fn new() -> Backoff {
        Backoff { pause: FIRST_PAUSE }
    }

    /// `accept()` succeeded: the next failure pauses briefly again.
    pub fn succeeded(&mut self) {
        self.pause = FIRST_PAUSE;
    }

    /// `accept()` failed with `error`: reports it and returns how long to pause before trying
    /// again (nothing for errors about one connection that has already gone).
    pub fn failed(&mut self, error: &io::Error) -> Duration {
        if matches!(
            error.kind(),
            io::ErrorKind::ConnectionAborted
                | io::ErrorKind::ConnectionReset
                | io::ErrorKind::Interrupted
        ) {
            return Duration::ZERO;
        }
        let pause = self.pause;
        let (ms, reason) = (pause.as_millis(), os_error(error));
        problem!(
            "accept() failed: {reason}; trying again in {ms} ms",
            "accept() 失败：{reason}；{ms} 毫秒后重试"
        );
        self.pause = (pause * 2).min(MAX_PAUSE);
        pause
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pauses_double_up_to_a_second_and_start_again_after_a_success() {
        let mut backoff = Backoff::new();
        let failure = io::Error::other("something went wrong");
        let pauses: Vec<u128> = (0..9)
            .map(|_| backoff.failed(&failure).as_millis())
            .collect();
        assert_eq!(pauses, [10, 20, 40, 80, 160, 320, 640, 1000, 1000]);
        backoff.succeeded();
        assert_eq!(backoff.failed(&failure), FIRST_PAUSE);
    }

    #[test]
    fn a_connection_gone_before_accept_costs_no_pause() {
        let mut backoff = Backoff::new();
        for kind in [
            io::ErrorKind::ConnectionAborted,
            io::ErrorKind::ConnectionReset,
            io::ErrorKind::Interrupted,
        ] {
            assert_eq!(backoff.failed(&kind.into()), Duration::ZERO);
        }
    }
}
