//! A bad network for UDP, on loopback: a proxy between a client and its server that delays,
//! loses, duplicates and reorders datagrams, and can have a stranger answer first.
//!
//! The client sends to [`UdpProxy::address`]; the proxy passes each datagram on to the server
//! from a socket of its own for that client (as a NAT does), and each reply back to the
//! client from its own address, so to the client the proxy is the server. What happens to
//! each datagram on the way is set by a [`Link`]. Losses are drawn from a seeded generator,
//! so a test sees the same losses on every run.
//!
//! Everything the proxy starts stops when it is dropped: its threads wait at most
//! [`TICK`] before they look whether to stop.

use std::collections::HashMap;
use std::net::{SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// How long a proxy thread waits for a datagram before it looks whether to stop.
pub const TICK: Duration = Duration::from_millis(20);

/// The stamp of a forged reply: well formed, and plainly not from now.
pub const FORGED_STAMP: &[u8] = b"[Thu Jan  1 00:00:00 1970] ";

/// What the network does to the datagrams, each way.
#[derive(Clone, Debug, Default)]
pub struct Link {
    /// How long each datagram takes, each way (a round trip is twice this).
    pub delay: Duration,
    /// Up to this much more for each datagram, drawn at random: a later datagram can then
    /// overtake an earlier one.
    pub jitter: Duration,
    /// The share of datagrams lost, each way, from 0.0 to 1.0.
    pub loss: f64,
    /// Datagrams from clients to lose, by their number (0 for the first).
    pub lose_to_server: Vec<usize>,
    /// Datagrams from the server to lose, by their number (0 for the first).
    pub lose_to_client: Vec<usize>,
    /// Every datagram that gets through arrives twice.
    pub duplicate: bool,
    /// For every datagram from a client, a stranger (another address) sends the client a
    /// well-formed reply with [`FORGED_STAMP`] at once, before the server can answer.
    pub forge: bool,
    /// The seed of the losses and the jitter.
    pub seed: u64,
}

/// A datagram on its way.
struct Delivery {
    /// When it arrives.
    at: Instant,
    /// The socket it leaves from.
    from: Arc<UdpSocket>,
    /// Where it goes; `None` for the socket's connected peer (the server).
    to: Option<SocketAddr>,
    /// What it carries.
    bytes: Vec<u8>,
}

/// What the proxy's threads share.
struct Shared {
    /// The link's behaviour.
    link: Link,
    /// Set when the proxy is dropped: every thread then ends.
    stop: AtomicBool,
    /// Datagrams received from clients so far.
    to_server: AtomicUsize,
    /// Datagrams received from the server so far.
    to_client: AtomicUsize,
    /// The generator for each way: (to the server, to the clients).
    random: Mutex<(Random, Random)>,
    /// Where datagrams wait for their time.
    deliveries: Mutex<Sender<Delivery>>,
    /// Threads started for new clients, joined when the proxy stops.
    threads: Mutex<Vec<JoinHandle<()>>>,
}

/// A running proxy. Dropping it stops it.
pub struct UdpProxy {
    /// Where clients send: to them, this is the server.
    pub address: SocketAddr,
    /// What its threads share.
    shared: Arc<Shared>,
    /// The thread that takes clients' datagrams, and the one that delivers.
    threads: Vec<JoinHandle<()>>,
}

impl UdpProxy {
    /// Starts a proxy on 127.0.0.1 in front of `server`.
    pub fn start(server: SocketAddr, link: Link) -> UdpProxy {
        let front = Arc::new(UdpSocket::bind("127.0.0.1:0").expect("bind the proxy"));
        front.set_read_timeout(Some(TICK)).expect("timeout");
        let address = front.local_addr().expect("the proxy's address");
        let (deliveries, waiting) = mpsc::channel();
        let seed = link.seed;
        let shared = Arc::new(Shared {
            link,
            stop: AtomicBool::new(false),
            to_server: AtomicUsize::new(0),
            to_client: AtomicUsize::new(0),
            random: Mutex::new((Random::new(seed), Random::new(seed ^ 0x5eed))),
            deliveries: Mutex::new(deliveries),
            threads: Mutex::new(Vec::new()),
        });
        let from_clients = {
            let shared = Arc::clone(&shared);
            thread::spawn(move || take_from_clients(&front, server, &shared))
        };
        let deliver = {
            let shared = Arc::clone(&shared);
            thread::spawn(move || deliver(&waiting, &shared))
        };
        UdpProxy {
            address,
            shared,
            threads: vec![from_clients, deliver],
        }
    }

    /// How many datagrams clients have sent so far.
    pub fn to_server(&self) -> usize {
        self.shared.to_server.load(Ordering::SeqCst)
    }

    /// How many datagrams the server has sent so far.
    pub fn to_client(&self) -> usize {
        self.shared.to_client.load(Ordering::SeqCst)
    }
}

impl Drop for UdpProxy {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        for thread in self.threads.drain(..) {
            let _ = thread.join();
        }
        let started = std::mem::take(&mut *self.shared.threads.lock().expect("threads"));
        for thread in started {
            let _ = thread.join();
        }
    }
}

/// The front thread: takes each client's datagrams, and passes them on to the server from
/// that client's own socket (made at its first datagram, with a thread for the replies).
fn take_from_clients(front: &Arc<UdpSocket>, server: SocketAddr, shared: &Arc<Shared>) {
    let mut backs: HashMap<SocketAddr, Arc<UdpSocket>> = HashMap::new();
    let stranger = UdpSocket::bind("127.0.0.1:0").expect("bind the stranger");
    let mut buffer = vec![0; 65_536];
    while !shared.stop.load(Ordering::SeqCst) {
        let Ok((len, client)) = front.recv_from(&mut buffer) else {
            continue; // TICK passed: look at the stop flag again
        };
        let number = shared.to_server.fetch_add(1, Ordering::SeqCst);
        let back = backs
            .entry(client)
            .or_insert_with(|| open_back(front, client, server, shared));
        if shared.link.forge {
            let forged = [FORGED_STAMP, &buffer[..len]].concat();
            let _ = stranger.send_to(&forged, client);
        }
        let lost = shared.link.lose_to_server.contains(&number);
        schedule(shared, lost, true, back, None, &buffer[..len]);
    }
}

/// A socket connected to the server for one client, and a thread that passes the server's
/// replies back to that client through the front socket.
fn open_back(
    front: &Arc<UdpSocket>,
    client: SocketAddr,
    server: SocketAddr,
    shared: &Arc<Shared>,
) -> Arc<UdpSocket> {
    let back = UdpSocket::bind("127.0.0.1:0").expect("bind a back socket");
    back.connect(server).expect("aim at the server");
    back.set_read_timeout(Some(TICK)).expect("timeout");
    let back = Arc::new(back);
    let (front, reader, shared_too) = (Arc::clone(front), Arc::clone(&back), Arc::clone(shared));
    let thread = thread::spawn(move || {
        let mut buffer = vec![0; 65_536];
        while !shared_too.stop.load(Ordering::SeqCst) {
            // A refusal (the server stopped) is an error here too: go on listening.
            let Ok(len) = reader.recv(&mut buffer) else {
                continue;
            };
            let number = shared_too.to_client.fetch_add(1, Ordering::SeqCst);
            let lost = shared_too.link.lose_to_client.contains(&number);
            schedule(
                &shared_too,
                lost,
                false,
                &front,
                Some(client),
                &buffer[..len],
            );
        }
    });
    shared.threads.lock().expect("threads").push(thread);
    back
}

/// Decides what the link does to one datagram (lost, late, twice) and queues its deliveries.
fn schedule(
    shared: &Shared,
    lost: bool,
    to_server: bool,
    from: &Arc<UdpSocket>,
    to: Option<SocketAddr>,
    bytes: &[u8],
) {
    let link = &shared.link;
    let mut arrivals = Vec::new();
    {
        let mut random = shared.random.lock().expect("random");
        let random = if to_server {
            &mut random.0
        } else {
            &mut random.1
        };
        if lost || random.chance(link.loss) {
            return;
        }
        let copies = if link.duplicate { 2 } else { 1 };
        for _ in 0..copies {
            arrivals.push(link.delay + link.jitter.mul_f64(random.fraction()));
        }
    }
    let queue = shared.deliveries.lock().expect("deliveries");
    for after in arrivals {
        let _ = queue.send(Delivery {
            at: Instant::now() + after,
            from: Arc::clone(from),
            to,
            bytes: bytes.to_vec(),
        });
    }
}

/// The delivering thread: sends each datagram when its time comes.
fn deliver(waiting: &Receiver<Delivery>, shared: &Shared) {
    let mut due: Vec<Delivery> = Vec::new();
    while !shared.stop.load(Ordering::SeqCst) {
        let next = due.iter().map(|delivery| delivery.at).min();
        let wait = next.map_or(TICK, |at| {
            at.saturating_duration_since(Instant::now()).min(TICK)
        });
        match waiting.recv_timeout(wait) {
            Ok(delivery) => due.push(delivery),
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => return,
        }
        let now = Instant::now();
        let (ready, later): (Vec<Delivery>, Vec<Delivery>) =
            due.into_iter().partition(|delivery| delivery.at <= now);
        due = later;
        for delivery in ready {
            let _ = match delivery.to {
                Some(to) => delivery.from.send_to(&delivery.bytes, to),
                None => delivery.from.send(&delivery.bytes),
            };
        }
    }
}

/// A small seeded generator (xorshift64*): the same seed, the same losses.
struct Random(u64);

impl Random {
    fn new(seed: u64) -> Random {
        Random(seed.max(1))
    }

    /// A number from 0.0 up to (not including) 1.0.
    fn fraction(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        let value = self.0.wrapping_mul(0x2545_F491_4F6C_DD1D);
        (value >> 11) as f64 / (1u64 << 53) as f64
    }

    /// True with probability `share`.
    fn chance(&mut self, share: f64) -> bool {
        share > 0.0 && self.fraction() < share
    }
}
