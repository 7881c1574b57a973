//! A client on a terminal of its own, as a person in a terminal window runs it: a
//! pseudo-terminal made by util-linux's `script`, typed into step by step, with everything
//! the terminal shows kept. Linux only (`script`'s options differ elsewhere); where there is
//! no `script`, or the programs run under a launcher, [`Terminal::start`] says so and gives
//! `None`, and the test has nothing to check.

use std::io::{Read, Write};
use std::process::{ChildStdin, Command, ExitStatus, Stdio};
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use crate::{KilledOnDrop, PATIENCE, binary, launched, tz, wait_or_kill};

/// What the terminal has shown so far, shared with the thread that reads it.
#[derive(Default)]
struct Shown {
    /// Every byte the terminal showed, and whether it has closed.
    state: Mutex<(Vec<u8>, bool)>,
    /// Signalled at each read and at the end.
    changed: Condvar,
}

/// A program running on a terminal of its own.
pub struct Terminal {
    /// `script`, which runs the program on the terminal it makes.
    child: KilledOnDrop,
    /// The keyboard: what is written here is typed (`\x04` is Ctrl+D).
    keyboard: Option<ChildStdin>,
    /// What the terminal has shown.
    shown: Arc<Shown>,
}

impl Terminal {
    /// Starts `program` with `args` on a terminal, in [`tz`], with `vars` set (`LC_ALL=C`
    /// unless `vars` says otherwise). `None` where there is no `script` to do it with.
    pub fn start(program: &str, args: &[&str], vars: &[(&str, &str)]) -> Option<Terminal> {
        if launched() || Command::new("script").arg("--version").output().is_err() {
            eprintln!("skipped: no `script` to give the program a terminal");
            return None;
        }
        let mut line = binary(program).display().to_string();
        for arg in args {
            line.push_str(&format!(" '{arg}'"));
        }
        let mut script = script(&line);
        script
            .env("TZ", tz())
            .env("LC_ALL", "C")
            .envs(vars.iter().copied())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        let mut child = KilledOnDrop::spawn(&mut script);
        let keyboard = child.stdin.take();
        let mut screen = child.stdout.take().expect("the terminal's output");
        let shown = Arc::new(Shown::default());
        let reading = Arc::clone(&shown);
        thread::spawn(move || {
            let mut buffer = [0; 4096];
            loop {
                let read = screen.read(&mut buffer);
                let mut state = reading.state.lock().expect("shown");
                match read {
                    Ok(len @ 1..) => state.0.extend_from_slice(&buffer[..len]),
                    _ => state.1 = true,
                }
                let ended = state.1;
                drop(state);
                reading.changed.notify_all();
                if ended {
                    return;
                }
            }
        });
        Some(Terminal {
            child,
            keyboard,
            shown,
        })
    }

    /// Types `keys`.
    pub fn types(&mut self, keys: &[u8]) {
        let keyboard = self.keyboard.as_mut().expect("the keyboard is there");
        keyboard.write_all(keys).expect("typing");
        keyboard.flush().expect("typing");
    }

    /// Waits until the terminal shows `text` `times` times in all; false if it did not within
    /// [`PATIENCE`].
    pub fn shows(&self, text: &str, times: usize) -> bool {
        self.wait_until(PATIENCE, |shown, _| count(shown, text) >= times)
    }

    /// Everything the terminal has shown so far, as text.
    pub fn screen(&self) -> String {
        let state = self.shown.state.lock().expect("shown");
        String::from_utf8_lossy(&state.0).into_owned()
    }

    /// Waits for the program to end by itself, the keyboard still open; gives its exit
    /// status and everything the terminal showed.
    pub fn ends(mut self) -> (ExitStatus, String) {
        let status = wait_or_kill(&mut self.child, PATIENCE);
        self.wait_until(PATIENCE, |_, closed| closed);
        (status, self.screen())
    }

    /// Waits (at most `limit`) until `done` holds of what the terminal showed and whether it
    /// has closed.
    fn wait_until(&self, limit: Duration, done: impl Fn(&[u8], bool) -> bool) -> bool {
        let deadline = Instant::now() + limit;
        let mut state = self.shown.state.lock().expect("shown");
        loop {
            if done(&state.0, state.1) {
                return true;
            }
            let Some(left) = deadline.checked_duration_since(Instant::now()) else {
                return false;
            };
            state = self
                .shown
                .changed
                .wait_timeout(state, left)
                .expect("shown")
                .0;
        }
    }
}

/// `script` running the command `line` on a terminal of its own, exiting with its status.
///
/// `script` runs `$SHELL -c line`. Under bash the program becomes the terminal's own process;
/// under dash (`/bin/sh`, the shell a CI job may have) the shell stays its parent, and a
/// Ctrl+C typed on the terminal kills the shell, so the program's own exit status was lost
/// (130). `exec` makes the program the terminal's process under any shell; `/bin/sh` is named
/// so the line is read the same way on every machine. The terminal is an xterm, whatever
/// terminal (or none, or `dumb`) the tests were started from.
pub fn script(line: &str) -> Command {
    let mut script = Command::new("script");
    script
        .args([
            "--quiet",
            "--return",
            "--command",
            &format!("exec {line}"),
            "/dev/null",
        ])
        .env("SHELL", "/bin/sh")
        .env("TERM", "xterm");
    script
}

/// How many times `text` stands in `shown`.
fn count(shown: &[u8], text: &str) -> usize {
    let text = text.as_bytes();
    if text.is_empty() || shown.len() < text.len() {
        return 0;
    }
    shown
        .windows(text.len())
        .filter(|window| *window == text)
        .count()
}
