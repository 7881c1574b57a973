//! `lab-check --room FILE`: the room checked once, the table, the gradebook, the transcripts.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use common::cli::Usage;
use common::tr;
use tests::lab::gradebook::{self, Gradebook};
use tests::lab::room::{self as rooms, Row};
use tests::lab::roster::{self, Student};
use tests::lab::show::clean;
use tests::lab::{Report, Settings, json, table, transcript};

use super::Asked;
use super::screen::{self, Progress, Screen};

/// Checks every server of a room file, in parallel, and prints the table.
pub fn check_room(file: &Path, settings: &Settings, asked: &Asked) -> Result<ExitCode, Usage> {
    let students = read_room(file).map_err(super::usage_error)?;
    let students = chosen(students, asked.only.as_deref(), file).map_err(super::usage_error)?;
    let earlier = earlier(asked).map_err(super::usage_error)?;
    let started = Instant::now();
    let jobs: Vec<(Student, Settings)> = students
        .iter()
        .map(|student| (student.clone(), settings.clone()))
        .collect();
    let (total, mut finished, mut progress) = (jobs.len(), 0, Progress::new());
    let rows = rooms::run(&jobs, |_, row| {
        finished += 1;
        progress.show(&progress_line(finished, total, row));
    });
    progress.clear();
    Ok(finish(
        rows,
        settings,
        asked,
        earlier.as_ref(),
        Screen::of_stdout(),
        Took::Room(started.elapsed()),
    ))
}

/// `[12/30] bob: 8/10 points`: one more server checked.
pub fn progress_line(finished: usize, total: usize, row: &Row) -> String {
    let name = clean(&row.student.name);
    match &row.result {
        Ok(report) => {
            let (points, most) = (report.points(), report.most_points());
            tr!(
                "[{finished}/{total}] {name}: {points}/{most} points",
                "[{finished}/{total}] {name}：得分 {points}/{most}"
            )
        }
        Err(_) => tr!(
            "[{finished}/{total}] {name}: not checked",
            "[{finished}/{total}] {name}：未检查"
        ),
    }
}

/// The students of the room file, or why it cannot be read.
pub fn read_room(file: &Path) -> Result<Vec<Student>, String> {
    let shown = file.display();
    let bytes = std::fs::read(file).map_err(|error| {
        let error = common::lang::os_error(&error);
        tr!(
            "cannot read the room file {shown}: {error}",
            "无法读取名单文件 {shown}：{error}"
        )
    })?;
    let text = roster::text_of(&bytes).map_err(|why| {
        tr!(
            "cannot read the room file {shown}: {why}",
            "无法读取名单文件 {shown}：{why}"
        )
    })?;
    let students = roster::parse(&text);
    if students.is_empty() {
        return Err(tr!(
            "the room file {shown} lists nobody: write a line per student, NAME tcp|udp HOST:PORT",
            "名单文件 {shown} 里没有任何学生：每个学生写一行，姓名 tcp|udp 主机:端口"
        ));
    }
    Ok(students)
}

/// The students `--only` names (all of them without it); a name not in the room is a usage
/// error.
pub fn chosen(
    students: Vec<Student>,
    only: Option<&[String]>,
    file: &Path,
) -> Result<Vec<Student>, String> {
    let Some(names) = only else {
        return Ok(students);
    };
    let is = |student: &Student, name: &str| {
        student.name == name.trim() || clean(&student.name) == name.trim()
    };
    for name in names.iter().filter(|name| !name.trim().is_empty()) {
        if !students.iter().any(|student| is(student, name)) {
            let (name, shown) = (clean(name.trim()), file.display());
            return Err(tr!(
                "--only names '{name}', who is not in the room file {shown}",
                "--only 给出的 '{name}' 不在名单文件 {shown} 里"
            ));
        }
    }
    Ok(students
        .into_iter()
        .filter(|student| names.iter().any(|name| is(student, name)))
        .collect())
}

/// The last run's gradebook, where `--csv` names one that exists; one not of ours is an
/// error, for a usage error (it is not overwritten).
pub fn earlier(asked: &Asked) -> Result<Option<Gradebook>, String> {
    match asked.csv.as_ref() {
        Some(path) => Gradebook::read(path),
        None => Ok(None),
    }
}

/// How long the checking took: one pass over the room, or a board's rounds.
pub enum Took {
    /// `--room`: the room checked once.
    Room(Duration),
    /// `--watch`: so many rounds, in all this time.
    Board(usize, Duration),
}

/// What the room as a whole says, then the table (or JSON), the gradebook and the
/// transcripts; the exit status.
pub fn finish(
    mut rows: Vec<Row>,
    settings: &Settings,
    asked: &Asked,
    earlier: Option<&Gradebook>,
    screen: Screen,
    took: Took,
) -> ExitCode {
    if let Some(earlier) = earlier {
        earlier.remember(&mut rows);
    }
    let zone = rooms::zone_of_room(&rows);
    if let Some(zone) = &zone {
        rooms::blame_the_zone(&mut rows, zone, &settings.clock);
    }
    let output = if asked.json {
        json::room(&rows)
    } else {
        let mut out = table::table(&rows, screen.look);
        out.push('\n');
        if let Some(zone) = &zone {
            let note = rooms::zone_note(zone, &settings.clock);
            out.push_str(&table::wrapped(&note, screen.look.width, ""));
        }
        out.push_str(&table::wrapped(
            &summary(&rows, &took),
            screen.look.width,
            "",
        ));
        out
    };
    screen::print(&output);
    let mut status = screen::status(rows.iter().all(Row::all_passed));
    if let Some(path) = &asked.csv {
        let columns = table::columns(&rows);
        let text = match (earlier, &asked.only) {
            (Some(book), Some(_)) => book.updated(&rows, &columns),
            _ => gradebook::csv(&rows, &columns),
        };
        if let Err(error) = std::fs::write(path, text) {
            let (shown, error) = (path.display(), common::lang::os_error(&error));
            screen::complain(&tr!(
                "cannot write {shown}: {error}",
                "无法写入 {shown}：{error}"
            ));
            status = ExitCode::FAILURE;
        }
    }
    if let Some(dir) = &asked.log {
        let reports: Vec<(String, &Report)> = rows
            .iter()
            .filter_map(|row| Some((row.student.name.clone(), row.result.as_ref().ok()?)))
            .collect();
        if let Err(why) = write_transcripts(dir, &reports) {
            screen::complain(&why);
            status = ExitCode::FAILURE;
        }
    }
    status
}

/// The line under the table: how many passed, and how long the room took.
fn summary(rows: &[Row], took: &Took) -> String {
    let total = rows.len();
    let all = rows.iter().filter(|row| row.all_passed()).count();
    let unchecked = rows.iter().filter(|row| row.result.is_err()).count();
    let mut line = tr!(
        "{all} of {total} servers passed every check",
        "{total} 个服务器中有 {all} 个通过了全部检查"
    );
    if unchecked > 0 {
        line.push_str(&tr!(
            ", {unchecked} not checked (see why above)",
            "，{unchecked} 个未检查（原因见上）"
        ));
    }
    line.push_str(&match *took {
        Took::Room(took) => {
            let secs = format!("{:.1}", took.as_secs_f64());
            tr!("; the room took {secs} s", "；全班检查用时 {secs} 秒")
        }
        Took::Board(rounds, took) => {
            let secs = format!("{:.1}", took.as_secs_f64());
            let rounds_en = common::lang::count(rounds as u64, "round");
            tr!(
                "; the board ran {rounds_en} in {secs} s",
                "；看板共检查了 {rounds} 轮，用时 {secs} 秒"
            )
        }
    });
    line
}

/// Writes each report's transcript into `dir`, a file per student.
pub fn write_transcripts(dir: &Path, reports: &[(String, &Report)]) -> Result<(), String> {
    let cannot = |path: &Path, error: std::io::Error| {
        let (shown, error) = (path.display(), common::lang::os_error(&error));
        tr!("cannot write {shown}: {error}", "无法写入 {shown}：{error}")
    };
    std::fs::create_dir_all(dir).map_err(|error| cannot(dir, error))?;
    let mut taken: Vec<PathBuf> = Vec::new();
    for (name, report) in reports {
        let path = transcript::file_for(dir, name, &mut taken);
        let mut text = report.transcript.join("\n");
        text.push('\n');
        std::fs::write(&path, text).map_err(|error| cannot(&path, error))?;
    }
    Ok(())
}
