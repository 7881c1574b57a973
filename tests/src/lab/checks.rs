//! The checks by name, for the command line: which to run (`--checks`, a milestone) and what
//! each is worth (`--points`).
//!
//! By default each protocol's checks are worth 10 points in all: `reply` 2 (the chapter's
//! whole point), UDP's `senders` 2 (the address that comes with each datagram, UDP's lesson),
//! every other check 1.

use std::collections::BTreeMap;

use common::tr;

use super::Protocol;

/// Every check's name, TCP's first, each once, in the order of the room's columns.
pub fn names_of_checks() -> Vec<&'static str> {
    let mut names = Protocol::Tcp.checks();
    for name in Protocol::Udp.checks() {
        if !names.contains(&name) {
            names.push(name);
        }
    }
    names
}

/// A check's default worth.
fn default_points(name: &str) -> u32 {
    match name {
        "reply" | "senders" => 2,
        _ => 1,
    }
}

/// What each check is worth: the defaults, changed by `--points`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Points {
    /// The checks given another worth.
    changed: BTreeMap<&'static str, u32>,
}

impl Points {
    /// The worth of the check `name`.
    pub fn of(&self, name: &str) -> u32 {
        self.changed
            .get(name)
            .copied()
            .unwrap_or_else(|| default_points(name))
    }

    /// Reads `--points reply=3,at-once=2`: the checks named get those points, the others
    /// keep their defaults.
    pub fn parse(text: &str) -> Result<Points, String> {
        let mut changed = BTreeMap::new();
        for item in text
            .split(',')
            .map(str::trim)
            .filter(|item| !item.is_empty())
        {
            let Some((name, points)) = item.split_once('=') else {
                return Err(tr!(
                    "'{item}' is not NAME=POINTS: write, say, reply=3,at-once=2",
                    "'{item}' 不是“检查名=分数”的形式：例如 reply=3,at-once=2"
                ));
            };
            let name = parse_check(name.trim())?;
            let Ok(points) = points.trim().parse::<u32>() else {
                let points = points.trim();
                return Err(tr!(
                    "the points of {name} are '{points}': give a whole number, 0 or more",
                    "{name} 的分数是 '{points}'：请给出大于等于 0 的整数"
                ));
            };
            changed.insert(name, points.min(1000));
        }
        Ok(Points { changed })
    }
}

/// The check named `name`, or why there is none.
pub fn parse_check(name: &str) -> Result<&'static str, String> {
    let names = names_of_checks();
    names
        .iter()
        .copied()
        .find(|known| known.eq_ignore_ascii_case(name))
        .ok_or_else(|| {
            let known = names.join(", ");
            tr!(
                "there is no check '{name}': the checks are {known}",
                "没有名为 '{name}' 的检查：可选的检查有 {known}"
            )
        })
}

/// Reads `--checks reply,time,several`: the checks to run, each named once.
pub fn parse_checks(text: &str) -> Result<Vec<&'static str>, String> {
    let mut chosen = Vec::new();
    for name in text
        .split(',')
        .map(str::trim)
        .filter(|name| !name.is_empty())
    {
        let name = parse_check(name)?;
        if !chosen.contains(&name) {
            chosen.push(name);
        }
    }
    if chosen.is_empty() {
        let known = names_of_checks().join(", ");
        return Err(tr!(
            "name at least one check: {known}",
            "请至少给出一项检查：{known}"
        ));
    }
    Ok(chosen)
}

#[cfg(test)]
mod unit {
    use super::*;

    #[test]
    fn each_protocol_is_worth_10_points_by_default() {
        let points = Points::default();
        for protocol in [Protocol::Tcp, Protocol::Udp] {
            let total: u32 = protocol.checks().iter().map(|name| points.of(name)).sum();
            assert_eq!(total, 10, "{protocol}");
        }
    }

    #[test]
    fn points_and_checks_are_read_by_name() {
        let points = Points::parse("reply=3, AT-ONCE=0").expect("points");
        assert_eq!((points.of("reply"), points.of("at-once")), (3, 0));
        assert_eq!(points.of("time"), 1);
        assert!(Points::parse("replies=3").is_err());
        assert!(Points::parse("reply").is_err());
        assert!(Points::parse("reply=-1").is_err());
        assert_eq!(
            parse_checks("reply,time,reply").expect("checks"),
            ["reply", "time"]
        );
        assert!(parse_checks("reply,tiem").is_err());
        assert!(parse_checks(" , ").is_err());
        assert_eq!(names_of_checks().len(), 12);
    }
}
