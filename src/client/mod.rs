//! Clients: closed-loop state machines that issue one operation at a time, and the generated
//! workloads that give them their operations.
//!
//! A client is bound to one replica (its *home*) but any one operation may name another: a client that
//! moves between replicas is how session anomalies such as losing one's own write appear. Like the
//! replicas, a client is sans-IO: the engine tells it the time and what happened (it woke up, or its
//! reply came, or it waited as long as it will), and drains what it wants next from
//! [`Client::poll_action`].
//!
//! A client with a timeout gives up on an operation that is not answered in time and moves on to its
//! next step. The operation is then *never returned*: it may still take effect later, or never, and the
//! client cannot tell which — exactly what a real client knows after a timeout.

mod workload;

use crate::ids::{ClientId, ReplicaId, Time};
use crate::op::{Op, Reply, Request, RequestId};

pub use workload::Workload;

/// One step of a client's script.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// Send `op` to `replica` (the client's home when `None`) and wait for the reply.
    Op { op: Op, replica: Option<ReplicaId> },
    /// Do nothing for this many ms.
    Sleep(Time),
}

/// What a client wants the engine to do next.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ClientAction {
    /// Send this request to `replica`; the client waits for the reply, until `deadline` if it has one.
    Invoke {
        replica: ReplicaId,
        request: Request,
        deadline: Option<Time>,
    },
    /// Wake the client at this time.
    WakeAt(Time),
}

/// A closed-loop client working through its script.
#[derive(Clone, Debug)]
pub struct Client {
    id: ClientId,
    home: ReplicaId,
    steps: Vec<Step>,
    /// The next step to run.
    next: usize,
    /// The request waiting for its reply, if any.
    waiting: Option<RequestId>,
    /// How many operations it has invoked: the next request's `seq`.
    invoked: u32,
    /// How long it waits for a reply before giving up.
    timeout: Option<Time>,
    action: Option<ClientAction>,
}

impl Client {
    /// A client at `home` that will run `steps`, waiting at most `timeout` for each reply.
    pub fn new(id: ClientId, home: ReplicaId, steps: Vec<Step>, timeout: Option<Time>) -> Self {
        Client {
            id,
            home,
            steps,
            next: 0,
            waiting: None,
            invoked: 0,
            timeout,
            action: None,
        }
    }

    /// Which client it is.
    pub fn id(&self) -> ClientId {
        self.id
    }

    /// The client is woken: at its start time, or at the end of a sleep.
    pub fn handle_wake(&mut self, now: Time) {
        if self.waiting.is_none() {
            self.advance(now);
        }
    }

    /// The reply to the outstanding request arrives. A reply to anything else is ignored.
    pub fn handle_reply(&mut self, now: Time, reply: &Reply) {
        if self.waiting == Some(reply.id) {
            self.waiting = None;
            self.advance(now);
        }
    }

    /// The deadline of request `id` has come. If the client is still waiting for it, it gives up and
    /// moves on; otherwise (it was answered in time) nothing happens.
    pub fn handle_timeout(&mut self, now: Time, id: RequestId) {
        if self.waiting == Some(id) {
            self.waiting = None;
            self.advance(now);
        }
    }

    /// Whether the client gives up on requests that take too long.
    pub fn has_deadline(&self) -> bool {
        self.timeout.is_some()
    }

    /// Whether the client is waiting for the reply to `id`.
    pub fn is_waiting_for(&self, id: RequestId) -> bool {
        self.waiting == Some(id)
    }

    /// What the client wants next, if anything.
    #[must_use]
    pub fn poll_action(&mut self) -> Option<ClientAction> {
        self.action.take()
    }

    /// How many operations its script holds: the most it will invoke.
    pub fn operations(&self) -> usize {
        let ops = self.steps.iter().filter(|s| matches!(s, Step::Op { .. }));
        ops.count()
    }

    /// Whether every step has run and no reply is outstanding.
    pub fn is_done(&self) -> bool {
        self.waiting.is_none() && self.next == self.steps.len()
    }

    fn advance(&mut self, now: Time) {
        let Some(step) = self.steps.get(self.next) else {
            return;
        };
        self.next += 1;
        self.action = Some(match step {
            Step::Sleep(ms) => ClientAction::WakeAt(now.saturating_add(*ms)),
            Step::Op { op, replica } => {
                let id = RequestId {
                    client: self.id,
                    seq: self.invoked,
                };
                self.invoked += 1;
                self.waiting = Some(id);
                ClientAction::Invoke {
                    replica: replica.unwrap_or(self.home),
                    request: Request { id, op: op.clone() },
                    deadline: self.timeout.map(|t| now.saturating_add(t)),
                }
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn get(key: &str) -> Step {
        Step::Op {
            op: Op::Get { key: key.into() },
            replica: None,
        }
    }

    #[test]
    fn a_client_waits_for_each_reply_before_the_next_op() {
        let steps = vec![
            get("x"),
            Step::Sleep(10),
            Step::Op {
                op: Op::Get { key: "y".into() },
                replica: Some(ReplicaId(2)),
            },
        ];
        let mut c = Client::new(ClientId(4), ReplicaId(1), steps, None);
        c.handle_wake(0);
        let Some(ClientAction::Invoke {
            replica,
            request,
            deadline: None,
        }) = c.poll_action()
        else {
            panic!("expected an invoke without a deadline")
        };
        assert_eq!(replica, ReplicaId(1), "sent home by default");
        c.handle_wake(3);
        assert_eq!(
            c.poll_action(),
            None,
            "a closed-loop client does not run ahead of its reply"
        );
        c.handle_reply(
            5,
            &Reply {
                id: request.id,
                value: None,
                ok: true,
            },
        );
        assert_eq!(c.poll_action(), Some(ClientAction::WakeAt(15)));
        c.handle_wake(15);
        let Some(ClientAction::Invoke {
            replica, request, ..
        }) = c.poll_action()
        else {
            panic!("expected an invoke")
        };
        assert_eq!(replica, ReplicaId(2), "this op names another replica");
        assert_eq!(request.id.seq, 1);
        assert!(!c.is_done());
        c.handle_reply(
            20,
            &Reply {
                id: request.id,
                value: None,
                ok: true,
            },
        );
        assert!(c.is_done());
    }

    #[test]
    fn a_client_that_times_out_moves_on_and_ignores_the_late_reply() {
        let mut c = Client::new(
            ClientId(0),
            ReplicaId(0),
            vec![get("x"), get("y")],
            Some(50),
        );
        c.handle_wake(10);
        let Some(ClientAction::Invoke {
            request: first,
            deadline,
            ..
        }) = c.poll_action()
        else {
            panic!("expected an invoke")
        };
        assert_eq!(deadline, Some(60));
        c.handle_timeout(60, first.id);
        let Some(ClientAction::Invoke {
            request: second, ..
        }) = c.poll_action()
        else {
            panic!("the client moves on to its next op")
        };
        assert!(c.is_waiting_for(second.id) && !c.is_waiting_for(first.id));
        c.handle_reply(
            70,
            &Reply {
                id: first.id,
                value: None,
                ok: true,
            },
        );
        assert_eq!(c.poll_action(), None, "the late reply changes nothing");
        c.handle_timeout(60, first.id);
        assert!(
            c.is_waiting_for(second.id),
            "a stale deadline changes nothing"
        );
    }
}
