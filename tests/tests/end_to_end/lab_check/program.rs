//! The `lab-check` program for one server: its lines and summary with the points, JSON, the
//! exit status, usage errors, a transcript, and what `--checks`, `--points` and `--tz` change.

use std::process::Command;
use std::time::{Duration, Instant};

use tests::{Finished, PATIENCE, ServerProcess, run_command};

use super::fakes::{self, Serving, Talk, fake_tcp};
use super::{BOUND, Job, at_once};

/// The `lab-check` program, in the zone our servers run in (it compares with its own local
/// time), with messages in `language`, into a pipe.
pub fn lab_check(args: &[&str], language: &str) -> Finished {
    lab_check_env(args, &[("LC_ALL", language)])
}

/// The `lab-check` program with `vars` set, in the zone our servers run in, into a pipe.
pub fn lab_check_env(args: &[&str], vars: &[(&str, &str)]) -> Finished {
    let mut command = Command::new(env!("CARGO_BIN_EXE_lab-check"));
    command
        .args(args)
        .env("TZ", tests::tz())
        .env("LC_ALL", "C")
        .env_remove("COLUMNS")
        .env_remove("RUST_BACKTRACE")
        .envs(vars.iter().copied());
    run_command(&mut command, b"", BOUND + PATIENCE)
}

/// The program's stdout as text.
pub fn out(done: &Finished) -> String {
    String::from_utf8_lossy(&done.stdout).into_owned()
}

/// A folder of this test's own under the system's temporary one, empty.
pub fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("lab-check-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a temporary folder");
    dir
}

#[test]
fn the_program_prints_lines_json_points_and_transcripts_and_exits_0_or_1() {
    if tests::launched() {
        return; // our servers run under a launcher, in UTC: the program here is native
    }
    let good = ServerProcess::start("tcp-server", &["--quiet"]);
    let iterative = ServerProcess::start("tcp-server", &["--mode", "iterative", "--quiet"]);
    let udp = ServerProcess::start("udp-server", &["--quiet"]);
    let wrong = fake_tcp(Serving::Threaded, Talk::Answers(fakes::python_bytes));
    let shanghai = fake_tcp(Serving::Threaded, Talk::Answers(fakes::shanghai));
    let logs = scratch("logs");
    let [good, iterative, udp, wrong, shanghai] = [
        good.address,
        iterative.address,
        udp.address,
        wrong.address,
        shanghai.address,
    ]
    .map(|address| address.to_string());
    let log = logs.to_string_lossy().into_owned();
    let runs: Vec<(Vec<&str>, &str)> = vec![
        (vec!["tcp", &good], "C"),
        (vec!["tcp", &wrong], "C"),
        (vec!["tcp", &wrong], "zh_CN.UTF-8"),
        (
            vec!["tcp", &iterative, "--json", "--reply-timeout", "1"],
            "C",
        ),
        (vec!["udp", &udp, "--json"], "C"),
        (
            vec![
                "tcp",
                &good,
                "--checks",
                "reply,several",
                "--points",
                "reply=5",
                "--json",
            ],
            "C",
        ),
        (vec!["tcp", &shanghai, "--checks", "reply,time"], "C"),
        (
            vec!["tcp", &shanghai, "--checks", "reply,time", "--tz", "+08:00"],
            "C",
        ),
        (vec!["tcp", &good, "--checks", "reply", "--log", &log], "C"),
    ];
    let jobs: Vec<Job<Finished>> = runs
        .iter()
        .map(|(args, language)| {
            let args: Vec<String> = args.iter().map(|arg| arg.to_string()).collect();
            let language = language.to_string();
            Box::new(move || {
                let args: Vec<&str> = args.iter().map(String::as_str).collect();
                lab_check(&args, &language)
            }) as Job<Finished>
        })
        .collect();
    let done = at_once(jobs);

    // A good server: a PASS line per check, and the summary with the points.
    assert_eq!(done[0].code(), 0, "{}", done[0].stderr);
    let lines = done[0].lines();
    let checks = tests::lab::Protocol::Tcp.checks();
    assert_eq!(lines.len(), checks.len() + 1, "{lines:?}");
    for (line, name) in lines.iter().zip(&checks) {
        assert_eq!(line, &format!("PASS {name}"));
    }
    let last = &lines[lines.len() - 1];
    assert!(
        last.contains("all 9 checks passed") && last.contains("(10/10 points)"),
        "{last}"
    );

    // A wrong one: what came, what it means, the points.
    let text = out(&done[1]);
    assert_eq!(done[1].code(), 1, "{}", done[1].stderr);
    assert!(text.contains("FAIL reply: got \"["), "{text}");
    assert!(text.contains("b'hello'"), "{text}");
    assert!(
        text.contains("8 of 9 checks passed, 1 failed") && text.contains("(8/10 points)"),
        "{text}"
    );

    // The reader's language: Chinese words joined as Chinese joins them, the same verdicts.
    let text = out(&done[2]);
    assert!(text.contains("FAIL reply：收到"), "{text}");
    assert!(
        text.contains("项检查中通过 8 项") && text.contains("得分 8/10"),
        "{text}"
    );

    // JSON: the same checks, the points, the time and the kit.
    let json = out(&done[3]);
    assert_eq!(done[3].code(), 1, "{}", done[3].stderr);
    assert!(
        json.starts_with(&format!(
            "{{\"target\": \"{iterative}\", \"protocol\": \"tcp\", \"checks\": [{{\"name\": \"reply\", \"passed\": true, \"detail\": "
        )),
        "{json}"
    );
    assert!(
        json.contains("{\"name\": \"at-once\", \"passed\": false, \"detail\": \"of 5 clients"),
        "{json}"
    );
    assert_eq!(json.matches("\"passed\": true").count(), 8, "{json}");
    assert_eq!(json.trim_end().lines().count(), 1, "one object: {json}");
    assert!(json.contains("\"points\": 9, \"out_of\": 10"), "{json}");
    assert!(
        json.contains("\"checked_at\": \"20") && json.contains("\"kit\": \"lab-check 0."),
        "{json}"
    );
    assert_eq!(done[4].code(), 0, "{}", out(&done[4]));
    assert!(out(&done[4]).contains("\"protocol\": \"udp\""), "{done:?}");

    // A milestone: only the checks asked for, worth what was asked.
    let json = out(&done[5]);
    assert_eq!(done[5].code(), 0, "{json}");
    assert_eq!(json.matches("{\"name\": ").count(), 2, "{json}");
    assert!(json.contains("\"points\": 6, \"out_of\": 6"), "{json}");

    // A server in another zone: the zone named, and --tz judges in it.
    let text = out(&done[6]);
    assert_eq!(done[6].code(), 1, "{text}");
    assert!(
        text.contains("FAIL time: the time") && text.contains("--tz +08:00"),
        "{text}"
    );
    assert_eq!(done[7].code(), 0, "{}", out(&done[7]));

    // The transcript: what was sent, what came, when.
    let files: Vec<_> = std::fs::read_dir(&logs)
        .expect("the log folder")
        .flatten()
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    let transcript = std::fs::read_to_string(files[0].path()).expect("a transcript");
    assert!(transcript.starts_with("lab-check 0."), "{transcript}");
    assert!(
        transcript.contains("reply") && transcript.contains("sent 5 bytes: \"hello\""),
        "{transcript}"
    );
    assert!(transcript.contains("came 32 bytes: \"["), "{transcript}");
    let _ = std::fs::remove_dir_all(&logs);
}

#[test]
fn usage_errors_exit_2_and_nothing_listening_exits_1_at_once() {
    let empty = scratch("usage").join("room.txt");
    std::fs::write(&empty, "# nobody yet\n").expect("a room file");
    let empty = empty.to_string_lossy().into_owned();
    let usage: Vec<Vec<&str>> = vec![
        vec![],
        vec!["sctp", "127.0.0.1:21567"],
        vec!["tcp"],
        vec!["tcp", "127.0.0.1:99999"],
        vec!["tcp", "127.0.0.1:21567", "--csv", "out.csv"],
        vec!["tcp", "127.0.0.1:21567", "--watch"],
        vec!["tcp", "127.0.0.1:21567", "--only", "bob"],
        vec!["tcp", "127.0.0.1:21567", "--checks", "reply,tiem"],
        vec!["tcp", "127.0.0.1:21567", "--points", "reply=many"],
        vec!["tcp", "127.0.0.1:21567", "--tz", "Mars/Olympus"],
        vec!["tcp", "127.0.0.1:21567", "--reply-timeout", "0"],
        vec!["--room", "/no/such/room/file"],
        vec!["--room", &empty],
    ];
    let closed_port = tests::ClosedPort::new();
    let closed = closed_port.address().to_string();
    let mut jobs: Vec<Job<(Vec<String>, Finished, Duration)>> = Vec::new();
    for args in usage.iter().chain([&vec!["tcp", closed.as_str()]]) {
        let args: Vec<String> = args.iter().map(|arg| arg.to_string()).collect();
        jobs.push(Box::new(move || {
            let started = Instant::now();
            let refs: Vec<&str> = args.iter().map(String::as_str).collect();
            let done = lab_check(&refs, "C");
            (args, done, started.elapsed())
        }));
    }
    let mut done = at_once(jobs);
    let (_, refused, took) = done.pop().expect("the closed port's run");
    for (args, done, _) in &done {
        assert_eq!(done.code(), 2, "{args:?}: {}", done.stderr);
        assert!(!done.stderr.contains("panicked"), "{}", done.stderr);
        assert!(
            done.stderr.starts_with("error: "),
            "{args:?}: {}",
            done.stderr
        );
    }
    assert_eq!(refused.code(), 1);
    assert!(took < Duration::from_secs(5), "{took:?}");
    assert!(out(&refused).contains("connection refused"), "{refused:?}");
}
