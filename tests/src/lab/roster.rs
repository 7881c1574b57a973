//! The room file: a line per student, `NAME tcp|udp HOST:PORT`, `#` starting a comment.
//!
//! Read as teachers write it: UTF-8 with or without a BOM (Notepad, Excel's "CSV UTF-8"),
//! UTF-16 with its BOM (Excel's "Unicode text"), names with spaces (`Ouyang Nana tcp ...`),
//! items split by spaces, tabs, commas or semicolons (a spreadsheet's export, our own
//! gradebook too). A line that cannot be checked (a typo in an address) is kept, with why, so
//! the rest of the room is still checked and the table says what to fix.

use common::tr;

use super::Protocol;
use super::show::clean;

/// One line of the room file that names a student.
#[derive(Debug, Clone, PartialEq)]
pub struct Student {
    /// Its line in the room file, from 1.
    pub line: usize,
    /// The student's name, as the teacher wrote it (the table's first column).
    pub name: String,
    /// The kind of server the student wrote; `None` when the line does not say.
    pub protocol: Option<Protocol>,
    /// Where it runs, as written (`192.168.1.23:21567`).
    pub address: String,
    /// Why this line cannot be checked, when it cannot.
    pub not_checked: Option<String>,
}

/// What a spreadsheet's line has between its items.
const SEPARATORS: [char; 3] = [',', ';', '\t'];

/// The text of a room file, from its bytes: UTF-8 (a BOM dropped) or UTF-16 with a BOM.
pub fn text_of(bytes: &[u8]) -> Result<String, String> {
    let utf16 = |to_unit: fn([u8; 2]) -> u16| {
        let units: Vec<u16> = bytes[2..]
            .chunks_exact(2)
            .map(|pair| to_unit([pair[0], pair[1]]))
            .collect();
        String::from_utf16(&units).ok()
    };
    let text = match bytes {
        [0xFF, 0xFE, ..] => utf16(u16::from_le_bytes),
        [0xFE, 0xFF, ..] => utf16(u16::from_be_bytes),
        _ => String::from_utf8(bytes.to_vec()).ok(),
    };
    text.ok_or_else(|| {
        tr!(
            "it is not UTF-8 text (saved as GBK, or another encoding?): save it as UTF-8 (Notepad: Save as, Encoding UTF-8; Excel: CSV UTF-8)",
            "它不是 UTF-8 编码的文本（保存成了国标码（GBK）或别的编码？）：请另存为 UTF-8（记事本：“另存为”时编码选 UTF-8；电子表格（Excel）：另存为“CSV UTF-8”）"
        )
    })
}

/// Reads a room file's text: a [`Student`] per line that names one (or tries to).
pub fn parse(text: &str) -> Vec<Student> {
    let mut students = Vec::new();
    for (number, line) in text.lines().enumerate() {
        // A BOM starts the file, or each part of files joined together.
        let line = line.trim_start_matches('\u{feff}');
        let line = line.split('#').next().unwrap_or_default().trim();
        if line.is_empty() {
            continue;
        }
        if let Some(student) = student(number + 1, line) {
            students.push(student);
        }
    }
    students
}

/// The student on `line` (number `number`), or `None` for a spreadsheet's header row.
fn student(number: usize, line: &str) -> Option<Student> {
    let header = |items: Vec<String>| {
        items
            .get(1)
            .is_some_and(|item| item.eq_ignore_ascii_case("protocol") || item == "协议")
    };
    let words = line.split_whitespace().map(str::to_string).collect();
    if header(words) || SEPARATORS.iter().any(|&c| header(split_quoted(line, c))) {
        return None;
    }
    let (items, spreadsheet) = items(line);
    let shown = clean(line);
    let mut student = Student {
        line: number,
        name: items.first().cloned().unwrap_or_default(),
        protocol: None,
        address: String::new(),
        not_checked: None,
    };
    // The protocol is the last item that is one; the name is what stands before it.
    let Some(at) = items
        .iter()
        .rposition(|item| Protocol::parse(item).is_some())
    else {
        let count = items.len();
        student.not_checked = Some(if count < 3 {
            tr!(
                "line {number} of the room file, {shown}, has {count} items, not 3: NAME tcp|udp HOST:PORT",
                "名单文件第 {number} 行（{shown}）有 {count} 项，应为 3 项：姓名 tcp|udp 主机:端口"
            )
        } else {
            tr!(
                "line {number} of the room file, {shown}, names no protocol (tcp or udp): NAME tcp|udp HOST:PORT",
                "名单文件第 {number} 行（{shown}）没有写协议（tcp 或 udp）：应为 姓名 tcp|udp 主机:端口"
            )
        });
        return Some(student);
    };
    student.protocol = Protocol::parse(&items[at]);
    if at > 0 {
        student.name = items[..at].join(" ");
    }
    // A spreadsheet's line may go on with more columns (our own gradebook's).
    let end = if spreadsheet {
        (at + 2).min(items.len())
    } else {
        items.len()
    };
    let after = &items[at + 1..end];
    student.address = after.join(" ");
    student.not_checked = match (at, after) {
        (0, _) => Some(tr!(
            "line {number} of the room file, {shown}, has no name before the protocol: NAME tcp|udp HOST:PORT",
            "名单文件第 {number} 行（{shown}）在协议前面没有姓名：应为 姓名 tcp|udp 主机:端口"
        )),
        (_, []) => Some(tr!(
            "line {number} of the room file, {shown}, has no address after the protocol: NAME tcp|udp HOST:PORT",
            "名单文件第 {number} 行（{shown}）在协议后面没有地址：应为 姓名 tcp|udp 主机:端口"
        )),
        (_, [address]) => host_and_port(address).err().map(|why| {
            tr!(
                "line {number} of the room file: {why}",
                "名单文件第 {number} 行：{why}"
            )
        }),
        (_, _) => {
            let address = clean(&student.address);
            Some(tr!(
                "line {number} of the room file: the address {address} has a space in it: write HOST:PORT as one word (192.168.1.23:21567)",
                "名单文件第 {number} 行：地址 {address} 中间有空格：请把 主机:端口 写成一个词（192.168.1.23:21567）"
            ))
        }
    };
    Some(student)
}

/// A line's items: its words, unless they do not read as a student and the line is a
/// spreadsheet's, split at commas, semicolons or tabs (`"Smith, John"` quoted); empty items
/// left out. True when it is a spreadsheet's.
fn items(line: &str) -> (Vec<String>, bool) {
    let words: Vec<String> = line.split_whitespace().map(str::to_string).collect();
    let shaped = |items: &[String]| {
        items
            .iter()
            .skip(1)
            .any(|item| Protocol::parse(item).is_some())
    };
    if shaped(&words) {
        return (words, false);
    }
    for separator in SEPARATORS {
        if line.contains(separator) {
            let items = split_quoted(line, separator);
            if shaped(&items) {
                return (items, true);
            }
        }
    }
    (words, false)
}

/// `line` split at `separator` outside double quotes, each item trimmed, empty ones left out.
fn split_quoted(line: &str, separator: char) -> Vec<String> {
    let mut items = Vec::new();
    let (mut item, mut quoted) = (String::new(), false);
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                item.push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            c if c == separator && !quoted => items.push(std::mem::take(&mut item)),
            c => item.push(c),
        }
    }
    items.push(item);
    items
        .into_iter()
        .map(|item| item.trim().to_string())
        .filter(|item| !item.is_empty())
        .collect()
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
        _ => {
            let address = clean(address);
            Err(tr!(
                "the port in '{address}' is not valid: a server's port is a whole number from 1 to 65535: the port the server printed",
                "'{address}' 中的端口无效：服务器的端口号应为 1 到 65535 之间的整数，即服务器打印出的端口"
            ))
        }
    }
}

#[cfg(test)]
mod unit {
    use super::*;

    fn one(line: &str) -> Student {
        let students = parse(line);
        assert_eq!(students.len(), 1, "{line}: {students:?}");
        students[0].clone()
    }

    #[test]
    fn a_room_file_has_names_protocols_addresses_comments_and_blank_lines() {
        let room =
            "# lab 3\n\nalice tcp 192.168.1.23:21567\n王小明  UDP  [::1]:21567  # front row\n";
        let students = parse(room);
        assert_eq!(students.len(), 2);
        assert_eq!(students[1].name, "王小明");
        assert_eq!(students[1].protocol, Some(Protocol::Udp));
        assert_eq!(students[1].address, "[::1]:21567");
        assert_eq!(students[1].line, 4);
        assert!(students.iter().all(|s| s.not_checked.is_none()));
    }

    #[test]
    fn boms_spreadsheets_and_names_with_spaces_are_read() {
        assert_eq!(parse("\u{feff}# lab 3\nbob tcp 1.2.3.4:5\n").len(), 1);
        assert_eq!(one("\u{feff}alice tcp 1.2.3.4:5").name, "alice");
        let ouyang = one("Ouyang Nana  tcp 1.2.3.4:5");
        assert_eq!(
            (ouyang.name.as_str(), ouyang.not_checked),
            ("Ouyang Nana", None)
        );
        let excel = parse("student,protocol,address\n\"Smith, John\",tcp,1.2.3.4:5,,\n");
        assert_eq!(excel.len(), 1);
        assert_eq!(excel[0].name, "Smith, John");
        assert_eq!(one("carol;udp;1.2.3.4:5").protocol, Some(Protocol::Udp));
        assert_eq!(one("dave\ttcp\t1.2.3.4:5").address, "1.2.3.4:5");
        // Our own gradebook, as a room file: the first three columns.
        assert_eq!(
            one("erin,tcp,1.2.3.4:5,pass,fail,9,10").address,
            "1.2.3.4:5"
        );
        let utf16: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain(
                "王 tcp 1.2.3.4:5\n"
                    .encode_utf16()
                    .flat_map(u16::to_le_bytes),
            )
            .collect();
        assert_eq!(text_of(&utf16).map(|t| parse(&t).len()), Ok(1));
        assert!(text_of(b"\xcd\xf5 tcp 1.2.3.4:5").is_err());
    }

    #[test]
    fn a_line_that_cannot_be_checked_says_why_and_the_others_are_kept() {
        let room = "alice 1.2.3.4:5\nann tcp\nbob sctp 1.2.3.4:5\ncarol tcp 1.2.3.4 21567\ndave tcp 1.2.3.4:2l567\ntcp 1.2.3.4:5\nerin udp 1.2.3.4:5\n";
        let students = parse(room);
        assert_eq!(students.len(), 7);
        let why: Vec<bool> = students.iter().map(|s| s.not_checked.is_some()).collect();
        assert_eq!(why, [true, true, true, true, true, true, false]);
        assert_eq!(students[0].name, "alice");
        assert_eq!(students[2].name, "bob");
        assert_eq!(students[4].line, 5);
        let told = |i: usize| students[i].not_checked.clone().unwrap_or_default();
        assert!(told(0).contains("has 2 items, not 3"), "{}", told(0));
        assert!(told(1).contains("no address"), "{}", told(1));
        assert!(told(2).contains("names no protocol"), "{}", told(2));
        assert!(told(3).contains("has a space"), "{}", told(3));
        assert!(told(4).contains("port"), "{}", told(4));
        assert!(told(5).contains("no name"), "{}", told(5));
    }

    #[test]
    fn a_hostile_line_is_shown_cleaned_in_its_reason() {
        let evil = one("\u{1b}]0;pwned\u{7}x sctp 1.2.3.4:5");
        let why = evil.not_checked.expect("a reason");
        assert!(!why.chars().any(super::super::show::is_hidden), "{why:?}");
        assert_eq!(
            evil.name, "\u{1b}]0;pwned\u{7}x",
            "kept as written; shown cleaned"
        );
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
}
