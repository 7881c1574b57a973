//! tcp-client on a bad network and against odd servers: a proxy that pauses, trickles, cuts
//! and resets (`tests::tcp_proxy`), and small servers of the test's own. Every transcript must be
//! in step (each reply beside its line), complete (nothing lost, nothing twice), with the
//! right exit status, in bounded time.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use tests::tcp_proxy::{End, Plan, Proxy};
use tests::{
    Finished, PATIENCE, ServerProcess, command, data_of, run, stamped_parts, wait_or_kill,
};

/// Runs tcp-client on `port` with `input`, and gives what it left and how long it took.
fn client(port: &str, extra: &[&str], input: &[u8]) -> (Finished, Duration) {
    let started = Instant::now();
    let mut args = vec!["--port", port];
    args.extend_from_slice(extra);
    let done = run("tcp-client", &args, input, PATIENCE * 2);
    (done, started.elapsed())
}

/// The data of each printed line, checking each is `[ctime] data`.
fn data_lines(done: &Finished) -> Vec<String> {
    done.lines()
        .iter()
        .map(|line| String::from_utf8_lossy(data_of(line.as_bytes())).into_owned())
        .collect()
}

/// A server of the test's own for one client: `serve` gets the connection.
fn fake_server(serve: fn(TcpStream)) -> (String, thread::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("address").port().to_string();
    let handle = thread::spawn(move || {
        let (stream, _) = listener.accept().expect("accept");
        stream.set_read_timeout(Some(PATIENCE)).expect("timeout");
        serve(stream);
    });
    (port, handle)
}

/// Reads one line from `stream` (bounded by its read timeout).
fn read_line(stream: &TcpStream) -> Vec<u8> {
    let mut line = Vec::new();
    let mut byte = [0];
    while let Ok(1) = (&*stream).read(&mut byte) {
        line.push(byte[0]);
        if byte[0] == b'\n' {
            break;
        }
    }
    line
}

#[test]
fn a_pause_inside_a_reply_keeps_the_client_in_step() {
    let server = ServerProcess::start("tcp-server", &["--quiet"]);
    let plan = Plan {
        pause_after: Some((10, Duration::from_millis(1500))),
        ..Plan::default()
    };
    let proxy = Proxy::start(server.address, plan);
    let (done, took) = client(&proxy.port(), &[], b"one\ntwo\nthree\n");
    eprintln!(
        "transcript: {:?} / stderr {:?} / exit {} / {took:?}",
        String::from_utf8_lossy(&done.stdout),
        done.stderr,
        done.code()
    );
    assert_eq!(done.code(), 0, "{}", done.stderr);
    assert_eq!(data_lines(&done), ["one", "two", "three"]);
    assert_eq!(
        done.stderr, "",
        "nothing to say: every reply had its newline"
    );
    assert!(took >= Duration::from_millis(1500), "{took:?}");
    assert!(took < PATIENCE, "{took:?}");
}

#[test]
fn replies_trickled_one_byte_at_a_time_are_whole_and_in_step() {
    let server = ServerProcess::start("tcp-server", &["--quiet"]);
    let plan = Plan {
        trickle: Some(Duration::from_millis(2)),
        ..Plan::default()
    };
    let proxy = Proxy::start(server.address, plan);
    let input = "一\nhello\n中文的一行\nlast\n";
    let (done, _) = client(&proxy.port(), &[], input.as_bytes());
    assert_eq!(done.code(), 0, "{}", done.stderr);
    assert_eq!(data_lines(&done), ["一", "hello", "中文的一行", "last"]);
    assert_eq!(done.stderr, "");
}

/// Runs tcp-client with `input` and gives every piece its stdout delivered, as it came.
fn client_stdout_pieces(port: &str, input: &[u8]) -> (i32, Vec<Vec<u8>>, String) {
    let mut child = command("tcp-client")
        .args(["--port", port])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the client starts");
    let mut stdin = child.stdin.take().expect("stdin");
    stdin.write_all(input).expect("input");
    drop(stdin);
    let mut stdout = child.stdout.take().expect("stdout");
    let pieces = thread::spawn(move || {
        let mut pieces = Vec::new();
        let mut buffer = [0; 4096];
        while let Ok(n @ 1..) = stdout.read(&mut buffer) {
            pieces.push(buffer[..n].to_vec());
        }
        pieces
    });
    let mut stderr = String::new();
    let mut err = child.stderr.take().expect("stderr");
    let status = wait_or_kill(&mut child, PATIENCE);
    let _ = err.read_to_string(&mut stderr);
    let code = status.code().unwrap_or(-1);
    (code, pieces.join().expect("stdout reader"), stderr)
}

#[test]
fn a_pause_inside_a_chinese_character_never_shows_half_of_it() {
    let server = ServerProcess::start("tcp-server", &["--quiet"]);
    // `[ctime] ` is 27 bytes; byte 28 is the middle of 中's three.
    let plan = Plan {
        pause_after: Some((28, Duration::from_millis(1500))),
        ..Plan::default()
    };
    let proxy = Proxy::start(server.address, plan);
    let (code, pieces, stderr) = client_stdout_pieces(&proxy.port(), "中文\n好\n".as_bytes());
    assert_eq!(code, 0, "{stderr}");
    let all = pieces.concat();
    let text = String::from_utf8(all.clone()).expect("whole characters");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text:?}");
    assert_eq!(data_of(lines[0].as_bytes()), "中文".as_bytes());
    assert_eq!(data_of(lines[1].as_bytes()), "好".as_bytes());
    // The client wrote its stdout in pieces around the pause: none ends inside a character.
    let mut shown = 0;
    for piece in &pieces {
        shown += piece.len();
        assert!(
            std::str::from_utf8(&all[..shown]).is_ok(),
            "a piece ended inside a character: {pieces:?}"
        );
    }
    assert!(pieces.len() >= 2, "the pause split the output: {pieces:?}");
}

#[test]
fn a_connection_closed_mid_reply_shows_the_part_and_says_it_was_cut() {
    for end in [End::Close, End::Reset] {
        let server = ServerProcess::start("tcp-server", &["--quiet"]);
        let plan = Plan {
            end_after: Some((10, end)),
            ..Plan::default()
        };
        let proxy = Proxy::start(server.address, plan);
        let (done, took) = client(&proxy.port(), &[], b"one\ntwo\n");
        assert_eq!(done.code(), 1, "{end:?}: {}", done.stderr);
        // The part that came, on a line of its own, and the error after it.
        assert_eq!(done.stdout.len(), 11, "{end:?}: {:?}", done.stdout);
        assert!(done.stdout.starts_with(b"[") && done.stdout.ends_with(b"\n"));
        assert!(
            done.stderr.contains("cut short"),
            "{end:?}: {}",
            done.stderr
        );
        assert!(
            !done.stderr.contains("no reply"),
            "{end:?}: {}",
            done.stderr
        );
        assert_eq!(done.stderr.lines().count(), 1, "{end:?}: {}", done.stderr);
        assert!(took < PATIENCE, "{end:?}: {took:?}");
    }
}

/// Answers one line with a stamped-looking reply, then closes, as the book's SocketServer
/// server (one line per connection) does.
fn answer_one_line_then_close(stream: TcpStream) {
    let line = read_line(&stream);
    let reply = [b"[Mon Nov 30 05:00:00 2026] ".as_slice(), &line].concat();
    let _ = (&stream).write_all(&reply);
}

#[test]
fn a_server_that_closes_after_answering_every_line_is_no_error() {
    let (port, server) = fake_server(answer_one_line_then_close);
    let (done, _) = client(&port, &[], b"hi\n\n");
    assert_eq!(done.code(), 0, "{}", done.stderr);
    assert_eq!(done.lines(), ["[Mon Nov 30 05:00:00 2026] hi"]);
    assert_eq!(done.stderr, "");
    server.join().expect("fake server");
}

#[test]
fn a_server_that_closes_with_a_line_left_to_send_is_an_error() {
    let (port, server) = fake_server(answer_one_line_then_close);
    let (done, _) = client(&port, &[], b"hi\nthere\n");
    assert_eq!(done.code(), 1, "{}", done.stderr);
    assert_eq!(done.lines(), ["[Mon Nov 30 05:00:00 2026] hi"]);
    assert!(
        done.stderr.contains("closed the connection"),
        "{}",
        done.stderr
    );
    server.join().expect("fake server");
}

#[test]
fn a_busy_line_that_comes_after_the_line_went_out_still_ends_in_an_error() {
    // The race a loaded lab server makes likely: the client's line is out before the busy
    // line is, so the busy line looks like that line's reply; the close after it is no end.
    for input in [&b"hi\n"[..], b"hi\n\n"] {
        let (port, server) = fake_server(|stream| {
            let _ = read_line(&stream);
            let _ = (&stream).write_all(b"tcp-server: server busy, try again later\n");
        });
        let (done, _) = client(&port, &[], input);
        assert_eq!(done.code(), 1, "{}", done.stderr);
        assert_eq!(done.lines(), ["tcp-server: server busy, try again later"]);
        assert!(
            done.stderr.contains("closed the connection"),
            "{}",
            done.stderr
        );
        server.join().expect("fake server");
    }
}

/// Starts tcp-client with its stdin open and nothing typed, as a student who has not typed yet.
fn client_waiting_for_the_keyboard(port: &str) -> Child {
    command("tcp-client")
        .args(["--port", port])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the client starts")
}

#[test]
fn a_busy_line_and_a_close_end_the_client_at_once_while_it_waits_for_the_keyboard() {
    let (port, server) = fake_server(|stream| {
        let _ = (&stream).write_all(b"tcp-server: server busy, try again later\n");
    });
    let started = Instant::now();
    let mut child = client_waiting_for_the_keyboard(&port);
    let status = wait_or_kill(&mut child, PATIENCE);
    let took = started.elapsed();
    let mut stdout = String::new();
    let mut stderr = String::new();
    let _ = child
        .stdout
        .take()
        .expect("stdout")
        .read_to_string(&mut stdout);
    let _ = child
        .stderr
        .take()
        .expect("stderr")
        .read_to_string(&mut stderr);
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert_eq!(stdout, "tcp-server: server busy, try again later\n");
    assert!(stderr.contains("closed the connection"), "{stderr}");
    assert!(took < Duration::from_secs(3), "{took:?}");
    drop(child.stdin.take());
    server.join().expect("fake server");
}

#[test]
fn a_busy_line_then_a_reset_says_the_server_closed_the_connection() {
    // A student's server: the busy line, then a close with the client's line unread, which
    // makes the close a reset.
    let (port, server) = fake_server(|stream| {
        let _ = (&stream).write_all(b"tcp-server: server busy, try again later\n");
        let _ = stream.peek(&mut [0; 1]); // the client's line has come, and stays unread
        let _ = socket2::SockRef::from(&stream).set_linger(Some(Duration::ZERO));
    });
    let mut child = client_waiting_for_the_keyboard(&port);
    let mut stdout = std::io::BufReader::new(child.stdout.take().expect("stdout"));
    let mut busy = String::new();
    let _ = std::io::BufRead::read_line(&mut stdout, &mut busy);
    assert_eq!(busy, "tcp-server: server busy, try again later\n");
    // Typed after the busy line was shown: it answers no line.
    let mut stdin = child.stdin.take().expect("stdin");
    let _ = stdin.write_all(b"hi\n");
    let status = wait_or_kill(&mut child, PATIENCE);
    let mut stderr = String::new();
    let _ = child
        .stderr
        .take()
        .expect("stderr")
        .read_to_string(&mut stderr);
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("closed the connection"), "{stderr}");
    assert!(!stderr.contains("no reply"), "{stderr}");
    drop(stdin);
    server.join().expect("fake server");
}

#[test]
fn a_port_of_the_books_server_gets_each_reply_on_a_line_of_its_own() {
    // The book's server: '[%s] %s' % (ctime(), data), no newline, and the client's '\n' is
    // part of the data it echoes only if sent; here it strips it, as a student's port might.
    let (port, server) = fake_server(|stream| {
        loop {
            let line = read_line(&stream);
            if line.is_empty() {
                return;
            }
            let stamp = b"[Mon Nov 30 06:23:27 2026] ";
            let _ = (&stream).write_all(&[&stamp[..], &line[..line.len() - 1]].concat());
        }
    });
    let (done, _) = client(&port, &[], b"one\ntwo\nthree\n");
    assert_eq!(done.code(), 0, "{}", done.stderr);
    assert_eq!(
        done.lines(),
        [
            "[Mon Nov 30 06:23:27 2026] one",
            "[Mon Nov 30 06:23:27 2026] two",
            "[Mon Nov 30 06:23:27 2026] three"
        ]
    );
    assert!(done.stderr.contains("no newline"), "{}", done.stderr);
    server.join().expect("fake server");
}

#[test]
fn with_2_and_1_the_no_newline_note_never_runs_into_a_reply() {
    for _ in 0..2 {
        let (port, server) = fake_server(|stream| {
            loop {
                let line = read_line(&stream);
                if line.is_empty() {
                    return;
                }
                let stamp = b"[Mon Nov 30 06:23:27 2026] ";
                let _ = (&stream).write_all(&[&stamp[..], &line[..line.len() - 1]].concat());
            }
        });
        let mut both = std::process::Command::new("sh");
        both.args(["-c", "exec \"$0\" \"$@\" 2>&1"])
            .arg(tests::binary("tcp-client"))
            .args(["--port", &port])
            .env("LC_ALL", "C");
        let done = tests::run_command(&mut both, b"one\ntwo\nthree\n", PATIENCE);
        let lines = done.lines();
        assert_eq!(done.code(), 0, "{lines:#?}");
        let notes = lines.iter().filter(|line| line.contains("no newline"));
        assert!(notes.clone().count() >= 1, "{lines:#?}");
        assert!(
            notes.clone().all(|line| line.starts_with('(')),
            "{lines:#?}"
        );
        for data in ["one", "two", "three"] {
            let reply = format!("[Mon Nov 30 06:23:27 2026] {data}");
            assert!(lines.contains(&reply), "{data}: {lines:#?}");
        }
        server.join().expect("fake server");
    }
}

#[test]
fn a_server_that_never_sends_a_newline_is_shown_and_the_client_ends() {
    let (port, server) = fake_server(|stream| {
        loop {
            let line = read_line(&stream);
            if line.is_empty() {
                return;
            }
            let _ = (&stream).write_all(&line[..line.len() - 1]);
        }
    });
    let (done, took) = client(&port, &[], b"ab\ncd\n");
    assert_eq!(done.code(), 0, "{}", done.stderr);
    assert_eq!(done.stdout, b"abcd\n");
    assert!(done.stderr.contains("no newline"), "{}", done.stderr);
    assert!(took < Duration::from_secs(6), "{took:?}");
    server.join().expect("fake server");
}

#[test]
fn a_reply_timeout_with_nothing_received_says_nothing_came() {
    let (port, server) = fake_server(|stream| {
        let _ = read_line(&stream);
        let _ = read_line(&stream); // waits for the client to leave
    });
    let (done, took) = client(&port, &["--reply-timeout", "0.5"], b"anyone?\n");
    assert_eq!(done.code(), 1, "{}", done.stderr);
    assert!(done.stdout.is_empty(), "{:?}", done.stdout);
    assert!(done.stderr.contains("--reply-timeout"), "{}", done.stderr);
    assert!(!done.stderr.contains("shown above"), "{}", done.stderr);
    assert!(took < Duration::from_secs(5), "{took:?}");
    server.join().expect("fake server");
}

#[test]
fn with_trace_a_reply_comes_after_the_calls_that_brought_it() {
    let server = ServerProcess::start("tcp-server", &["--quiet"]);
    for _ in 0..5 {
        // stdout and stderr into one pipe, as `--trace 2>&1` does.
        let mut both = std::process::Command::new("sh");
        both.args(["-c", "exec \"$0\" \"$@\" 2>&1"])
            .arg(tests::binary("tcp-client"))
            .args(["--port", &server.port(), "--trace"])
            .env("TZ", tests::ZONE)
            .env("LC_ALL", "C");
        let done = tests::run_command(&mut both, b"one\ntwo\n", PATIENCE);
        assert_eq!(done.code(), 0, "{:?}", done.lines());
        let lines = done.lines();
        let at = |needle: &str| lines.iter().position(|line| line.contains(needle));
        let reply = at("] one").expect("the reply");
        let sent = at("send(4 bytes)").expect("send traced");
        let received = at("recv(1024) -> 31 bytes").expect("recv traced");
        assert!(sent < received && received < reply, "{lines:#?}");
    }
}

#[test]
fn with_trace_into_the_same_pipe_a_paused_reply_never_runs_into_a_trace_line() {
    let server = ServerProcess::start("tcp-server", &["--quiet"]);
    let plan = Plan {
        pause_after: Some((10, Duration::from_millis(1500))),
        ..Plan::default()
    };
    let proxy = Proxy::start(server.address, plan);
    let mut both = std::process::Command::new("sh");
    both.args(["-c", "exec \"$0\" \"$@\" 2>&1"])
        .arg(tests::binary("tcp-client"))
        .args(["--port", &proxy.port(), "--trace"])
        .env("LC_ALL", "C");
    let done = tests::run_command(&mut both, b"one\ntwo\n", PATIENCE);
    let lines = done.lines();
    assert_eq!(done.code(), 0, "{lines:#?}");
    for call in ["send(", "recv(", "shutdown(", "close("] {
        let glued = lines
            .iter()
            .any(|line| line.contains(call) && !line.starts_with(call));
        assert!(!glued, "a trace line ran into a reply: {lines:#?}");
    }
    for data in ["] one", "] two"] {
        let ends = lines.iter().filter(|line| line.ends_with(data)).count();
        assert_eq!(ends, 1, "{data}: {lines:#?}");
    }
}

#[test]
fn a_ten_line_conversation_through_a_slow_trickle_loses_nothing() {
    let server = ServerProcess::start("tcp-server", &["--quiet"]);
    let plan = Plan {
        delay: Duration::from_millis(30),
        pause_after: Some((40, Duration::from_millis(1200))),
        ..Plan::default()
    };
    let proxy = Proxy::start(server.address, plan);
    let lines: Vec<String> = (0..10).map(|i| format!("line {i}")).collect();
    let input = lines.join("\n") + "\n";
    let (done, _) = client(&proxy.port(), &[], input.as_bytes());
    assert_eq!(done.code(), 0, "{}", done.stderr);
    assert_eq!(data_lines(&done), lines);
}

#[test]
fn a_pause_inside_the_last_reply_is_waited_for_after_the_input_ends() {
    let server = ServerProcess::start("tcp-server", &["--quiet"]);
    let plan = Plan {
        pause_after: Some((28, Duration::from_millis(1500))),
        ..Plan::default()
    };
    let proxy = Proxy::start(server.address, plan);
    let (done, took) = client(&proxy.port(), &[], "中文\n".as_bytes());
    assert_eq!(done.code(), 0, "{}", done.stderr);
    // Nothing added at the pause: the one reply, as it came.
    assert_eq!(done.stdout.len(), 27 + "中文\n".len(), "{:?}", done.stdout);
    assert_eq!(data_lines(&done), ["中文"]);
    assert_eq!(done.stderr, "");
    assert!(took >= Duration::from_millis(1500), "{took:?}");
}

#[test]
fn a_pause_between_the_stamped_pieces_of_a_long_lines_reply_keeps_the_client_in_step() {
    // A line longer than the server's buffer is answered in two stamped pieces, 1024 bytes of
    // the line and then the rest; the network pauses between them. The second piece begins
    // with a stamp, as the next reply would: it is still the same reply, up to its '\n'.
    let server = ServerProcess::start("tcp-server", &["--quiet"]);
    let plan = Plan {
        pause_after: Some((27 + 1024, Duration::from_millis(1500))),
        ..Plan::default()
    };
    let proxy = Proxy::start(server.address, plan);
    let long = "x".repeat(2000);
    let (done, took) = client(&proxy.port(), &[], format!("{long}\nshort\n").as_bytes());
    assert_eq!(done.code(), 0, "{}", done.stderr);
    let lines = done.lines();
    assert_eq!(lines.len(), 2, "{lines:?}");
    let parts = stamped_parts(lines[0].as_bytes());
    assert_eq!(parts.concat(), long.as_bytes(), "{parts:?}");
    assert_eq!(parts.len(), 2, "{parts:?}");
    assert_eq!(data_of(lines[1].as_bytes()), b"short");
    assert_eq!(done.stderr, "", "every reply had its newline");
    assert!(took >= Duration::from_millis(1500), "{took:?}");
}

#[test]
fn a_class_on_a_slow_link_each_gets_every_reply_once_in_step() {
    let server = ServerProcess::start("tcp-server", &["--quiet"]);
    let plan = Plan {
        trickle: Some(Duration::from_millis(1)),
        pause_after: Some((50, Duration::from_millis(1100))),
        ..Plan::default()
    };
    let proxy = Proxy::start(server.address, plan);
    let port = proxy.port();
    let students: Vec<_> = (0..20)
        .map(|student| {
            let port = port.clone();
            thread::spawn(move || {
                let lines: Vec<String> = (0..5)
                    .map(|i| format!("student {student} line {i}"))
                    .collect();
                let input = lines.join("\n") + "\n";
                let (done, _) = client(&port, &[], input.as_bytes());
                (lines, done)
            })
        })
        .collect();
    for student in students {
        let (lines, done) = student.join().expect("a student's client");
        assert_eq!(done.code(), 0, "{}", done.stderr);
        assert_eq!(data_lines(&done), lines);
        assert_eq!(done.stderr, "");
    }
}

/// Runs tcp-client on a terminal of its own (a pseudo-terminal from util-linux's `script`),
/// typing `input` and then keeping the keyboard open for `keep_open`; gives everything the
/// terminal showed. `None` where there is no `script` to run it with.
#[cfg(target_os = "linux")]
fn on_a_terminal(port: &str, input: &[u8], keep_open: Duration) -> Option<(Vec<u8>, Duration)> {
    on_a_terminal_with(&format!("--port {port}"), input, keep_open)
}

/// As [`on_a_terminal`], with the client's arguments `args` (as a shell would split them).
#[cfg(target_os = "linux")]
fn on_a_terminal_with(
    args: &str,
    input: &[u8],
    keep_open: Duration,
) -> Option<(Vec<u8>, Duration)> {
    if tests::launched() || command_missing("script") {
        eprintln!("skipped: no `script` to give the client a terminal");
        return None;
    }
    let client = tests::binary("tcp-client");
    let line = format!("{} {args}", client.display());
    let mut script = std::process::Command::new("script");
    script
        .args(["-q", "-e", "-c", &line, "/dev/null"])
        .env("TZ", tests::ZONE)
        .env("LC_ALL", "C")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let started = Instant::now();
    let mut child = script.spawn().expect("script starts");
    let mut stdin = child.stdin.take().expect("stdin");
    stdin.write_all(input).expect("typing");
    let mut stdout = child.stdout.take().expect("stdout");
    let shown = thread::spawn(move || {
        let mut all = Vec::new();
        let _ = stdout.read_to_end(&mut all);
        all
    });
    let deadline = Instant::now() + keep_open;
    while Instant::now() < deadline && matches!(child.try_wait(), Ok(None)) {
        thread::sleep(Duration::from_millis(10));
    }
    let took = started.elapsed();
    drop(stdin);
    wait_or_kill(&mut child, PATIENCE);
    Some((shown.join().expect("the terminal's output"), took))
}

/// True when `program` cannot be run.
#[cfg(target_os = "linux")]
fn command_missing(program: &str) -> bool {
    std::process::Command::new(program)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_err()
}

#[test]
#[cfg(target_os = "linux")]
fn on_a_terminal_a_reply_cannot_drive_it() {
    let (port, server) = fake_server(|stream| {
        let line = read_line(&stream);
        let evil = b"\x1b]0;PWNED\x07 \x1b]52;c;aGk=\x07 \x1b[2J\rX ";
        let _ = (&stream).write_all(&[evil.as_slice(), &line].concat());
        let _ = read_line(&stream);
    });
    let Some((shown, _)) = on_a_terminal(&port, b"hi\n", Duration::from_secs(2)) else {
        return;
    };
    let text = String::from_utf8_lossy(&shown);
    assert!(
        !shown.contains(&0x1b),
        "a raw ESC reached the terminal: {text:?}"
    );
    assert!(
        !shown.contains(&0x07),
        "a raw BEL reached the terminal: {text:?}"
    );
    assert!(text.contains("\\x1b]0;PWNED\\x07"), "{text:?}");
    assert!(text.contains("\\x0dX hi"), "{text:?}");
    server.join().expect("fake server");
}

#[test]
#[cfg(target_os = "linux")]
fn on_a_terminal_trace_lines_never_land_after_the_prompt() {
    // The server answers the line, and a moment later says on its own that it closes.
    let (port, server) = fake_server(|stream| {
        let line = read_line(&stream);
        let _ = (&stream).write_all(&[&b"[Mon Nov 30 06:23:27 2026] "[..], &line].concat());
        thread::sleep(Duration::from_millis(500));
        let _ = (&stream).write_all(b"closing: idle for too long\n");
    });
    let args = format!("--port {port} --trace");
    let Some((shown, _)) = on_a_terminal_with(&args, b"a\n", Duration::from_secs(5)) else {
        return;
    };
    let text = String::from_utf8_lossy(&shown);
    assert!(text.contains("closing: idle"), "{text:?}");
    for call in ["recv(", "send(", "shutdown(", "close("] {
        assert!(
            !text.contains(&format!("> {call}")),
            "{call} after the prompt: {text:?}"
        );
    }
    server.join().expect("fake server");
}

#[test]
#[cfg(target_os = "linux")]
fn on_a_terminal_ctrl_d_after_some_typing_shows_the_reply_on_a_line_of_its_own() {
    let server = ServerProcess::start("tcp-server", &["--quiet"]);
    // 'abc', then Ctrl+D twice: the first hands 'abc' over with no Enter, the second ends.
    let typed = b"abc\x04\x04";
    let Some((shown, took)) = on_a_terminal(&server.port(), typed, PATIENCE) else {
        return;
    };
    let text = String::from_utf8_lossy(&shown);
    assert!(took < PATIENCE, "the client ended: {text:?}");
    // The cursor stays after the echoed 'abc' (and the prompt): the reply moves to a new line.
    let reply = text.find('[').expect("a reply");
    assert!(text[..reply].ends_with("\r\n"), "{text:?}");
    assert!(text.ends_with("] abc\r\n"), "{text:?}");
}

#[test]
#[cfg(target_os = "linux")]
fn on_a_terminal_a_busy_close_ends_the_client_at_once_on_a_line_of_its_own() {
    let (port, server) = fake_server(|stream| {
        let _ = (&stream).write_all(b"tcp-server: server busy, try again later\n");
    });
    let Some((shown, took)) = on_a_terminal(&port, b"", Duration::from_secs(5)) else {
        return;
    };
    let text = String::from_utf8_lossy(&shown);
    assert!(took < Duration::from_secs(3), "{took:?}: {text:?}");
    // The busy line on a line of its own (after the prompt, if it came first), then the error.
    assert!(
        text.starts_with("tcp-server: server busy")
            || text.contains("> \r\ntcp-server: server busy"),
        "{text:?}"
    );
    assert!(
        text.contains("tcp-server: server busy, try again later\r\ntcp-client: error: "),
        "{text:?}"
    );
    assert!(text.contains("closed the connection"), "{text:?}");
    server.join().expect("fake server");
}
