//! Talking to a TCP server as a raw client would (`nc`, the book's own client): no newline
//! framing, every wait bounded by [`PATIENCE`](crate::PATIENCE).

use std::io::{Read, Write};
use std::net::{Ipv4Addr, Shutdown, SocketAddr, TcpStream};

use crate::{PATIENCE, data_of};

/// Connects to `address`, with read and write deadlines and no Nagle delay.
pub fn connect(address: SocketAddr) -> TcpStream {
    let stream = TcpStream::connect_timeout(&address, PATIENCE).expect("connect");
    with_deadlines(stream)
}

/// Connects to `address` (on IPv4 loopback) from the loopback address `from`, as from
/// another machine: on Linux all of 127.0.0.0/8 is this machine. With deadlines, as
/// [`connect`].
pub fn connect_from(from: Ipv4Addr, address: SocketAddr) -> TcpStream {
    use socket2::{Domain, Socket, Type};
    let socket = Socket::new(Domain::IPV4, Type::STREAM, None).expect("a socket");
    let local = SocketAddr::from((from, 0));
    socket
        .bind(&local.into())
        .unwrap_or_else(|error| panic!("bind {local}: {error}"));
    socket
        .connect_timeout(&address.into(), PATIENCE)
        .unwrap_or_else(|error| panic!("connect from {from} to {address}: {error}"));
    with_deadlines(TcpStream::from(socket))
}

/// A connection that waits at most [`PATIENCE`] for each read and write, without Nagle's
/// delay.
fn with_deadlines(stream: TcpStream) -> TcpStream {
    stream.set_read_timeout(Some(PATIENCE)).expect("timeout");
    stream.set_write_timeout(Some(PATIENCE)).expect("timeout");
    stream.set_nodelay(true).expect("nodelay");
    stream
}

/// Reads exactly `len` bytes.
pub fn read_exactly(stream: &mut TcpStream, len: usize) -> Vec<u8> {
    let mut bytes = vec![0; len];
    stream.read_exact(&mut bytes).expect("the whole reply");
    bytes
}

/// Sends `message` (short enough for one read) and reads back its reply, which must be
/// `[ctime] message` with the time now.
pub fn exchange(stream: &mut TcpStream, message: &[u8]) {
    stream.write_all(message).expect("send");
    let reply = read_exactly(stream, 27 + message.len());
    assert_eq!(data_of(&reply), message);
}

/// Reads until the server closes, for at most `PATIENCE` per read.
pub fn read_to_close(stream: &mut TcpStream) -> Vec<u8> {
    let mut all = Vec::new();
    stream
        .read_to_end(&mut all)
        .expect("read until the server closes");
    all
}

/// One whole visit, to warm a server up before its threads, files or memory are counted: a
/// message and its reply, then the end of input, and the server's own close awaited (the
/// visit is over for the server too, not only for the client).
pub fn warm_up(address: SocketAddr) {
    let mut stream = connect(address);
    exchange(&mut stream, b"warm-up\n");
    stream.shutdown(Shutdown::Write).expect("half-close");
    assert_eq!(read_to_close(&mut stream), b"", "nothing after the reply");
}
