//! The live board of `lab-check --room FILE --watch`: what each student's row shows between
//! rounds, and who is checked in the next round with which checks.
//!
//! The rules, in one place:
//! - a student whose server passed everything is not checked again;
//! - the checks that can stop a fragile server (`reset`, UDP's `vanished`) run last, and once
//!   per server: not again while it stays up (their last result stands);
//! - a server gone right after they ran is told so, with its other results kept; once it is
//!   back (nothing listened for a round) it is checked again, those checks included, once;
//! - a line of the room file that changed (or is new) starts afresh.

use super::room::Row;
use super::roster::Student;
use super::{Check, Mistake, Report, Settings};
use common::tr;

/// The checks that can stop a server built on the book's loop.
pub const FRAGILE: [&str; 2] = ["reset", "vanished"];

/// One student on the board.
#[derive(Debug, Clone)]
struct Seat {
    /// The room file's line.
    student: Student,
    /// What the rounds so far found; `None` before the first.
    row: Option<Row>,
    /// True once the fragile checks ran on the server as it is now.
    fragile_ran: bool,
}

/// The board: a seat per student, and the settings every round checks with.
#[derive(Debug, Clone)]
pub struct Board {
    /// The students, in the room file's order.
    seats: Vec<Seat>,
    /// The checks and clocks of every round.
    settings: Settings,
}

impl Board {
    /// An empty board, checking as `settings` say.
    pub fn new(settings: Settings) -> Board {
        Board {
            seats: Vec::new(),
            settings,
        }
    }

    /// Seats the room file's students: a line unchanged keeps its row; a new or changed one
    /// starts afresh.
    pub fn seat(&mut self, students: Vec<Student>) {
        let mut old = std::mem::take(&mut self.seats);
        for student in students {
            let same = old.iter().position(|seat| seat.student == student);
            let seat = match same {
                Some(at) => old.swap_remove(at),
                None => Seat {
                    student,
                    row: None,
                    fragile_ran: false,
                },
            };
            self.seats.push(seat);
        }
    }

    /// Who is checked this round, by seat, with the settings to check them with.
    pub fn due(&self) -> Vec<(usize, Student, Settings)> {
        self.seats
            .iter()
            .enumerate()
            .filter(|(_, seat)| !seat.row.as_ref().is_some_and(Row::all_passed))
            .map(|(i, seat)| {
                let mut settings = self.settings.clone();
                if seat.fragile_ran {
                    let every = seat
                        .student
                        .protocol
                        .map(|p| p.checks())
                        .unwrap_or_default();
                    let wanted = settings.checks.take().unwrap_or(every);
                    settings.checks = Some(
                        wanted
                            .into_iter()
                            .filter(|name| !FRAGILE.contains(name))
                            .collect(),
                    );
                }
                (i, seat.student.clone(), settings)
            })
            .collect()
    }

    /// A round's row for the seat `i`.
    pub fn record(&mut self, i: usize, row: Row) {
        let Some(seat) = self.seats.get_mut(i) else {
            return;
        };
        let earlier = seat.row.take().and_then(|row| row.result.ok());
        let (report, fragile_ran) = match (row.result, earlier) {
            (Ok(new), Some(old)) if new.nobody_there() && seat.fragile_ran => {
                (Ok(gone_after_fragile(old, &new)), false)
            }
            (Ok(new), _) if new.nobody_there() => (Ok(new), false),
            (Ok(new), old) => {
                let ran = new.checks.iter().any(|check| FRAGILE.contains(&check.name));
                (Ok(merged(new, old)), seat.fragile_ran || ran)
            }
            (Err(why), _) => (Err(why), false),
        };
        seat.fragile_ran = fragile_ran;
        seat.row = Some(Row {
            student: row.student,
            result: report,
            when: row.when,
        });
    }

    /// The rows to show, in the room's order; a student not checked yet has a row of its own
    /// with no reason in it.
    pub fn rows(&self) -> Vec<Row> {
        self.seats
            .iter()
            .map(|seat| {
                seat.row.clone().unwrap_or_else(|| Row {
                    student: seat.student.clone(),
                    result: Err(String::new()),
                    when: String::new(),
                })
            })
            .collect()
    }

    /// True when every student on the board passed every check: nothing is left to watch.
    pub fn all_passed(&self) -> bool {
        !self.seats.is_empty()
            && self
                .seats
                .iter()
                .all(|seat| seat.row.as_ref().is_some_and(Row::all_passed))
    }
}

/// `new`'s checks, with `old`'s for those that did not run this round (the fragile ones
/// once run), in the protocol's order.
fn merged(new: Report, old: Option<Report>) -> Report {
    let Some(old) = old else {
        return new;
    };
    let mut checks: Vec<Check> = Vec::new();
    for name in new.protocol.checks() {
        let check = new.check(name).or_else(|| old.check(name));
        checks.extend(check.cloned());
    }
    Report { checks, ..new }
}

/// The last results of a server that is gone since the fragile checks ran on it, kept, with
/// those checks saying so.
fn gone_after_fragile(old: Report, new: &Report) -> Report {
    let address = super::show::clean(&new.target).into_owned();
    let why = tr!(
        "nothing listens at {address} since the last round, which ended with this check: a server built on the book's loop stops when a client resets its connection (catch ConnectionResetError); start it again: once it is back it is checked again, this check included, once",
        "上一轮以这项检查结束，之后 {address} 上就没有程序在监听了：书中的循环在客户端重置连接时会停止（请捕获 ConnectionResetError）；请重新启动它：它恢复后会再检查一次，包括这一项，只检查一次"
    );
    let mut kept = old;
    for check in kept
        .checks
        .iter_mut()
        .filter(|check| FRAGILE.contains(&check.name))
    {
        check.passed = false;
        check.mistake = Some(Mistake::DiesOnReset);
        check.detail = why.clone();
    }
    kept
}

#[cfg(test)]
mod unit {
    use super::*;
    use crate::lab::Protocol;

    fn student(name: &str) -> Student {
        Student {
            line: 1,
            name: name.into(),
            protocol: Some(Protocol::Tcp),
            address: "127.0.0.1:5".into(),
            not_checked: None,
        }
    }

    /// A report of the checks `ran`, each passing unless in `failed`; every check missing
    /// when `gone` (nothing listens).
    fn report(ran: &[&'static str], failed: &[&str], gone: bool) -> Report {
        let checks = ran
            .iter()
            .map(|&name| Check {
                name,
                passed: !gone && !failed.contains(&name),
                detail: String::new(),
                mistake: if gone {
                    Some(Mistake::NotListening)
                } else {
                    failed.contains(&name).then_some(Mistake::DiesOnReset)
                },
                points: 1,
                zone_off: None,
            })
            .collect();
        Report {
            target: "127.0.0.1:5".into(),
            protocol: Protocol::Tcp,
            checks,
            transcript: Vec::new(),
        }
    }

    fn row(name: &str, report: Report) -> Row {
        Row {
            student: student(name),
            result: Ok(report),
            when: String::new(),
        }
    }

    fn due_checks(board: &Board) -> Vec<Option<Vec<&'static str>>> {
        board.due().into_iter().map(|(_, _, s)| s.checks).collect()
    }

    #[test]
    fn reset_runs_once_a_server_then_again_only_once_it_is_back() {
        let all = Protocol::Tcp.checks();
        let mut board = Board::new(Settings::default());
        board.seat(vec![student("bob")]);
        assert_eq!(
            due_checks(&board),
            [None],
            "the first round runs every check"
        );
        // Round 1: the book's loop fails at-once, and stops on the reset.
        board.record(0, row("bob", report(&all, &["at-once", "reset"], false)));
        let without: Vec<&str> = all.iter().copied().filter(|n| *n != "reset").collect();
        assert_eq!(due_checks(&board), [Some(without.clone())]);
        // Round 2: nothing listens: the row keeps round 1's results, reset says why.
        board.record(0, row("bob", report(&without, &[], true)));
        let rows = board.rows();
        let kept = rows[0].result.as_ref().expect("a report");
        assert!(kept.check("reply").is_some_and(|c| c.passed));
        assert!(
            kept.check("reset")
                .is_some_and(|c| !c.passed && !c.detail.is_empty())
        );
        assert_eq!(
            due_checks(&board),
            [None],
            "back or not, reset is due again"
        );
        // Round 3: still down, it says so plainly.
        board.record(0, row("bob", report(&all, &[], true)));
        assert!(
            board.rows()[0]
                .result
                .as_ref()
                .is_ok_and(Report::nobody_there)
        );
        assert_eq!(due_checks(&board), [None]);
        // Round 4: back and fixed: everything passes, and it is not checked again.
        board.record(0, row("bob", report(&all, &[], false)));
        assert!(board.all_passed());
        assert!(board.due().is_empty());
    }

    #[test]
    fn results_not_rechecked_are_kept_and_a_changed_line_starts_afresh() {
        let all = Protocol::Tcp.checks();
        let mut board = Board::new(Settings::default());
        board.seat(vec![student("ann"), student("bob")]);
        board.record(0, row("ann", report(&all, &[], false)));
        board.record(1, row("bob", report(&all, &["time"], false)));
        assert_eq!(board.due().len(), 1, "ann passed everything");
        let without: Vec<&'static str> = all.iter().copied().filter(|n| *n != "reset").collect();
        board.record(1, row("bob", report(&without, &[], false)));
        assert!(board.all_passed(), "reset's pass of round 1 stands");
        let mut moved = student("bob");
        moved.address = "127.0.0.1:6".into();
        board.seat(vec![student("ann"), moved]);
        assert_eq!(due_checks(&board), [None], "a changed line is a new server");
        assert!(board.rows()[1].result.is_err());
    }
}
