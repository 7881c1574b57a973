//! What the TCP and UDP checks judge alike: a reply's form, its data, and its time.

use std::thread;
use std::time::Duration;

use common::tr;

use super::reply::{self, Mistake};
use super::show::bytes as shown;
use super::stamp::{self, Verdict};
use super::{Failure, LocalNow, Outcome};

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
    /// The checker's local time when it came.
    pub local: chrono::NaiveDateTime,
    /// UTC when it came.
    pub utc: chrono::NaiveDateTime,
}

/// The time in `reply`, with both clocks read now.
pub fn time_of(reply: &[u8], message: &[u8], now: LocalNow) -> Result<Stamped, Failure> {
    let (local, utc) = (now(), chrono::Utc::now().naive_utc());
    let reading = reply::read(reply, message);
    let Some(text) = reading.stamp else {
        let got = got(reply);
        let meaning = Mistake::NoStamp.meaning();
        return Err(Failure::named(
            Mistake::NoStamp,
            tr!("{got}: {meaning}", "{got}：{meaning}"),
        ));
    };
    let Some(time) = stamp::parse_any(&text, local) else {
        return Err(Failure::named(
            Mistake::OtherLayout,
            tr!(
                "cannot read a time in the stamp {text:?}: write it as ctime() does, `Wed Nov 25 17:28:42 2026`",
                "无法从时间戳 {text:?} 读出时间：请按 ctime() 的格式书写，例如 Wed Nov 25 17:28:42 2026"
            ),
        ));
    };
    Ok(Stamped {
        text,
        time,
        local,
        utc,
    })
}

/// Judges a stamp's time against this machine's local time.
pub fn judge(stamped: &Stamped) -> Result<(), Failure> {
    let (text, local) = (&stamped.text, stamped.local.format(stamp::CTIME));
    match stamp::judge_time(stamped.time, stamped.local, stamped.utc) {
        Verdict::Now => Ok(()),
        Verdict::Utc { behind_secs } => {
            let hours = stamp::hours(behind_secs);
            Err(Failure::named(
                Mistake::Utc,
                tr!(
                    "the time {text:?} is UTC, {hours} off this machine's local time ({local}): the reply carries local time, as ctime() gives it; use time.ctime(), not gmtime() or datetime.utcnow()",
                    "时间 {text:?} 是 UTC，与本机的本地时间（{local}）相差 {hours}：回复中应是本地时间，即 ctime() 给出的时间；请用 time.ctime()，不要用 gmtime() 或 datetime.utcnow()"
                ),
            ))
        }
        Verdict::OtherZone { ahead_secs } => {
            let hours = stamp::hours(ahead_secs);
            let (way, way_zh) = if ahead_secs > 0 {
                ("ahead of", "快")
            } else {
                ("behind", "慢")
            };
            Err(Failure::named(
                Mistake::OtherZone,
                tr!(
                    "the time {text:?} is {hours} {way} this machine's local time ({local}): a time zone problem; ctime() gives the server machine's local time: check that machine's zone (TZ), or the zone the code converts to",
                    "时间 {text:?} 比本机的本地时间（{local}）{way_zh}了 {hours}：这是时区问题；ctime() 给出的是服务器所在机器的本地时间：请检查那台机器的时区（TZ）或代码转换到的时区"
                ),
            ))
        }
        Verdict::Off { ahead_secs } => {
            let off = ahead_secs.abs();
            Err(Failure::named(
                Mistake::WrongClock,
                tr!(
                    "the time {text:?} is {off} s off this machine's clock ({local}): is the server machine's clock right?",
                    "时间 {text:?} 与本机时钟（{local}）相差 {off} 秒：服务器所在机器的时钟对吗？"
                ),
            ))
        }
    }
}

/// The data of `reply` is `message`, whatever the form of the reply around it.
pub fn exact_data(reply: &[u8], message: &[u8]) -> Outcome {
    let data = reply::read(reply, message).data;
    let sent = shown(message);
    match reply::data_mistake(&data, message) {
        None => Ok(tr!("{sent} came back unchanged", "{sent} 原样返回")),
        Some(mistake) => {
            let (got, meaning) = (got(reply), mistake.meaning());
            Err(Failure::named(
                mistake,
                tr!(
                    "sent {sent}, {got}: {meaning}",
                    "发送 {sent}，{got}：{meaning}"
                ),
            ))
        }
    }
}

/// The stamp is this machine's local time, and it moves: `stamped` asks for one stamp on a
/// connection (or socket) of its own; two asked a second apart must differ.
pub fn time_now_and_moving(stamped: impl Fn(&[u8]) -> Result<Stamped, Failure>) -> Outcome {
    let first = stamped(b"what time is it?")?;
    // A stamp taken once, before the loop, would not move (and is named as that, however
    // long ago the server started).
    thread::sleep(Duration::from_millis(1100));
    let second = stamped(b"and now?")?;
    let text = &second.text;
    if second.time <= first.time {
        return Err(Failure::named(
            Mistake::FrozenStamp,
            tr!(
                "two replies a second apart both say {text:?}: the server takes ctime() once, before its loop; call it for each reply",
                "相隔一秒的两次回复都是 {text:?}：服务器只在循环之前取了一次 ctime()；请在每次回复时调用它"
            ),
        ));
    }
    judge(&second)?;
    Ok(tr!(
        "{text:?}: this machine's local time",
        "{text:?}：与本机的本地时间一致"
    ))
}
