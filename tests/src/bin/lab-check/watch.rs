//! `lab-check --room FILE --watch [SECS]`: the live board, projected in class. The room is
//! checked again every few seconds and the table redrawn in place as each server's checks
//! end, so each student sees their row turn green; who is checked, with which checks, is the
//! board's rule (`tests::lab::board`). Ctrl+C (or every server passing) leaves the last table
//! and writes the gradebook. Into a pipe nothing is redrawn: the final table comes at the end.

use std::path::Path;
use std::process::ExitCode;
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use common::cli::Usage;
use common::tr;
use tests::lab::board::Board;
use tests::lab::room::{self as rooms, Row};
use tests::lab::roster::Student;
use tests::lab::{Settings, table};

use super::Asked;
use super::room::{self, Took};
use super::screen::{self, CLEAR, Progress, Screen};

/// What wakes the board: a round's checks, and Ctrl+C, told on one channel, so the board
/// sleeps until one of them happens (or the next round is due) instead of looking at a flag.
enum Wake {
    /// A server of this round has been checked: its place in the round's list, and its row.
    Checked(usize, Row),
    /// Every server of this round has been checked.
    RoundOver,
    /// Ctrl+C: leave the last table, write the gradebook.
    Stop,
}

/// What the board says it is doing, above the table.
enum Doing {
    /// A round is under way: how many servers, how many done.
    Checking {
        round: usize,
        done: usize,
        of: usize,
    },
    /// Between rounds.
    Waiting { round: usize, next: Duration },
}

/// Runs the board until Ctrl+C or until every server passed.
pub fn watch(
    file: &Path,
    every: Duration,
    settings: &Settings,
    asked: &Asked,
) -> Result<ExitCode, Usage> {
    let first = room::read_room(file).map_err(super::usage_error)?;
    room::chosen(first, asked.only.as_deref(), file).map_err(super::usage_error)?;
    let earlier = room::earlier(asked).map_err(super::usage_error)?;
    let (wake, woken) = mpsc::channel();
    let stop = wake.clone();
    // Without a handler Ctrl+C still ends the board, only without its last table.
    let _ = ctrlc::set_handler(move || {
        let _ = stop.send(Wake::Stop);
    });
    let screen = Screen::of_stdout();
    let mut board = Board::new(settings.clone());
    let started = Instant::now();
    let mut progress = Progress::new();
    let mut rounds = 0;
    'rounds: for round in 1.. {
        rounds = round;
        // The teacher may fix the room file while the board runs; one being saved, or broken,
        // leaves the board as it was, saying why.
        let students = room::read_room(file)
            .and_then(|students| room::chosen(students, asked.only.as_deref(), file));
        let trouble = match students {
            Ok(students) => {
                board.seat(students);
                None
            }
            Err(why) => Some(why),
        };
        let due = board.due();
        let seats: Vec<usize> = due.iter().map(|(seat, _, _)| *seat).collect();
        let jobs: Vec<(Student, Settings)> = due
            .into_iter()
            .map(|(_, student, settings)| (student, settings))
            .collect();
        let of = jobs.len();
        let round_wake = wake.clone();
        thread::spawn(move || {
            rooms::run(&jobs, |i, row| {
                let _ = round_wake.send(Wake::Checked(i, row.clone()));
            });
            let _ = round_wake.send(Wake::RoundOver);
        });
        let mut done = 0;
        let show = |board: &Board, doing: Doing, progress: &mut Progress| {
            if screen.redraw {
                draw(
                    board,
                    &doing,
                    file,
                    trouble.as_deref(),
                    settings,
                    screen,
                    asked,
                );
            } else if let Doing::Checking { round, done, of } = doing {
                progress.show(&tr!(
                    "round {round}: {done} of {of} servers checked",
                    "第 {round} 轮：已检查 {done}/{of} 个服务器"
                ));
            }
        };
        show(&board, Doing::Checking { round, done, of }, &mut progress);
        loop {
            match woken.recv() {
                Ok(Wake::Checked(i, row)) => {
                    board.record(seats[i], row);
                    done += 1;
                    show(&board, Doing::Checking { round, done, of }, &mut progress);
                }
                Ok(Wake::RoundOver) => break,
                Ok(Wake::Stop) | Err(_) => break 'rounds,
            }
        }
        if board.all_passed() {
            break;
        }
        show(&board, Doing::Waiting { round, next: every }, &mut progress);
        let next = Instant::now() + every;
        loop {
            let left = next.saturating_duration_since(Instant::now());
            match woken.recv_timeout(left) {
                Err(mpsc::RecvTimeoutError::Timeout) => break, // the next round is due
                Ok(Wake::Stop) | Err(mpsc::RecvTimeoutError::Disconnected) => break 'rounds,
                Ok(Wake::Checked(..) | Wake::RoundOver) => {}
            }
        }
    }
    progress.clear();
    if screen.redraw {
        screen::print(CLEAR);
    }
    Ok(room::finish(
        board.rows(),
        settings,
        asked,
        earlier.as_ref(),
        screen,
        Took::Board(rounds, started.elapsed()),
    ))
}

/// The board on the screen: what it is doing, then the table, cut to the screen's height.
fn draw(
    board: &Board,
    doing: &Doing,
    file: &Path,
    trouble: Option<&str>,
    settings: &Settings,
    screen: Screen,
    asked: &Asked,
) {
    let mut rows: Vec<Row> = board.rows();
    if let Some(zone) = rooms::zone_of_room(&rows) {
        rooms::blame_the_zone(&mut rows, &zone, &settings.clock);
    }
    let (shown, time) = (file.display(), settings.clock.now().format("%H:%M:%S"));
    let state = match *doing {
        Doing::Checking { round, done, of } => tr!(
            "round {round}, {time}: {done} of {of} servers checked",
            "第 {round} 轮，{time}：已检查 {done}/{of} 个服务器"
        ),
        Doing::Waiting { round, next } => {
            let secs = next.as_secs_f64();
            tr!(
                "round {round} done at {time}; the next in {secs} s",
                "第 {round} 轮于 {time} 结束；{secs} 秒后开始下一轮"
            )
        }
    };
    let ending = match &asked.csv {
        Some(csv) => {
            let csv = csv.display();
            tr!(
                "Ctrl+C ends the board and writes {csv}",
                "按 Ctrl+C 结束看板并写出 {csv}"
            )
        }
        None => tr!("Ctrl+C ends the board", "按 Ctrl+C 结束看板"),
    };
    let mut text = tr!(
        "lab-check --watch {shown}: {state}. {ending}.",
        "lab-check --watch {shown}：{state}。{ending}。"
    );
    text = table::wrapped(&text, screen.look.width, "");
    if let Some(trouble) = trouble {
        text.push_str(&table::wrapped(trouble, screen.look.width, ""));
    }
    text.push('\n');
    text.push_str(&table::table(&rows, screen.look));
    let lines: Vec<&str> = text.lines().collect();
    let fit = screen.height.map_or(lines.len(), |height| height - 1);
    let mut shown_lines = lines[..lines.len().min(fit)].join("\n");
    if lines.len() > fit {
        let more = lines.len() - fit + 1;
        shown_lines = lines[..fit - 1].join("\n");
        shown_lines.push('\n');
        shown_lines.push_str(&tr!(
            "({more} more lines: the whole table comes when the board ends)",
            "（还有 {more} 行：看板结束时会显示完整的表格）"
        ));
    }
    screen::print(&format!("{CLEAR}{shown_lines}\n"));
}
