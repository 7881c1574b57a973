//! The exercise's check: a class of clients connected together is served together.

use std::io::Read;
use std::net::Shutdown;
use std::time::{Duration, Instant};

use common::tr;

use super::super::judge::got;
use super::super::reply;
use super::super::{Failure, Mistake, Outcome};
use super::wire::{Connection, Ending, Heard, Server, TOO_MUCH};

/// The clients held connected together: a few students.
const CLASS: usize = 5;

/// Every client connected together gets the reply to its own message while all stay
/// connected. The book's loop serves the first and leaves the rest waiting; a server that
/// floods every connection answers nobody; threads that share one connection variable
/// answer the wrong client.
pub fn at_once(server: &Server) -> Outcome {
    let mut class = Vec::new();
    for _ in 0..CLASS {
        class.push(server.open()?);
    }
    let messages: Vec<Vec<u8>> = (1..=CLASS)
        .map(|i| format!("student {i} of {CLASS}").into_bytes())
        .collect();
    for (connection, message) in class.iter_mut().zip(&messages) {
        let _ = server.send(connection, message);
    }
    let wait = server.patience.at_once();
    let deadline = Instant::now() + wait;
    let mut heard = Vec::new();
    for (connection, message) in class.iter_mut().zip(&messages) {
        // Only the reply matters here: no lingering after it (a flood never completes).
        let complete = |bytes: &[u8]| reply::read(bytes, message).data == *message;
        // Each client, the last too, at least takes what has come for it by then.
        let until = deadline.max(Instant::now() + server.patience.grace());
        heard.push(server.hear_for(connection, until, complete, false));
    }
    leave_politely(&mut class, Instant::now() + wait);
    verdict(&heard, &messages, wait)
}

/// What the class heard says of the server.
fn verdict(heard: &[Heard], messages: &[Vec<u8>], wait: Duration) -> Outcome {
    if heard.iter().any(|heard| heard.ending == Ending::Flood) {
        return Err(Failure::named(
            Mistake::AnswersForever,
            tr!(
                "of {CLASS} clients connected together, some got more than 64 KiB for a message of a few bytes, still coming: the server keeps sending on every connection (a send() in a loop that never ends?)",
                "同时连接的 {CLASS} 个客户端中，有的发送了几个字节却收到超过 64 KiB 的回复，而且还在继续：服务器在每个连接上都不停地发送（send() 放在了一个不会结束的循环里？）"
            ),
        ));
    }
    // A client that heard another client's message: replies sent on the wrong socket.
    let holds =
        |bytes: &[u8], message: &[u8]| bytes.windows(message.len()).any(|window| window == message);
    let crossed = heard.iter().enumerate().find_map(|(i, heard)| {
        let other = (0..CLASS).find(|&j| j != i && holds(&heard.bytes, &messages[j]))?;
        Some((i + 1, other + 1, got(&heard.bytes)))
    });
    if let Some((i, j, got)) = crossed {
        return Err(Failure::named(
            Mistake::WrongAddress,
            tr!(
                "of {CLASS} clients connected together, client {i} {got}, the reply to client {j}'s message: the threads share one connection (a global conn?); each thread answers on the socket accept() gave it",
                "同时连接的 {CLASS} 个客户端中，客户端 {i} {got}，这是对客户端 {j} 的消息的回复：各个线程共用了一个连接（全局变量 conn？）；每个线程都应在 accept() 给它的那个套接字上回复"
            ),
        ));
    }
    let answered: Vec<bool> = heard.iter().map(|heard| !heard.bytes.is_empty()).collect();
    let count = answered.iter().filter(|&&answered| answered).count();
    let (waiting, secs) = (CLASS - count, wait.as_secs_f64());
    match count {
        CLASS => Ok(tr!(
            "{CLASS} clients connected together were each answered",
            "同时连接的 {CLASS} 个客户端都得到了回复"
        )),
        0 => Err(Failure::named(
            Mistake::Silent,
            tr!(
                "none of {CLASS} clients connected together got a reply within {secs} s",
                "同时连接的 {CLASS} 个客户端在 {secs} 秒内都没有收到回复"
            ),
        )),
        1 if answered[0] => Err(Failure::named(
            Mistake::OneAtATime,
            tr!(
                "of {CLASS} clients connected at the same time, only the first got a reply within {secs} s; the other {waiting} waited while it stayed connected: the server serves one client at a time (the book's loop). The exercise: a thread per client (socketserver.ThreadingTCPServer, threading) or an event loop (select, Twisted)",
                "同时连接的 {CLASS} 个客户端中，只有第一个在 {secs} 秒内收到了回复；它保持连接时，其余 {waiting} 个一直在等待：服务器一次只服务一个客户端（书中的循环）。练习：每个客户端一个线程（socketserver.ThreadingTCPServer、threading），或者用事件循环（select、Twisted）"
            ),
        )),
        _ => Err(Failure::named(
            Mistake::OneAtATime,
            tr!(
                "of {CLASS} clients connected at the same time, {count} got a reply within {secs} s, {waiting} waited: the server does not serve a class at once",
                "同时连接的 {CLASS} 个客户端中，{count} 个在 {secs} 秒内收到了回复，{waiting} 个一直在等待：服务器不能同时服务一个班的学生"
            ),
        )),
    }
}

/// Ends each connection as a patient client does: says it has no more to send, and reads
/// what comes until the server closes (or `deadline`). A server that serves one client at a
/// time then serves the rest in turn, instead of writing to clients that left and meeting
/// resets that the book's server does not survive (a check of its own, the last).
fn leave_politely(connections: &mut [Connection], deadline: Instant) {
    for connection in connections.iter_mut() {
        let _ = connection.stream.shutdown(Shutdown::Write);
    }
    for connection in connections.iter_mut() {
        let mut buffer = [0; 4096];
        for _ in 0..TOO_MUCH / buffer.len() {
            let Some(left) = deadline.checked_duration_since(Instant::now()) else {
                return;
            };
            let _ = connection
                .stream
                .set_read_timeout(Some(left.max(Duration::from_millis(1))));
            match connection.stream.read(&mut buffer) {
                Ok(0) | Err(_) => break,
                Ok(_) => continue,
            }
        }
    }
}
