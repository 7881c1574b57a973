//! The last run's gradebook, read back: to replace some students' rows (`--only`) and keep
//! the others as they were, and to remember who answered then.

use std::path::Path;

use common::tr;

use super::super::Mistake;
use super::super::names_of_checks;
use super::super::room::Row;
use super::super::roster::Student;
use super::super::show::clean;
use super::{Cells, cells_of, key_of, safe_cell, write};

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

    /// A server gone since the last run, whose row in the gradebook shows it answered then, is
    /// told so: most likely the last run's `reset` check stopped it (the book's loop stops when a
    /// client resets its connection), not that it never ran.
    pub fn remember(&self, rows: &mut [Row]) {
        for row in rows.iter_mut() {
            let Ok(report) = &mut row.result else {
                continue;
            };
            if !report.nobody_there() {
                continue;
            }
            let Some(before) = self.row_of(&row.student) else {
                continue;
            };
            if before.passed("reply") != Some(true) {
                continue;
            }
            let (address, when) = (
                clean(&report.target).into_owned(),
                clean(&before.when).into_owned(),
            );
            let why = tr!(
                "stopped (after a client reset it, in the last run?): nothing listens at {address} now, though the last run ({when}) got its replies; that run's reset check may have stopped it (the book's loop stops when a client resets its connection). Start it again, and check it again",
                "已停止（上次检查时被客户端重置后停下的？）：{address} 现在没有程序在监听，而上一次检查（{when}）时它有回复；可能是那次的 reset 检查让它停下了（书中的循环在客户端重置连接时会停止）。请重新启动它，再检查一次"
            );
            for check in report.checks.iter_mut() {
                check.mistake = Some(Mistake::StoppedSinceLastRun);
                check.detail = why.clone();
            }
        }
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

#[cfg(test)]
mod unit {
    use super::*;

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
