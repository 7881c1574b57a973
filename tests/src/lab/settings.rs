//! How a run of checks is set up: which checks, what each is worth, whose clock, and how
//! patient the kit is.

use std::time::Duration;

use super::{Clock, Points};

/// How long the kit waits, all from one figure: how long a reply may take. A LAN answers in
/// milliseconds; `--reply-timeout` makes the kit more patient on a slow network, and the
/// tests make it quick where they expect silence.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Patience {
    /// How long a reply may take to begin.
    reply: Duration,
}

impl Default for Patience {
    fn default() -> Patience {
        Patience::new(Duration::from_secs(2))
    }
}

impl Patience {
    /// Waits scaled from `reply`, how long a reply may take to begin.
    pub fn new(reply: Duration) -> Patience {
        Patience {
            reply: reply.max(Duration::from_millis(100)),
        }
    }

    /// How long a reply may take to begin.
    pub fn reply(self) -> Duration {
        self.reply
    }

    /// How long a connection may take (3 s by default).
    pub fn connect(self) -> Duration {
        self.reply * 3 / 2
    }

    /// How long a message longer than the buffer may take to come back whole (4 s).
    pub fn long(self) -> Duration {
        self.reply * 2
    }

    /// How long a class connected together waits for its replies (3 s).
    pub fn at_once(self) -> Duration {
        self.reply * 3 / 2
    }

    /// Once some of a reply came, how long a pause means the server sent all it will.
    pub fn quiet(self) -> Duration {
        (self.reply / 4).min(Duration::from_millis(500))
    }

    /// Once a reply is complete, how long to listen for anything more (a newline, a second
    /// reply).
    pub fn grace(self) -> Duration {
        (self.reply / 8).min(Duration::from_millis(150))
    }

    /// How long a probe (is anyone there? at another address?) waits.
    pub fn probe(self) -> Duration {
        (self.reply / 4).min(Duration::from_millis(500))
    }
}

/// How a run of checks is set up: which checks, whose clock, how patient, what is kept.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    /// The time a right stamp shows.
    pub clock: Clock,
    /// How long the kit waits.
    pub patience: Patience,
    /// The checks to run (`--checks`), in any order; `None` runs them all.
    pub checks: Option<Vec<&'static str>>,
    /// What each check is worth.
    pub points: Points,
    /// True to keep a transcript of what was sent and what came (`--log`).
    pub transcript: bool,
}

impl Settings {
    /// True when `name` is to run.
    pub fn runs(&self, name: &str) -> bool {
        self.checks
            .as_ref()
            .is_none_or(|checks| checks.contains(&name))
    }
}
