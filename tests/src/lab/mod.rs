//! The grading kit: the chapter's checks, judged only on the wire, run against any timestamp
//! server (a student's, in any language, on any machine) that is already running.
//!
//! One source of truth: the `lab-check` program and the end-to-end tests
//! (`tests/tests/end_to_end/lab_check.rs`, against our own servers and deliberately wrong
//! ones) run these same functions, so the kit and the tests cannot drift apart.
//!
//! Each check opens its own connections (or sockets), has its own deadline, and says what it
//! saw in the student's words when it fails. The kit never starts or stops the server, and
//! sends no more than a handful of students would.
//!
//! - one server: [`check`] runs the checks (`tcp`, `udp`) and gives a [`Report`];
//! - a room: [`roster`] reads the room file, [`room`] checks it in parallel and finds the
//!   room's time zone, [`table`] and [`gradebook`] show it on a terminal and in a
//!   spreadsheet, [`board`] keeps the live board of `--watch`.

pub mod board;
mod checks;
pub mod gradebook;
pub mod json;
mod judge;
mod local;
mod mistake;
mod reply;
mod report;
pub mod room;
pub mod roster;
pub mod settings;
pub mod show;
mod stamp;
pub mod table;
mod tcp;
pub mod transcript;
mod udp;
pub mod zone;

use std::fmt;
use std::net::SocketAddr;

pub use checks::{Points, names_of_checks, parse_check, parse_checks};
pub use mistake::Mistake;
pub use report::{Check, Report};
pub use settings::{Patience, Settings};
pub use zone::Clock;

use transcript::Transcript;

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

/// Runs every check of `protocol` against the server at `address`, named `target` in the
/// report, judging stamps by the clock `now` (the tests pass the zone their servers run in).
pub fn check(
    target: &str,
    protocol: Protocol,
    address: SocketAddr,
    now: fn() -> chrono::NaiveDateTime,
) -> Report {
    let settings = Settings {
        clock: Clock::Given(now),
        ..Settings::default()
    };
    check_with(target, protocol, address, &settings)
}

/// Runs the checks of `protocol` that `settings` asks for against the server at `address`,
/// named `target` in the report, in bounded time (well under a minute) whatever the server
/// does.
pub fn check_with(
    target: &str,
    protocol: Protocol,
    address: SocketAddr,
    settings: &Settings,
) -> Report {
    let transcript = Transcript::new(settings.transcript);
    transcript.opening(target, protocol, &settings.clock);
    let (checks, transcript) = match protocol {
        Protocol::Tcp => tcp::run(address, settings, transcript),
        Protocol::Udp => udp::run(address, settings, transcript),
    };
    let mut report = Report {
        target: target.to_string(),
        protocol,
        checks,
        transcript,
    };
    report.weigh(&settings.points);
    report
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
    /// For a stamp a time zone off: how many seconds it is ahead.
    zone_off: Option<i64>,
}

impl Failure {
    /// A failure that is one of the common mistakes.
    fn named(mistake: Mistake, why: String) -> Failure {
        Failure {
            why,
            mistake: Some(mistake),
            zone_off: None,
        }
    }

    /// A failure that is none of the common mistakes.
    fn plain(why: String) -> Failure {
        Failure {
            why,
            mistake: None,
            zone_off: None,
        }
    }

    /// The same failure, of a stamp `secs` ahead by a time zone.
    fn zone_off(self, secs: i64) -> Failure {
        Failure {
            zone_off: Some(secs),
            ..self
        }
    }
}

/// A check with its name: what it finds about a server `S` (the TCP or UDP one).
type Named<S> = (&'static str, fn(&S) -> Outcome);

/// Runs the `checks` that `settings` asks for, one after another against `server`, each on its
/// own; `answered` says how many replies the server gave so far. Two cases end the run early,
/// every check left failing at once for the same reason, since each would only wait as long
/// again to find it: nobody is there to talk to, or the server has answered nothing to the
/// first two checks.
fn run_in_turn<S>(
    checks: &[Named<S>],
    server: &S,
    settings: &Settings,
    transcript: &Transcript,
    answered: impl Fn(&S) -> usize,
) -> Vec<Check> {
    let chosen: Vec<&Named<S>> = checks
        .iter()
        .filter(|(name, _)| settings.runs(name))
        .collect();
    let mut results = Vec::new();
    for &&(name, check) in &chosen {
        transcript.begin(name);
        let result = check(server);
        let mistake = result.as_ref().err().and_then(|failure| failure.mistake);
        results.push(outcome(name, result.clone()));
        let nothing_yet = |wanted: Mistake| {
            results.len() == 2 && results.iter().all(|check| check.mistake == Some(wanted))
        };
        let rest = match (mistake, answered(server)) {
            (Some(mistake), 0) if mistake.nobody_there() => Err(rest_of(mistake, result)),
            (_, 0) if nothing_yet(Mistake::Silent) => Err(Failure::named(
                Mistake::Silent,
                common::tr!(
                    "not checked: the server answered none of the first checks' messages",
                    "未检查：服务器没有回复前面几项检查发送的任何消息"
                ),
            )),
            (_, 0) if nothing_yet(Mistake::ClosedWithoutReply) => Err(Failure::named(
                Mistake::ClosedWithoutReply,
                common::tr!(
                    "not checked: the server closed the connections of the first checks without a reply",
                    "未检查：前面几项检查的连接都被服务器关闭了，没有任何回复"
                ),
            )),
            _ => continue,
        };
        for &&(name, _) in &chosen[results.len()..] {
            results.push(outcome(name, rest.clone()));
        }
        break;
    }
    results
}

/// What the checks after the first say when nobody is there: the first one's words, or for a
/// server that crashed on the first message, that they could not run.
fn rest_of(mistake: Mistake, first: Outcome) -> Failure {
    match (mistake, first) {
        (Mistake::CrashedOnFirstMessage, _) => Failure::named(
            mistake,
            common::tr!(
                "not checked: the server stopped on the first message (see the reply check)",
                "未检查：服务器在收到第一条消息时就停止了（见 reply 检查）"
            ),
        ),
        (_, Err(failure)) => failure,
        (_, Ok(_)) => Failure::named(mistake, String::new()),
    }
}

/// Turns a check's outcome into its line of the report.
fn outcome(name: &'static str, result: Outcome) -> Check {
    match result {
        Ok(detail) => Check {
            name,
            passed: true,
            detail,
            mistake: None,
            points: 0,
            zone_off: None,
        },
        Err(failure) => Check {
            name,
            passed: false,
            detail: failure.why,
            mistake: failure.mistake,
            points: 0,
            zone_off: failure.zone_off,
        },
    }
}
