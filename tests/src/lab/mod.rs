//! The grading kit: the chapter's checks, judged only on the wire, run against any timestamp
//! server (a student's, in any language, on any machine) that is already running.
//!
//! One source of truth: the `lab-check` program and the end-to-end tests
//! (`tests/tests/lab_check.rs`, against our own servers and deliberately wrong ones) run these
//! same functions, so the kit and the tests cannot drift apart.
//!
//! Each check opens its own connections (or sockets), has its own deadline, and says what it
//! saw in the student's words when it fails. The kit never starts or stops the server, and
//! sends no more than a handful of students would.

mod judge;
mod reply;
pub mod room;
pub mod show;
mod stamp;
mod tcp;
mod udp;

use std::fmt;
use std::net::SocketAddr;

use chrono::NaiveDateTime;
use common::tr;

pub use reply::Mistake;

/// The two kinds of server the chapter builds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// The TCP timestamp server (book 16.3.3).
    Tcp,
    /// The UDP timestamp server (book 16.3.6).
    Udp,
}

impl Protocol {
    /// `tcp` or `udp`, as the command line and the room file write it.
    pub fn parse(word: &str) -> Option<Protocol> {
        match word.to_ascii_lowercase().as_str() {
            "tcp" => Some(Protocol::Tcp),
            "udp" => Some(Protocol::Udp),
            _ => None,
        }
    }

    /// The names of its checks, in the order they run.
    pub fn checks(self) -> Vec<&'static str> {
        match self {
            Protocol::Tcp => tcp::CHECKS.iter().map(|(name, _)| *name).collect(),
            Protocol::Udp => udp::CHECKS.iter().map(|(name, _)| *name).collect(),
        }
    }
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Protocol::Tcp => "tcp",
            Protocol::Udp => "udp",
        })
    }
}

/// The outcome of one check.
#[derive(Debug, Clone)]
pub struct Check {
    /// Its short name (`reply`, `at-once`, ...): the same in every language, a column of the
    /// room's table.
    pub name: &'static str,
    /// True when the server did what the chapter asks.
    pub passed: bool,
    /// What was seen; for a failure, what is wrong and what it usually means.
    pub detail: String,
    /// The common mistake it was recognised as, if any: what the tests assert on, whatever
    /// the language of `detail`.
    pub mistake: Option<Mistake>,
}

/// Everything the kit found about one server.
#[derive(Debug, Clone)]
pub struct Report {
    /// The server as it was named (`192.168.1.23:21567`).
    pub target: String,
    /// TCP or UDP.
    pub protocol: Protocol,
    /// One outcome per check, in order.
    pub checks: Vec<Check>,
}

impl Report {
    /// How many checks passed.
    pub fn passed(&self) -> usize {
        self.checks.iter().filter(|check| check.passed).count()
    }

    /// True when every check passed.
    pub fn all_passed(&self) -> bool {
        self.checks.iter().all(|check| check.passed)
    }

    /// The outcome of the check named `name`.
    pub fn check(&self, name: &str) -> Option<&Check> {
        self.checks.iter().find(|check| check.name == name)
    }

    /// The names of the checks that failed, in order.
    pub fn failed(&self) -> Vec<&'static str> {
        self.checks
            .iter()
            .filter(|check| !check.passed)
            .map(|check| check.name)
            .collect()
    }

    /// A report where every check failed for the same reason (the server could not even be
    /// found), so that a room's table still has its row.
    pub fn unreachable(target: &str, protocol: Protocol, why: &str) -> Report {
        let checks = protocol
            .checks()
            .into_iter()
            .map(|name| Check {
                name,
                passed: false,
                detail: why.to_string(),
                mistake: Some(Mistake::NotListening),
            })
            .collect();
        Report {
            target: target.to_string(),
            protocol,
            checks,
        }
    }
}

/// The time a correct server would stamp now: the checker's local time (a student's server
/// runs on the student's machine, in the same room and zone). The tests pass the zone their
/// servers run in.
pub type LocalNow = fn() -> NaiveDateTime;

/// This machine's local time, as the `lab-check` program compares stamps with it.
pub fn this_machines_time() -> NaiveDateTime {
    chrono::Local::now().naive_local()
}

/// Runs every check of `protocol` against the server at `address`, named `target` in the
/// report, in bounded time (well under a minute) whatever the server does.
pub fn check(target: &str, protocol: Protocol, address: SocketAddr, now: LocalNow) -> Report {
    let checks = match protocol {
        Protocol::Tcp => tcp::run(address, now),
        Protocol::Udp => udp::run(address, now),
    };
    Report {
        target: target.to_string(),
        protocol,
        checks,
    }
}

/// What a check found: `Ok` with what it saw, or a failure.
type Outcome = Result<String, Failure>;

/// Why a check failed.
#[derive(Debug, Clone)]
struct Failure {
    /// What is wrong and what it usually means, in the reader's language.
    why: String,
    /// The common mistake recognised, if any.
    mistake: Option<Mistake>,
}

impl Failure {
    /// A failure that is one of the common mistakes.
    fn named(mistake: Mistake, why: String) -> Failure {
        Failure {
            why,
            mistake: Some(mistake),
        }
    }

    /// A failure that is none of the common mistakes.
    fn plain(why: String) -> Failure {
        Failure { why, mistake: None }
    }
}

/// A check with its name: what it finds about a server `S` (the TCP or UDP one).
type Named<S> = (&'static str, fn(&S) -> Outcome);

/// Runs `checks` one after another against `server`, each on its own; `answered` says how
/// many replies the server gave so far. Two cases end the run early, every check left
/// failing at once for the same reason, since each would only wait as long again to find
/// it: nothing listens, or the server has answered nothing to the first two checks.
fn run_in_turn<S>(checks: &[Named<S>], server: &S, answered: impl Fn(&S) -> usize) -> Vec<Check> {
    let mut results = Vec::new();
    for (i, &(name, check)) in checks.iter().enumerate() {
        let result = check(server);
        let mistake = result.as_ref().err().and_then(|failure| failure.mistake);
        results.push(outcome(name, result.clone()));
        let silent_so_far = i == 1
            && results
                .iter()
                .all(|check| check.mistake == Some(Mistake::Silent));
        let rest = match (mistake, answered(server)) {
            (Some(Mistake::NotListening), 0) => result,
            (_, 0) if silent_so_far => Err(Failure::named(
                Mistake::Silent,
                tr!(
                    "not checked: the server answered none of the first checks' messages",
                    "未检查：服务器没有回复前面几项检查发送的任何消息"
                ),
            )),
            _ => continue,
        };
        for &(name, _) in &checks[results.len()..] {
            results.push(outcome(name, rest.clone()));
        }
        break;
    }
    results
}

/// Turns a check's outcome into its line of the report.
fn outcome(name: &'static str, result: Outcome) -> Check {
    match result {
        Ok(detail) => Check {
            name,
            passed: true,
            detail,
            mistake: None,
        },
        Err(failure) => Check {
            name,
            passed: false,
            detail: failure.why,
            mistake: failure.mistake,
        },
    }
}
