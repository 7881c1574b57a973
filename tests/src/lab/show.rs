//! How the kit shows what it did not write itself (a server's bytes, a roster's names and
//! addresses) so that it is read, never obeyed: no control character, escape sequence or
//! bidi override reaches the teacher's terminal, spreadsheet or JSON reader as itself.
//!
//! Also the `PASS`/`FAIL` lines of one server's report.

use std::borrow::Cow;

use common::tr;

use super::Report;

/// At most this many characters of a reply are shown: a server that answers forever must
/// not flood the teacher's terminal.
const SHOWN: usize = 120;

/// A run of at least this many same characters is shown counted (`+ 1019 × "\0"`): Java's
/// zero-filled buffer, a flood of one letter.
const RUN: usize = 8;

/// True for a character that must not reach a terminal or a spreadsheet as itself: C0
/// controls and DEL, C1 controls, bidi overrides and isolates (which reorder what follows),
/// invisible joiners and marks, and the line and paragraph separators.
pub fn is_hidden(c: char) -> bool {
    matches!(c,
        '\u{0}'..='\u{1f}' | '\u{7f}'..='\u{9f}'
        | '\u{061c}' | '\u{200b}'..='\u{200f}' | '\u{2028}'..='\u{202e}'
        | '\u{2060}'..='\u{2069}' | '\u{feff}' | '\u{fff9}'..='\u{fffb}')
}

/// How a hidden character is spelled: `\x1b` for C0 and DEL (Python's `repr` spelling, as the
/// clients show them), `\u{202e}` for the rest.
fn spelled(c: char) -> String {
    if (c as u32) < 0x20 || c == '\u{7f}' {
        format!("\\x{:02x}", c as u32)
    } else {
        format!("\\u{{{:x}}}", c as u32)
    }
}

/// `text` with every hidden character spelled out (see [`is_hidden`]), for a name or an
/// address from the room file, shown in the table, the CSV and on stderr. Borrowed when
/// there is nothing to change, as for almost every name.
pub fn clean(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_hidden) {
        return Cow::Borrowed(text);
    }
    Cow::Owned(
        text.chars()
            .map(|c| {
                if is_hidden(c) {
                    spelled(c)
                } else {
                    c.to_string()
                }
            })
            .collect(),
    )
}

/// Received bytes as a quoted string: text as it is, `"` and `\` escaped, control characters
/// spelled (`\n`, `\0`, `\x1b`, `\u{202e}`), bytes that are not UTF-8 as `\xff` (so `b'\xff'`
/// and U+FFFD can be told apart), runs of one character counted (`"hello" + 1019 × "\0"`),
/// and at most `SHOWN` (120) characters.
pub fn bytes(data: &[u8]) -> String {
    let units = units(data);
    let mut pieces: Vec<String> = Vec::new();
    let mut literal = String::new();
    let (mut at, mut shown) = (0, 0);
    while at < units.len() && shown < SHOWN {
        let run = units[at..]
            .iter()
            .take_while(|unit| **unit == units[at])
            .count();
        if run >= RUN {
            if !literal.is_empty() {
                pieces.push(format!("\"{}\"", std::mem::take(&mut literal)));
            }
            pieces.push(format!("{run} × \"{}\"", units[at]));
            at += run;
            shown += 1;
        } else {
            literal.push_str(&units[at]);
            at += 1;
            shown += 1;
        }
    }
    if !literal.is_empty() || pieces.is_empty() {
        pieces.push(format!("\"{literal}\""));
    }
    let mut out = pieces.join(" + ");
    if at < units.len() {
        let total = data.len();
        out.push_str(&tr!("... ({total} bytes in all)", "……（共 {total} 字节）"));
    }
    out
}

/// Text (a stamp read from a reply) quoted and spelled as [`bytes`] does.
pub fn text(text: &str) -> String {
    bytes(text.as_bytes())
}

/// Each character of `data` as it is shown, one string per character (or per byte that is
/// not UTF-8).
fn units(data: &[u8]) -> Vec<String> {
    let mut units = Vec::new();
    for chunk in data.utf8_chunks() {
        for c in chunk.valid().chars() {
            units.push(match c {
                '"' => "\\\"".to_string(),
                '\\' => "\\\\".to_string(),
                '\n' => "\\n".to_string(),
                '\r' => "\\r".to_string(),
                '\t' => "\\t".to_string(),
                '\0' => "\\0".to_string(),
                c if is_hidden(c) => spelled(c),
                c => c.to_string(),
            });
        }
        for byte in chunk.invalid() {
            units.push(format!("\\x{byte:02x}"));
        }
    }
    units
}

/// The report as a student reads it: `PASS name` or `FAIL name: why`, one line per check,
/// then a summary line with the points.
pub fn report(report: &Report) -> String {
    let mut out = String::new();
    for check in &report.checks {
        if check.passed {
            out.push_str(&format!("PASS {}\n", check.name));
        } else {
            let (name, why) = (check.name, &check.detail);
            out.push_str(&tr!("FAIL {name}: {why}\n", "FAIL {name}：{why}\n"));
        }
    }
    let (passed, total) = (report.passed(), report.checks.len());
    let (protocol, target) = (report.protocol, clean(&report.target));
    let (points, most) = (report.points(), report.most_points());
    out.push_str(&if report.all_passed() {
        tr!(
            "all {total} checks passed: {protocol} {target} serves as the chapter asks ({points}/{most} points)\n",
            "全部 {total} 项检查通过：{protocol} {target} 符合本章的要求（得分 {points}/{most}）\n"
        )
    } else {
        let failed = total - passed;
        tr!(
            "{passed} of {total} checks passed, {failed} failed: {protocol} {target} ({points}/{most} points)\n",
            "{total} 项检查中通过 {passed} 项、未通过 {failed} 项：{protocol} {target}（得分 {points}/{most}）\n"
        )
    });
    out
}

/// `text` as a JSON string: quoted, with `"`, `\` and every hidden character escaped
/// (`\u202e`), so a JSON reader gets the text exactly and a terminal shows no control.
pub fn json_string(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if is_hidden(c) => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod unit {
    use super::*;

    #[test]
    fn bytes_show_text_escapes_and_raw_bytes() {
        assert_eq!(bytes(b"hi\n"), "\"hi\\n\"");
        assert_eq!(bytes("中\u{fffd}".as_bytes()), "\"中\u{fffd}\"");
        assert_eq!(bytes(b"caf\xe9"), "\"caf\\xe9\"");
        assert_eq!(bytes(b"\x1b]0;x\x07"), "\"\\x1b]0;x\\x07\"");
        assert_eq!(
            bytes("a\u{202e}b\u{85}".as_bytes()),
            "\"a\\u{202e}b\\u{85}\""
        );
        let long: Vec<u8> = (0..500).map(|i| b'a' + (i % 26) as u8).collect();
        assert!(bytes(&long).ends_with("(500 bytes in all)"));
    }

    #[test]
    fn a_run_of_one_byte_is_counted_not_repeated() {
        let java = [&b"hello"[..], &[0; 1019]].concat();
        assert_eq!(bytes(&java), "\"hello\" + 1019 × \"\\0\"");
        assert_eq!(bytes(&[b'x'; 20]), "20 × \"x\"");
        let between = [&b"a"[..], &[0; 10], b"b"].concat();
        assert_eq!(bytes(&between), "\"a\" + 10 × \"\\0\" + \"b\"");
        assert_eq!(bytes(b""), "\"\"");
    }

    #[test]
    fn names_are_cleaned_of_everything_a_terminal_or_spreadsheet_would_obey() {
        assert_eq!(clean("王小明"), "王小明");
        assert_eq!(clean("\u{1b}[31mred"), "\\x1b[31mred");
        assert_eq!(clean("evil\u{202e}gnp.exe"), "evil\\u{202e}gnp.exe");
        assert_eq!(clean("a\u{9b}b\tc"), "a\\u{9b}b\\x09c");
        assert!(!clean("\u{feff}x\u{2066}").chars().any(is_hidden));
    }

    #[test]
    fn json_strings_escape_what_json_requires_and_every_hidden_character() {
        assert_eq!(
            json_string("a\"b\\c\nd\u{1}é"),
            "\"a\\\"b\\\\c\\nd\\u0001é\""
        );
        assert_eq!(json_string("x\u{202e}\u{85}"), "\"x\\u202e\\u0085\"");
    }
}
