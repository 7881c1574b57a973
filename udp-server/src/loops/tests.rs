//! The loop rule against classmates' servers in every layout, and against people and
//! benchmarks that must never be taken for a loop. Time is simulated: each datagram comes a
//! millisecond after the one before, as a loop's do.

use super::*;

/// This server's stamp at `ms` milliseconds into the simulation.
fn our_stamp(ms: u64) -> String {
    let second = 38 + ms / 1000;
    format!(
        "[Mon Nov 30 07:{:02}:{:02} 2026] ",
        12 + second / 60,
        second % 60
    )
}

/// A classmate's stamp, in one of the layouts students write, and how it wraps `data`.
#[derive(Clone, Copy, Debug)]
enum Layout {
    /// The book's: `'[%s] %s' % (ctime(), data)`.
    Book,
    /// `'[%s]%s'`: no space after `]`.
    NoSpace,
    /// An ISO date: `2026-11-30 07:12:38 data`.
    Iso,
    /// A Chinese date: `[2026年11月30日 07:12:38] data`.
    Chinese,
    /// Python 3 formatting bytes into a str: `[ctime] b'data'`.
    PythonBytes,
    /// Python 3 bytes, and a Chinese date.
    ChineseBytes,
    /// The message upper-cased.
    Upper,
    /// A plain echo.
    Echo,
    /// The book's, ending in CRLF.
    Crlf,
}

/// What Python 3 prints for `bytes` (`repr`): `b'...'`, or `b"..."` when only that quote
/// needs no escape.
fn python_repr(data: &[u8]) -> String {
    let quote = if data.contains(&b'\'') && !data.contains(&b'"') {
        '"'
    } else {
        '\''
    };
    let mut text = format!("b{quote}");
    for &byte in data {
        match byte {
            b'\\' => text.push_str("\\\\"),
            b'\n' => text.push_str("\\n"),
            b'\r' => text.push_str("\\r"),
            b'\t' => text.push_str("\\t"),
            byte if char::from(byte) == quote => text.push_str(&format!("\\{quote}")),
            b' '..=b'~' => text.push(char::from(byte)),
            byte => text.push_str(&format!("\\x{byte:02x}")),
        }
    }
    text.push(quote);
    text
}

/// A classmate's answer to `data`, cut first to its buffer of `bufsize` bytes.
fn classmate(layout: Layout, bufsize: usize, data: &[u8]) -> Vec<u8> {
    let data = &data[..data.len().min(bufsize)];
    let ctime = "Mon Nov 30 07:12:38 2026";
    let stamped = |stamp: &str| [stamp.as_bytes(), data].concat();
    match layout {
        Layout::Book => stamped(&format!("[{ctime}] ")),
        Layout::NoSpace => stamped(&format!("[{ctime}]")),
        Layout::Iso => stamped("2026-11-30 07:12:38 "),
        Layout::Chinese => stamped("[2026年11月30日 07:12:38] "),
        Layout::PythonBytes => format!("[{ctime}] {}", python_repr(data)).into_bytes(),
        Layout::ChineseBytes => {
            format!("[2026年11月30日 07:12:38] {}", python_repr(data)).into_bytes()
        }
        Layout::Upper => stamped(&format!("[{ctime}] ")).to_ascii_uppercase(),
        Layout::Echo => data.to_vec(),
        Layout::Crlf => [stamped(&format!("[{ctime}] ")), b"\r\n".to_vec()].concat(),
    }
}

const LAYOUTS: [Layout; 9] = [
    Layout::Book,
    Layout::NoSpace,
    Layout::Iso,
    Layout::Chinese,
    Layout::PythonBytes,
    Layout::ChineseBytes,
    Layout::Upper,
    Layout::Echo,
    Layout::Crlf,
];

/// Our server in the simulation: its loop rule and its clock.
struct Ours {
    loops: Loops,
    start: Instant,
    /// How far this server's clock is from the simulation's (another machine's clock).
    skew_ms: u64,
}

impl Ours {
    fn new(port: u16) -> Ours {
        Ours {
            loops: Loops::new(SocketAddr::from(([127, 0, 0, 1], port)), Vec::new()),
            start: Instant::now(),
            skew_ms: 0,
        }
    }

    /// The answer to `data` from `from` at `ms`, if it is answered.
    fn answer(&mut self, data: &[u8], from: SocketAddr, ms: u64) -> Option<Vec<u8>> {
        let now = self.start + Duration::from_millis(ms);
        match self.loops.judge(data, from, None, now) {
            Verdict::Answer { echo } => {
                let reply = [our_stamp(ms + self.skew_ms).as_bytes(), data].concat();
                self.loops.answered(&reply, echo, now);
                Some(reply)
            }
            Verdict::Loop | Verdict::FromItself => None,
        }
    }
}

fn peer(port: u16) -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 2], port))
}

/// How many answers our server sends in a loop with a classmate, started at `start_ms`
/// by one forged datagram, a millisecond a round; at most 1000 rounds are played.
fn answers_in_a_loop(layout: Layout, bufsize: usize, start_ms: u64) -> usize {
    let mut ours = Ours::new(21567);
    let mut datagram = b"hello".to_vec();
    for (answers, ms) in (start_ms..start_ms + 1000).enumerate() {
        let Some(reply) = ours.answer(&datagram, peer(21567), ms) else {
            return answers;
        };
        datagram = classmate(layout, bufsize, &reply);
    }
    panic!("{layout:?}, bufsize {bufsize}: the loop never ended");
}

#[test]
fn a_loop_with_a_classmate_in_any_layout_ends_after_a_handful() {
    for layout in LAYOUTS {
        for bufsize in [5, 10, 16, 27, 30, 40, 64, 1024, 65_536] {
            // Mid-second, and just before the stamp's second changes.
            for start_ms in [500, 999] {
                let answers = answers_in_a_loop(layout, bufsize, start_ms);
                assert!(
                    (1..=3).contains(&answers),
                    "{layout:?}, bufsize {bufsize}, at {start_ms} ms: {answers} answers"
                );
            }
        }
    }
}

#[test]
fn a_loop_that_starts_with_chinese_or_binary_data_ends_too() {
    for first in [
        "中文".as_bytes(),
        b"\xff\x00\x01",
        b"it's \"quoted\" \\ here\n",
    ] {
        for layout in LAYOUTS {
            let mut ours = Ours::new(21567);
            let mut datagram = first.to_vec();
            let mut answers = 0;
            while let Some(reply) = ours.answer(&datagram, peer(21567), 500 + answers) {
                answers += 1;
                assert!(answers <= 4, "{layout:?}, {first:?}: the loop goes on");
                datagram = classmate(layout, 1024, &reply);
            }
        }
    }
}

#[test]
fn two_of_our_servers_stop_each_other_whatever_their_clocks() {
    for skew_ms in [0, 3_600_000] {
        let (mut a, mut b) = (Ours::new(21567), Ours::new(21568));
        b.skew_ms = skew_ms;
        let (a_addr, b_addr) = (peer(21567), peer(21568));
        let mut datagram = b"hello".to_vec();
        let mut hops = 0;
        for ms in 500.. {
            let answered = if ms % 2 == 0 {
                a.answer(&datagram, b_addr, ms)
            } else {
                b.answer(&datagram, a_addr, ms)
            };
            let Some(reply) = answered else { break };
            datagram = reply;
            hops += 1;
            assert!(hops <= 6, "skew {skew_ms}: still looping");
        }
    }
}

#[test]
fn a_ring_of_three_ends_too() {
    // Our server, a classmate's that answers with no space after `]`, and another of ours:
    // each one's answer goes on to the next.
    let (mut a, mut c) = (Ours::new(21567), Ours::new(21569));
    let mut datagram = b"hello".to_vec();
    let mut hops = 0;
    let mut ms = 990;
    while let Some(reply) = a.answer(&datagram, peer(21569), ms) {
        let forwarded = classmate(Layout::NoSpace, 1024, &reply);
        let Some(reply) = c.answer(&forwarded, peer(21568), ms + 1) else {
            break;
        };
        datagram = reply;
        ms += 2;
        hops += 3;
        assert!(hops <= 12, "still looping");
    }
}

#[test]
fn a_person_pasting_replies_is_answered_every_time() {
    let mut ours = Ours::new(21567);
    let student = peer(40000);
    let reply = ours.answer(b"hi", student, 0).expect("answered");
    // The reply pasted back at once, again and again, and in lower case: each is answered,
    // with a second stamp.
    for (i, pasted) in [
        reply.clone(),
        reply.clone(),
        reply.to_ascii_lowercase(),
        reply,
    ]
    .into_iter()
    .enumerate()
    {
        let answer = ours.answer(&pasted, student, 1 + i as u64);
        let answer = answer.unwrap_or_else(|| panic!("paste {i} not answered"));
        assert_eq!(&answer[STAMP_LEN..], &pasted[..]);
    }
    // An old reply from the book, pasted: an ordinary message.
    let old = b"[Mon Nov 30 07:12:38 2026] hi";
    assert!(ours.answer(old, student, 3000).is_some());
    assert!(
        ours.answer(&old.to_ascii_lowercase(), student, 3001)
            .is_some()
    );
}

#[test]
fn a_benchmark_sending_as_fast_as_it_can_is_never_taken_for_a_loop() {
    let mut ours = Ours::new(21567);
    let clients: Vec<SocketAddr> = (0..10).map(|i| peer(50000 + i)).collect();
    for round in 0..10_000_u64 {
        let client = clients[round as usize % clients.len()];
        let datagram = if round % 2 == 0 {
            &b"timestamp me!!"[..]
        } else {
            &[b'x'; 1000][..]
        };
        assert!(
            ours.answer(datagram, client, round / 10).is_some(),
            "{round}"
        );
    }
}

#[test]
fn an_answer_is_remembered_for_a_second_only_and_the_memory_is_bounded() {
    let mut ours = Ours::new(21567);
    let reply = ours.answer(b"hi", peer(1), 0).expect("answered");
    let echo = ours
        .answer(&reply, peer(1), 1)
        .expect("an echo is answered");
    // Its answer carried back two seconds later is no loop: nothing comes back that slowly.
    assert!(ours.answer(&echo, peer(1), 2001).is_some());
    for ms in 0..1000 {
        let reply = ours.answer(b"x", peer(2), 3000 + ms).expect("answered");
        ours.answer(&reply, peer(2), 3000 + ms).expect("an echo");
        assert!(ours.loops.heads.len() <= HEADS);
    }
}

#[test]
fn the_start_kept_of_an_answer_stops_where_another_server_may_escape() {
    let now = Instant::now();
    let stamp = our_stamp(0);
    let head = head_of(format!("{stamp}[x] b'it' and more").as_bytes(), now);
    assert_eq!(head.bytes(), format!("{stamp}[x] b").as_bytes());
    let long = format!("{stamp}{}", "a".repeat(100));
    assert_eq!(head_of(long.as_bytes(), now).len, HEAD);
    let chinese = format!("{stamp}中文");
    assert_eq!(head_of(chinese.as_bytes(), now).bytes(), stamp.as_bytes());
}

#[test]
fn carried_means_whole_or_cut_at_the_end() {
    let sent = b"[Mon Nov 30 07:12:38 2026] hello";
    assert!(carries(
        b"2026-11-30 [Mon Nov 30 07:12:38 2026] hello",
        sent
    ));
    assert!(carries(b"[MON NOV 30 07:12:38 2026] HELLO!", sent));
    assert!(carries(b"[x][Mon Nov 30 07:1", sent), "cut at a buffer");
    assert!(
        carries(b"[x] b'[Mon Nov 30 07:1'", sent),
        "cut, then b'...' closed"
    );
    assert!(
        !carries(b"[Mon Nov 30 07:12:38 2026] hi", sent),
        "another message"
    );
    assert!(!carries(b"[Mon Nov 30 07:12:38 2026] hello", b""));
    assert!(!carries(b"see [Mo", sent), "too little to tell");
    assert!(!carries(b"[Mon Nov 30 07:1 and more after it", sent));
}

#[test]
fn a_datagram_from_the_servers_own_address_and_port_would_loop() {
    let loops = |bound: &str, own: &[&str]| {
        let bound = bound.parse().expect("an address");
        let own = own.iter().map(|ip| ip.parse().expect("an IP")).collect();
        Loops::new(bound, own)
    };
    let from = |text: &str| -> SocketAddr { text.parse().expect("an address") };
    let now = Instant::now();
    let mut one = loops("127.0.0.2:5000", &[]);
    let itself = Verdict::FromItself;
    let answer = Verdict::Answer { echo: false };
    assert_eq!(one.judge(b"x", from("127.0.0.2:5000"), None, now), itself);
    assert_eq!(one.judge(b"x", from("127.0.0.2:5001"), None, now), answer);
    assert_eq!(one.judge(b"x", from("127.0.0.3:5000"), None, now), answer);
    let to = Some("192.0.2.7".parse().expect("an IP"));
    let mut every = loops("0.0.0.0:5000", &["192.0.2.7", "198.51.100.1"]);
    for address in ["127.0.0.1:5000", "192.0.2.7:5000", "198.51.100.1:5000"] {
        assert_eq!(
            every.judge(b"x", from(address), to, now),
            itself,
            "{address}"
        );
    }
    assert_eq!(every.judge(b"x", from("203.0.113.9:5000"), to, now), answer);
    let mut dual = loops("[::]:5000", &[]);
    assert_eq!(
        dual.judge(b"x", from("[::ffff:127.0.0.1]:5000"), None, now),
        itself
    );
    let mut mapped = loops("[::ffff:127.0.0.1]:5000", &[]);
    assert_eq!(
        mapped.judge(b"x", from("127.0.0.1:5000"), None, now),
        itself
    );
}

#[test]
fn each_sender_is_named_once_in_bounded_memory() {
    let mut loops = Loops::new(SocketAddr::from(([127, 0, 0, 1], 5000)), Vec::new());
    let sender = peer(6000);
    assert!(loops.first_from(sender));
    assert!(!loops.first_from(sender));
    assert!(loops.first_from(peer(6001)));
    // A spoofer's many addresses: the memory stays bounded.
    for port in 0..5000 {
        loops.first_from(SocketAddr::new(sender.ip(), port));
        assert!(loops.told.len() <= SENDERS_REMEMBERED);
    }
}
