//! Small deliberately wrong servers, one mistake each, as students write them: the kit must
//! name the mistake and pass everything else. Each runs on threads of the test's own, on
//! loopback, bounded in clients, datagrams and time, and stops when its [`Fake`] is dropped.

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use tests::{PATIENCE, ctime_in_zone, now_in_zone};

/// How a deliberately wrong server answers one read.
pub type Answer = fn(&[u8]) -> Vec<u8>;

/// `[` + a stamp + `] ` + data.
fn stamped(stamp: &str, data: &[u8]) -> Vec<u8> {
    [format!("[{stamp}] ").as_bytes(), data].concat()
}

/// The right answer.
pub fn right(data: &[u8]) -> Vec<u8> {
    stamped(&ctime_in_zone(), data)
}

/// Python 3's `'[%s] %s' % (ctime(), data)` with `data` still bytes.
pub fn python_bytes(data: &[u8]) -> Vec<u8> {
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
pub fn no_space(data: &[u8]) -> Vec<u8> {
    [format!("[{}]", ctime_in_zone()).as_bytes(), data].concat()
}

/// The time in UTC.
pub fn utc(data: &[u8]) -> Vec<u8> {
    let stamp = chrono::Utc::now().format("%a %b %e %H:%M:%S %Y");
    stamped(&stamp.to_string(), data)
}

/// The time in UTC+08:00, a room in Shanghai (an hour and a half behind the tests' zone).
pub fn shanghai(data: &[u8]) -> Vec<u8> {
    let east = chrono::FixedOffset::east_opt(8 * 3600).expect("a zone");
    let stamp = chrono::Utc::now()
        .with_timezone(&east)
        .format("%a %b %e %H:%M:%S %Y");
    stamped(&stamp.to_string(), data)
}

/// Another layout: `2026-11-30 15:41:39`.
pub fn iso(data: &[u8]) -> Vec<u8> {
    let stamp = now_in_zone().format("%Y-%m-%d %H:%M:%S");
    stamped(&stamp.to_string(), data)
}

/// `strftime('%d')`: the day padded with a zero.
pub fn zero_padded_day(data: &[u8]) -> Vec<u8> {
    let stamp = now_in_zone().format("%a %b %d %H:%M:%S %Y");
    stamped(&stamp.to_string(), data)
}

/// A newline the client never sent.
pub fn extra_newline(data: &[u8]) -> Vec<u8> {
    [right(data), b"\n".to_vec()].concat()
}

/// C's `sprintf(buf, "[%s] %s", ctime(&now), data)`: ctime's newline inside the brackets.
pub fn ctime_newline(data: &[u8]) -> Vec<u8> {
    [format!("[{}\n] ", ctime_in_zone()).as_bytes(), data].concat()
}

/// Java's `new String(buf)` of a 1024-byte buffer: zero bytes after the data.
pub fn zero_filled(data: &[u8]) -> Vec<u8> {
    let mut buffer = data.to_vec();
    buffer.resize(1024.max(data.len()), 0);
    right(&buffer)
}

/// Each reply sent twice.
pub fn twice(data: &[u8]) -> Vec<u8> {
    [right(data), right(data)].concat()
}

/// Bytes that are not UTF-8 decoded with `errors='replace'`.
pub fn replaced(data: &[u8]) -> Vec<u8> {
    right(String::from_utf8_lossy(data).as_bytes())
}

/// `ctime()` taken once, when the server started, ten minutes ago.
pub fn frozen(data: &[u8]) -> Vec<u8> {
    static ONCE: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let started = || {
        let then = now_in_zone() - chrono::Duration::minutes(10);
        then.format("%a %b %e %H:%M:%S %Y").to_string()
    };
    stamped(ONCE.get_or_init(started), data)
}

/// How a deliberately wrong TCP server talks with one client.
#[derive(Clone, Copy)]
pub enum Talk {
    /// Answers each read with `Answer`, until the client leaves.
    Answers(Answer),
    /// Answers once, then closes the connection.
    OnceThenCloses,
    /// Decodes as UTF-8, and closes the connection when that fails.
    ClosesOnBadUtf8,
    /// A thread that dies on bytes that are not ASCII, leaving its socket open (Python's
    /// thread with `decode('ascii')`, or `print` to a console that cannot show Chinese).
    DiesOnNonAscii,
    /// Reads and never answers.
    Silent,
    /// Closes every connection at once.
    ClosesAtOnce,
    /// Sends replies without end.
    Forever,
}

/// How a deliberately wrong TCP server takes its clients.
#[derive(Clone, Copy, PartialEq)]
pub enum Serving {
    /// A thread per client.
    Threaded,
    /// One at a time, and a reset ends the whole server: the book's own Python server.
    BooksLoop,
    /// The first client only.
    EndsAfterFirst,
    /// The whole server dies on the first message, unanswered: Python 3's
    /// `send('[%s] %s' % (ctime(), data))`, a TypeError, in a `with conn:` block.
    DiesOnFirstMessage,
    /// A thread per client, each answering on the last connection accepted: the threads
    /// share one global `conn`.
    SharedConnection,
}

/// A small wrong server on loopback, stopped when dropped.
pub struct Fake {
    /// Where it listens.
    pub address: SocketAddr,
    /// How many connections (or datagrams) it took.
    pub taken: Arc<AtomicUsize>,
    /// Set to stop it.
    stop: Arc<AtomicBool>,
}

impl Drop for Fake {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wakes a TCP accept() or a UDP recv_from() so the flag is seen.
        let _ = TcpStream::connect_timeout(&self.address, Duration::from_millis(200));
        let wake = UdpSocket::bind(SocketAddr::new(self.address.ip(), 0));
        let _ = wake.and_then(|s| s.send_to(b"stop", self.address));
    }
}

/// Serves TCP on a free loopback port as `serving` and `talk` say.
pub fn fake_tcp(serving: Serving, talk: Talk) -> Fake {
    fake_tcp_at("127.0.0.1:0", serving, talk).expect("a free port")
}

/// Serves TCP at `address` as `serving` and `talk` say; `None` where it cannot bind there.
/// Bounded: at most 200 clients, and every client's reads and writes time out.
pub fn fake_tcp_at(address: &str, serving: Serving, talk: Talk) -> Option<Fake> {
    let listener = TcpListener::bind(address).ok()?;
    Some(fake_tcp_on(listener, serving, talk))
}

/// Serves TCP on `listener`, already listening, as `serving` and `talk` say.
pub fn fake_tcp_on(listener: TcpListener, serving: Serving, talk: Talk) -> Fake {
    let address = listener.local_addr().expect("address");
    let stop = Arc::new(AtomicBool::new(false));
    let taken = Arc::new(AtomicUsize::new(0));
    let (stopped, counted) = (Arc::clone(&stop), Arc::clone(&taken));
    let latest: Arc<std::sync::Mutex<Option<TcpStream>>> = Arc::default();
    thread::spawn(move || {
        for _ in 0..200 {
            let Ok((stream, _)) = listener.accept() else {
                break;
            };
            if stopped.load(Ordering::SeqCst) {
                break;
            }
            counted.fetch_add(1, Ordering::SeqCst);
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
                Serving::SharedConnection => {
                    *latest.lock().expect("conn") = stream.try_clone().ok();
                    let shared = Arc::clone(&latest);
                    thread::spawn(move || answer_on_shared(stream, &shared));
                }
                Serving::DiesOnFirstMessage => {
                    let mut stream = stream;
                    let _ = stream.read(&mut [0; 1024]);
                    // `with conn:` closes the client's socket first; the listening one closes
                    // only once the traceback is printed and the interpreter has shut down.
                    drop(stream);
                    thread::sleep(Duration::from_millis(50));
                    break;
                }
            }
        }
    });
    Fake {
        address,
        taken,
        stop,
    }
}

/// Reads from `stream`, and answers on whichever connection `shared` holds now.
fn answer_on_shared(mut stream: TcpStream, shared: &std::sync::Mutex<Option<TcpStream>>) {
    let mut buffer = [0; 1024];
    for _ in 0..1000 {
        let Ok(read @ 1..) = stream.read(&mut buffer) else {
            return;
        };
        let conn = shared
            .lock()
            .expect("conn")
            .as_ref()
            .and_then(|c| c.try_clone().ok());
        if let Some(mut conn) = conn {
            let _ = conn.write_all(&right(&buffer[..read]));
        }
    }
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
            Talk::DiesOnNonAscii if !data.is_ascii() => {
                // The scenario, not a barrier: the thread is gone; its socket lingers until
                // the garbage collector runs.
                thread::sleep(PATIENCE.min(Duration::from_secs(5)));
                return Ok(());
            }
            Talk::DiesOnNonAscii => stream.write_all(&right(data))?,
            _ => {} // Silent
        }
    }
    Ok(())
}

/// How a deliberately wrong UDP server answers.
#[derive(Clone, Copy)]
pub enum Datagrams {
    /// Answers each datagram with `Answer`, from its own socket, to the sender.
    Answers(Answer),
    /// Answers right, but from another socket (another port).
    FromAnotherSocket,
    /// Reads with `recvfrom(10)`: a longer datagram is cut to its first 10 bytes.
    CutAt10,
    /// Answers each datagram twice.
    Twice,
    /// Stops (its socket closed) on the first datagram, unanswered: Python 3's TypeError.
    DiesOnFirst,
    /// Never answers bytes that are not ASCII (an exception caught around the loop's body).
    SilentOnNonAscii,
    /// Never answers.
    Silent,
}

/// Serves UDP on a free loopback port as `how` says.
pub fn fake_udp(how: Datagrams) -> Fake {
    fake_udp_at("127.0.0.1:0", how).expect("a free port")
}

/// Serves UDP at `address` as `how` says; `None` where it cannot bind there. Bounded: at most
/// 1000 datagrams, and it stops within a second of its [`Fake`] being dropped.
pub fn fake_udp_at(address: &str, how: Datagrams) -> Option<Fake> {
    let socket = UdpSocket::bind(address).ok()?;
    let address = socket.local_addr().expect("address");
    let stop = Arc::new(AtomicBool::new(false));
    let taken = Arc::new(AtomicUsize::new(0));
    let (stopped, counted) = (Arc::clone(&stop), Arc::clone(&taken));
    socket
        .set_read_timeout(Some(Duration::from_secs(1)))
        .expect("timeout");
    thread::spawn(move || {
        let mut buffer = [0; 2048];
        let started = Instant::now();
        for _ in 0..1000 {
            if stopped.load(Ordering::SeqCst) || started.elapsed() > 2 * super::BOUND {
                break;
            }
            let cut = if matches!(how, Datagrams::CutAt10) {
                10
            } else {
                buffer.len()
            };
            let Ok((len, from)) = socket.recv_from(&mut buffer[..cut]) else {
                continue;
            };
            counted.fetch_add(1, Ordering::SeqCst);
            let data = &buffer[..len];
            let _ = match how {
                Datagrams::Answers(answer) => socket.send_to(&answer(data), from),
                Datagrams::FromAnotherSocket => UdpSocket::bind("127.0.0.1:0")
                    .and_then(|other| other.send_to(&right(data), from)),
                Datagrams::CutAt10 => socket.send_to(&right(data), from),
                Datagrams::Twice => socket
                    .send_to(&right(data), from)
                    .and_then(|_| socket.send_to(&right(data), from)),
                Datagrams::DiesOnFirst => break,
                Datagrams::SilentOnNonAscii if !data.is_ascii() => Ok(0),
                Datagrams::SilentOnNonAscii => socket.send_to(&right(data), from),
                Datagrams::Silent => Ok(0),
            };
        }
    });
    Some(Fake {
        address,
        taken,
        stop,
    })
}

/// A UDP port on loopback that nothing listens on.
pub fn closed_udp_port() -> SocketAddr {
    UdpSocket::bind("127.0.0.1:0")
        .and_then(|socket| socket.local_addr())
        .expect("a free port")
}
