//! The TCP server's checks (book 16.3.3), each on connections of its own, with its own
//! deadline.
//!
//! They run one after another, in an order that keeps them apart: the checks that can end a
//! fragile server (bytes that are not UTF-8, a reset) come last, and a server that stopped is
//! named as such by every check after.

mod class;
mod refusal;
mod wire;

use std::net::{Shutdown, SocketAddr};
use std::time::{Duration, Instant};

use common::tr;

use super::judge::{self, exact_data, got, joined_data, mistaken};
use super::reply;
use super::show::bytes as shown;
use super::transcript::Transcript;
use super::{Check, Failure, Mistake, Named, Outcome, Protocol, Settings, run_in_turn};
use wire::{Ending, Heard, Server, nothing};

/// The checks, each with its name, in the order they run.
pub const CHECKS: [Named<Server>; 9] = [
    ("reply", reply),
    ("time", time),
    ("several", several),
    ("long", long),
    ("chinese", chinese),
    ("next-client", next_client),
    ("at-once", class::at_once),
    ("not-utf8", not_utf8),
    ("reset", reset),
];

/// The message longer than the book's `BUFSIZ` of 1024 bytes.
const LONG_LEN: usize = 3000;

/// Runs the checks `settings` asks for against the server at `address`; gives them with the
/// transcript's lines.
pub fn run(
    address: SocketAddr,
    settings: &Settings,
    transcript: Transcript,
) -> (Vec<Check>, Vec<String>) {
    let server = Server::new(address, settings, transcript);
    let checks = run_in_turn(&CHECKS, &server, settings, &server.transcript, |server| {
        server.answered.get()
    });
    (checks, server.transcript.lines())
}

/// The book's client sends `hello`; the reply must be `[` + ctime + `] hello`, nothing more.
fn reply(server: &Server) -> Outcome {
    let message = b"hello";
    let mut connection = server.open()?;
    let reply = server.ask(&mut connection, message)?;
    let reading = reply::read(&reply, message);
    let mut mistakes = reading.mistakes;
    mistakes.extend(reply::data_mistake(&reading.data, message));
    mistaken(&reply, &mistakes)
}

/// Asks for one stamp on a connection of its own, and reads its time in any layout.
fn stamped(server: &Server, message: &[u8]) -> Result<judge::Stamped, Failure> {
    let mut connection = server.open()?;
    let reply = server.ask(&mut connection, message)?;
    judge::time_of(&reply, message, &server.clock)
}

/// The stamp is the time now, and it moves.
fn time(server: &Server) -> Outcome {
    judge::time_now_and_moving(|message| stamped(server, message))
}

/// Several messages on one connection are each answered: the inner loop.
fn several(server: &Server) -> Outcome {
    let messages: [&[u8]; 3] = [b"one", b"two", b"three"];
    let mut connection = server.open()?;
    for (i, &message) in messages.iter().enumerate() {
        let reply = match server.ask(&mut connection, message) {
            Ok(reply) => reply,
            Err(failure) if i == 0 => return Err(failure),
            Err(failure) => return Err(later_message(&failure, i, message)),
        };
        let data = reply::read(&reply, message).data;
        if reply::data_mistake(&data, message).is_some() {
            let (got, sent) = (got(&reply), shown(message));
            return Err(Failure::named(
                Mistake::Changed,
                tr!(
                    "{got} for {sent}: each message comes back as it was sent, after its stamp",
                    "对 {sent} {got}：每条消息都应原样跟在时间戳后面返回"
                ),
            ));
        }
    }
    Ok(tr!(
        "3 messages on one connection, 3 replies",
        "同一连接上的 3 条消息都得到了回复"
    ))
}

/// Why a message after the first on the same connection went unanswered.
fn later_message(failure: &Failure, answered: usize, message: &[u8]) -> Failure {
    let sent = shown(message);
    match failure.mistake {
        Some(Mistake::ClosedWithoutReply) if answered == 1 => Failure::named(
            Mistake::ClosesAfterOneReply,
            tr!(
                "the server closed the connection after its first reply: keep the inner loop (while True: data = recv(BUFSIZ) ...) going until recv() returns nothing",
                "服务器回复一次后就关闭了连接：请让内层循环（while True: data = recv(BUFSIZ) ……）一直进行，直到 recv() 返回空"
            ),
        ),
        Some(Mistake::ClosedWithoutReply) => Failure::named(
            Mistake::ClosesAfterOneReply,
            tr!(
                "the server closed the connection after {answered} replies, before answering {sent}: keep the inner loop going until recv() returns nothing",
                "服务器回复 {answered} 次后、回复 {sent} 之前关闭了连接：请让内层循环一直进行，直到 recv() 返回空"
            ),
        ),
        _ => {
            let why = &failure.why;
            Failure {
                why: tr!(
                    "{answered} messages were answered on this connection, then: {why}",
                    "这个连接上前 {answered} 条消息得到了回复，然后：{why}"
                ),
                ..failure.clone()
            }
        }
    }
}

/// A message longer than the book's 1024-byte buffer comes back whole, in stamped pieces.
fn long(server: &Server) -> Outcome {
    let message: Vec<u8> = (0..LONG_LEN).map(|i| b'a' + (i % 26) as u8).collect();
    let mut connection = server.open()?;
    let wait = server.patience.long();
    if let Err(error) = server.send(&mut connection, &message) {
        return Err(nothing(&Heard::after_write_error(&error), &message, wait));
    }
    let heard = server.hear(&mut connection, Instant::now() + wait, |bytes| {
        joined_data(bytes, &message).0.len() >= message.len()
    });
    if heard.bytes.is_empty() || heard.ending == Ending::Flood {
        return Err(nothing(&heard, &message, wait));
    }
    let (data, pieces) = joined_data(&heard.bytes, &message);
    let (len, total) = (data.len(), message.len());
    if data == message {
        return Ok(tr!(
            "{total} bytes came back whole, in {pieces} stamped replies",
            "{total} 字节完整返回，分成了 {pieces} 段带时间戳的回复"
        ));
    }
    if !message.starts_with(&data) {
        let at = data
            .iter()
            .zip(&message)
            .position(|(a, b)| a != b)
            .unwrap_or(len.min(total));
        return Err(Failure::named(
            Mistake::Changed,
            tr!(
                "the {total} bytes came back changed from byte {at} on: each recv()'s bytes come back as they were, after a stamp",
                "{total} 字节从第 {at} 字节起被改动了：每次 recv() 收到的字节都应在时间戳之后原样返回"
            ),
        ));
    }
    let secs = wait.as_secs_f64();
    match heard.ending {
        Ending::Closed | Ending::Reset => Err(Failure::named(
            Mistake::ClosesAfterOneReply,
            tr!(
                "only {len} of the {total} bytes came back, then the server closed the connection: it answers once and closes; keep recv()ing until recv() returns nothing",
                "{total} 字节只返回了 {len} 字节，服务器就关闭了连接：它只回复一次就关闭；请一直 recv()，直到 recv() 返回空"
            ),
        )),
        _ => Err(Failure::named(
            Mistake::NotWhole,
            tr!(
                "only {len} of the {total} bytes came back within {secs} s: a message longer than the buffer takes several recv() calls, and each one is answered",
                "{secs} 秒内 {total} 字节只返回了 {len} 字节：比缓冲区长的消息要分几次 recv() 才能读完，每一次都要回复"
            ),
        )),
    }
}

/// Chinese text comes back byte for byte; a server (or its thread for the client) that fails
/// on it while plain text is answered is named so, not asked whether it waits for a newline.
fn chinese(server: &Server) -> Outcome {
    let message = "你好，世界！网络编程".as_bytes();
    let mut connection = server.open()?;
    match server.ask(&mut connection, message) {
        Ok(reply) => exact_data(&reply, message, Protocol::Tcp),
        Err(failure) => Err(failed_on(
            server,
            &failure,
            message,
            Mistake::FailsOnChinese,
        )),
    }
}

/// No usable reply to `message`, the bytes a check is about, from a server that answered
/// other messages: it failed on those bytes. Whether it still answers plain text on a new
/// connection says whether the server or only that client's thread stopped. Any other
/// failure is `failure`.
fn failed_on(server: &Server, failure: &Failure, message: &[u8], named: Mistake) -> Failure {
    let on_these_bytes = matches!(
        failure.mistake,
        Some(Mistake::Silent | Mistake::ClosedWithoutReply)
    );
    if !on_these_bytes || server.answered.get() == 0 {
        return failure.clone();
    }
    let still = server
        .open()
        .and_then(|mut fresh| server.ask(&mut fresh, b"still there?"))
        .is_ok();
    let who = tr!(
        "the server (or its thread for this client)",
        "服务器（或者它为这个客户端开的线程）"
    );
    judge::failed_on_bytes(named, still, &shown(message), &who)
}

/// The outer loop: a second client is served after the first leaves.
fn next_client(server: &Server) -> Outcome {
    let mut first = server.open()?;
    server.ask(&mut first, b"first client")?;
    let _ = first.stream.shutdown(Shutdown::Both);
    drop(first);
    let address = server.address;
    let mut second = server.open()?;
    match server.ask(&mut second, b"second client") {
        Ok(_) => Ok(tr!(
            "a second client was served after the first left",
            "第一个客户端离开后，第二个客户端也得到了服务"
        )),
        Err(failure) if failure.mistake == Some(Mistake::Silent) => Err(Failure::named(
            Mistake::StuckOnGoneClient,
            tr!(
                "a second client, connected after the first left, got no reply: is the server still busy with the first? When recv() returns nothing (b''), that client has left: break out of the inner loop, close its socket and accept() the next ({address})",
                "第一个客户端离开后连接的第二个客户端没有收到回复：服务器是不是还在处理第一个客户端？recv() 返回空（b''）说明客户端已经离开：请跳出内层循环，关闭它的套接字，再 accept() 下一个（{address}）"
            ),
        )),
        Err(failure) => Err(failure),
    }
}

/// Bytes that are not UTF-8 come back as they were.
fn not_utf8(server: &Server) -> Outcome {
    let message: &[u8] = b"caf\xe9 \xff\xfe \x80 end";
    let mut connection = server.open()?;
    match server.ask(&mut connection, message) {
        Ok(reply) => exact_data(&reply, message, Protocol::Tcp),
        Err(failure) => Err(failed_on(server, &failure, message, Mistake::FailedDecode)),
    }
}

/// A client that resets its connection does not end the server.
fn reset(server: &Server) -> Outcome {
    let mut leaving = server.open()?;
    // A server that does not answer at all cannot show whether a reset ends it.
    server.ask(&mut leaving, b"about to reset")?;
    // SO_LINGER 0: close() sends RST, as a client killed mid-conversation does.
    let _ = socket2::SockRef::from(&leaving.stream).set_linger(Some(Duration::ZERO));
    server.transcript.note(
        &leaving.who,
        &tr!("reset (RST) by the kit", "检查工具重置了连接（RST）"),
    );
    drop(leaving);
    let address = server.address;
    let dies = || {
        Failure::named(
            Mistake::DiesOnReset,
            tr!(
                "after a client reset its connection, the server no longer answers at {address}: it stopped on the reset (ConnectionResetError from recv() or send()); catch it, close that client's socket and go back to accept()",
                "一个客户端重置连接后，{address} 上的服务器就不再应答了：它因为这次重置而停止（recv() 或 send() 抛出 ConnectionResetError）；请捕获这个异常，关闭该客户端的套接字，再回到 accept()"
            ),
        )
    };
    let mut next = match server.open() {
        Ok(next) => next,
        Err(failure) if failure.mistake == Some(Mistake::NotListening) => return Err(failure),
        Err(_) => return Err(dies()),
    };
    match server.ask(&mut next, b"after a reset") {
        Ok(_) => Ok(tr!(
            "the server went on after a client reset its connection",
            "客户端重置连接后，服务器继续正常服务"
        )),
        Err(_) => Err(dies()),
    }
}
