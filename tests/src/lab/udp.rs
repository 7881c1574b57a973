//! The UDP server's checks (book 16.3.6), each from sockets of its own, with its own deadline.

mod wire;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use common::tr;

use super::judge::{self, exact_data, got, mistaken};
use super::reply;
use super::show::bytes as shown;
use super::transcript::Transcript;
use super::{Check, Failure, Mistake, Named, Outcome, Protocol, Settings, run_in_turn};
use wire::{Heard, PROBE, Server};

/// The checks, each with its name, in the order they run.
pub const CHECKS: [Named<Server>; 8] = [
    ("reply", reply),
    ("time", time),
    ("several", several),
    ("senders", senders),
    ("source", source),
    ("chinese", chinese),
    ("not-utf8", not_utf8),
    ("vanished", vanished),
];

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

/// The book's client sends `hello`; the reply must be `[` + ctime + `] hello`, nothing more,
/// once. The first message also says whether anyone is there: `hello` goes from a socket
/// connected to the server too, which hears a port that refuses it; a port that took it and
/// refuses since is a server that crashed on it.
fn reply(server: &Server) -> Outcome {
    let message = b"hello";
    let watch = server.watch(message);
    let socket = server.socket()?;
    server.send(&socket, message)?;
    let deadline = Instant::now() + server.patience.reply();
    // The reply, and the socket it came to: `hello` went from both.
    let (reply, heard_on) = loop {
        if let Some((reply, _)) = server.receive(&socket, Duration::from_millis(20)) {
            break (reply, &socket);
        }
        match watch.as_ref().map(|watch| (watch, server.poll(watch))) {
            Some((watch, Heard::Reply(reply))) => break (reply, watch),
            Some((_, Heard::Refused)) => return Err(server.refused()),
            _ if Instant::now() >= deadline => return Err(crashed_or(server, message)),
            _ => {}
        }
    };
    let reading = reply::read(&reply, message);
    let mut mistakes = reading.mistakes;
    mistakes.extend(reply::data_mistake(&reading.data, message));
    // A second reply to the one datagram comes straight after the first, to the same socket.
    if let Some((again, _)) = server.receive(heard_on, server.patience.grace() * 2) {
        if reply::read(&again, message).data == message {
            mistakes.push(Mistake::TwoReplies);
        }
    }
    mistaken(&reply, &mistakes)
}

/// No reply to the first message: when the port refuses a datagram now, the server took
/// `message` and stopped on it; otherwise it is silent.
fn crashed_or(server: &Server, message: &[u8]) -> Failure {
    let address = server.address;
    match server.ask_connected(PROBE, server.patience.probe()) {
        Ok(Heard::Refused) => {
            let sent = shown(message);
            Failure::named(
                Mistake::CrashedOnFirstMessage,
                tr!(
                    "the server took the datagram {sent} without replying, and the port {address} refuses datagrams since: it crashed on the first message. In Python 3 the usual cause is sendto('[%s] %s' % (ctime(), data), addr): a str where bytes are needed raises TypeError (see the server's terminal); send bytes: ('[%s] ' % ctime()).encode() + data",
                    "服务器收下了数据报 {sent} 却没有回复，之后端口 {address} 就拒收数据报了：它在收到第一条消息时崩溃了。在 Python 3 中，常见的原因是 sendto('[%s] %s' % (ctime(), data), addr)：需要 bytes 的地方给了 str，会抛出 TypeError（见服务器的终端）；请发送字节：('[%s] ' % ctime()).encode() + data"
                ),
            )
        }
        _ => server.silent(message),
    }
}

/// The stamp is the time now, and it moves.
fn time(server: &Server) -> Outcome {
    judge::time_now_and_moving(|message| {
        let reply = server.ask_fresh(message)?;
        judge::time_of(&reply, message, &server.clock)
    })
}

/// Several datagrams from one client are each answered with their own data.
fn several(server: &Server) -> Outcome {
    let socket = server.socket()?;
    let messages = [&b"one"[..], b"two", b"three"];
    for (i, &message) in messages.iter().enumerate() {
        let (reply, _) = server.ask(&socket, message)?;
        let data = reply::read(&reply, message).data;
        if reply::data_mistake(&data, message).is_none() {
            continue;
        }
        let (got, sent) = (got(&reply), shown(message));
        if i > 0 && data == messages[i - 1] {
            let earlier = shown(messages[i - 1]);
            return Err(Failure::named(
                Mistake::TwoReplies,
                tr!(
                    "{got} for {sent}: a second reply to {earlier} came when {sent} was sent; the server replies twice to each datagram: send one reply per datagram",
                    "对 {sent} {got}：发送 {sent} 时收到的是对 {earlier} 的第二个回复；服务器对每个数据报都回复了两次：每个数据报只回复一次"
                ),
            ));
        }
        return Err(Failure::named(
            Mistake::Changed,
            tr!(
                "{got} for {sent}: each datagram is answered with its own data, after the stamp",
                "对 {sent} {got}：每个数据报都应在时间戳之后带回它自己的数据"
            ),
        ));
    }
    Ok(tr!(
        "3 datagrams from one client, 3 replies",
        "同一客户端的 3 个数据报都得到了回复"
    ))
}

/// Clients on different ports each get their own reply: the server answers the address that
/// came with each datagram, not one it kept.
fn senders(server: &Server) -> Outcome {
    let class = [server.socket()?, server.socket()?, server.socket()?];
    let messages: Vec<Vec<u8>> = (1..=3)
        .map(|n| format!("from client {n}").into_bytes())
        .collect();
    for (i, socket) in class.iter().enumerate() {
        let (n, message) = (i + 1, &messages[i]);
        match server.ask(socket, message) {
            Ok((reply, _)) => {
                let data = reply::read(&reply, message).data;
                let (got, sent) = (got(&reply), shown(message));
                match reply::data_mistake(&data, message) {
                    None => {}
                    Some(Mistake::Cut) => {
                        let why = judge::cut(data.len(), message.len(), Protocol::Udp);
                        return Err(Failure::named(
                            Mistake::Cut,
                            tr!(
                                "client {n} sent {sent} and {got}: {why}",
                                "客户端 {n} 发送了 {sent}，{got}：{why}"
                            ),
                        ));
                    }
                    Some(_) if messages[..i].contains(&data) => {
                        return Err(Failure::named(
                            Mistake::WrongAddress,
                            tr!(
                                "client {n} sent {sent} and {got}, the reply to an earlier client's datagram: each client gets the reply to its own datagram",
                                "客户端 {n} 发送了 {sent}，{got}，这是对之前另一个客户端数据报的回复：每个客户端都应收到对它自己数据报的回复"
                            ),
                        ));
                    }
                    Some(mistake) => {
                        let meaning = mistake.meaning();
                        return Err(Failure::named(
                            mistake,
                            tr!(
                                "client {n} sent {sent} and {got}: {meaning}",
                                "客户端 {n} 发送了 {sent}，{got}：{meaning}"
                            ),
                        ));
                    }
                }
            }
            Err(failure) => {
                // Did the reply go to an earlier client instead?
                let wait = server.patience.grace();
                let elsewhere = class[..i]
                    .iter()
                    .any(|earlier| server.receive(earlier, wait).is_some());
                if !elsewhere {
                    return Err(failure);
                }
                return Err(Failure::named(
                    Mistake::WrongAddress,
                    tr!(
                        "the reply to client {n} went to an earlier client's address: the server answers an address it kept; reply to the addr that recvfrom() returned with this datagram",
                        "对客户端 {n} 的回复被发到了之前某个客户端的地址：服务器回复的是它保存下来的旧地址；请回复到这次 recvfrom() 返回的 addr"
                    ),
                ));
            }
        }
    }
    Ok(tr!(
        "3 clients on 3 ports each got their own reply",
        "3 个端口上的 3 个客户端都收到了各自的回复"
    ))
}

/// The reply comes from the address and port the datagram was sent to: a client that
/// accepts replies only from its server (as udp-client does) hears it.
fn source(server: &Server) -> Outcome {
    let socket = server.socket()?;
    let (_, from) = server.ask(&socket, b"who is answering?")?;
    let address = server.address;
    let same = from == address
        || (from.port() == address.port()
            && from.ip().to_canonical() == address.ip().to_canonical());
    if same {
        return Ok(tr!("the reply came from {from}", "回复来自 {from}"));
    }
    Err(Failure::named(
        Mistake::WrongSource,
        tr!(
            "the reply came from {from}, not from {address} where the datagram went: a client that takes replies only from its server drops it; reply with the socket that received the datagram (udpSerSock.sendto)",
            "回复来自 {from}，而不是数据报发往的 {address}：只接受服务器回复的客户端会丢弃它；请用收到数据报的那个套接字回复（udpSerSock.sendto）"
        ),
    ))
}

/// Chinese text comes back byte for byte.
fn chinese(server: &Server) -> Outcome {
    let message = "你好，世界！网络编程".as_bytes();
    match server.ask_fresh(message) {
        Ok(reply) => exact_data(&reply, message, Protocol::Udp),
        Err(failure) => Err(failed_on(server, failure, message, Mistake::FailsOnChinese)),
    }
}

/// No reply to `message`, the bytes a check is about, from a server that answered other
/// datagrams: it failed on those bytes (and whether it still answers plain text says whether
/// it stopped). Any other failure is `failure`.
fn failed_on(server: &Server, failure: Failure, message: &[u8], named: Mistake) -> Failure {
    if failure.mistake != Some(Mistake::Silent) || server.answered.get() == 0 {
        return failure;
    }
    let still = server.ask_fresh(b"still there?").is_ok();
    judge::failed_on_bytes(named, still, &shown(message), &tr!("the server", "服务器"))
}

/// Bytes that are not UTF-8 come back as they were; no reply while plain text is still
/// answered is a failed decode.
fn not_utf8(server: &Server) -> Outcome {
    let message: &[u8] = b"caf\xe9 \xff\xfe \x80 end";
    match server.ask_fresh(message) {
        Ok(reply) => exact_data(&reply, message, Protocol::Udp),
        Err(failure) => Err(failed_on(server, failure, message, Mistake::FailedDecode)),
    }
}

/// A client that leaves before its reply comes (the reply meets a closed port) does not end
/// the server.
fn vanished(server: &Server) -> Outcome {
    // A server that never answered cannot show whether a vanished client ends it.
    if server.answered.get() == 0 {
        return Err(Failure::named(
            Mistake::Silent,
            tr!(
                "not checked: the server has answered no datagram so far",
                "未检查：服务器到目前为止没有回复过任何数据报"
            ),
        ));
    }
    {
        let gone = server.socket()?;
        let _ = server.send(&gone, b"gone before the reply");
    }
    match server.ask_fresh(b"are you still there?") {
        Ok(_) => Ok(tr!(
            "the server went on after a client left before its reply",
            "客户端在收到回复前离开后，服务器继续正常服务"
        )),
        Err(_) => Err(Failure::named(
            Mistake::DiesOnReset,
            tr!(
                "after a client left before its reply came, the server answers no more: the refused reply (an ICMP error, ConnectionResetError on Windows) ended it; catch the error around sendto()/recvfrom() and go on",
                "一个客户端在收到回复前离开后，服务器就不再回复了：被拒收的回复（ICMP 错误，在 Windows 上是 ConnectionResetError）让它停止了；请在 sendto()/recvfrom() 外捕获这个错误并继续"
            ),
        )),
    }
}
