//! The teacher's gradebook: the room as CSV, as Excel opens it on a Chinese or an English
//! Windows (UTF-8 with a BOM), and as JSON; and the last run's CSV read back, to update some
//! students' rows (`--only`) and to remember who answered before.
//!
//! A spreadsheet obeys what a cell starts with: `=`, `+`, `-` or `@` make a formula (a
//! roster's `=HYPERLINK(...)` would run). Every cell is cleaned of hidden characters and, as
//! OWASP's advice on CSV injection says, one that starts like a formula gets a `'` in front.

use std::collections::BTreeMap;
use std::path::Path;

use common::tr;

use super::room::Row;
use super::roster::Student;
use super::show::{clean, json_string};
use super::{Check, Mistake, Report, names_of_checks};

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
type Cells = BTreeMap<String, String>;

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
fn cells_of(row: &Row) -> Cells {
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
fn write(rows: &[Cells], columns: &[&str]) -> String {
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
fn key_of(header: &str) -> String {
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

/// The last run's gradebook, read back.
#[derive(Debug, Clone, Default)]
pub struct Gradebook {
    /// Its check columns, in order.
    columns: Vec<String>,
    /// Its rows.
    rows: Vec<Cells>,
}

/// A student's row in the last run's gradebook.
pub struct Earlier<'a> {
    /// Its cells.
    cells: &'a Cells,
    /// When it was graded.
    pub when: String,
}

impl Earlier<'_> {
    /// Whether the check `name` passed then; `None` where it did not run.
    pub fn passed(&self, name: &str) -> Option<bool> {
        match self.cells.get(name).map(String::as_str) {
            Some("pass" | "通过") => Some(true),
            Some("fail" | "未通过") => Some(false),
            _ => None,
        }
    }
}

impl Gradebook {
    /// Reads the gradebook at `path`; `None` where there is none yet, or it cannot be read
    /// (writing it will then say why). A file that is not a gradebook of ours is an error:
    /// it is not to be overwritten.
    pub fn read(path: &Path) -> Result<Option<Gradebook>, String> {
        let Ok(bytes) = std::fs::read(path) else {
            return Ok(None);
        };
        let text = String::from_utf8_lossy(&bytes);
        Gradebook::parse(&text).map(Some).ok_or_else(|| {
            let shown = path.display();
            tr!(
                "{shown} is not a gradebook of lab-check's (its first column is not student): give another --csv file, or move it away",
                "{shown} 不是 lab-check 写的成绩表（第一列不是“学生”）：请换一个 --csv 文件，或者把它移走"
            )
        })
    }

    /// Reads a gradebook's text; `None` when it is not one of ours.
    pub fn parse(text: &str) -> Option<Gradebook> {
        let mut records = records(text.trim_start_matches('\u{feff}')).into_iter();
        let keys: Vec<String> = records.next()?.iter().map(|h| key_of(h)).collect();
        if keys.first().map(String::as_str) != Some("student") {
            return None;
        }
        let known = names_of_checks();
        let columns = keys
            .iter()
            .filter(|key| known.contains(&key.as_str()))
            .cloned()
            .collect();
        let rows = records
            .filter(|record| record.iter().any(|field| !field.is_empty()))
            .map(|record| keys.iter().cloned().zip(record).collect())
            .collect();
        Some(Gradebook { columns, rows })
    }

    /// The row of `student`: by name and address, or by name alone.
    pub fn row_of(&self, student: &Student) -> Option<Earlier<'_>> {
        let (name, address) = (safe_cell(&student.name), safe_cell(&student.address));
        let named = |cells: &&Cells| cells.get("student") == Some(&name);
        let cells = self
            .rows
            .iter()
            .filter(named)
            .find(|cells| cells.get("address") == Some(&address))
            .or_else(|| self.rows.iter().find(named))?;
        let when = cells.get("checked at").cloned().unwrap_or_default();
        Some(Earlier { cells, when })
    }

    /// This gradebook with `rows` put in: each replaces its student's row, or comes after the
    /// others; the columns are both runs' checks.
    pub fn updated(&self, rows: &[Row], columns: &[&str]) -> String {
        let mut all: Vec<Cells> = self
            .rows
            .iter()
            .map(|cells| {
                // Back to the text written, for a row written again as it was.
                cells
                    .iter()
                    .map(|(k, v)| (k.clone(), unquote_formula(v)))
                    .collect()
            })
            .collect();
        for row in rows {
            let new = cells_of(row);
            let (name, address) = (&row.student.name, &row.student.address);
            let same = |cells: &Cells| {
                let cell = |key: &str| cells.get(key).map(|value| safe_cell(value));
                cell("student") == Some(safe_cell(name))
                    && cell("address") == Some(safe_cell(address))
            };
            match all.iter_mut().find(|cells| same(cells)) {
                Some(old) => *old = new,
                None => all.push(new),
            }
        }
        let names = names_of_checks();
        let columns: Vec<&str> = names
            .into_iter()
            .filter(|name| columns.contains(name) || self.columns.iter().any(|c| c == name))
            .collect();
        write(&all, &columns)
    }
}

/// A cell as it was before [`safe_cell`] guarded it (so that writing it again guards it once).
fn unquote_formula(cell: &str) -> String {
    match cell.strip_prefix('\'') {
        Some(rest) if safe_cell(rest) == cell => rest.to_string(),
        _ => cell.to_string(),
    }
}

/// CSV records (RFC 4180: quoted fields with doubled quotes, lines ending `\r\n` or `\n`).
fn records(text: &str) -> Vec<Vec<String>> {
    let mut records = Vec::new();
    let (mut record, mut field, mut quoted) = (Vec::new(), String::new(), false);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            ',' if !quoted => record.push(std::mem::take(&mut field)),
            '\r' if !quoted => {}
            '\n' if !quoted => {
                record.push(std::mem::take(&mut field));
                records.push(std::mem::take(&mut record));
            }
            c => field.push(c),
        }
    }
    if !field.is_empty() || !record.is_empty() {
        record.push(field);
        records.push(record);
    }
    records
}

/// One server's report as a JSON object: `target`, `protocol`, `checks` (`name`, `passed`,
/// `detail`, `points`), then the points, the time and the kit; with `student`, first, in a
/// room.
pub fn json(report: &Report, student: Option<&Student>, when: &str) -> String {
    let checks: Vec<String> = report
        .checks
        .iter()
        .map(|check| {
            format!(
                "{{\"name\": {}, \"passed\": {}, \"detail\": {}, \"points\": {}, \"out_of\": {}}}",
                json_string(check.name),
                check.passed,
                json_string(&check.detail),
                if check.passed { check.points } else { 0 },
                check.points
            )
        })
        .collect();
    let name = student.map_or_else(String::new, |student| {
        format!("\"student\": {}, ", json_string(&student.name))
    });
    format!(
        "{{{name}\"target\": {}, \"protocol\": {}, \"checks\": [{}], \"points\": {}, \"out_of\": {}, \"checked_at\": {}, \"kit\": {}}}",
        json_string(&report.target),
        json_string(&report.protocol.to_string()),
        checks.join(", "),
        report.points(),
        report.most_points(),
        json_string(when),
        json_string(KIT),
    )
}

/// A room as a JSON array, an object per student (a line not checked says why).
pub fn json_room(rows: &[Row]) -> String {
    let objects: Vec<String> = rows
        .iter()
        .map(|row| match &row.result {
            Ok(report) => json(report, Some(&row.student), &row.when),
            Err(why) => format!(
                "{{\"student\": {}, \"target\": {}, \"not_checked\": {}, \"checked_at\": {}, \"kit\": {}}}",
                json_string(&row.student.name),
                json_string(&row.student.address),
                json_string(why),
                json_string(&row.when),
                json_string(KIT),
            ),
        })
        .collect();
    format!("[{}]\n", objects.join(",\n"))
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

    #[test]
    fn a_gradebook_is_read_back_in_either_language() {
        let text = "\u{feff}学生,协议,地址,reply,time,得分,满分,问题,检查时间,版本\r\n\"'=x\",tcp,1.2.3.4:5,通过,未通过,2,3,\"time：a, b\",2026-11-25 17:28:42 +08:00,lab-check 0.1.0\r\n";
        let book = Gradebook::parse(text).expect("a gradebook");
        let student = Student {
            line: 1,
            name: "=x".into(),
            protocol: None,
            address: "1.2.3.4:5".into(),
            not_checked: None,
        };
        let earlier = book.row_of(&student).expect("its row");
        assert_eq!(earlier.passed("reply"), Some(true));
        assert_eq!(earlier.passed("time"), Some(false));
        assert_eq!(earlier.passed("reset"), None);
        assert_eq!(earlier.when, "2026-11-25 17:28:42 +08:00");
        assert!(Gradebook::parse("name,protocol\r\n").is_none());
        assert_eq!(records("a,\"b\r\nc\",d\n"), vec![vec!["a", "b\r\nc", "d"]]);
        assert_eq!(unquote_formula("'=x"), "=x");
        assert_eq!(unquote_formula("'plain"), "'plain");
    }
}
