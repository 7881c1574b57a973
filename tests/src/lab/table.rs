//! The room's table as a terminal shows it: a row per student, a compact cell per check
//! (numbered, with a legend that counts who passed each), the points; the reasons below it,
//! a line each. It fits the terminal: the name and server columns give way, the cells never.
//!
//! ```text
//! student  server                  1 2 3 4 5 6 7 8 9  points
//! alice    tcp 192.168.1.23:21567  . . . . . . . . .   10/10
//! bob      tcp 192.168.1.24:21567  . . . . . . X . X    8/10
//! ```

use common::tr;
use unicode_width::UnicodeWidthStr;

use super::room::Row;
use super::show::clean;
use super::{Mistake, Report, names_of_checks};

/// How the table is shown: how wide it may be (`None`: a pipe, no limit), and in colour.
#[derive(Debug, Clone, Copy, Default)]
pub struct Look {
    /// The terminal's width, when there is one to fit.
    pub width: Option<usize>,
    /// True to colour the cells (a terminal that takes colours, and no `NO_COLOR`).
    pub color: bool,
}

/// Columns between the student, the server, the checks and the points.
const GAP: usize = 2;

/// What one check's cell says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cell {
    /// The check passed.
    Passed,
    /// It failed.
    Failed,
    /// It could not be checked or judged (a line not checked, a stamp off by the room's zone).
    Unknown,
    /// The student's protocol has no such check, or it did not run.
    Absent,
}

impl Cell {
    /// The cell as the table shows it, coloured when `color`.
    fn shown(self, color: bool) -> String {
        let (glyph, paint) = match self {
            Cell::Passed => (".", "32"),
            Cell::Failed => ("X", "31"),
            Cell::Unknown => ("?", "33"),
            Cell::Absent => (" ", ""),
        };
        painted(glyph, paint, color)
    }
}

/// `text` in the colour `paint` (an SGR number) when `color`.
fn painted(text: &str, paint: &str, color: bool) -> String {
    if color && !paint.is_empty() {
        format!("\u{1b}[{paint}m{text}\u{1b}[0m")
    } else {
        text.to_string()
    }
}

/// The checks the room's rows have, in the table's order.
pub fn columns(rows: &[Row]) -> Vec<&'static str> {
    names_of_checks()
        .into_iter()
        .filter(|name| {
            rows.iter().any(|row| {
                row.result
                    .as_ref()
                    .is_ok_and(|report| report.check(name).is_some())
            })
        })
        .collect()
}

/// The cell of check `name` in `row`.
fn cell(row: &Row, name: &str) -> Cell {
    let Ok(report) = &row.result else {
        let has = row
            .student
            .protocol
            .is_none_or(|p| p.checks().contains(&name));
        return if has { Cell::Unknown } else { Cell::Absent };
    };
    match report.check(name) {
        Some(check) if check.passed => Cell::Passed,
        Some(check) if check.mistake == Some(Mistake::RoomZone) => Cell::Unknown,
        Some(_) => Cell::Failed,
        None => Cell::Absent,
    }
}

/// How many columns `text` takes on a terminal (a Chinese character two).
fn width(text: &str) -> usize {
    UnicodeWidthStr::width(text)
}

/// `text` cut to `wide` columns, a `~` at the end where it was cut.
fn fit(text: &str, wide: usize) -> String {
    if width(text) <= wide {
        return format!("{text}{}", " ".repeat(wide - width(text)));
    }
    let mut cut = String::new();
    for c in text.chars() {
        if width(&cut) + width(c.encode_utf8(&mut [0; 4])) + 1 > wide {
            break;
        }
        cut.push(c);
    }
    cut.push('~');
    format!("{cut}{}", " ".repeat(wide.saturating_sub(width(&cut))))
}

/// The server as the table shows it: `tcp 192.168.1.23:21567`.
fn server(row: &Row) -> String {
    let protocol = row
        .student
        .protocol
        .map(|p| p.to_string())
        .unwrap_or_default();
    format!("{protocol} {}", clean(&row.student.address))
        .trim()
        .to_string()
}

/// The points as the table shows them: `8/10`, `-` for a line not checked.
fn points(row: &Row) -> String {
    match &row.result {
        Ok(report) => format!("{}/{}", report.points(), report.most_points()),
        Err(_) => "-".to_string(),
    }
}

/// The table, its legend with the count of who passed each check, and the reasons below.
pub fn table(rows: &[Row], look: Look) -> String {
    let columns = columns(rows);
    let mut out = grid(rows, &columns, look);
    out.push('\n');
    for line in legend(rows, &columns) {
        out.push_str(&wrapped(&line, look.width, ""));
    }
    let reasons = reasons(rows);
    if !reasons.is_empty() {
        out.push('\n');
        for reason in reasons {
            out.push_str(&wrapped(&reason, look.width, "    "));
        }
    }
    out
}

/// The grid of rows and cells.
fn grid(rows: &[Row], columns: &[&str], look: Look) -> String {
    let numbers: Vec<String> = (1..=columns.len()).map(|n| n.to_string()).collect();
    let checks_wide: usize =
        numbers.iter().map(|n| n.len()).sum::<usize>() + numbers.len().saturating_sub(1);
    let (student, server_word, points_word) = (
        tr!("student", "学生"),
        tr!("server", "服务器"),
        tr!("points", "得分"),
    );
    let names: Vec<String> = rows
        .iter()
        .map(|row| clean(&row.student.name).into_owned())
        .collect();
    let servers: Vec<String> = rows.iter().map(server).collect();
    let scores: Vec<String> = rows.iter().map(points).collect();
    let widest = |header: &str, cells: &[String]| {
        cells
            .iter()
            .map(|cell| width(cell))
            .chain([width(header)])
            .max()
            .unwrap_or(0)
    };
    let points_wide = widest(&points_word, &scores);
    let (mut name_wide, mut server_wide) =
        (widest(&student, &names), widest(&server_word, &servers));
    if let Some(limit) = look.width {
        let room = limit.saturating_sub(3 * GAP + checks_wide + points_wide);
        if name_wide + server_wide > room {
            let name_least = name_wide.min(14);
            name_wide = name_wide.min(name_least.max(room.saturating_sub(server_wide)));
            server_wide = server_wide.min(room.saturating_sub(name_wide)).max(8);
        }
    }
    let gap = " ".repeat(GAP);
    let mut out = String::new();
    let header_cells = numbers.join(" ");
    out.push_str(&format!(
        "{}{gap}{}{gap}{header_cells}{gap}{:>points_wide$}\n",
        fit(&student, name_wide),
        fit(&server_word, server_wide),
        points_word,
        points_wide = points_wide - (width(&points_word) - points_word.chars().count()),
    ));
    for (i, row) in rows.iter().enumerate() {
        let cells: Vec<String> = columns
            .iter()
            .zip(&numbers)
            .map(|(name, number)| {
                let shown = cell(row, name).shown(look.color);
                format!("{shown}{}", " ".repeat(number.len() - 1))
            })
            .collect();
        let full = row
            .result
            .as_ref()
            .is_ok_and(|report| report.points() == report.most_points() && report.all_passed());
        let paint = if full { "32" } else { "" };
        let score = painted(&format!("{:>points_wide$}", scores[i]), paint, look.color);
        let name = painted(&fit(&names[i], name_wide), paint, look.color);
        let line = format!(
            "{name}{gap}{}{gap}{}{gap}{score}",
            fit(&servers[i], server_wide),
            cells.join(" ")
        );
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// The legend: each column's check and how many passed it of those it was judged for; what
/// each cell means.
fn legend(rows: &[Row], columns: &[&str]) -> Vec<String> {
    let counted: Vec<String> = columns
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let cells: Vec<Cell> = rows.iter().map(|row| cell(row, name)).collect();
            let passed = cells.iter().filter(|&&c| c == Cell::Passed).count();
            let judged = cells
                .iter()
                .filter(|&&c| matches!(c, Cell::Passed | Cell::Failed))
                .count();
            format!("{}{NO_BREAK}{name}{NO_BREAK}{passed}/{judged}", i + 1)
        })
        .collect();
    let counted = counted.join(&tr!(", ", "、"));
    vec![
        tr!(
            "Checks (passed/judged): {counted}",
            "各项检查（通过/判定人数）：{counted}"
        ),
        tr!(
            ". passed   X failed   ? not checked or not judged   blank: not a check of that protocol",
            ". 通过   X 未通过   ? 未检查或未判定   空白：该协议没有这项检查"
        ),
    ]
}

/// What failed, a line per student and reason, and each line that was not checked; a stamp
/// off by the room's zone is said once, under the table, not here.
fn reasons(rows: &[Row]) -> Vec<String> {
    let mut reasons = Vec::new();
    for row in rows {
        let name = clean(&row.student.name);
        match &row.result {
            // Not checked yet: the board's first round is under way.
            Err(why) if why.is_empty() => {}
            Err(why) => reasons.push(tr!("{name}: not checked: {why}", "{name}：未检查：{why}")),
            Ok(report) => reasons.extend(failures(&name, report)),
        }
    }
    reasons
}

/// A report's failures, those with one reason together: `bob: FAIL at-once, reset: why`.
fn failures(name: &str, report: &Report) -> Vec<String> {
    report
        .problems()
        .into_iter()
        .filter(|(names, _)| {
            names.iter().any(|check| {
                report
                    .check(check)
                    .is_some_and(|c| c.mistake != Some(Mistake::RoomZone))
            })
        })
        .map(|(names, why)| {
            let names = names.join(&tr!(", ", "、"));
            tr!("{name}: FAIL {names}: {why}", "{name}：FAIL {names}：{why}")
        })
        .collect()
}

/// `text` as lines of at most `width` columns, broken as its language allows (Chinese between
/// characters and never before `，`; never inside a check's name such as `not-utf8`: see
/// [`common::wrap`]), later lines indented by `indent`; one line where there is no width to
/// fit. A no-break space (`1\u{a0}reply`) holds its words together.
pub fn wrapped(text: &str, width: Option<usize>, indent: &str) -> String {
    let Some(width) = width else {
        return format!("{}\n", text.replace(NO_BREAK, " "));
    };
    let mut out = String::new();
    for line in common::wrap::break_line(text, width.max(20), indent) {
        out.push_str(&line.replace(NO_BREAK, " "));
        out.push('\n');
    }
    out
}

/// A space that holds its two words on one line.
const NO_BREAK: char = '\u{a0}';

#[cfg(test)]
mod unit {
    use super::*;

    #[test]
    fn text_is_fitted_to_its_columns_counting_chinese_as_two() {
        assert_eq!(fit("王小明", 8), "王小明  ");
        assert_eq!(fit("alice", 3), "al~");
        assert_eq!(fit("王小明同学", 6), "王小~ ");
        assert_eq!(width("王小明"), 6);
    }

    #[test]
    fn wrapped_text_keeps_chinese_punctuation_off_the_start_of_a_line() {
        let text = "王小明：FAIL at-once：同时连接的 5 个客户端中，只有第一个在 3 秒内收到了回复；它保持连接时，其余 4 个一直在等待";
        for width in 20..60 {
            let lines = wrapped(text, Some(width), "    ");
            for line in lines.lines() {
                assert!(self::width(line) <= width, "{width}: {line}");
                assert!(
                    !line.trim_start().starts_with(['，', '；', '：', '。']),
                    "{width}: {line}"
                );
            }
        }
        assert_eq!(wrapped("one line", None, ""), "one line\n");
    }
}
