//! What the kit found about one server: a line per check, the points, and the transcript.

use super::checks::Points;
use super::{Mistake, Protocol};

/// The outcome of one check.
#[derive(Debug, Clone, PartialEq)]
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
    /// What the check is worth (`--points`): earned when it passed.
    pub points: u32,
    /// For a stamp off by a time zone, how many seconds ahead it is: what the room's zone is
    /// found from.
    pub zone_off: Option<i64>,
}

/// Everything the kit found about one server.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// The server as it was named (`192.168.1.23:21567`).
    pub target: String,
    /// TCP or UDP.
    pub protocol: Protocol,
    /// One outcome per check that ran, in order.
    pub checks: Vec<Check>,
    /// What was sent and what came, when (`--log`), a line each; empty unless asked for.
    pub transcript: Vec<String>,
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

    /// The points earned: those of each check passed.
    pub fn points(&self) -> u32 {
        self.checks
            .iter()
            .filter(|check| check.passed)
            .map(|check| check.points)
            .sum()
    }

    /// The points there were to earn: those of each check judged (a stamp off by the room's
    /// zone is not judged: it says nothing of the student's code).
    pub fn most_points(&self) -> u32 {
        self.checks
            .iter()
            .filter(|check| check.mistake != Some(Mistake::RoomZone))
            .map(|check| check.points)
            .sum()
    }

    /// Gives each check its worth.
    pub fn weigh(&mut self, points: &Points) {
        for check in &mut self.checks {
            check.points = points.of(check.name);
        }
    }

    /// True when the server was not there at all: every check failed for a reason that left
    /// nobody to talk to.
    pub fn nobody_there(&self) -> bool {
        !self.checks.is_empty()
            && self
                .checks
                .iter()
                .all(|check| check.mistake.is_some_and(Mistake::nobody_there))
    }

    /// A report where every check of `names` failed for the same reason (the server could not
    /// even be found), so that a room's table still has its row.
    pub fn unreachable(
        target: &str,
        protocol: Protocol,
        names: &[&'static str],
        why: &str,
    ) -> Report {
        let checks = names
            .iter()
            .map(|&name| Check {
                name,
                passed: false,
                detail: why.to_string(),
                mistake: Some(Mistake::NotListening),
                points: 0,
                zone_off: None,
            })
            .collect();
        Report {
            target: target.to_string(),
            protocol,
            checks,
            transcript: Vec::new(),
        }
    }

    /// The failures, those with the same reason together (a server that is not running fails
    /// every check for one reason): the checks' names, and the reason.
    pub fn problems(&self) -> Vec<(Vec<&'static str>, &str)> {
        let mut problems: Vec<(Vec<&'static str>, &str)> = Vec::new();
        for check in self.checks.iter().filter(|check| !check.passed) {
            match problems
                .iter_mut()
                .find(|(_, detail)| *detail == check.detail)
            {
                Some((names, _)) => names.push(check.name),
                None => problems.push((vec![check.name], &check.detail)),
            }
        }
        problems
    }
}
