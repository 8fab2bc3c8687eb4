//! `kvsim cluster`'s replica processes: how each is started (and restarted from its saved state), a
//! control connection to each running one, and what the cluster asks of them — their share of the
//! faults, crashes, whether they have gone quiet, and their final reports.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use super::children::Children;
use super::client::ReplicaConnection;
use super::faults::FaultPlan;
use super::frame::{Status, ToReplica};
use super::{NetError, ReplicaReport};
use crate::ids::ReplicaId;
use crate::protocol::Model;

/// How long a replica may take to start answering.
const START_TIMEOUT: Duration = Duration::from_secs(10);
/// How long replicas may take to go quiet after the clients finish.
const QUIET_TIMEOUT: Duration = Duration::from_secs(10);

/// What every replica process is started with.
#[derive(Clone, Debug)]
pub struct Launch {
    pub exe: PathBuf,
    pub model: Model,
    pub scenario: PathBuf,
    pub seed: u64,
    pub delays: bool,
    /// The cluster's clock origin, in ms since the Unix epoch.
    pub origin: u64,
    /// Where each replica saves its state when it crashes (`replica-I.state`); made at the first
    /// crash.
    pub state_dir: PathBuf,
}

impl Launch {
    fn command(&self, id: ReplicaId, addrs: &[SocketAddr], restore: bool) -> Command {
        let peers: Vec<String> = addrs.iter().map(SocketAddr::to_string).collect();
        let mut command = Command::new(&self.exe);
        command
            .arg("replica")
            .args(["--model", self.model.name()])
            .args(["--id", &id.0.to_string()])
            .args(["--peers", &peers.join(",")])
            .arg("--scenario")
            .arg(&self.scenario)
            .args(["--seed", &self.seed.to_string()])
            .args(["--clock-origin", &self.origin.to_string()])
            .arg("--state")
            .arg(state_file(&self.state_dir, id))
            .stdin(Stdio::null())
            .stdout(Stdio::null());
        if !self.delays {
            command.arg("--no-delays");
        }
        if restore {
            command.arg("--restore");
        }
        command
    }
}

fn state_file(dir: &Path, id: ReplicaId) -> PathBuf {
    dir.join(format!("replica-{}.state", id.0))
}

/// The replica processes of one cluster.
pub struct Replicas<'a> {
    children: &'a mut Children,
    launch: Launch,
    addrs: Vec<SocketAddr>,
    /// A control connection to each running replica (`None`: crashed).
    control: Vec<Option<ReplicaConnection>>,
    /// The report each crashed replica gave as it crashed.
    crashed: Vec<Option<ReplicaReport>>,
}

impl<'a> Replicas<'a> {
    /// Starts a replica at each of `addrs` and waits until every one answers.
    pub async fn start(
        children: &'a mut Children,
        launch: Launch,
        addrs: Vec<SocketAddr>,
    ) -> Result<Self, NetError> {
        for id in ReplicaId::all(addrs.len()) {
            children.spawn(id, launch.command(id, &addrs, false))?;
        }
        let mut replicas = Replicas {
            children,
            launch,
            control: addrs.iter().map(|_| None).collect(),
            crashed: addrs.iter().map(|_| None).collect(),
            addrs,
        };
        for id in ReplicaId::all(replicas.addrs.len()) {
            replicas.control[id.index()] = Some(replicas.wait_until_up(id).await?);
        }
        Ok(replicas)
    }

    /// An error if a replica's process exited without being asked to.
    pub fn check(&mut self) -> Result<(), NetError> {
        self.children.check()
    }

    /// Connects to a starting replica, retrying until it answers.
    async fn wait_until_up(&mut self, id: ReplicaId) -> Result<ReplicaConnection, NetError> {
        let addr = self.addrs[id.index()];
        let deadline = tokio::time::Instant::now() + START_TIMEOUT;
        loop {
            self.children.check()?;
            if let Ok(connection) = ReplicaConnection::open(id, addr).await {
                return Ok(connection);
            }
            if tokio::time::Instant::now() > deadline {
                return Err(NetError::TimedOut {
                    what: format!("replica {id} answering at {addr}"),
                    ms: START_TIMEOUT.as_millis() as u64,
                });
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Carries out a crash or a restart that `plan` just applied, then tells every running replica
    /// what the faults leave of its links.
    pub async fn follow(
        &mut self,
        fault: &crate::sim::fault::Fault,
        plan: &FaultPlan,
    ) -> Result<(), NetError> {
        use crate::sim::fault::Fault;
        match *fault {
            Fault::Crash(id) => {
                if let Some(mut connection) = self.control[id.index()].take() {
                    // Made only when needed, so that a cluster killed outright (which cannot
                    // clean up) leaves a folder behind only if it had crashed a replica.
                    let dir = &self.launch.state_dir;
                    std::fs::create_dir_all(dir).map_err(|source| NetError::State {
                        path: dir.clone(),
                        source,
                    })?;
                    let report = connection.crash().await?;
                    self.crashed[id.index()] = Some(report);
                    self.children.retire(id);
                }
            }
            Fault::Restart(id) if self.control[id.index()].is_none() => {
                let command = self.launch.command(id, &self.addrs, true);
                self.children.spawn(id, command)?;
                self.control[id.index()] = Some(self.wait_until_up(id).await?);
                self.crashed[id.index()] = None;
            }
            _ => {}
        }
        for (i, connection) in self.control.iter_mut().enumerate() {
            if let Some(connection) = connection {
                let links = plan.link_state(ReplicaId(i as u32));
                connection.send(&ToReplica::Faults(links)).await?;
            }
        }
        Ok(())
    }

    /// Waits until no replica has a message unacknowledged, twice in a row with nothing sent in
    /// between: then every write has reached every replica, and the stores can be compared.
    pub async fn wait_until_quiet(&mut self) -> Result<(), NetError> {
        let deadline = tokio::time::Instant::now() + QUIET_TIMEOUT;
        let mut last: Option<Vec<Status>> = None;
        while tokio::time::Instant::now() < deadline {
            self.children.check()?;
            let mut statuses = Vec::new();
            for connection in self.control.iter_mut().flatten() {
                statuses.push(connection.status().await?);
            }
            let quiet = statuses.iter().all(|s| s.unacknowledged == 0);
            if quiet && last.as_ref() == Some(&statuses) {
                return Ok(());
            }
            last = quiet.then_some(statuses);
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        // Not quiet in time: the report shows each replica's unacknowledged messages.
        Ok(())
    }

    /// Stops every running replica and returns every replica's report, by id: a crashed one's is
    /// the one it gave as it crashed.
    pub async fn shutdown(mut self) -> Result<Vec<ReplicaReport>, NetError> {
        let mut reports = Vec::new();
        for (i, connection) in self.control.iter_mut().enumerate() {
            let report = match connection {
                Some(connection) => connection.shutdown().await?,
                None => self.crashed[i]
                    .take()
                    .expect("a replica without a connection has crashed"),
            };
            reports.push(report);
        }
        Ok(reports)
    }
}
