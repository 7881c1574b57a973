//! tcp-server in a hostile room (issue 18): a flood cannot fill the teacher's disk through
//! the log, a client that never reads is gone within `--write-timeout`, the busy line says the
//! true reason, urgent bytes are data, and the log shows what the reply carries.

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use tests::talk::{connect, exchange};
use tests::{MODES, PATIENCE, ServerProcess};

/// The number in a summary line such as `  (295 more messages from ... not logged: ...)`.
fn skipped_in(line: &str) -> u64 {
    line.trim_start()
        .trim_start_matches('(')
        .split(' ')
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no count in {line:?}"))
}

#[test]
fn a_flood_from_one_client_is_summarised_in_the_log_and_every_message_counted() {
    const MESSAGES: usize = 300;
    for mode in MODES {
        let server = ServerProcess::start("tcp-server", &["--mode", mode]);
        let started = Instant::now();
        let mut flood = connect(server.address);
        for _ in 0..MESSAGES {
            exchange(&mut flood, b"x");
        }
        let took = started.elapsed();
        drop(flood);
        assert!(
            server.wait_for_log("disconnected").is_some(),
            "{mode}: {:?}",
            server.log()
        );
        let log = server.log();
        let shown = log
            .iter()
            .filter(|line| line.starts_with("received"))
            .count();
        let skipped: u64 = log
            .iter()
            .filter(|line| line.contains("not logged"))
            .map(|line| skipped_in(line))
            .sum();
        // A few lines a second, and every message either shown or counted.
        let allowed = 5 * (took.as_secs() as usize + 2);
        assert!(shown <= allowed, "{mode}: {shown} lines in {took:?}");
        assert_eq!(shown as u64 + skipped, MESSAGES as u64, "{mode}: {log:?}");
        assert!(
            log.iter()
                .any(|line| line.contains("faster than a person reads")),
            "{mode}: {log:?}"
        );
    }
}

/// Sends until the server stops taking bytes for a while (it stopped reading: its replies no
/// longer fit); returns when the last bytes were taken.
fn fill_until_stalled(stream: &mut TcpStream) -> Instant {
    stream
        .set_write_timeout(Some(Duration::from_millis(300)))
        .expect("write timeout");
    let chunk = [b'y'; 1000];
    let mut last_taken = Instant::now();
    let deadline = Instant::now() + PATIENCE * 2;
    while Instant::now() < deadline {
        match stream.write(&chunk) {
            Ok(_) => last_taken = Instant::now(),
            Err(error)
                if matches!(
                    error.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                return last_taken;
            }
            Err(error) => panic!("the server closed before it stalled: {error}"),
        }
    }
    panic!("the server never stopped taking bytes");
}

#[test]
fn a_client_that_never_reads_is_gone_within_the_write_timeout_in_every_mode() {
    for mode in MODES {
        let server = ServerProcess::start("tcp-server", &["--mode", mode, "--write-timeout", "2"]);
        let mut stuck = connect(server.address);
        let stalled = fill_until_stalled(&mut stuck);
        // Not a byte is read: reading would let the server go on.
        let closed = server.wait_for_log("--write-timeout");
        let took = stalled.elapsed();
        assert!(closed.is_some(), "{mode}: never closed: {:?}", server.log());
        assert!(
            took <= Duration::from_millis(3500),
            "{mode}: closed {took:?} after its replies stopped fitting (--write-timeout 2)"
        );
    }
}

/// Under `ulimit -n 16`, the clients past what the descriptors allow are told the server has
/// run out of them, not that it is over a `--max-clients` nobody set.
#[cfg(unix)]
#[test]
fn the_busy_line_names_file_descriptors_when_they_run_out() {
    if tests::launched() {
        return;
    }
    for mode in ["threaded", "event"] {
        let mut command = std::process::Command::new("sh");
        command
            .args(["-c", "ulimit -n 16 && exec \"$0\" \"$@\""])
            .arg(tests::binary("tcp-server"))
            .env("TZ", tests::ZONE)
            .env("LC_ALL", "C");
        let server = ServerProcess::start_with(command, &["--mode", mode, "--quiet"]);
        let mut held = Vec::new();
        let mut busy = None;
        for i in 0..20 {
            let mut client = connect(server.address);
            client.write_all(format!("{i}\n").as_bytes()).expect("send");
            let mut reply = Vec::new();
            let mut byte = [0];
            while !reply.ends_with(b"\n") && client.read(&mut byte).is_ok_and(|n| n == 1) {
                reply.push(byte[0]);
            }
            let reply = String::from_utf8_lossy(&reply).into_owned();
            if reply.contains("busy") {
                busy = Some(reply);
                break;
            }
            assert!(reply.ends_with(&format!("] {i}\n")), "{mode}: {reply:?}");
            held.push(client);
        }
        let busy = busy.unwrap_or_else(|| panic!("{mode}: nobody was turned away"));
        assert!(busy.contains("file descriptors"), "{mode}: {busy}");
        assert!(!busy.contains("--max-clients"), "{mode}: {busy}");
        // The clients already in are served on.
        let first = held.first_mut().expect("some clients got in");
        exchange(first, b"still here\n");
    }
}

/// Reads one line from `client`: a reply, or the busy line.
fn line_from(client: &mut TcpStream) -> String {
    let mut line = Vec::new();
    let mut byte = [0];
    while !line.ends_with(b"\n") && client.read(&mut byte).is_ok_and(|n| n == 1) {
        line.push(byte[0]);
    }
    String::from_utf8_lossy(&line).into_owned()
}

/// Under a limit on threads (`ulimit -u`, which binds users other than root: the server runs
/// as an unused user id here), a client without a thread is told so, and the stop line counts
/// only the clients served (it counted the ones turned away as served too).
#[cfg(target_os = "linux")]
#[test]
fn a_client_without_a_thread_is_turned_away_and_not_counted_as_served() {
    const AS_NOBODY: [&str; 4] = ["--reuid=54321", "--regid=54321", "--clear-groups", "--"];
    let binary = tests::binary("tcp-server");
    let can = std::process::Command::new("setpriv")
        .args(AS_NOBODY)
        .arg(&binary)
        .arg("--version")
        .output();
    if tests::launched() || !can.is_ok_and(|out| out.status.success()) {
        eprintln!("skipped: needs root, setpriv and a binary other users can run (Linux)");
        return;
    }
    let mut command = std::process::Command::new("setpriv");
    command
        .args(AS_NOBODY)
        .args(["prlimit", "--nproc=6", "--"])
        .arg(&binary)
        .env("TZ", tests::ZONE)
        .env("LC_ALL", "C");
    let server = ServerProcess::start_with(command, &["--mode", "threaded"]);
    let mut served = Vec::new();
    let mut busy = None;
    for i in 0..12 {
        let mut client = connect(server.address);
        client.write_all(format!("{i}\n").as_bytes()).expect("send");
        let line = line_from(&mut client);
        if line.contains("busy") {
            busy = Some(line);
            break;
        }
        assert!(line.ends_with(&format!("] {i}\n")), "{line:?}");
        served.push(client);
    }
    let busy = busy.expect("a client was turned away for want of a thread");
    assert!(busy.contains("threads"), "{busy}");
    server
        .wait_for_log("turned away")
        .expect("the log says who was turned away");
    let sent = std::process::Command::new("kill")
        .args(["-INT", &server.pid().to_string()])
        .status()
        .expect("kill runs");
    assert!(sent.success());
    let goodbye = server.wait_for_log("stopped").expect("the stop line");
    let counted = format!("served {} client", served.len());
    assert!(goodbye.contains(&counted), "{goodbye} ({counted})");
}

/// A student who connects in a loop past `--max-clients` wrote a log line per attempt (5 MB a
/// minute); now a few lines a second, and the stop line counts every client turned away.
#[test]
fn a_flood_of_clients_over_the_cap_is_summarised_in_the_log_and_counted() {
    const TRIES: usize = 100;
    for mode in ["threaded", "event"] {
        let server = ServerProcess::start("tcp-server", &["--mode", mode, "--max-clients", "1"]);
        let mut held = connect(server.address);
        exchange(&mut held, b"in\n");
        let began = Instant::now();
        for _ in 0..TRIES {
            let mut turned_away = connect(server.address);
            let line = line_from(&mut turned_away);
            assert!(line.contains("busy"), "{mode}: {line:?}");
        }
        let seconds = began.elapsed().as_secs() as usize + 1;
        let sent = std::process::Command::new("kill")
            .args(["-INT", &server.pid().to_string()])
            .status()
            .expect("kill runs");
        assert!(sent.success());
        let goodbye = server.wait_for_log("stopped").expect("the stop line");
        let log = server.log();
        let shown = log
            .iter()
            .filter(|line| line.contains(" turned away: "))
            .count();
        assert!(
            shown <= 5 * (seconds + 1),
            "{mode}: {shown} lines in {seconds} s: {log:?}"
        );
        let waiting = log.iter().filter(|line| line.contains("waiting")).count();
        assert!(waiting <= shown + 3, "{mode}: {waiting} waiting lines");
        assert!(
            goodbye.contains(&format!("turned away (busy): {TRIES} clients")),
            "{mode}: {goodbye}"
        );
    }
}

#[test]
fn urgent_bytes_are_ordinary_data_in_every_mode() {
    for mode in MODES {
        let server = ServerProcess::start("tcp-server", &["--mode", mode]);
        let client = connect(server.address);
        let socket = socket2::SockRef::from(&client);
        let mut stream = &client;
        stream.write_all(b"ab").expect("send");
        socket.send_out_of_band(b"!").expect("send urgent");
        stream.write_all(b"cd").expect("send");
        client
            .shutdown(std::net::Shutdown::Write)
            .expect("half-close");
        let mut replies = Vec::new();
        stream.read_to_end(&mut replies).expect("replies");
        let data: Vec<u8> = tests::stamped_parts(&replies).concat();
        assert_eq!(
            data,
            b"ab!cd",
            "{mode}: {:?}",
            String::from_utf8_lossy(&replies)
        );
        assert!(server.wait_for_log("disconnected").is_some());
        let log = server.log().join("\n");
        assert!(
            log.contains('!'),
            "{mode}: the log shows the urgent byte: {log}"
        );
    }
}

#[test]
fn the_log_shows_whole_characters_and_what_would_look_blank() {
    for mode in MODES {
        let server = ServerProcess::start("tcp-server", &["--mode", mode, "--bufsize", "4"]);
        let mut client = connect(server.address);
        // 5 bytes, read as 4 + 1: the read of 4 cuts 中 after its first two bytes.
        client.write_all("ab中".as_bytes()).expect("send");
        let mut replies = vec![0; 27 + 2 + 27 + 3];
        client.read_exact(&mut replies).expect("both replies");
        exchange(&mut client, "\u{3164}".as_bytes());
        drop(client);
        assert!(server.wait_for_log("disconnected").is_some());
        let log = server.log();
        let received: Vec<&String> = log.iter().filter(|l| l.starts_with("received")).collect();
        assert!(
            received.iter().any(|l| l.ends_with(": \"中\"")),
            "{mode}: {received:?}"
        );
        assert!(
            received.iter().all(|l| !l.contains("\\x")),
            "{mode}: {received:?}"
        );
        assert!(
            received.iter().any(|l| l.ends_with("\"\\u{3164}\"")),
            "{mode}: {received:?}"
        );
    }
}

/// A 16 MiB `--bufsize` costs memory only while it is used: clients that sent a long line
/// each and went quiet do not keep megabytes each.
#[cfg(target_os = "linux")]
#[test]
fn a_large_bufsize_is_not_kept_by_idle_clients() {
    if tests::launched() {
        return;
    }
    let server = ServerProcess::start("tcp-server", &["--bufsize", "16777216", "--quiet"]);
    let before = tests::usage::rss_kib(server.pid()).expect("VmRSS");
    let line = vec![b'z'; 4_000_000];
    let mut idle = Vec::new();
    for _ in 0..5 {
        let client = connect(server.address);
        let sender = client.try_clone().expect("clone");
        let to_send = line.clone();
        let sending = std::thread::spawn(move || (&sender).write_all(&to_send));
        let mut got = 0;
        let mut sink = vec![0; 1 << 16];
        let mut reader = &client;
        while got < line.len() {
            let n = reader.read(&mut sink).expect("replies");
            assert!(n > 0, "the server closed");
            got += sink[..n].iter().filter(|&&b| b == b'z').count();
        }
        sending.join().expect("sender").expect("sent");
        idle.push(client);
    }
    let after = tests::usage::rss_kib(server.pid()).expect("VmRSS");
    assert!(
        after < before + 5 * 1024,
        "RSS {before} KiB before, {after} KiB with 5 idle clients that each sent 4 MB"
    );
}
