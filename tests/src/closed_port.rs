//! A TCP port on loopback where nothing listens, kept closed for as long as a test needs it.
//!
//! "A port that was free a moment ago" does not stay closed: in one test binary another
//! test's server may be given the very same port the next moment, and answer. (With many
//! ports waiting in TIME_WAIT after the stress tests, the system hands out the few free ones
//! again and again.) A socket bound to the port and never listening keeps it: a connection
//! there is refused, as where nothing runs, and no other socket is given the port until the
//! test drops it.

use std::net::{Ipv4Addr, SocketAddr, TcpListener};

use socket2::{Domain, Socket, Type};

/// A loopback TCP port where connections are refused, held until dropped.
pub struct ClosedPort {
    /// Bound, never listening: it holds the port.
    holder: Socket,
    /// Where it is.
    address: SocketAddr,
}

impl ClosedPort {
    /// Takes a free port on 127.0.0.1 and keeps it closed.
    pub fn new() -> ClosedPort {
        let holder = Socket::new(Domain::IPV4, Type::STREAM, None).expect("a socket");
        let any_port = SocketAddr::from((Ipv4Addr::LOCALHOST, 0));
        holder.bind(&any_port.into()).expect("a free port");
        let address = holder
            .local_addr()
            .ok()
            .and_then(|address| address.as_socket())
            .expect("the port it took");
        ClosedPort { holder, address }
    }

    /// Where nothing listens.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// Its port, as an argument.
    pub fn port(&self) -> String {
        self.address.port().to_string()
    }

    /// Opens the port for a server the test starts there now: the socket that held it
    /// starts listening, so no other socket can be given the port in between (letting it go
    /// and binding again lost it to another test, 1 run in 6).
    pub fn listen(self) -> TcpListener {
        self.holder.listen(128).expect("listen on the held port");
        self.holder.into()
    }
}

impl Default for ClosedPort {
    fn default() -> ClosedPort {
        ClosedPort::new()
    }
}
