//! The live board, `lab-check --room FILE --watch`, on a terminal of its own (a
//! pseudo-terminal made by util-linux `script`): redrawn in place, a student who passed not
//! checked again, a server stopped by `reset` told so, and Ctrl+C leaving the last table and
//! the gradebook.

use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::Instant;

use tests::{KilledOnDrop, PATIENCE, wait_or_kill};

use super::fakes::{self, Serving, Talk, fake_tcp, fake_tcp_on};
use super::program::scratch;
use super::room::room_file;

/// Every byte the terminal showed so far, and a signal at each read.
type Shown = Arc<(Mutex<Vec<u8>>, Condvar)>;

/// `bytes` as the terminal showed them, lines run together (the board wraps at 80).
fn run_together(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes).replace('\r', "");
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// What the terminal showed so far, its lines run together.
fn seen(shown: &Shown) -> String {
    run_together(&shown.0.lock().expect("shown"))
}

/// Waits until the terminal showed `needle`; panics with what it showed after `PATIENCE`.
fn wait_for(shown: &Shown, needle: &str) {
    let deadline = Instant::now() + PATIENCE;
    let (bytes, arrived) = &**shown;
    let mut bytes = bytes.lock().expect("shown");
    while !run_together(&bytes).contains(needle) {
        let Some(left) = deadline.checked_duration_since(Instant::now()) else {
            panic!("no {needle:?} in {}", run_together(&bytes));
        };
        bytes = arrived.wait_timeout(bytes, left).expect("shown").0;
    }
}

#[test]
fn the_board_redraws_in_place_checks_again_only_who_has_not_passed_and_leaves_its_table() {
    if tests::launched() || Command::new("script").arg("--version").output().is_err() {
        eprintln!("skipped: no `script` to give the board a terminal");
        return;
    }
    let alice = fake_tcp(Serving::Threaded, Talk::Answers(fakes::right));
    // Bob's port, closed until he starts his server there.
    let bob_port = tests::ClosedPort::new();
    let bob_at = bob_port.address();
    let carol = fake_tcp(Serving::BooksLoop, Talk::Answers(fakes::right));
    let roster = format!(
        "alice tcp {}\nbob tcp {bob_at}\ncarol tcp {}\n",
        alice.address, carol.address
    );
    let dir = scratch("board");
    let room = room_file(&dir, &roster);
    let csv = dir.join("grades.csv");
    let line = format!(
        "{} --room {} --csv {} --checks reply,several,reset --watch 0.3",
        env!("CARGO_BIN_EXE_lab-check"),
        room.display(),
        csv.display()
    );
    let mut board = KilledOnDrop::spawn(
        tests::terminal::script(&line)
            .env("TZ", tests::tz())
            .env("LC_ALL", "C")
            .env("COLUMNS", "80")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null()),
    );
    let shown: Shown = Arc::default();
    let mut stdout = board.stdout.take().expect("stdout");
    let reader = {
        let shown = Arc::clone(&shown);
        thread::spawn(move || {
            let mut buffer = [0; 4096];
            while let Ok(len @ 1..) = stdout.read(&mut buffer) {
                let (bytes, arrived) = &*shown;
                bytes
                    .lock()
                    .expect("shown")
                    .extend_from_slice(&buffer[..len]);
                arrived.notify_all();
            }
        })
    };
    wait_for(&shown, "round 1 done");
    let alice_taken = alice.taken.load(Ordering::SeqCst);
    // Bob starts his server; carol's stopped on the reset.
    let bob = fake_tcp_on(
        bob_port.listen(),
        Serving::Threaded,
        Talk::Answers(fakes::right),
    );
    wait_for(&shown, "round 3 done");
    let frames = seen(&shown);
    assert!(
        frames.contains("since the last round, which ended with this check"),
        "{frames}"
    );
    assert_eq!(
        alice.taken.load(Ordering::SeqCst),
        alice_taken,
        "alice passed: not checked again"
    );
    assert!(bob.taken.load(Ordering::SeqCst) > 0);
    // Ctrl+C: the last table stays, and the gradebook is written.
    let mut keys = board.stdin.take().expect("stdin");
    keys.write_all(b"\x03").expect("Ctrl+C");
    let status = wait_or_kill(&mut board, PATIENCE);
    drop(keys);
    let _ = reader.join();
    let bytes = shown.0.lock().expect("shown").clone();
    let text = String::from_utf8_lossy(&bytes).replace('\r', "");
    let clears = text.matches("\u{1b}[H\u{1b}[2J").count();
    assert!(clears >= 4, "redrawn in place: {clears} times");
    let last = text.rsplit("\u{1b}[H\u{1b}[2J").next().unwrap_or_default();
    assert!(last.starts_with("student "), "the last table: {last}");
    assert!(last.contains("2 of 3 servers passed every check"), "{last}");
    assert!(last.contains("carol: FAIL"), "{last}");
    assert_eq!(status.code(), Some(1), "{last}");
    let book = std::fs::read_to_string(&csv).expect("the gradebook");
    assert_eq!(book.lines().count(), 4, "{book}");
    assert!(
        book.contains("\nbob,tcp,") && book.contains(",pass,pass,pass,4,4,"),
        "{book}"
    );
    drop((alice, bob, carol));
    let _ = std::fs::remove_dir_all(&dir);
}
