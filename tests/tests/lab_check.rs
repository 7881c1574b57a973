//! The grading kit, `lab-check`, checked end to end: against our own servers (they must pass,
//! the iterative one failing only "at once"), against small deliberately wrong servers
//! written here (one mistake each: the kit must name it and pass the rest), against a server
//! that never answers, one that closes at once, one that answers forever, and nothing at all.
//!
//! The kit's checks are `tests::lab`, the very code the `lab-check` program runs; the last
//! tests run the program itself for its output, exit status and room table.

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use tests::lab::{self, Mistake, Protocol, Report};
use tests::{PATIENCE, ServerProcess, ctime_in_zone, now_in_zone, run_command};

/// The most the kit may take for one server, whatever the server does.
const BOUND: Duration = Duration::from_secs(60);

/// Runs the kit against `address`, comparing stamps with the zone our programs run in.
fn kit(protocol: Protocol, address: SocketAddr) -> Report {
    let started = Instant::now();
    let report = lab::check(&address.to_string(), protocol, address, now_in_zone);
    let took = started.elapsed();
    assert!(took < BOUND, "the kit took {took:?} for {address}");
    assert_eq!(
        report
            .checks
            .iter()
            .map(|check| check.name)
            .collect::<Vec<_>>(),
        protocol.checks(),
        "every check, in order"
    );
    report
}

/// The kit's report in a few lines, for a failing assertion.
fn summary(report: &Report) -> String {
    let lines: Vec<String> = report
        .checks
        .iter()
        .map(|check| {
            let verdict = if check.passed { "PASS" } else { "FAIL" };
            format!(
                "{verdict} {} ({:?}): {}",
                check.name, check.mistake, check.detail
            )
        })
        .collect();
    lines.join("\n")
}

#[test]
fn our_threaded_and_event_servers_pass_every_check() {
    for mode in ["threaded", "event"] {
        let server = ServerProcess::start("tcp-server", &["--mode", mode, "--quiet"]);
        let report = kit(Protocol::Tcp, server.address);
        assert!(report.all_passed(), "{mode}:\n{}", summary(&report));
    }
}

#[test]
fn our_iterative_server_fails_only_at_once() {
    let server = ServerProcess::start("tcp-server", &["--mode", "iterative", "--quiet"]);
    let report = kit(Protocol::Tcp, server.address);
    assert_eq!(report.failed(), ["at-once"], "\n{}", summary(&report));
    let at_once = report.check("at-once").expect("the check");
    assert_eq!(at_once.mistake, Some(Mistake::OneAtATime));
}

#[test]
fn our_udp_server_passes_every_check() {
    let server = ServerProcess::start("udp-server", &["--quiet"]);
    let report = kit(Protocol::Udp, server.address);
    assert!(report.all_passed(), "\n{}", summary(&report));
}

/// How a deliberately wrong server answers one read.
type Answer = fn(&[u8]) -> Vec<u8>;

/// `[` + a stamp + `] ` + data.
fn stamped(stamp: &str, data: &[u8]) -> Vec<u8> {
    [format!("[{stamp}] ").as_bytes(), data].concat()
}

/// The right answer.
fn right(data: &[u8]) -> Vec<u8> {
    stamped(&ctime_in_zone(), data)
}

/// Python 3's `'[%s] %s' % (ctime(), data)` with `data` still bytes.
fn python_bytes(data: &[u8]) -> Vec<u8> {
    let mut repr = String::from("b'");
    for &byte in data {
        match byte {
            b'\\' | b'\'' => repr.push_str(&format!("\\{}", byte as char)),
            b'\n' => repr.push_str("\\n"),
            b'\r' => repr.push_str("\\r"),
            b'\t' => repr.push_str("\\t"),
            0x20..=0x7e => repr.push(byte as char),
            _ => repr.push_str(&format!("\\x{byte:02x}")),
        }
    }
    repr.push('\'');
    format!("[{}] {repr}", ctime_in_zone()).into_bytes()
}

/// No space after `]`.
fn no_space(data: &[u8]) -> Vec<u8> {
    [format!("[{}]", ctime_in_zone()).as_bytes(), data].concat()
}

/// The time in UTC.
fn utc(data: &[u8]) -> Vec<u8> {
    let stamp = chrono::Utc::now().format("%a %b %e %H:%M:%S %Y");
    stamped(&stamp.to_string(), data)
}

/// Another layout: `2026-11-30 15:41:39`.
fn iso(data: &[u8]) -> Vec<u8> {
    let stamp = now_in_zone().format("%Y-%m-%d %H:%M:%S");
    stamped(&stamp.to_string(), data)
}

/// `strftime('%d')`: the day padded with a zero.
fn zero_padded_day(data: &[u8]) -> Vec<u8> {
    let stamp = now_in_zone().format("%a %b %d %H:%M:%S %Y");
    stamped(&stamp.to_string(), data)
}

/// A newline the client never sent.
fn extra_newline(data: &[u8]) -> Vec<u8> {
    [right(data), b"\n".to_vec()].concat()
}

/// Bytes that are not UTF-8 decoded with `errors='replace'`.
fn replaced(data: &[u8]) -> Vec<u8> {
    right(String::from_utf8_lossy(data).as_bytes())
}

/// `ctime()` taken once, when the server started, ten minutes ago.
fn frozen(data: &[u8]) -> Vec<u8> {
    static ONCE: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let started = || {
        let then = now_in_zone() - chrono::Duration::minutes(10);
        then.format("%a %b %e %H:%M:%S %Y").to_string()
    };
    stamped(ONCE.get_or_init(started), data)
}

/// How a deliberately wrong TCP server talks with one client.
#[derive(Clone, Copy)]
enum Talk {
    /// Answers each read with `Answer`, until the client leaves.
    Answers(Answer),
    /// Answers once, then closes the connection.
    OnceThenCloses,
    /// Decodes as UTF-8, and closes the connection when that fails.
    ClosesOnBadUtf8,
    /// Reads and never answers.
    Silent,
    /// Closes every connection at once.
    ClosesAtOnce,
    /// Sends replies without end.
    Forever,
}

/// How a deliberately wrong TCP server takes its clients.
#[derive(Clone, Copy, PartialEq)]
enum Serving {
    /// A thread per client.
    Threaded,
    /// One at a time, and a reset ends the whole server: the book's own Python server.
    BooksLoop,
    /// The first client only.
    EndsAfterFirst,
}

/// A small wrong server on loopback, stopped when dropped.
struct Fake {
    /// Where it listens.
    address: SocketAddr,
    /// Set to stop it.
    stop: Arc<AtomicBool>,
}

impl Drop for Fake {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wakes a TCP accept() or a UDP recv_from() so the flag is seen.
        let _ = TcpStream::connect_timeout(&self.address, Duration::from_millis(200));
        let _ = UdpSocket::bind("127.0.0.1:0").and_then(|s| s.send_to(b"stop", self.address));
    }
}

/// Serves TCP on loopback as `serving` and `talk` say. Bounded: at most 100 clients, and
/// every client's reads and writes time out.
fn fake_tcp(serving: Serving, talk: Talk) -> Fake {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let address = listener.local_addr().expect("address");
    let stop = Arc::new(AtomicBool::new(false));
    let stopped = Arc::clone(&stop);
    thread::spawn(move || {
        for _ in 0..100 {
            let Ok((stream, _)) = listener.accept() else {
                break;
            };
            if stopped.load(Ordering::SeqCst) {
                break;
            }
            let _ = stream.set_read_timeout(Some(PATIENCE));
            let _ = stream.set_write_timeout(Some(PATIENCE));
            match serving {
                Serving::Threaded => {
                    thread::spawn(move || talk_with(stream, talk));
                }
                Serving::BooksLoop => {
                    if let Err(error) = talk_with(stream, talk) {
                        if error.kind() == ErrorKind::ConnectionReset {
                            break; // `except Exception, e: raise e`
                        }
                    }
                }
                Serving::EndsAfterFirst => {
                    let _ = talk_with(stream, talk);
                    break;
                }
            }
        }
    });
    Fake { address, stop }
}

/// One client's conversation with a wrong server; bounded in reads and time.
fn talk_with(mut stream: TcpStream, talk: Talk) -> std::io::Result<()> {
    let mut buffer = [0; 1024];
    let started = Instant::now();
    for _ in 0..1000 {
        if matches!(talk, Talk::ClosesAtOnce) {
            return Ok(());
        }
        if matches!(talk, Talk::Forever) {
            while started.elapsed() < PATIENCE {
                stream.write_all(&right(b"and again\n"))?;
            }
            return Ok(());
        }
        let read = stream.read(&mut buffer)?;
        if read == 0 {
            return Ok(());
        }
        let data = &buffer[..read];
        match talk {
            Talk::Answers(answer) => stream.write_all(&answer(data))?,
            Talk::OnceThenCloses => return stream.write_all(&right(data)),
            Talk::ClosesOnBadUtf8 if std::str::from_utf8(data).is_err() => return Ok(()),
            Talk::ClosesOnBadUtf8 => stream.write_all(&right(data))?,
            _ => {} // Silent
        }
    }
    Ok(())
}

/// One wrong server, and what the kit must say of it: each check that fails, with the
/// mistake it names; every other check passes.
struct Case {
    /// What is wrong with it, for the failure message.
    what: &'static str,
    /// The server.
    fake: Fake,
    /// The checks that must fail, each naming its mistake.
    fails: Vec<(&'static str, Mistake)>,
}

/// Runs the kit against every case at once (each is mostly waiting), and reports every
/// case where the kit said something else.
fn judge_cases(protocol: Protocol, cases: Vec<Case>) {
    let judged: Vec<_> = cases
        .into_iter()
        .map(|case| {
            thread::spawn(move || {
                let case = case; // the whole case, its server included, lives to the end
                let started = Instant::now();
                let report = kit(protocol, case.fake.address);
                eprintln!("{}: {:?}", case.what, started.elapsed());
                let said: Vec<(&str, Option<Mistake>)> = report
                    .checks
                    .iter()
                    .filter(|check| !check.passed)
                    .map(|check| (check.name, check.mistake))
                    .collect();
                let want: Vec<(&str, Option<Mistake>)> = case
                    .fails
                    .iter()
                    .map(|&(name, mistake)| (name, Some(mistake)))
                    .collect();
                (said != want).then(|| {
                    format!(
                        "{}: want {want:?}, the kit said\n{}",
                        case.what,
                        summary(&report)
                    )
                })
            })
        })
        .collect();
    let wrong: Vec<String> = judged
        .into_iter()
        .filter_map(|case| case.join().expect("the kit ran"))
        .collect();
    assert!(wrong.is_empty(), "\n{}", wrong.join("\n\n"));
}

#[test]
fn each_common_tcp_mistake_is_named_and_the_other_checks_pass() {
    use Mistake::*;
    let answers = |answer| fake_tcp(Serving::Threaded, Talk::Answers(answer));
    // strftime('%d') differs from ctime on days 1 to 9 only.
    let padded_day_shows = now_in_zone().format("%d").to_string().starts_with('0');
    let cases = vec![
        Case {
            what: "a right server",
            fake: answers(right),
            fails: vec![],
        },
        Case {
            what: "b'...'",
            fake: answers(python_bytes),
            fails: vec![("reply", PythonBytes)],
        },
        Case {
            what: "no space after ]",
            fake: answers(no_space),
            fails: vec![("reply", NoSpace)],
        },
        Case {
            what: "UTC",
            fake: answers(utc),
            fails: vec![("time", Utc)],
        },
        Case {
            what: "another layout",
            fake: answers(iso),
            fails: vec![("reply", OtherLayout)],
        },
        Case {
            what: "strftime('%d')",
            fake: answers(zero_padded_day),
            fails: match padded_day_shows {
                true => vec![("reply", ZeroPaddedDay)],
                false => vec![],
            },
        },
        Case {
            what: "an extra newline",
            fake: answers(extra_newline),
            fails: vec![("reply", ExtraNewline)],
        },
        Case {
            what: "errors='replace'",
            fake: answers(replaced),
            fails: vec![("not-utf8", Replaced)],
        },
        Case {
            what: "ctime() taken once",
            fake: answers(frozen),
            fails: vec![("time", FrozenStamp)],
        },
        Case {
            what: "closing after one reply",
            fake: fake_tcp(Serving::Threaded, Talk::OnceThenCloses),
            fails: vec![
                ("several", ClosesAfterOneReply),
                ("long", ClosesAfterOneReply),
            ],
        },
        Case {
            what: "a failed decode",
            fake: fake_tcp(Serving::Threaded, Talk::ClosesOnBadUtf8),
            fails: vec![("not-utf8", FailedDecode)],
        },
        Case {
            what: "the book's loop, which dies on a reset",
            fake: fake_tcp(Serving::BooksLoop, Talk::Answers(right)),
            fails: vec![("at-once", OneAtATime), ("reset", DiesOnReset)],
        },
        Case {
            what: "ending after the first client",
            fake: fake_tcp(Serving::EndsAfterFirst, Talk::Answers(right)),
            fails: tests::lab::Protocol::Tcp.checks()[1..]
                .iter()
                .map(|&name| (name, EndsAfterFirstClient))
                .collect(),
        },
    ];
    judge_cases(Protocol::Tcp, cases);
}

#[test]
fn a_server_that_never_answers_fails_every_check_in_bounded_time() {
    let fake = fake_tcp(Serving::Threaded, Talk::Silent);
    let started = Instant::now();
    let report = kit(Protocol::Tcp, fake.address);
    // Two checks wait for their replies; the rest are not tried.
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "{:?}",
        started.elapsed()
    );
    assert!(
        report.checks.iter().all(|check| !check.passed),
        "\n{}",
        summary(&report)
    );
    assert_eq!(
        report.check("reply").and_then(|check| check.mistake),
        Some(Mistake::Silent)
    );
}

#[test]
fn a_server_that_closes_at_once_or_answers_forever_ends_the_kit_quickly() {
    for (talk, mistake) in [
        (Talk::ClosesAtOnce, Mistake::ClosedWithoutReply),
        (Talk::Forever, Mistake::AnswersForever),
    ] {
        let fake = fake_tcp(Serving::Threaded, talk);
        let started = Instant::now();
        let report = kit(Protocol::Tcp, fake.address);
        let took = started.elapsed();
        assert!(took < Duration::from_secs(20), "{mistake:?}: {took:?}");
        let reply = report.check("reply").expect("the check");
        assert_eq!(reply.mistake, Some(mistake), "\n{}", summary(&report));
        assert!(!report.all_passed());
        // Closing on every message is not a failed decode of the one that is not UTF-8.
        for check in &report.checks {
            assert_ne!(
                check.mistake,
                Some(Mistake::FailedDecode),
                "{}",
                check.detail
            );
        }
    }
}

#[test]
fn nothing_listening_fails_every_check_at_once() {
    // Ports that were free a moment ago, and are closed now.
    let tcp = TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port");
    let udp = UdpSocket::bind("127.0.0.1:0")
        .and_then(|socket| socket.local_addr())
        .expect("a free port");
    for (protocol, address) in [(Protocol::Tcp, tcp), (Protocol::Udp, udp)] {
        let started = Instant::now();
        let report = kit(protocol, address);
        let took = started.elapsed();
        assert!(took < Duration::from_secs(2), "{protocol}: {took:?}");
        for check in &report.checks {
            assert!(!check.passed, "{protocol} {}", check.name);
            assert_eq!(
                check.mistake,
                Some(Mistake::NotListening),
                "{}",
                check.detail
            );
        }
    }
}

/// How a deliberately wrong UDP server answers.
#[derive(Clone, Copy)]
enum Datagrams {
    /// Answers each datagram with `Answer`, from its own socket, to the sender.
    Answers(Answer),
    /// Answers right, but from another socket (another port).
    FromAnotherSocket,
    /// Never answers.
    Silent,
}

/// Serves UDP on loopback as `how` says. Bounded: at most 1000 datagrams, and it stops within
/// a second of its [`Fake`] being dropped.
fn fake_udp(how: Datagrams) -> Fake {
    let socket = UdpSocket::bind("127.0.0.1:0").expect("bind");
    let address = socket.local_addr().expect("address");
    let stop = Arc::new(AtomicBool::new(false));
    let stopped = Arc::clone(&stop);
    socket
        .set_read_timeout(Some(Duration::from_secs(1)))
        .expect("timeout");
    thread::spawn(move || {
        let mut buffer = [0; 2048];
        let started = Instant::now();
        for _ in 0..1000 {
            if stopped.load(Ordering::SeqCst) || started.elapsed() > BOUND {
                break;
            }
            let Ok((len, from)) = socket.recv_from(&mut buffer) else {
                continue;
            };
            let data = &buffer[..len];
            let _ = match how {
                Datagrams::Answers(answer) => socket.send_to(&answer(data), from),
                Datagrams::FromAnotherSocket => UdpSocket::bind("127.0.0.1:0")
                    .and_then(|other| other.send_to(&right(data), from)),
                Datagrams::Silent => Ok(0),
            };
        }
    });
    Fake { address, stop }
}

#[test]
fn each_common_udp_mistake_is_named_and_the_other_checks_pass() {
    use Mistake::*;
    let cases = vec![
        Case {
            what: "a right server",
            fake: fake_udp(Datagrams::Answers(right)),
            fails: vec![],
        },
        Case {
            what: "b'...'",
            fake: fake_udp(Datagrams::Answers(python_bytes)),
            fails: vec![("reply", PythonBytes)],
        },
        Case {
            what: "UTC",
            fake: fake_udp(Datagrams::Answers(utc)),
            fails: vec![("time", Utc)],
        },
        Case {
            what: "replying from another port",
            fake: fake_udp(Datagrams::FromAnotherSocket),
            fails: vec![("source", WrongSource)],
        },
    ];
    judge_cases(Protocol::Udp, cases);
}

#[test]
fn a_silent_udp_server_fails_every_check_in_bounded_time() {
    let fake = fake_udp(Datagrams::Silent);
    let started = Instant::now();
    let report = kit(Protocol::Udp, fake.address);
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "{:?}",
        started.elapsed()
    );
    assert!(
        report.checks.iter().all(|check| !check.passed),
        "\n{}",
        summary(&report)
    );
    assert_eq!(
        report.check("reply").and_then(|check| check.mistake),
        Some(Mistake::Silent)
    );
}

/// The `lab-check` program, in the zone our servers run in (it compares with its own local
/// time), with messages in `language`.
fn lab_check(args: &[&str], language: &str) -> tests::Finished {
    let mut command = Command::new(env!("CARGO_BIN_EXE_lab-check"));
    command
        .args(args)
        .env("TZ", tests::ZONE)
        .env("LC_ALL", language)
        .env_remove("RUST_BACKTRACE");
    run_command(&mut command, b"", BOUND + PATIENCE)
}

#[test]
fn the_program_prints_a_line_per_check_and_a_summary_and_exits_0_or_1() {
    if tests::launched() {
        return; // our servers run under a launcher, in UTC: the program here is native
    }
    let good = ServerProcess::start("tcp-server", &["--quiet"]);
    let address = good.address.to_string();
    let done = lab_check(&["tcp", &address], "C");
    assert_eq!(done.code(), 0, "{}", done.stderr);
    let lines = done.lines();
    assert_eq!(lines.len(), Protocol::Tcp.checks().len() + 1, "{lines:?}");
    for (line, name) in lines.iter().zip(Protocol::Tcp.checks()) {
        assert_eq!(line, &format!("PASS {name}"));
    }
    assert!(
        lines[lines.len() - 1].contains("all 9 checks passed"),
        "{lines:?}"
    );

    let wrong = fake_tcp(Serving::Threaded, Talk::Answers(python_bytes));
    let done = lab_check(&["tcp", &wrong.address.to_string()], "C");
    assert_eq!(done.code(), 1, "{}", done.stderr);
    let text = String::from_utf8_lossy(&done.stdout).into_owned();
    assert!(text.contains("FAIL reply: got \"["), "{text}");
    assert!(text.contains("b'hello'"), "{text}");
    assert!(text.contains("8 of 9 checks passed, 1 failed"), "{text}");

    // The reader's language: Chinese words, the same PASS/FAIL lines.
    let done = lab_check(&["tcp", &wrong.address.to_string()], "zh_CN.UTF-8");
    let text = String::from_utf8_lossy(&done.stdout).into_owned();
    assert!(text.contains("FAIL reply: 收到"), "{text}");
    assert!(text.contains("项检查中通过 8 项"), "{text}");
}

#[test]
fn the_program_prints_json_with_the_same_checks_and_status() {
    if tests::launched() {
        return;
    }
    let server = ServerProcess::start("tcp-server", &["--mode", "iterative", "--quiet"]);
    let address = server.address.to_string();
    let done = lab_check(&["tcp", &address, "--json"], "C");
    assert_eq!(done.code(), 1, "{}", done.stderr);
    let json = String::from_utf8_lossy(&done.stdout).into_owned();
    assert!(
        json.starts_with(&format!(
            "{{\"target\": \"{address}\", \"protocol\": \"tcp\", \"checks\": [{{\"name\": \"reply\", \"passed\": true, \"detail\": "
        )),
        "{json}"
    );
    assert!(
        json.contains("{\"name\": \"at-once\", \"passed\": false, \"detail\": \"of 5 clients"),
        "{json}"
    );
    assert_eq!(json.matches("\"passed\": true").count(), 8, "{json}");
    assert_eq!(json.trim_end().lines().count(), 1, "one object: {json}");

    let udp = ServerProcess::start("udp-server", &["--quiet"]);
    let done = lab_check(&["udp", &udp.address.to_string(), "--json"], "C");
    assert_eq!(done.code(), 0, "{}", String::from_utf8_lossy(&done.stdout));
    assert!(
        String::from_utf8_lossy(&done.stdout).contains("\"protocol\": \"udp\""),
        "{done:?}"
    );
}

#[test]
fn usage_errors_exit_2_and_nothing_listening_exits_1_at_once() {
    for args in [
        &[][..],
        &["sctp", "127.0.0.1:21567"],
        &["tcp"],
        &["tcp", "127.0.0.1:99999"],
        &["tcp", "127.0.0.1:21567", "--csv", "out.csv"],
        &["--room", "/no/such/room/file"],
    ] {
        let done = lab_check(args, "C");
        assert_eq!(done.code(), 2, "{args:?}: {}", done.stderr);
        assert!(!done.stderr.contains("panicked"), "{}", done.stderr);
    }
    let closed = TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .to_string();
    let started = Instant::now();
    let done = lab_check(&["tcp", &closed], "C");
    assert_eq!(done.code(), 1);
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(
        String::from_utf8_lossy(&done.stdout).contains("connection refused"),
        "{done:?}"
    );
}

/// Writes a room file into a temporary folder of this test's own.
fn room_file(name: &str, text: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("lab-check-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temporary folder");
    let path = dir.join("room.txt");
    std::fs::write(&path, text).expect("the room file");
    path
}

#[test]
fn a_room_of_30_servers_is_checked_in_under_a_minute() {
    if tests::launched() {
        return;
    }
    // A room as a teacher sees it: mostly TCP servers, some UDP ones.
    let servers: Vec<(String, &str, ServerProcess)> = (0..30)
        .map(|i| {
            let (protocol, program, args) = match i % 6 {
                5 => ("udp", "udp-server", &["--quiet"][..]),
                4 => ("tcp", "tcp-server", &["--quiet", "--mode", "event"][..]),
                _ => ("tcp", "tcp-server", &["--quiet"][..]),
            };
            (
                format!("student{i:02}"),
                protocol,
                ServerProcess::start(program, args),
            )
        })
        .collect();
    let mut room = String::from("# lab 16, Monday\n\n");
    for (name, protocol, server) in &servers {
        room.push_str(&format!("{name} {protocol} {}\n", server.address));
    }
    let path = room_file("thirty", &room);
    let csv = path.with_file_name("grades.csv");
    let started = Instant::now();
    let done = lab_check(
        &[
            "--room",
            &path.to_string_lossy(),
            "--csv",
            &csv.to_string_lossy(),
        ],
        "C",
    );
    let took = started.elapsed();
    eprintln!("lab-check --room: 30 servers in {took:?}");
    assert!(took < BOUND, "30 servers took {took:?}");
    assert_eq!(
        done.code(),
        0,
        "{}\n{}",
        String::from_utf8_lossy(&done.stdout),
        done.stderr
    );
    // Progress while it ran: a line per student on stderr.
    assert_eq!(
        done.stderr
            .lines()
            .filter(|line| line.starts_with('['))
            .count(),
        30
    );
    let lines = done.lines();
    let header: Vec<&str> = lines[0].split_whitespace().collect();
    assert_eq!(
        header[..4],
        ["student", "protocol", "address", "reply"],
        "{lines:?}"
    );
    assert_eq!(header.last(), Some(&"passed"), "{lines:?}");
    for (name, _, _) in &servers {
        let row = lines
            .iter()
            .find(|line| line.starts_with(name.as_str()))
            .unwrap_or_else(|| panic!("no row for {name}"));
        assert!(!row.contains("FAIL"), "{row}");
    }
    assert!(
        lines
            .iter()
            .any(|line| line.contains("30 of 30 servers passed every check")),
        "{lines:?}"
    );
    let table = std::fs::read_to_string(&csv).expect("the CSV");
    let rows: Vec<&str> = table.lines().collect();
    assert_eq!(rows.len(), 31, "{table}");
    assert!(
        rows[0].starts_with("name,protocol,address,reply,time,"),
        "{}",
        rows[0]
    );
    assert!(
        rows[1].starts_with("student00,tcp,127.0.0.1:"),
        "{}",
        rows[1]
    );
    let _ = std::fs::remove_dir_all(path.parent().expect("its folder"));
}

#[test]
fn a_room_names_each_failure_beside_its_student() {
    if tests::launched() {
        return;
    }
    let good = ServerProcess::start("tcp-server", &["--quiet"]);
    let wrong = fake_tcp(Serving::Threaded, Talk::Answers(no_space));
    let closed = UdpSocket::bind("127.0.0.1:0")
        .and_then(|socket| socket.local_addr())
        .expect("a free port");
    let room = format!(
        "alice tcp {}\nbob tcp {}  # the back row\n\n王小明 udp {closed}\n",
        good.address, wrong.address
    );
    let path = room_file("three", &room);
    let csv = path.with_file_name("grades.csv");
    let done = lab_check(
        &[
            "--room",
            &path.to_string_lossy(),
            "--csv",
            &csv.to_string_lossy(),
        ],
        "C",
    );
    assert_eq!(done.code(), 1, "{}", done.stderr);
    let text = String::from_utf8_lossy(&done.stdout).into_owned();
    assert!(text.contains("bob: FAIL reply: got"), "{text}");
    assert!(text.contains("no space after `]`"), "{text}");
    // Every check failed for one reason: said once.
    let all = "王小明: FAIL reply, time, several, senders, source, chinese, not-utf8, vanished: nothing is listening";
    assert!(text.contains(all), "{text}");
    assert!(text.contains("1 of 3 servers passed every check"), "{text}");
    let table = std::fs::read_to_string(&csv).expect("the CSV");
    let bob = table
        .lines()
        .find(|line| line.starts_with("bob,"))
        .expect("bob's row");
    assert!(
        bob.starts_with(&format!("bob,tcp,{},fail,pass,", wrong.address)),
        "{bob}"
    );
    let _ = std::fs::remove_dir_all(path.parent().expect("its folder"));
}
