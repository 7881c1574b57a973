//! The teacher's gradebook: the room as CSV, as Excel opens it on a Chinese or an English
//! Windows (UTF-8 with a BOM), and as JSON; and the last run's CSV read back, to update some
//! students' rows (`--only`) and to remember who answered before.
//!
//! A spreadsheet obeys what a cell starts with: `=`, `+`, `-` or `@` make a formula (a
//! roster's `=HYPERLINK(...)` would run). Every cell is cleaned of hidden characters and, as
//! OWASP's advice on CSV injection says, one that starts like a formula gets a `'` in front.

mod earlier;

use std::collections::BTreeMap;

use common::tr;

use super::room::Row;
use super::show::clean;
use super::{Check, Mistake, Report};

pub use earlier::{Earlier, Gradebook};

/// The kit and its version, as the gradebook records it.
pub const KIT: &str = concat!("lab-check ", env!("CARGO_PKG_VERSION"));

/// The columns around the checks', by key, with their headers in both languages.
const HEAD: [(&str, &str); 3] = [
    ("student", "学生"),
    ("protocol", "协议"),
    ("address", "地址"),
];
/// The columns after the checks'.
const TAIL: [(&str, &str); 5] = [
    ("points", "得分"),
    ("out of", "满分"),
    ("problems", "问题"),
    ("checked at", "检查时间"),
    ("kit", "版本"),
];

/// A row of the gradebook, by column key (`student`, a check's name, `points`, ...).
pub type Cells = BTreeMap<String, String>;

/// A cell of a check: `pass`, `fail`, `not judged` (a stamp off by the room's zone), or
/// nothing where the student's protocol has no such check.
fn check_cell(check: Option<&Check>) -> String {
    match check {
        Some(check) if check.passed => tr!("pass", "通过"),
        Some(check) if check.mistake == Some(Mistake::RoomZone) => tr!("not judged", "未判定"),
        Some(_) => tr!("fail", "未通过"),
        None => String::new(),
    }
}

/// A row's cells.
pub fn cells_of(row: &Row) -> Cells {
    let mut cells = Cells::new();
    let student = &row.student;
    cells.insert("student".into(), student.name.clone());
    let protocol = student.protocol.map(|p| p.to_string()).unwrap_or_default();
    cells.insert("protocol".into(), protocol);
    cells.insert("address".into(), student.address.clone());
    match &row.result {
        Ok(report) => {
            for check in &report.checks {
                cells.insert(check.name.into(), check_cell(Some(check)));
            }
            cells.insert("points".into(), report.points().to_string());
            cells.insert("out of".into(), report.most_points().to_string());
            cells.insert("problems".into(), problems(report));
        }
        Err(why) => {
            let why = if why.is_empty() {
                tr!("not checked yet", "尚未检查")
            } else {
                tr!("not checked: {why}", "未检查：{why}")
            };
            cells.insert("problems".into(), why);
        }
    }
    cells.insert("checked at".into(), row.when.clone());
    cells.insert("kit".into(), KIT.into());
    cells
}

/// A report's failures in one cell: `reply: why; at-once: why`.
fn problems(report: &Report) -> String {
    let problems: Vec<String> = report
        .problems()
        .into_iter()
        .map(|(names, why)| {
            let names = names.join(&tr!(", ", "、"));
            tr!("{names}: {why}", "{names}：{why}")
        })
        .collect();
    problems.join(&tr!("; ", "；"))
}

/// The gradebook of `rows`, the room's `columns` of checks, with a BOM.
pub fn csv(rows: &[Row], columns: &[&str]) -> String {
    let cells: Vec<Cells> = rows.iter().map(cells_of).collect();
    write(&cells, columns)
}

/// The gradebook of `rows` by their cells, with a BOM, a header in the reader's language.
pub fn write(rows: &[Cells], columns: &[&str]) -> String {
    let keys: Vec<&str> = HEAD
        .iter()
        .map(|(key, _)| *key)
        .chain(columns.iter().copied())
        .chain(TAIL.iter().map(|(key, _)| *key))
        .collect();
    let header: Vec<String> = keys.iter().map(|key| label(key)).collect();
    let mut out = String::from("\u{feff}");
    out.push_str(&line(&header));
    for row in rows {
        let fields: Vec<String> = keys
            .iter()
            .map(|key| row.get(*key).cloned().unwrap_or_default())
            .collect();
        out.push_str(&line(&fields));
    }
    out
}

/// A column's header in the reader's language (a check's is its name in both).
fn label(key: &str) -> String {
    let both = HEAD
        .iter()
        .chain(TAIL.iter())
        .find(|(english, _)| *english == key);
    match both {
        Some((english, chinese)) => {
            if common::lang::chinese() {
                chinese.to_string()
            } else {
                english.to_string()
            }
        }
        None => key.to_string(),
    }
}

/// A column's key from its header in either language.
pub fn key_of(header: &str) -> String {
    let header = header.trim();
    HEAD.iter()
        .chain(TAIL.iter())
        .find(|(english, chinese)| *english == header || *chinese == header)
        .map_or_else(|| header.to_string(), |(english, _)| english.to_string())
}

/// One CSV line: each field cleaned and kept from starting a formula; quoted where it holds
/// a comma, a quote or a semicolon (Excel's separator in some languages).
fn line(fields: &[String]) -> String {
    let quoted: Vec<String> = fields
        .iter()
        .map(|field| {
            let field = safe_cell(field);
            if field.contains([',', '"', ';']) {
                format!("\"{}\"", field.replace('"', "\"\""))
            } else {
                field
            }
        })
        .collect();
    format!("{}\r\n", quoted.join(","))
}

/// A cell as a spreadsheet may take it: hidden characters spelled out, and a `'` in front of
/// what would start a formula.
pub fn safe_cell(field: &str) -> String {
    let field = clean(field).into_owned();
    let formula = field.trim_start().starts_with([
        '=', '+', '-', '@', '\u{ff1d}', '\u{ff0b}', '\u{ff0d}', '\u{ff20}',
    ]);
    if formula { format!("'{field}") } else { field }
}

#[cfg(test)]
mod unit {
    use super::*;

    #[test]
    fn no_cell_starts_a_formula_or_holds_a_control_character() {
        for evil in ["=HYPERLINK(\"x\")", "+1", "-2+3", "@SUM(A1)", "  =1", "＝1"] {
            let cell = safe_cell(evil);
            assert!(cell.starts_with('\''), "{evil}: {cell}");
        }
        assert_eq!(safe_cell("王小明"), "王小明");
        assert_eq!(safe_cell("a\u{1b}[2Jb\r\n"), "a\\x1b[2Jb\\x0d\\x0a");
        assert_eq!(
            line(&["a".into(), "b,c".into(), "say \"hi\"".into()]),
            "a,\"b,c\",\"say \"\"hi\"\"\"\r\n"
        );
    }
}
