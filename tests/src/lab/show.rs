//! How the kit shows what it found: received bytes a student can read, the `PASS`/`FAIL`
//! lines, and the JSON object (written by hand: it is small, and needs no crate).

use common::tr;

use super::Report;

/// At most this many bytes of a reply are shown: a server that answers forever must not
/// flood the teacher's terminal.
const SHOWN: usize = 120;

/// Received bytes as a quoted string: text as it is, control characters escaped (`\n`), and
/// bytes that are not UTF-8 as `\xff`, so `b'\xff'` and U+FFFD can be told apart.
pub fn bytes(data: &[u8]) -> String {
    let cut = data.len() > SHOWN;
    let mut shown = String::from("\"");
    for chunk in data[..data.len().min(SHOWN)].utf8_chunks() {
        for c in chunk.valid().chars() {
            match c {
                '"' => shown.push_str("\\\""),
                '\\' => shown.push_str("\\\\"),
                c if c.is_control() => shown.extend(c.escape_default()),
                c => shown.push(c),
            }
        }
        for byte in chunk.invalid() {
            shown.push_str(&format!("\\x{byte:02x}"));
        }
    }
    shown.push('"');
    if cut {
        let total = data.len();
        shown.push_str(&tr!("... ({total} bytes in all)", "……（共 {total} 字节）"));
    }
    shown
}

/// The report as a student reads it: `PASS name` or `FAIL name: why`, one line per check,
/// then a summary line.
pub fn text(report: &Report) -> String {
    let mut out = String::new();
    for check in &report.checks {
        if check.passed {
            out.push_str(&format!("PASS {}\n", check.name));
        } else {
            out.push_str(&format!("FAIL {}: {}\n", check.name, check.detail));
        }
    }
    let (passed, total) = (report.passed(), report.checks.len());
    let (protocol, target) = (report.protocol, &report.target);
    out.push_str(&if report.all_passed() {
        tr!(
            "all {total} checks passed: {protocol} {target} serves as the chapter asks\n",
            "全部 {total} 项检查通过：{protocol} {target} 符合本章的要求\n"
        )
    } else {
        let failed = total - passed;
        tr!(
            "{passed} of {total} checks passed, {failed} failed: {protocol} {target}\n",
            "{total} 项检查中通过 {passed} 项、未通过 {failed} 项：{protocol} {target}\n"
        )
    });
    out
}

/// The report as one JSON object:
/// `{"target": ..., "protocol": "tcp", "checks": [{"name": ..., "passed": ..., "detail": ...}]}`.
pub fn json(report: &Report) -> String {
    let checks: Vec<String> = report
        .checks
        .iter()
        .map(|check| {
            format!(
                "{{\"name\": {}, \"passed\": {}, \"detail\": {}}}",
                json_string(check.name),
                check.passed,
                json_string(&check.detail)
            )
        })
        .collect();
    format!(
        "{{\"target\": {}, \"protocol\": {}, \"checks\": [{}]}}",
        json_string(&report.target),
        json_string(&report.protocol.to_string()),
        checks.join(", ")
    )
}

/// `text` as a JSON string: quoted, with `"`, `\` and control characters escaped.
pub fn json_string(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                out.push_str(&format!("\\u{:04x}", c as u32));
            }
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
        assert!(bytes(&[b'a'; 500]).ends_with("(500 bytes in all)") || common::lang::chinese());
    }

    #[test]
    fn json_strings_escape_what_json_requires() {
        assert_eq!(
            json_string("a\"b\\c\nd\u{1}é"),
            "\"a\\\"b\\\\c\\nd\\u0001é\""
        );
    }
}
