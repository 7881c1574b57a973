//! The grading kit, `lab-check`, checked end to end: against our own servers (they must pass,
//! the iterative one failing only "at once"), against small deliberately wrong servers
//! written here (one mistake each: the kit must name it and pass the rest), against servers
//! that are gone, crash, never answer, answer forever, or listen on one interface only.
//!
//! The kit's checks are `tests::lab`, the very code the `lab-check` program runs; the tests
//! in `lab_check/program.rs`, `lab_check/room.rs` and `lab_check/board.rs` run the program itself: its lines, JSON,
//! usage errors, a room's table, gradebook and transcripts, hostile rosters, the room's time
//! zone, re-grading, and the live board on a terminal.
//!
//! Each test runs its cases at once (each is mostly waiting), so the file stays quick.

#[cfg(target_os = "linux")]
mod board;
mod fakes;
mod program;
mod room;

use std::net::SocketAddr;
use std::thread;
use std::time::{Duration, Instant};

use fakes::{Datagrams, Fake, Serving, Talk, fake_tcp, fake_tcp_at, fake_udp, fake_udp_at};
use tests::ServerProcess;
use tests::lab::{self, Clock, Mistake, Patience, Protocol, Report, Settings};

/// The most the kit may take for one server, whatever the server does.
const BOUND: Duration = Duration::from_secs(60);

/// Runs the kit against `address` with the default waits, comparing stamps with the zone our
/// programs run in.
fn kit(protocol: Protocol, address: SocketAddr) -> Report {
    kit_with(protocol, address, Patience::default())
}

/// Runs the kit against `address`, waiting as `patience` says.
fn kit_with(protocol: Protocol, address: SocketAddr, patience: Patience) -> Report {
    let settings = Settings {
        clock: Clock::Given(tests::now_in_zone),
        patience,
        ..Settings::default()
    };
    let started = Instant::now();
    let report = lab::check_with(&address.to_string(), protocol, address, &settings);
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

/// Quick waits, for a server that is expected to stay silent.
fn quick() -> Patience {
    Patience::new(Duration::from_millis(500))
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

/// Something to do on a thread of its own.
type Job<T> = Box<dyn FnOnce() -> T + Send>;

/// Runs each job on a thread of its own, and gives their results in order.
fn at_once<T: Send + 'static>(jobs: Vec<Job<T>>) -> Vec<T> {
    let running: Vec<_> = jobs.into_iter().map(thread::spawn).collect();
    running
        .into_iter()
        .map(|job| job.join().expect("the job ran"))
        .collect()
}

#[test]
fn our_servers_pass_every_check_and_the_iterative_one_fails_only_at_once() {
    let servers = [
        (
            "threaded",
            Protocol::Tcp,
            "tcp-server",
            &["--mode", "threaded"][..],
        ),
        (
            "event",
            Protocol::Tcp,
            "tcp-server",
            &["--mode", "event"][..],
        ),
        (
            "iterative",
            Protocol::Tcp,
            "tcp-server",
            &["--mode", "iterative"][..],
        ),
        ("udp", Protocol::Udp, "udp-server", &[][..]),
    ];
    let jobs: Vec<Job<(String, Report)>> = servers
        .iter()
        .map(|&(what, protocol, program, args)| {
            let mut args = args.to_vec();
            args.push("--quiet");
            let server = ServerProcess::start(program, &args);
            let job = move || {
                // The iterative server keeps 4 of 5 clients waiting: a shorter wait shows it.
                let patience = if what == "iterative" {
                    Patience::new(Duration::from_secs(1))
                } else {
                    Patience::default()
                };
                let report = kit_with(protocol, server.address, patience);
                drop(server);
                (what.to_string(), report)
            };
            Box::new(job) as Job<(String, Report)>
        })
        .collect();
    for (what, report) in at_once(jobs) {
        if what == "iterative" {
            assert_eq!(report.failed(), ["at-once"], "\n{}", summary(&report));
            let at_once = report.check("at-once").expect("the check");
            assert_eq!(at_once.mistake, Some(Mistake::OneAtATime));
            assert_eq!((report.points(), report.most_points()), (9, 10));
        } else {
            assert!(report.all_passed(), "{what}:\n{}", summary(&report));
            assert_eq!((report.points(), report.most_points()), (10, 10));
        }
    }
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
/// case where the kit said something else; gives each case's report.
fn judge_cases(protocol: Protocol, cases: Vec<Case>) -> Vec<(&'static str, Report)> {
    let judged: Vec<_> = cases
        .into_iter()
        // Under a launcher every stamp of the run is in UTC (`tests::tz`): a UTC stamp is
        // right there, and its case has nothing to show.
        .filter(|case| !(tests::launched() && case.what == "UTC"))
        .map(|case| {
            thread::spawn(move || {
                let case = case; // the whole case, its server included, lives to the end
                // Our fakes answer on loopback in microseconds: a second is patience enough.
                let patience = Patience::new(Duration::from_secs(1));
                let report = kit_with(protocol, case.fake.address, patience);
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
                let wrong = (said != want).then(|| {
                    format!(
                        "{}: want {want:?}, the kit said\n{}",
                        case.what,
                        summary(&report)
                    )
                });
                (case.what, report, wrong)
            })
        })
        .collect();
    let mut reports = Vec::new();
    let mut wrong = Vec::new();
    for case in judged {
        let (what, report, said) = case.join().expect("the kit ran");
        wrong.extend(said);
        reports.push((what, report));
    }
    assert!(wrong.is_empty(), "\n{}", wrong.join("\n\n"));
    reports
}

#[test]
fn each_common_tcp_mistake_is_named_and_the_other_checks_pass() {
    use Mistake::*;
    let answers = |answer| fake_tcp(Serving::Threaded, Talk::Answers(answer));
    // strftime('%d') differs from ctime on days 1 to 9 only.
    let padded_day_shows = tests::now_in_zone()
        .format("%d")
        .to_string()
        .starts_with('0');
    let cases = vec![
        Case {
            what: "a right server",
            fake: answers(fakes::right),
            fails: vec![],
        },
        Case {
            what: "b'...'",
            fake: answers(fakes::python_bytes),
            fails: vec![("reply", PythonBytes)],
        },
        Case {
            what: "no space after ]",
            fake: answers(fakes::no_space),
            fails: vec![("reply", NoSpace)],
        },
        Case {
            what: "UTC",
            fake: answers(fakes::utc),
            fails: vec![("time", Utc)],
        },
        Case {
            what: "another layout",
            fake: answers(fakes::iso),
            fails: vec![("reply", OtherLayout)],
        },
        Case {
            what: "strftime('%d')",
            fake: answers(fakes::zero_padded_day),
            fails: match padded_day_shows {
                true => vec![("reply", ZeroPaddedDay)],
                false => vec![],
            },
        },
        Case {
            what: "an extra newline",
            fake: answers(fakes::extra_newline),
            fails: vec![("reply", ExtraNewline)],
        },
        Case {
            what: "C's ctime() newline inside the brackets",
            fake: answers(fakes::ctime_newline),
            fails: vec![("reply", CtimeNewline)],
        },
        Case {
            what: "Java's zero-filled buffer",
            fake: answers(fakes::zero_filled),
            fails: vec![("reply", ZeroFilled)],
        },
        Case {
            what: "two replies for one message",
            fake: answers(fakes::twice),
            fails: vec![("reply", TwoReplies)],
        },
        Case {
            what: "errors='replace'",
            fake: answers(fakes::replaced),
            fails: vec![("not-utf8", Replaced)],
        },
        Case {
            what: "ctime() taken once",
            fake: answers(fakes::frozen),
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
            what: "a thread that dies on Chinese",
            fake: fake_tcp(Serving::Threaded, Talk::DiesOnNonAscii),
            fails: vec![("chinese", FailsOnChinese), ("not-utf8", FailedDecode)],
        },
        Case {
            what: "threads sharing one connection",
            fake: fake_tcp(Serving::SharedConnection, Talk::Silent),
            fails: vec![("at-once", WrongAddress)],
        },
        Case {
            what: "the book's loop, which dies on a reset",
            fake: fake_tcp(Serving::BooksLoop, Talk::Answers(fakes::right)),
            fails: vec![("at-once", OneAtATime), ("reset", DiesOnReset)],
        },
        Case {
            what: "ending after the first client",
            fake: fake_tcp(Serving::EndsAfterFirst, Talk::Answers(fakes::right)),
            fails: Protocol::Tcp.checks()[1..]
                .iter()
                .map(|&name| (name, EndsAfterFirstClient))
                .collect(),
        },
    ];
    let reports = judge_cases(Protocol::Tcp, cases);
    // What the student reads: the mistake in the student's words, the bytes shown compactly.
    // The kit runs in this process, so it speaks the language of the machine running the tests.
    let (c_ctime, newline) = if common::lang::chinese() {
        ("C 的 ctime()", "换行")
    } else {
        ("C's ctime()", "newline")
    };
    for (what, report) in reports {
        let reply = &report.check("reply").expect("the check").detail;
        if what == "Java's zero-filled buffer" {
            assert!(reply.contains("1019 × \"\\0\""), "{reply}");
            assert!(!reply.contains("\\0\\0\\0"), "{reply}");
        }
        if what == "C's ctime() newline inside the brackets" {
            assert!(
                reply.contains(c_ctime) && !reply.contains("time.ctime()"),
                "{reply}"
            );
        }
        if what == "a thread that dies on Chinese" {
            let said = &report.check("chinese").expect("the check").detail;
            assert!(!said.contains(newline), "{said}");
        }
    }
}

#[test]
fn each_common_udp_mistake_is_named_and_the_other_checks_pass() {
    use Mistake::*;
    let cases = vec![
        Case {
            what: "a right server",
            fake: fake_udp(Datagrams::Answers(fakes::right)),
            fails: vec![],
        },
        Case {
            what: "b'...'",
            fake: fake_udp(Datagrams::Answers(fakes::python_bytes)),
            fails: vec![("reply", PythonBytes)],
        },
        Case {
            what: "UTC",
            fake: fake_udp(Datagrams::Answers(fakes::utc)),
            fails: vec![("time", Utc)],
        },
        Case {
            what: "replying from another port",
            fake: fake_udp(Datagrams::FromAnotherSocket),
            fails: vec![("source", WrongSource)],
        },
        Case {
            what: "recvfrom(10)",
            fake: fake_udp(Datagrams::CutAt10),
            fails: vec![("senders", Cut), ("chinese", Cut), ("not-utf8", Cut)],
        },
        Case {
            what: "two replies for one datagram",
            fake: fake_udp(Datagrams::Twice),
            fails: vec![("reply", TwoReplies), ("several", TwoReplies)],
        },
        Case {
            what: "silent on bytes that are not ASCII",
            fake: fake_udp(Datagrams::SilentOnNonAscii),
            fails: vec![("chinese", FailsOnChinese), ("not-utf8", FailedDecode)],
        },
    ];
    let reports = judge_cases(Protocol::Udp, cases);
    for (what, report) in reports {
        if what == "recvfrom(10)" {
            let senders = &report.check("senders").expect("the check").detail;
            assert!(senders.contains("recvfrom(10)"), "{senders}");
            assert!(!senders.contains("earlier client"), "{senders}");
        }
    }
}

#[test]
fn servers_gone_crashed_silent_flooding_or_on_one_interface_are_named_in_bounded_time() {
    use Mistake::*;
    /// Checks every check of the kit's report on `fake` names `mistake`, within `limit`.
    fn all_say(
        protocol: Protocol,
        fake: Fake,
        mistake: Mistake,
        limit: Duration,
    ) -> Job<Option<String>> {
        Box::new(move || {
            let fake = fake; // the whole server lives to the end, not only its address
            let started = Instant::now();
            let report = kit_with(protocol, fake.address, quick());
            let took = started.elapsed();
            let wrong = report
                .checks
                .iter()
                .any(|check| check.passed || check.mistake != Some(mistake));
            (wrong || took > limit)
                .then(|| format!("{protocol} {mistake:?} in {took:?}:\n{}", summary(&report)))
        })
    }
    let mut jobs: Vec<Job<Option<String>>> = vec![
        all_say(
            Protocol::Tcp,
            fake_tcp(Serving::Threaded, Talk::Silent),
            Silent,
            Duration::from_secs(6),
        ),
        all_say(
            Protocol::Udp,
            fake_udp(Datagrams::Silent),
            Silent,
            Duration::from_secs(6),
        ),
        all_say(
            Protocol::Tcp,
            fake_tcp(Serving::Threaded, Talk::ClosesAtOnce),
            ClosedWithoutReply,
            Duration::from_secs(6),
        ),
        all_say(
            Protocol::Tcp,
            fake_tcp(Serving::DiesOnFirstMessage, Talk::Silent),
            CrashedOnFirstMessage,
            Duration::from_secs(3),
        ),
        all_say(
            Protocol::Udp,
            fake_udp(Datagrams::DiesOnFirst),
            CrashedOnFirstMessage,
            Duration::from_secs(4),
        ),
    ];
    // Nothing listening: every check fails at once.
    let closed_tcp = tests::ClosedPort::new();
    for (protocol, address) in [
        (Protocol::Tcp, closed_tcp.address()),
        (Protocol::Udp, fakes::closed_udp_port()),
    ] {
        jobs.push(Box::new(move || {
            let started = Instant::now();
            let report = kit(protocol, address);
            let took = started.elapsed();
            let wrong = report
                .checks
                .iter()
                .any(|check| check.passed || check.mistake != Some(NotListening));
            (wrong || took > Duration::from_secs(2)).then(|| {
                format!(
                    "{protocol} nothing listening, {took:?}:\n{}",
                    summary(&report)
                )
            })
        }));
    }
    // A server that floods every connection answers nobody: not even at once.
    let flood = fake_tcp(Serving::Threaded, Talk::Forever);
    jobs.push(Box::new(move || {
        let flood = flood; // the whole server lives to the end, not only its address
        let report = kit(Protocol::Tcp, flood.address);
        let named = |name| report.check(name).and_then(|check| check.mistake);
        let fine =
            named("reply") == Some(AnswersForever) && named("at-once") == Some(AnswersForever);
        (!fine).then(|| format!("flood:\n{}", summary(&report)))
    }));
    // A server on ::1 only, checked at 127.0.0.1 (and one on 127.0.0.1 checked at ::1): it
    // listens on one interface, which the kit can tell on the server's own machine.
    for protocol in [Protocol::Tcp, Protocol::Udp] {
        let Some((fake, asked)) = one_interface(protocol) else {
            eprintln!("skipped: no IPv6 loopback here to listen on");
            continue;
        };
        jobs.push(Box::new(move || {
            let report = kit(protocol, asked);
            let first = report.check("reply").expect("the check");
            let fine = report
                .checks
                .iter()
                .all(|check| check.mistake == Some(OneInterfaceOnly))
                && first.detail.contains("HOST = ''")
                && first.detail.contains("--host 0.0.0.0");
            drop(fake);
            (!fine).then(|| format!("{protocol} on one interface:\n{}", summary(&report)))
        }));
    }
    let wrong: Vec<String> = at_once(jobs).into_iter().flatten().collect();
    assert!(wrong.is_empty(), "\n{}", wrong.join("\n\n"));
}

/// A right server on one loopback address, and the other loopback address with its port,
/// where nothing listens; `None` where there is no IPv6 loopback, or the port is taken there.
fn one_interface(protocol: Protocol) -> Option<(Fake, SocketAddr)> {
    for _ in 0..5 {
        let fake = match protocol {
            Protocol::Tcp => {
                fake_tcp_at("[::1]:0", Serving::Threaded, Talk::Answers(fakes::right))?
            }
            Protocol::Udp => fake_udp_at("[::1]:0", Datagrams::Answers(fakes::right))?,
        };
        let asked = SocketAddr::from(([127, 0, 0, 1], fake.address.port()));
        let free = match protocol {
            Protocol::Tcp => std::net::TcpListener::bind(asked).is_ok(),
            Protocol::Udp => std::net::UdpSocket::bind(asked).is_ok(),
        };
        if free {
            return Some((fake, asked));
        }
    }
    None
}
