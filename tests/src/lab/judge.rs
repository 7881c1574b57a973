//! What the TCP and UDP checks judge alike: a reply's form, its data, and its time.

use std::thread;
use std::time::Duration;

use common::tr;

use super::reply;
use super::show::{bytes as shown, text as quoted};
use super::stamp::{self, Verdict};
use super::zone::{Clock, written};
use super::{Failure, Mistake, Outcome, Protocol};

/// `got "..."`: the reply as received, to show beside what is wrong with it.
pub fn got(reply: &[u8]) -> String {
    let reply = shown(reply);
    tr!("got {reply}", "收到 {reply}")
}

/// Fails with every mistake found in `mistakes`, the first one named.
pub fn mistaken(reply: &[u8], mistakes: &[Mistake]) -> Outcome {
    let Some(&first) = mistakes.first() else {
        return Ok(shown(reply));
    };
    let meanings: Vec<String> = mistakes.iter().map(|mistake| mistake.meaning()).collect();
    let got = got(reply);
    let meanings = meanings.join(&tr!("; ", "；"));
    Err(Failure::named(
        first,
        tr!("{got}: {meanings}", "{got}：{meanings}"),
    ))
}

/// A stamp's time, with both clocks read as it came.
pub struct Stamped {
    /// The stamp as written.
    pub text: String,
    /// Its time.
    pub time: chrono::NaiveDateTime,
    /// The time a right stamp shows, when it came.
    pub now: chrono::NaiveDateTime,
    /// UTC when it came.
    pub utc: chrono::NaiveDateTime,
    /// Whose time `now` is, in words.
    pub whose: String,
}

/// The time in `reply`, with both clocks read now.
pub fn time_of(reply: &[u8], message: &[u8], clock: &Clock) -> Result<Stamped, Failure> {
    let (now, utc) = (clock.now(), chrono::Utc::now().naive_utc());
    let reading = reply::read(reply, message);
    let Some(text) = reading.stamp else {
        let got = got(reply);
        let meaning = Mistake::NoStamp.meaning();
        return Err(Failure::named(
            Mistake::NoStamp,
            tr!("{got}: {meaning}", "{got}：{meaning}"),
        ));
    };
    let Some(time) = stamp::parse_any(&text, now) else {
        let text = quoted(&text);
        return Err(Failure::named(
            Mistake::OtherLayout,
            tr!(
                "cannot read a time in the stamp {text}: write it as ctime() does, `Wed Nov 25 17:28:42 2026`",
                "无法从时间戳 {text} 读出时间：请按 ctime() 的格式书写，例如 Wed Nov 25 17:28:42 2026"
            ),
        ));
    };
    Ok(Stamped {
        text,
        time,
        now,
        utc,
        whose: clock.whose(),
    })
}

/// Judges a stamp's time against the time it should show.
pub fn judge(stamped: &Stamped) -> Result<(), Failure> {
    let (text, now, whose) = (
        quoted(&stamped.text),
        stamped.now.format(stamp::CTIME),
        &stamped.whose,
    );
    match stamp::judge_time(stamped.time, stamped.now, stamped.utc) {
        Verdict::Now => Ok(()),
        Verdict::Utc { behind_secs } => {
            let hours = stamp::hours(behind_secs);
            Err(Failure::named(
                Mistake::Utc,
                tr!(
                    "the time {text} is UTC, {hours} off {whose} ({now}): either the code stamps UTC (gmtime(), datetime.utcnow()), or the server's machine is set to UTC (a new VM, WSL, a container), where ctime() gives UTC too; from here the kit cannot tell which. The reply carries the local time of the room: use time.ctime(), on a machine set to the room's zone (or give the room's zone: --tz UTC)",
                    "时间 {text} 是 UTC，与{whose}（{now}）相差 {hours}：要么代码取的是 UTC（gmtime()、datetime.utcnow()），要么服务器所在的机器设成了 UTC（新装的虚拟机、WSL、容器），那样 ctime() 给出的也是 UTC；从这里无法分辨是哪一种。回复中应是所在地的本地时间：请用 time.ctime()，并把机器设成所在地的时区（或者用 --tz UTC 说明全班的时区）"
                ),
            )
            .zone_off(-behind_secs))
        }
        Verdict::OtherZone { ahead_secs } => {
            let (hours, zone) = (stamp::hours(ahead_secs), written(stamped_zone(stamped)));
            let (way, way_zh) = if ahead_secs > 0 {
                ("ahead of", "快")
            } else {
                ("behind", "慢")
            };
            Err(Failure::named(
                Mistake::OtherZone,
                tr!(
                    "the time {text} is {hours} {way} {whose} ({now}): a time zone's difference; ctime() gives the local time of the server's machine: check that machine's zone (TZ), or the zone the code converts to; if that machine is in the room's zone, give it: --tz {zone}",
                    "时间 {text} 比{whose}（{now}）{way_zh}了 {hours}：这是时区的差别；ctime() 给出的是服务器所在机器的本地时间：请检查那台机器的时区（TZ）或代码转换到的时区；如果那台机器的时区就是全班的时区，请用 --tz {zone} 说明"
                ),
            )
            .zone_off(ahead_secs))
        }
        Verdict::Off { ahead_secs } => {
            let off = ahead_secs.abs();
            Err(Failure::named(
                Mistake::WrongClock,
                tr!(
                    "the time {text} is {off} s off {whose} ({now}): is the server machine's clock right?",
                    "时间 {text} 与{whose}（{now}）相差 {off} 秒：服务器所在机器的时钟对吗？"
                ),
            ))
        }
    }
}

/// The zone (seconds east of UTC) a stamp's time is in.
fn stamped_zone(stamped: &Stamped) -> i64 {
    let east = (stamped.time - stamped.utc).num_seconds();
    (east as f64 / 900.0).round() as i64 * 900
}

/// The data of `reply` is `message`, whatever the form of the reply around it; over TCP also
/// when it came in several stamped pieces (a server that reads a few bytes at a time).
pub fn exact_data(reply: &[u8], message: &[u8], protocol: Protocol) -> Outcome {
    let data = reply::read(reply, message).data;
    let sent = shown(message);
    let Some(mistake) = reply::data_mistake(&data, message) else {
        return Ok(tr!("{sent} came back unchanged", "{sent} 原样返回"));
    };
    if protocol == Protocol::Tcp {
        let (joined, pieces) = joined_data(reply, message);
        if joined == message && pieces > 1 {
            return Ok(tr!(
                "{sent} came back unchanged, in {pieces} stamped pieces",
                "{sent} 原样返回，分成了 {pieces} 段带时间戳的回复"
            ));
        }
    }
    let got = got(reply);
    let meaning = match mistake {
        Mistake::Cut => cut(data.len(), message.len(), protocol),
        _ => mistake.meaning(),
    };
    Err(Failure::named(
        mistake,
        tr!(
            "sent {sent}, {got}: {meaning}",
            "发送 {sent}，{got}：{meaning}"
        ),
    ))
}

/// What it means that only the first `came` bytes of `sent` came back.
pub fn cut(came: usize, sent: usize, protocol: Protocol) -> String {
    match protocol {
        Protocol::Udp => tr!(
            "only the first {came} of the {sent} bytes came back: the server reads with a buffer of {came} bytes (recvfrom({came})?), and UDP drops the rest of a datagram longer than the buffer; read with recvfrom(BUFSIZ), BUFSIZ = 1024",
            "{sent} 字节只返回了前 {came} 字节：服务器读取时的缓冲区只有 {came} 字节（recvfrom({came})？），而 UDP 会丢掉数据报中超出缓冲区的部分；请用 recvfrom(BUFSIZ) 读取，BUFSIZ = 1024"
        ),
        Protocol::Tcp => tr!(
            "only the first {came} of the {sent} bytes came back, and no more: each recv()'s bytes go back whole, after a stamp",
            "{sent} 字节只返回了前 {came} 字节，之后再没有了：每次 recv() 收到的字节都应在时间戳之后完整返回"
        ),
    }
}

/// The data of every stamped reply in `replies`, joined (the data holds no `[`), and how
/// many replies there were. A server that sends each reply twice (named by the `reply`
/// check) has each piece once.
pub fn joined_data(replies: &[u8], sent: &[u8]) -> (Vec<u8>, usize) {
    let pieces: Vec<Vec<u8>> = replies
        .split(|&byte| byte == b'[')
        .filter(|piece| !piece.is_empty())
        .map(|piece| reply::read(&[b"[", piece].concat(), sent).data)
        .collect();
    let joined = pieces.concat();
    if joined.len() > sent.len() && pieces.len() % 2 == 0 {
        let twice = pieces.chunks(2).all(|pair| pair[0] == pair[1]);
        if twice {
            let once: Vec<Vec<u8>> = pieces.chunks(2).map(|pair| pair[0].clone()).collect();
            return (once.concat(), once.len());
        }
    }
    (joined, pieces.len())
}

/// The stamp is the time now, and it moves: `stamped` asks for one stamp on a connection
/// (or socket) of its own; two asked a second apart must differ.
pub fn time_now_and_moving(stamped: impl Fn(&[u8]) -> Result<Stamped, Failure>) -> Outcome {
    let first = stamped(b"what time is it?")?;
    // A stamp taken once, before the loop, would not move (and is named as that, however
    // long ago the server started).
    thread::sleep(Duration::from_millis(1100));
    let second = stamped(b"and now?")?;
    let text = quoted(&second.text);
    if second.time <= first.time {
        return Err(Failure::named(
            Mistake::FrozenStamp,
            tr!(
                "two replies a second apart both say {text}: the server takes ctime() once, before its loop; call it for each reply",
                "相隔一秒的两次回复都是 {text}：服务器只在循环之前取了一次 ctime()；请在每次回复时调用它"
            ),
        ));
    }
    judge(&second)?;
    let whose = &second.whose;
    Ok(tr!("{text}: {whose}", "{text}：{whose}"))
}

/// No reply to `sent` (as shown), the bytes the `named` check is about, from a server that
/// answers other messages: `who` failed on those bytes, and stopped unless it `still`
/// answers plain text. The same words for TCP and UDP, but for `who`.
pub fn failed_on_bytes(named: Mistake, still: bool, sent: &str, who: &str) -> Failure {
    let how = match (named, still) {
        (Mistake::FailsOnChinese, true) => tr!(
            "no reply to {sent}, Chinese text (UTF-8), while plain text is answered: {who} failed on bytes that are not ASCII (an exception such as UnicodeDecodeError from decode('ascii'), or UnicodeEncodeError from printing them to a console that cannot show Chinese); the kit cannot see the error: look at the server's terminal. Send the received bytes back without decoding them",
            "没有收到对 {sent}（UTF-8 编码的中文）的回复，而普通文本有回复：{who}在处理非 ASCII 字节时出错了（例如 decode('ascii') 引发的 UnicodeDecodeError，或者把中文打印到不能显示中文的控制台时引发的 UnicodeEncodeError）；检查工具看不到这个错误：请查看服务器的终端。请不经解码，直接发回收到的字节"
        ),
        (Mistake::FailsOnChinese, false) => tr!(
            "no reply to {sent}, Chinese text (UTF-8), and none since: the server stopped on bytes that are not ASCII (UnicodeDecodeError, or UnicodeEncodeError from printing them?); look at the server's terminal, and send the received bytes back without decoding them",
            "没有收到对 {sent}（UTF-8 编码的中文）的回复，之后也再没有回复：服务器因为非 ASCII 字节而停止了（UnicodeDecodeError，或者打印时的 UnicodeEncodeError？）；请查看服务器的终端，并且不经解码，直接发回收到的字节"
        ),
        (_, true) => tr!(
            "no reply to {sent}, bytes that are not UTF-8, while plain text is still answered: {who} probably failed to decode them (UnicodeDecodeError); send the received bytes back without decode()",
            "没有收到对 {sent}（不是 UTF-8 的字节）的回复，而普通文本仍有回复：{who}很可能在解码时出错了（UnicodeDecodeError）；请不经 decode()，直接发回收到的字节"
        ),
        (_, false) => tr!(
            "no reply to {sent}, bytes that are not UTF-8, and none since: the server stopped on them (UnicodeDecodeError?); send the received bytes back without decode()",
            "没有收到对 {sent}（不是 UTF-8 的字节）的回复，之后也再没有回复：服务器因它们而停止了（UnicodeDecodeError？）；请不经 decode()，直接发回收到的字节"
        ),
    };
    Failure::named(named, how)
}
