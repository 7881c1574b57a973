//! A room at once: every student's server checked in parallel (a bounded number at a time),
//! a row each; then what the room as a whole says: its time zone.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::thread;

use common::tr;

use super::roster::{Student, host_and_port};
use super::show::clean;
use super::zone::written;
use super::{Clock, Mistake, Report, Settings, check_with};

/// How many servers are checked at once: a whole room, and never more threads than that.
pub const AT_ONCE: usize = 32;

/// What the kit found about one student.
#[derive(Debug, Clone)]
pub struct Row {
    /// The line of the room file.
    pub student: Student,
    /// The report; why not, when the line could not be checked.
    pub result: Result<Report, String>,
    /// When it was graded, as the teacher's clock says: `2026-11-25 17:28:42 +08:00`.
    pub when: String,
}

impl Row {
    /// True when every check that ran passed.
    pub fn all_passed(&self) -> bool {
        self.result.as_ref().is_ok_and(Report::all_passed)
    }
}

/// The time now as a gradebook writes it, on `clock`.
pub fn graded_now(clock: &Clock) -> String {
    let zone = written(clock.offset_secs());
    format!("{} {zone}", clock.now().format("%Y-%m-%d %H:%M:%S"))
}

/// Checks one student's server; a line that cannot be checked, or an address that names no
/// machine, is a row that says why.
pub fn check_student(student: &Student, settings: &Settings) -> Row {
    let when = graded_now(&settings.clock);
    let result = match (&student.not_checked, student.protocol) {
        (Some(why), _) => Err(why.clone()),
        (None, None) => Err(String::new()),
        (None, Some(protocol)) => match resolve(&student.address) {
            Ok(address) => Ok(check_with(&student.address, protocol, address, settings)),
            Err(why) => {
                let number = student.line;
                Err(tr!(
                    "line {number} of the room file: {why}",
                    "名单文件第 {number} 行：{why}"
                ))
            }
        },
    };
    Row {
        student: student.clone(),
        result,
        when,
    }
}

/// `HOST:PORT` (or `HOST`, for the book's port 21567; `[::1]:21567` for IPv6) as an address
/// to check.
pub fn resolve(address: &str) -> Result<std::net::SocketAddr, String> {
    let (host, port) = host_and_port(address)?;
    let found = common::net::resolve(&host, port)
        .map_err(|error| clean(&error.to_string()).into_owned())?;
    found.first().copied().ok_or_else(|| {
        let host = clean(&host);
        tr!("unknown host '{host}'", "未知主机 '{host}'")
    })
}

/// Checks each student with their settings, at most [`AT_ONCE`] at a time; calls `progress`
/// with each row and its place in `jobs` as it comes (in the order they finish), and returns
/// the rows in the room's order.
pub fn run(jobs: &[(Student, Settings)], mut progress: impl FnMut(usize, &Row)) -> Vec<Row> {
    let next = AtomicUsize::new(0);
    let (done, finished) = mpsc::channel();
    let mut rows: Vec<Option<Row>> = vec![None; jobs.len()];
    thread::scope(|scope| {
        for _ in 0..AT_ONCE.min(jobs.len()) {
            let (next, done) = (&next, done.clone());
            scope.spawn(move || {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some((student, settings)) = jobs.get(i) else {
                        break;
                    };
                    if done.send((i, check_student(student, settings))).is_err() {
                        break;
                    }
                }
            });
        }
        drop(done);
        for (i, row) in finished {
            progress(i, &row);
            rows[i] = Some(row);
        }
    });
    rows.into_iter().flatten().collect()
}

/// Most of a room off the kit's clock by one time zone's difference.
#[derive(Debug, Clone, PartialEq)]
pub struct RoomZone {
    /// How far ahead of the kit's clock their stamps are, in seconds.
    pub ahead_secs: i64,
    /// How many servers stamp so.
    pub count: usize,
    /// Of how many whose stamp's time was judged.
    pub of: usize,
}

/// When most of the room's stamps are off the kit's clock by the same whole number of hours
/// (or quarter hours), that difference: the room is in another zone than the kit's machine.
pub fn zone_of_room(rows: &[Row]) -> Option<RoomZone> {
    let judged: Vec<&super::Check> = rows
        .iter()
        .filter_map(|row| row.result.as_ref().ok()?.check("time"))
        .filter(|time| {
            time.passed
                || time.zone_off.is_some()
                || time.mistake == Some(Mistake::WrongClock)
                || time.mistake == Some(Mistake::RoomZone)
        })
        .collect();
    let mut counts: Vec<(i64, usize)> = Vec::new();
    for off in judged.iter().filter_map(|time| time.zone_off) {
        match counts.iter_mut().find(|(ahead, _)| *ahead == off) {
            Some((_, count)) => *count += 1,
            None => counts.push((off, 1)),
        }
    }
    let (ahead_secs, count) = counts.into_iter().max_by_key(|&(_, count)| count)?;
    (count >= 2 && count * 2 > judged.len()).then_some(RoomZone {
        ahead_secs,
        count,
        of: judged.len(),
    })
}

/// Each time check off by the room's zone is told so: the room's zone, not the code (and,
/// not being judged, it earns no points but is no failure of the student's).
pub fn blame_the_zone(rows: &mut [Row], zone: &RoomZone, clock: &Clock) {
    let (hours, way, way_zh) = zone_words(zone.ahead_secs);
    let (whose, tz) = (
        clock.whose(),
        written(zone.ahead_secs + clock.offset_secs()),
    );
    for row in rows.iter_mut() {
        let Ok(report) = &mut row.result else {
            continue;
        };
        for check in report.checks.iter_mut() {
            if check.name == "time" && check.zone_off == Some(zone.ahead_secs) {
                check.mistake = Some(Mistake::RoomZone);
                check.detail = tr!(
                    "the stamp is {hours} {way} {whose}, as most of the room's are: the room (or this machine) is in another time zone, which says nothing of this code; not judged: run again with --tz {tz}",
                    "时间戳比{whose}{way_zh}了 {hours}，全班大多数人都是这样：是全班（或本机）在另一个时区，与这段代码无关；本项未判定：请加上 --tz {tz} 再检查一次"
                );
            }
        }
    }
}

/// The room's note on its zone, said once under the table.
pub fn zone_note(zone: &RoomZone, clock: &Clock) -> String {
    let (hours, way, way_zh) = zone_words(zone.ahead_secs);
    let (count, of, whose) = (zone.count, zone.of, clock.whose());
    let here = written(clock.offset_secs());
    let tz = written(zone.ahead_secs + clock.offset_secs());
    tr!(
        "The room's time zone: {count} of {of} servers stamp a time {hours} {way} {whose} (UTC{here}): this machine, or the room, is in another time zone; their code is not to blame. To judge the room in its own zone: --tz {tz} (or its name, such as Asia/Shanghai).",
        "全班的时区：{of} 个服务器中有 {count} 个的时间戳比{whose}（UTC{here}）{way_zh}了 {hours}：是本机或全班处在另一个时区，不是这些学生的代码有错。要按全班的时区判定，请加上 --tz {tz}（或时区名，例如 'Asia/Shanghai'）。"
    )
}

/// `8 h`, and which way, in both languages.
fn zone_words(ahead_secs: i64) -> (String, &'static str, &'static str) {
    let hours = super::stamp::hours(ahead_secs);
    if ahead_secs > 0 {
        (hours, "ahead of", "快")
    } else {
        (hours, "behind", "慢")
    }
}
