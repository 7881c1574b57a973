//! A room at once: every student's server checked in parallel (a bounded number at a time),
//! then a table with a row per student and a column per check, and the same as CSV for the
//! teacher's gradebook.
//!
//! The room file has a line per student, `NAME tcp|udp HOST:PORT`; blank lines and `#`
//! comments are allowed.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::thread;

use common::tr;

use super::{LocalNow, Protocol, Report, check};

/// How many servers are checked at once: a whole room, and never more threads than that.
pub const AT_ONCE: usize = 32;

/// One line of the room file.
#[derive(Debug, Clone)]
pub struct Student {
    /// The student's name, as the teacher wrote it (the table's first column).
    pub name: String,
    /// The kind of server the student wrote.
    pub protocol: Protocol,
    /// Where it runs, as written (`192.168.1.23:21567`).
    pub address: String,
}

/// Reads a room file; an error names the line that is wrong.
pub fn parse(text: &str) -> Result<Vec<Student>, String> {
    let mut students = Vec::new();
    for (number, line) in text.lines().enumerate() {
        let number = number + 1;
        let line = line.split('#').next().unwrap_or_default().trim();
        if line.is_empty() {
            continue;
        }
        let words: Vec<&str> = line.split_whitespace().collect();
        let [name, protocol, address] = words[..] else {
            return Err(tr!(
                "line {number} of the room file is {line:?}: each line is NAME tcp|udp HOST:PORT",
                "名单文件第 {number} 行是 {line:?}：每一行应为 姓名 tcp|udp 主机:端口"
            ));
        };
        let Some(protocol) = Protocol::parse(protocol) else {
            return Err(tr!(
                "line {number} of the room file names {protocol:?}: the protocol is tcp or udp",
                "名单文件第 {number} 行写的是 {protocol:?}：协议只能是 tcp 或 udp"
            ));
        };
        students.push(Student {
            name: name.to_string(),
            protocol,
            address: address.to_string(),
        });
    }
    Ok(students)
}

/// `HOST:PORT` (or `HOST`, for the book's port 21567; `[::1]:21567` for IPv6) as an address
/// to check.
pub fn resolve(address: &str) -> Result<SocketAddr, String> {
    let (host, port) = host_and_port(address)?;
    let found = common::net::resolve(&host, port).map_err(|error| error.to_string())?;
    found
        .first()
        .copied()
        .ok_or_else(|| tr!("unknown host '{host}'", "未知主机 '{host}'"))
}

/// Splits `HOST:PORT` (`[IPv6]:PORT` for IPv6; `HOST` alone for the book's port 21567), or
/// says why the port is not one.
pub fn host_and_port(address: &str) -> Result<(String, u16), String> {
    let address = address.trim();
    let (host, port) = match address.rsplit_once(':') {
        // `host:port`, or `[IPv6]:port`; a bare IPv6 address has colons in its host part
        Some((host, port)) if !host.contains(':') || host.ends_with(']') => (host, Some(port)),
        _ => (address, None),
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let Some(port) = port else {
        return Ok((host.to_string(), 21567));
    };
    match port.trim().parse::<u16>() {
        Ok(port) if port > 0 => Ok((host.to_string(), port)),
        _ => Err(tr!(
            "the port in '{address}' is not valid: a server's port is a whole number from 1 to 65535: the port the server printed",
            "'{address}' 中的端口无效：服务器的端口号应为 1 到 65535 之间的整数，即服务器打印出的端口"
        )),
    }
}

/// Checks one student's server (a report of failures when its address cannot be found).
pub fn check_student(student: &Student, now: LocalNow) -> Report {
    match resolve(&student.address) {
        Ok(address) => check(&student.address, student.protocol, address, now),
        Err(why) => Report::unreachable(&student.address, student.protocol, &why),
    }
}

/// Checks every student, at most [`AT_ONCE`] at a time; calls `progress` with each report as
/// it comes (in the order they finish), and returns the reports in the room's order.
pub fn run(
    students: &[Student],
    now: LocalNow,
    mut progress: impl FnMut(&Student, &Report),
) -> Vec<Report> {
    let next = AtomicUsize::new(0);
    let (done, finished) = mpsc::channel();
    let mut reports: Vec<Option<Report>> = vec![None; students.len()];
    thread::scope(|scope| {
        for _ in 0..AT_ONCE.min(students.len()) {
            let (next, done) = (&next, done.clone());
            scope.spawn(move || {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(student) = students.get(i) else {
                        break;
                    };
                    if done.send((i, check_student(student, now))).is_err() {
                        break;
                    }
                }
            });
        }
        drop(done);
        for (i, report) in finished {
            progress(&students[i], &report);
            reports[i] = Some(report);
        }
    });
    reports.into_iter().flatten().collect()
}

/// Every check name in the room, TCP's first, each once: the table's columns.
fn columns(reports: &[Report]) -> Vec<&'static str> {
    let mut names: Vec<&'static str> = Vec::new();
    for protocol in [Protocol::Tcp, Protocol::Udp] {
        if reports.iter().any(|report| report.protocol == protocol) {
            for name in protocol.checks() {
                if !names.contains(&name) {
                    names.push(name);
                }
            }
        }
    }
    names
}

/// A row's cells: `ok`, `FAIL`, or `-` where the student's protocol has no such check.
fn cells(report: &Report, columns: &[&str]) -> Vec<&'static str> {
    columns
        .iter()
        .map(|&name| match report.check(name) {
            Some(check) if check.passed => "ok",
            Some(_) => "FAIL",
            None => "-",
        })
        .collect()
}

/// The room as a table for the terminal, then each failure with its reason.
pub fn table(students: &[Student], reports: &[Report]) -> String {
    let columns = columns(reports);
    let mut rows: Vec<Vec<String>> = Vec::new();
    let mut header = vec![
        tr!("student", "学生"),
        tr!("protocol", "协议"),
        tr!("address", "地址"),
    ];
    header.extend(columns.iter().map(|name| name.to_string()));
    header.push(tr!("passed", "通过"));
    rows.push(header);
    for (student, report) in students.iter().zip(reports) {
        let mut row = vec![
            student.name.clone(),
            report.protocol.to_string(),
            report.target.clone(),
        ];
        row.extend(cells(report, &columns).into_iter().map(str::to_string));
        row.push(format!("{}/{}", report.passed(), report.checks.len()));
        rows.push(row);
    }
    let widths: Vec<usize> = (0..rows[0].len())
        .map(|column| {
            rows.iter()
                .map(|row| width(&row[column]))
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for row in &rows {
        let line: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(cell, &wide)| format!("{cell}{}", " ".repeat(wide - width(cell))))
            .collect();
        out.push_str(line.join("  ").trim_end());
        out.push('\n');
    }
    let failures: Vec<String> = students
        .iter()
        .zip(reports)
        .flat_map(|(student, report)| {
            problems(report)
                .into_iter()
                .map(move |(names, detail)| format!("{}: FAIL {names}: {detail}", student.name))
        })
        .collect();
    if !failures.is_empty() {
        out.push('\n');
        for failure in failures {
            out.push_str(&failure);
            out.push('\n');
        }
    }
    out
}

/// The room as CSV: the table's columns, then every failure's reason in one last column.
pub fn csv(students: &[Student], reports: &[Report]) -> String {
    let columns = columns(reports);
    let mut header: Vec<String> = ["name", "protocol", "address"]
        .iter()
        .map(|name| name.to_string())
        .collect();
    header.extend(columns.iter().map(|name| name.to_string()));
    header.extend(["passed", "total", "problems"].map(str::to_string));
    let mut out = csv_line(&header);
    for (student, report) in students.iter().zip(reports) {
        let mut row = vec![
            student.name.clone(),
            report.protocol.to_string(),
            report.target.clone(),
        ];
        row.extend(cells(report, &columns).into_iter().map(|cell| match cell {
            "ok" => "pass".to_string(),
            "FAIL" => "fail".to_string(),
            _ => String::new(),
        }));
        let problems: Vec<String> = problems(report)
            .into_iter()
            .map(|(names, detail)| format!("{names}: {detail}"))
            .collect();
        row.push(report.passed().to_string());
        row.push(report.checks.len().to_string());
        row.push(problems.join("; "));
        out.push_str(&csv_line(&row));
    }
    out
}

/// A report's failures, those with the same reason together (a server that is not running
/// fails every check for one reason): the checks' names, and the reason.
fn problems(report: &Report) -> Vec<(String, String)> {
    let mut problems: Vec<(Vec<&str>, &str)> = Vec::new();
    for check in report.checks.iter().filter(|check| !check.passed) {
        match problems
            .iter_mut()
            .find(|(_, detail)| *detail == check.detail)
        {
            Some((names, _)) => names.push(check.name),
            None => problems.push((vec![check.name], &check.detail)),
        }
    }
    problems
        .into_iter()
        .map(|(names, detail)| (names.join(", "), detail.to_string()))
        .collect()
}

/// One CSV line: fields with a comma, a quote or a line break are quoted, quotes doubled.
fn csv_line(fields: &[String]) -> String {
    let quoted: Vec<String> = fields
        .iter()
        .map(|field| {
            if field.contains([',', '"', '\n', '\r']) {
                format!("\"{}\"", field.replace('"', "\"\""))
            } else {
                field.clone()
            }
        })
        .collect();
    format!("{}\r\n", quoted.join(","))
}

/// How many terminal columns `text` takes: a Chinese character takes two.
fn width(text: &str) -> usize {
    text.chars()
        .map(|c| match c as u32 {
            0x1100..=0x115F
            | 0x2E80..=0xA4CF
            | 0xAC00..=0xD7A3
            | 0xF900..=0xFAFF
            | 0xFE30..=0xFE4F
            | 0xFF00..=0xFF60
            | 0xFFE0..=0xFFE6
            | 0x20000..=0x3FFFD => 2,
            _ => 1,
        })
        .sum()
}

#[cfg(test)]
mod unit {
    use super::*;

    #[test]
    fn a_room_file_has_names_protocols_addresses_comments_and_blank_lines() {
        let room =
            "# lab 3\n\nalice tcp 192.168.1.23:21567\n王小明  UDP  [::1]:21567  # front row\n";
        let students = parse(room).expect("a room");
        assert_eq!(students.len(), 2);
        assert_eq!(students[1].name, "王小明");
        assert_eq!(students[1].protocol, Protocol::Udp);
        assert_eq!(students[1].address, "[::1]:21567");
        let wrong = parse("alice tcp\n").expect_err("a line without an address");
        assert!(wrong.contains("1") || common::lang::chinese(), "{wrong}");
        assert!(parse("bob sctp 1.2.3.4:5\n").is_err());
    }

    #[test]
    fn an_address_is_host_and_port_with_the_book_s_port_by_default() {
        let split = |address: &str| host_and_port(address);
        assert_eq!(
            split("192.168.1.23:5000"),
            Ok(("192.168.1.23".into(), 5000))
        );
        assert_eq!(split("localhost"), Ok(("localhost".into(), 21567)));
        assert_eq!(split("[::1]:5000"), Ok(("::1".into(), 5000)));
        assert_eq!(split("[::1]"), Ok(("::1".into(), 21567)));
        assert_eq!(split("::1"), Ok(("::1".into(), 21567)));
        assert!(split("127.0.0.1:99999").is_err());
        assert!(split("127.0.0.1:0").is_err());
        assert!(split("127.0.0.1:port").is_err());
    }

    #[test]
    fn csv_quotes_what_needs_quoting() {
        let line = csv_line(&["a".into(), "b,c".into(), "say \"hi\"".into()]);
        assert_eq!(line, "a,\"b,c\",\"say \"\"hi\"\"\"\r\n");
    }

    #[test]
    fn chinese_names_take_two_columns_a_character() {
        assert_eq!(width("王小明"), 6);
        assert_eq!(width("alice"), 5);
    }
}
