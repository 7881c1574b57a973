//! The programs run as a page's reader runs them, in English or in Chinese, and what varies
//! from one run to the next (times, ports) masked, so that what a page shows can be compared
//! with what the programs print today.

use std::process::Command;

use tests::{Finished, PATIENCE, run_command};

/// Each language the pages are written in: the README, the lab's page, and the locale that
/// makes the programs speak it.
pub const LANGUAGES: [(&str, &str, &str); 2] = [
    ("README.md", "LAB.md", "C"),
    ("README.zh-CN.md", "LAB.zh-CN.md", "zh_CN.UTF-8"),
];

/// A command for one of the programs, speaking the language of `locale` (as `LANG`, so the
/// UTF-8 `LC_CTYPE` of [`tests::command`] stays: a machine may not have `zh_CN.UTF-8`).
pub fn command(program: &str, locale: &str) -> Command {
    let mut command = tests::command(program);
    command.env_remove("LC_ALL").env("LANG", locale);
    command
}

/// Runs a program to its end, in the language of `locale`.
pub fn run(program: &str, args: &[&str], input: &[u8], locale: &str) -> Finished {
    run_command(command(program, locale).args(args), input, PATIENCE)
}

/// `line` with each `[ctime]` stamp made `[STAMP]`, and each port of `ports` (a port the
/// page shows, and the one the program used) made `:` and the name beside it.
pub fn unvarying(line: &str, ports: &[(u16, &str)]) -> String {
    let mut line = masked_stamps(line);
    for (port, name) in ports {
        line = line.replace(&format!(":{port}"), &format!(":{name}"));
    }
    line
}

/// `line` with each `[ctime]` stamp made `[STAMP]`.
pub fn masked_stamps(line: &str) -> String {
    let mut out = String::new();
    let mut rest = line;
    while let Some(c) = rest.chars().next() {
        if c == '[' && is_stamp(rest.get(1..25)) && rest.get(25..26) == Some("]") {
            out.push_str("[STAMP]");
            rest = &rest[26..];
        } else {
            out.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    out
}

/// True for C's ctime form of a time: `Wed Nov 25 17:28:42 2026`.
fn is_stamp(text: Option<&str>) -> bool {
    text.is_some_and(|text| {
        chrono::NaiveDateTime::parse_from_str(text, "%a %b %e %H:%M:%S %Y").is_ok()
    })
}

/// `line` with everything that differs from one run or one machine to the next masked, for
/// the tables' quotes: each `[ctime]` stamp made `[STAMP]`, each number (a port, a count of
/// seconds, a part of an address) `#`.
pub fn masked(line: &str) -> String {
    let line = masked_stamps(line);
    let mut out = String::new();
    let mut rest = line.as_str();
    while let Some(c) = rest.chars().next() {
        if c.is_ascii_digit() {
            let digits = |text: &str| {
                text.len() - text.trim_start_matches(|c: char| c.is_ascii_digit()).len()
            };
            let mut end = digits(rest);
            if rest[end..].starts_with('.') && digits(&rest[end + 1..]) > 0 {
                end += 1 + digits(&rest[end + 1..]);
            }
            out.push('#');
            rest = &rest[end..];
        } else {
            out.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    out
}

#[test]
fn masking_hides_times_and_numbers_and_keeps_the_words() {
    assert_eq!(
        masked("[Mon Dec  7 00:51:08 2026] hi at 127.0.0.1:53422, 0.3 s"),
        "[STAMP] hi at #.#:#, # s"
    );
    assert_eq!(
        unvarying(
            "[Mon Dec  7 00:51:08 2026] 6 bytes at :21567",
            &[(21567, "PORT")]
        ),
        "[STAMP] 6 bytes at :PORT"
    );
}
