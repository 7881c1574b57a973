//! For a server bound to every interface only: the book's `ss.recvfrom()` and `ss.sendto()`,
//! with one thing more: the reply leaves from the address the datagram was sent to.
//!
//! Why: a server bound to `0.0.0.0` (or `::`) hears every address of the machine, but a
//! reply sent with a plain `sendto()` leaves from whichever address the routing table picks.
//! On a teacher's laptop with two addresses (cable and Wi-Fi), a student who wrote to the
//! other one gets a reply from an address he never wrote to, and his client rightly drops
//! it. So the socket asks the system to say where each datagram was sent (`IP_PKTINFO`,
//! `IPV6_PKTINFO`), and the reply names that address as its source. A datagram sent to a
//! broadcast address is answered from the server's own address on that network (a reply
//! cannot leave from a broadcast address). This needs `recvmsg()` and `sendmsg()`, which the
//! `nix` crate offers safely on Linux and macOS; on Windows the plain calls serve.
//!
//! A server bound to one address (the default, `127.0.0.1`) needs none of this: its replies
//! leave from that address, and `main` calls the plain `recv_from` and `send_to`.

pub use system::{Destinations, send_to_from};

#[cfg(any(target_os = "linux", target_os = "android", target_vendor = "apple"))]
mod system {
    use std::io::{self, IoSlice, IoSliceMut};
    use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6, UdpSocket};
    use std::os::fd::AsRawFd;

    use nix::libc;
    use nix::sys::socket::{
        AddressFamily, ControlMessage, ControlMessageOwned, MsgFlags, SockaddrLike,
        SockaddrStorage, recvmsg, sendmsg, setsockopt, sockopt,
    };
    use socket2::Socket;

    use common::trace;

    /// Where each datagram was sent, as the system tells it.
    pub struct Destinations {
        /// Room for the system's note of the destination, kept from call to call.
        control: Vec<u8>,
    }

    impl Destinations {
        /// For a server bound to every interface (`address` is `0.0.0.0` or `::`): asks the
        /// system to tell each datagram's destination. `None` for a server bound to one
        /// address, whose replies leave from it anyway.
        pub fn asked_for(ss: &Socket, address: SocketAddr) -> io::Result<Option<Destinations>> {
            if !address.ip().is_unspecified() {
                return Ok(None);
            }
            match address {
                SocketAddr::V4(_) => {
                    setsockopt(ss, sockopt::Ipv4PacketInfo, &true)?;
                    trace!("setsockopt(IP_PKTINFO, 1)");
                }
                SocketAddr::V6(_) => {
                    setsockopt(ss, sockopt::Ipv6RecvPacketInfo, &true)?;
                    trace!("setsockopt(IPV6_RECVPKTINFO, 1)");
                    // IPv4 clients of `::` too: IPV6_PKTINFO gives a broadcast's destination
                    // (`::ffff:10.0.0.255`), not this machine's address on that network, which
                    // only IP_PKTINFO tells. Where the system does not offer it on an IPv6
                    // socket, broadcasts to `::` go unanswered, as before.
                    if setsockopt(ss, sockopt::Ipv4PacketInfo, &true).is_ok() {
                        trace!("setsockopt(IP_PKTINFO, 1)");
                    }
                }
            }
            Ok(Some(Destinations {
                control: nix::cmsg_space!(libc::in6_pktinfo, libc::in_pktinfo),
            }))
        }

        /// `data, addr = ss.recvfrom(...)` into `buffer`, with the address to answer from
        /// (`None` where the system did not say, or no address of ours fits).
        pub fn recv_from(
            &mut self,
            ss: &UdpSocket,
            buffer: &mut [u8],
        ) -> io::Result<(usize, SocketAddr, Option<IpAddr>)> {
            let mut data = [IoSliceMut::new(buffer)];
            let message = recvmsg::<SockaddrStorage>(
                ss.as_raw_fd(),
                &mut data,
                Some(&mut self.control),
                MsgFlags::empty(),
            )?;
            // An IPv4 datagram to `::` carries both notes: IP_PKTINFO's is the one that knows
            // a broadcast's answer address, so it wins.
            let (mut v4, mut v6) = (None, None);
            for cmsg in message.cmsgs()? {
                match cmsg {
                    ControlMessageOwned::Ipv4PacketInfo(info) => v4 = answer_from_v4(&info),
                    ControlMessageOwned::Ipv6PacketInfo(info) => v6 = answer_from_v6(&info),
                    _ => {}
                }
            }
            let from = message.address.as_ref().and_then(socket_address);
            let from =
                from.ok_or_else(|| io::Error::other("a datagram without a sender's address"))?;
            // The answer leaves an IPv6 socket with IPv6's note, the IPv4 address in it mapped
            // (`::ffff:10.0.0.1`), as every IPv4 answer from `::` does.
            let answer_from = match (v4, from) {
                (Some(IpAddr::V4(ip)), SocketAddr::V6(_)) => Some(IpAddr::V6(ip.to_ipv6_mapped())),
                _ => v4.or(v6),
            };
            Ok((message.bytes, from, answer_from))
        }
    }

    /// The address to answer an IPv4 datagram from: the one it was sent to, or, for a
    /// broadcast, this machine's address on that network (Linux names it `ipi_spec_dst`).
    fn answer_from_v4(info: &libc::in_pktinfo) -> Option<IpAddr> {
        let local = Ipv4Addr::from(info.ipi_spec_dst.s_addr.to_ne_bytes());
        let sent_to = Ipv4Addr::from(info.ipi_addr.s_addr.to_ne_bytes());
        let ip = if local.is_unspecified() {
            sent_to
        } else {
            local
        };
        let usable = !ip.is_unspecified() && !ip.is_broadcast() && !ip.is_multicast();
        usable.then_some(IpAddr::V4(ip))
    }

    /// The address to answer an IPv6 datagram from: the one it was sent to, unless that was a
    /// multicast group (then the system picks).
    fn answer_from_v6(info: &libc::in6_pktinfo) -> Option<IpAddr> {
        let ip = Ipv6Addr::from(info.ipi6_addr.s6_addr);
        (!ip.is_multicast() && !ip.is_unspecified()).then_some(IpAddr::V6(ip))
    }

    /// The sender's address as std writes it.
    fn socket_address(address: &SockaddrStorage) -> Option<SocketAddr> {
        match address.family() {
            Some(AddressFamily::Inet) => address
                .as_sockaddr_in()
                .map(|v4| SocketAddr::V4(SocketAddrV4::from(*v4))),
            Some(AddressFamily::Inet6) => address
                .as_sockaddr_in6()
                .map(|v6| SocketAddr::V6(SocketAddrV6::from(*v6))),
            _ => None,
        }
    }

    /// `ss.sendto(reply, addr)`, leaving from the address `from`.
    pub fn send_to_from(
        ss: &UdpSocket,
        reply: &[u8],
        addr: SocketAddr,
        from: IpAddr,
    ) -> io::Result<usize> {
        let data = [IoSlice::new(reply)];
        let target = SockaddrStorage::from(addr);
        let (v4, v6);
        let source = match from {
            IpAddr::V4(ip) => {
                let ip = libc::in_addr {
                    s_addr: u32::from_ne_bytes(ip.octets()),
                };
                v4 = libc::in_pktinfo {
                    ipi_ifindex: 0,
                    ipi_spec_dst: ip,
                    ipi_addr: ip,
                };
                ControlMessage::Ipv4PacketInfo(&v4)
            }
            IpAddr::V6(ip) => {
                v6 = libc::in6_pktinfo {
                    ipi6_addr: libc::in6_addr {
                        s6_addr: ip.octets(),
                    },
                    ipi6_ifindex: 0,
                };
                ControlMessage::Ipv6PacketInfo(&v6)
            }
        };
        Ok(sendmsg(
            ss.as_raw_fd(),
            &data,
            &[source],
            MsgFlags::empty(),
            Some(&target),
        )?)
    }
}

#[cfg(not(any(target_os = "linux", target_os = "android", target_vendor = "apple")))]
mod system {
    use std::io;
    use std::net::{IpAddr, SocketAddr, UdpSocket};

    use socket2::Socket;

    /// Nothing to ask here: the plain calls serve, as for a server bound to one address.
    pub struct Destinations;

    impl Destinations {
        /// Always `None`: `main` uses the plain calls.
        pub fn asked_for(_ss: &Socket, _address: SocketAddr) -> io::Result<Option<Destinations>> {
            Ok(None)
        }

        /// The plain `recvfrom()` (never called: there is no `Destinations` here).
        pub fn recv_from(
            &mut self,
            ss: &UdpSocket,
            buffer: &mut [u8],
        ) -> io::Result<(usize, SocketAddr, Option<IpAddr>)> {
            let (len, from) = ss.recv_from(buffer)?;
            Ok((len, from, None))
        }
    }

    /// The plain `sendto()` (never called: no datagram here says where it was sent).
    pub fn send_to_from(
        ss: &UdpSocket,
        reply: &[u8],
        addr: SocketAddr,
        _from: IpAddr,
    ) -> io::Result<usize> {
        ss.send_to(reply, addr)
    }
}
