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

/// A tcp-server started under `prlimit` with `limit` (such as `--nofile=64:64`), on Linux.
#[cfg(target_os = "linux")]
fn start_limited(limit: &str, args: &[&str]) -> ServerProcess {
    let mut command = std::process::Command::new("prlimit");
    command
        .arg(limit)
        .arg("--")
        .arg(tests::binary("tcp-server"))
        .env("TZ", tests::tz())
        .env("LC_ALL", "C");
    ServerProcess::start_with(command, args)
}

/// Under `ulimit -n 64` with 100 idle connections, every fresh client is told at once that the
/// server has run out of file descriptors (not that it is over a `--max-clients` nobody set),
/// for as long as the shortage lasts; once the idle ones leave, a fresh client is served.
/// Before, the spare descriptor turned one client away a second at best: a fresh client
/// heard nothing for 8 to 25 s.
#[cfg(target_os = "linux")]
#[test]
fn out_of_file_descriptors_every_fresh_client_is_told_at_once() {
    if tests::launched() {
        return;
    }
    for mode in ["threaded", "event"] {
        let server = start_limited("--nofile=64:64", &["--mode", mode, "--quiet"]);
        let idle: Vec<TcpStream> = (0..100).map(|_| connect(server.address)).collect();
        for fresh in 0..5 {
            let mut client = connect(server.address);
            client
                .set_read_timeout(Some(Duration::from_secs(3)))
                .expect("timeout");
            let line = line_from(&mut client);
            assert!(
                line.starts_with("tcp-server: "),
                "{mode} #{fresh}: {line:?}"
            );
            assert!(
                line.contains("run out of file descriptors"),
                "{mode}: {line}"
            );
            assert!(!line.contains("--max-clients"), "{mode}: {line}");
        }
        drop(idle);
        // Once they have gone, a fresh client is served again (the server saw them go).
        let deadline = Instant::now() + PATIENCE;
        loop {
            let mut client = connect(server.address);
            client.write_all(b"back\n").expect("send");
            let line = line_from(&mut client);
            if line.ends_with("] back\n") {
                break;
            }
            assert!(line.contains("busy"), "{mode}: {line:?}");
            assert!(Instant::now() < deadline, "{mode}: never served again");
        }
        let told = server.wait_for_stderr("out of file descriptors");
        assert!(told.is_some(), "{mode}: {:?}", server.stderr());
        let said = server.stderr().len();
        assert!(
            said <= 3,
            "{mode}: said {said} times: {:?}",
            server.stderr()
        );
    }
}

/// Under an address-space limit (`prlimit --as`), each mode serves what fits and turns the
/// rest away with the busy line naming memory; it never aborts. Before, the threaded mode
/// ended with "memory allocation of 80 bytes failed" at a few hundred clients.
#[cfg(target_os = "linux")]
#[test]
fn under_a_memory_limit_every_mode_serves_what_fits_and_turns_the_rest_away() {
    if tests::launched() {
        return;
    }
    tests::allow_open_files(4000);
    for mode in ["threaded", "event"] {
        let mut server = start_limited("--as=60000000", &["--mode", mode, "--quiet"]);
        let mut served = Vec::new();
        let mut busy = 0;
        for i in 0..3000 {
            let mut client = connect(server.address);
            client.write_all(format!("{i}\n").as_bytes()).expect("send");
            let line = line_from(&mut client);
            if line.contains("busy") {
                assert!(line.contains("run out of memory"), "{mode}: {line}");
                busy += 1;
                if busy == 20 {
                    break;
                }
                continue;
            }
            assert!(line.ends_with(&format!("] {i}\n")), "{mode}: {line:?}");
            served.push(client);
        }
        assert!(server.is_running(), "{mode}: {:?}", server.stderr());
        assert_eq!(
            busy,
            20,
            "{mode}: {} served, nobody turned away",
            served.len()
        );
        assert!(served.len() >= 10, "{mode}: only {} served", served.len());
        // Those in are still served; and when they leave, there is room again.
        exchange(served.first_mut().expect("some"), b"still here\n");
        drop(served);
        let deadline = Instant::now() + PATIENCE;
        loop {
            let mut client = connect(server.address);
            client.write_all(b"again\n").expect("send");
            if line_from(&mut client).ends_with("] again\n") {
                break;
            }
            assert!(Instant::now() < deadline, "{mode}: no room again");
        }
    }
    // The book's loop holds one client at a time: it serves them all, one after another.
    let server = start_limited("--as=60000000", &["--mode", "iterative", "--quiet"]);
    for i in 0..300 {
        let mut client = connect(server.address);
        exchange(&mut client, format!("{i}\n").as_bytes());
    }
}

/// How many lines of a server's `log` name connections from `ip`: arrivals, messages, ends.
#[cfg(target_os = "linux")]
fn connection_lines(log: &[String], ip: &str) -> (usize, usize, usize) {
    let count = |what: &dyn Fn(&String) -> bool| log.iter().filter(|line| what(line)).count();
    let from = format!("{ip}:");
    (
        count(&|line| line.starts_with(&format!("...connected from: {from}"))),
        count(&|line| line.starts_with("received") && line.contains(&format!(" from {from}"))),
        count(&|line| line.starts_with(&from) && line.contains("disconnected")),
    )
}

/// A connection to `server` from the address `ip` (any port), as from another machine.
#[cfg(target_os = "linux")]
fn connect_from(ip: &str, server: std::net::SocketAddr) -> TcpStream {
    tests::talk::connect_from(ip.parse().expect("an IPv4 address"), server)
}

/// Connects from `ip`, says one line, reads its reply, and leaves.
#[cfg(target_os = "linux")]
fn visit(server: std::net::SocketAddr, ip: &str) {
    exchange(&mut connect_from(ip, server), b"x\n");
}

/// The first student of a class behind one address can arrive while a flood has spent the
/// log's share for single addresses: the log shows it only once the second student makes the
/// address a class, and then its message before that too (it was lost, 1 run in 12 of the
/// test below).
#[cfg(target_os = "linux")]
#[test]
fn a_student_the_log_shows_late_has_its_first_message_shown_too() {
    let loopback_only = std::net::TcpListener::bind("127.0.0.3:0").is_err();
    if tests::launched() || loopback_only {
        eprintln!("skipped: needs 127.0.0.x addresses (Linux)");
        return;
    }
    for mode in ["threaded", "event"] {
        let server = ServerProcess::start("tcp-server", &["--mode", mode]);
        // 300 addresses once each: more than the share of single addresses.
        for i in 0..300 {
            visit(
                server.address,
                &format!("127.3.{}.{}", i / 250, i % 250 + 1),
            );
        }
        let mut first = connect_from("127.0.0.6", server.address);
        exchange(&mut first, b"hello\n"); // answered: the server has read it
        let mut second = connect_from("127.0.0.6", server.address);
        exchange(&mut second, b"hi\n");
        drop((first, second));
        server.wait_until_log(|log| connection_lines(log, "127.0.0.6").2 >= 2);
        let log = server.log();
        assert_eq!(
            connection_lines(&log, "127.0.0.6"),
            (2, 2, 2),
            "{mode}: {log:#?}"
        );
        let at = |needle: &str| log.iter().position(|line| line.contains(needle));
        assert!(
            at("\"hello\\n\"") < at("\"hi\\n\""),
            "{mode}: in order: {log:#?}"
        );
    }
}

/// A client reconnecting in a loop, from one address or from a thousand, costs the log a few
/// lines a second, and the stop line still counts every one; a class of 30 behind one NAT
/// address, connecting at once beside it, is logged line by line. Before, each connection
/// cost about 195 bytes of log: 23 to 36 MB a minute.
#[cfg(target_os = "linux")]
#[test]
fn a_reconnect_loop_costs_the_log_a_few_lines_a_second_and_hides_no_class() {
    let loopback_only = std::net::TcpListener::bind("127.0.0.3:0").is_err();
    if tests::launched() || loopback_only {
        eprintln!("skipped: needs 127.0.0.x addresses (Linux)");
        return;
    }
    // The one address of the loop: not 127.0.0.1, where the other tests' servers take their
    // ports, for the loop leaves thousands of its own in TIME_WAIT for a minute.
    const ONE: &str = "127.0.0.4";
    for mode in ["threaded", "event"] {
        let server = ServerProcess::start("tcp-server", &["--mode", mode]);
        let address = server.address;
        let flooding = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
        let still = std::sync::Arc::clone(&flooding);
        let flooder = std::thread::spawn(move || {
            let mut visits = 0_u64;
            while still.load(std::sync::atomic::Ordering::Relaxed) {
                visit(address, ONE);
                visits += 1;
            }
            visits
        });
        // Thousands of addresses in a loop too, for a second.
        let began = Instant::now();
        let mut many = 0_u64;
        while began.elapsed() < Duration::from_secs(1) {
            visit(
                address,
                &format!("127.1.{}.{}", many / 250 % 250, many % 250 + 1),
            );
            many += 1;
        }
        // A class behind one address connects at once, says two lines each, and leaves.
        let mut class: Vec<TcpStream> = (0..30)
            .map(|_| connect_from("127.0.0.5", address))
            .collect();
        for student in &mut class {
            exchange(student, b"hello\n");
            exchange(student, b"again\n");
        }
        drop(class);
        flooding.store(false, std::sync::atomic::Ordering::Relaxed);
        let visits = flooder.join().expect("the flooder");
        let took = began.elapsed().as_secs() as usize + 1;
        server.wait_until_log(|log| connection_lines(log, "127.0.0.5").2 >= 30);
        assert_eq!(
            connection_lines(&server.log(), "127.0.0.5"),
            (30, 60, 30),
            "{mode}: the class: {:#?}",
            server.log()
        );
        let (arrived, _, _) = connection_lines(&server.log(), ONE);
        assert!(
            arrived <= 40 + took,
            "{mode}: {arrived} of {visits} from one address"
        );
        let from_many = server
            .log()
            .iter()
            .filter(|line| line.starts_with("...connected from: 127.1."))
            .count();
        assert!(from_many <= 100 + 2 * took, "{mode}: {from_many} of {many}");
        let goodbye = stop(&server);
        let everyone = visits + many + 30;
        assert!(
            goodbye.contains(&format!("served {everyone} clients")),
            "{mode}: {goodbye}"
        );
        let summary = server
            .log()
            .iter()
            .any(|line| line.contains(&format!("more connections from {ONE} not logged")));
        assert!(summary, "{mode}: {:#?}", server.log());
    }
}

/// A log on a disk that fills: a line cut short is ended before the next one, so lines never
/// run into each other (`received 8 bytreceived 9 bytes`), and the server serves on and says
/// why lines were dropped. Needs root to mount a small tmpfs.
#[cfg(target_os = "linux")]
#[test]
fn a_log_line_cut_by_a_full_disk_never_runs_into_the_next() {
    use std::process::{Command, Stdio};
    let dir = std::env::temp_dir().join(format!("tcp-server-full-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a folder");
    let mounted = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=16k", "tmpfs"])
        .arg(&dir)
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    if tests::launched() || !mounted {
        let _ = std::fs::remove_dir(&dir);
        eprintln!("skipped: cannot mount a small tmpfs here (needs root on Linux)");
        return;
    }
    /// Unmounts the tmpfs when the test ends, failing or not.
    struct Unmount(std::path::PathBuf);
    impl Drop for Unmount {
        fn drop(&mut self) {
            let _ = Command::new("umount").arg(&self.0).status();
            let _ = std::fs::remove_dir(&self.0);
        }
    }
    let _unmount = Unmount(dir.clone());
    let filler = dir.join("filler");
    // One page left for the log; removing the filler frees three, more than every line the
    // server may still have queued then (about 10 KB in all): its writer lags under load.
    std::fs::write(&filler, vec![b'.'; 3 * 4096]).expect("a filler");
    let log = dir.join("log");
    let mut child = tests::KilledOnDrop::spawn(
        tests::command("tcp-server")
            .args(["--port", "0"])
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&log).expect("the log"))
            .stderr(Stdio::piped()),
    );
    let deadline = Instant::now() + PATIENCE;
    let address = loop {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        if let Some(address) = text.lines().next().and_then(tests::address_in) {
            break address;
        }
        assert!(Instant::now() < deadline, "no address line");
        // A file has no event to wait on: it is read again until the line is there.
        std::thread::sleep(Duration::from_millis(10));
    };
    // Lines of every length, until the disk is long full; then room again.
    let mut clients: Vec<TcpStream> = (0..20).map(|_| connect(address)).collect();
    for (i, client) in clients.iter_mut().enumerate() {
        for n in 0..4 {
            exchange(client, "y".repeat(1 + i * 7 + n).as_bytes());
        }
    }
    std::fs::remove_file(&filler).expect("room again");
    let mut last = connect(address);
    exchange(&mut last, b"after\n");
    drop(last);
    drop(clients);
    let deadline = Instant::now() + PATIENCE;
    while !std::fs::read_to_string(&log)
        .unwrap_or_default()
        .contains("\"after\\n\"")
    {
        assert!(
            Instant::now() < deadline,
            "no line after the room came back: {}",
            std::fs::read_to_string(&log).unwrap_or_default()
        );
        // As above: read again until the line is there.
        std::thread::sleep(Duration::from_millis(10));
    }
    let _ = child.kill();
    let text = std::fs::read_to_string(&log).expect("the log");
    for line in text.lines() {
        let starts = [
            "tcp-server",
            "mode ",
            "waiting",
            "...connected",
            "received",
            "127.0.0.1:",
        ];
        let whole = starts.iter().any(|start| line.starts_with(start));
        let twice = ["received ", "connected from"]
            .iter()
            .any(|word| line.matches(word).count() > 1);
        // A cut line is a start of one of these, whole up to where the disk filled.
        let cut = starts
            .iter()
            .any(|start| start.starts_with(line) || line.starts_with(start));
        assert!(
            (whole || cut) && !twice,
            "a line run into another: {line:?}\n{text}"
        );
    }
    let mut stderr = String::new();
    let _ = child.0.wait();
    let _ =
        std::io::Read::read_to_string(&mut child.stderr.take().expect("piped stderr"), &mut stderr);
    assert!(stderr.contains("the disk is full"), "{stderr}");
}

/// Stops `server` as Ctrl+C does and returns its last line (what it served in all).
fn stop(server: &ServerProcess) -> String {
    server.interrupt();
    server.wait_for_log("stopped").expect("the stop line")
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
        .env("TZ", tests::tz())
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
    let goodbye = stop(&server);
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
        let goodbye = stop(&server);
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
